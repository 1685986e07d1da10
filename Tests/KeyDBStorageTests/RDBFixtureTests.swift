import Foundation
@testable import KeyDBStorage
import Testing

/// Files saved by redis-server 7.0.15 (see Fixtures/make-fixtures.sh), compared
/// with what that server reported for the same data.
@Suite("RDB files written by Redis 7.0")
struct RDBFixtureTests {
    static let fixtures = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Fixtures")

    static func fixture(_ name: String) throws -> [UInt8] {
        [UInt8](try Data(contentsOf: fixtures.appendingPathComponent(name)))
    }

    static func expectedLines() throws -> [String] {
        try String(contentsOf: fixtures.appendingPathComponent("all-types.expected"), encoding: .utf8)
            .split(separator: "\n").map(String.init)
    }

    @Test("each fixture decodes to exactly what Redis reported", arguments: [
        "all-types.rdb", "all-types-uncompressed.rdb", "all-types-nochecksum.rdb",
    ])
    func decodesLikeRedis(name: String) throws {
        let sink = try read(try Self.fixture(name))
        let actual = keyspaceLines(sink)
        let expected = try Self.expectedLines()
        #expect(actual.count == expected.count)
        for (a, e) in zip(actual, expected) where a != e {
            Issue.record("mismatch:\n  got      \(a.prefix(300))\n  expected \(e.prefix(300))")
        }
        #expect(sink.auxValue("redis-ver") == bytes("7.0.15"))
        #expect(sink.auxValue("redis-bits") == bytes("64"))
    }

    @Test("the fixture covers the encodings Redis 7.0 writes")
    func fixtureCoversEncodings() throws {
        let types = try Self.values(in: Self.fixture("all-types.rdb")).mapValues(\.type)
        #expect(types[bytes("str:short")] == .string)
        #expect(types[bytes("list:many")] == .listQuicklist2)
        #expect(types[bytes("set:int16")] == .setIntset)
        #expect(types[bytes("set:str")] == .set)
        #expect(types[bytes("hash:small")] == .hashListpack)
        #expect(types[bytes("hash:many")] == .hash)
        #expect(types[bytes("zset:small")] == .sortedSetListpack)
        #expect(types[bytes("zset:many")] == .sortedSet2)
    }

    @Test("re-encoding Redis's packed values gives Redis's bytes (node splits, score text, int encodings)", arguments: [
        "list:small", "list:many", "list:bigelem", "list:plain", "set:int16", "set:int32", "set:int64",
        "hash:small", "hash:longval", "zset:small", "zset:longmember", "str:int:-129", "str:int:2147483647", "str:lzf",
    ])
    func reencodesLikeRedis(key: String) throws {
        let image = try Self.fixture("all-types-uncompressed.rdb")
        let value = try #require(try Self.values(in: image)[bytes(key)])
        var limits = RDBEncodingLimits()
        if key == "list:plain" { limits.listPlainThreshold = 8192 }  // as the script set it with DEBUG
        var encoder = RDBObjectEncoder(compression: false, limits: limits)
        var cursor = RDBCursor(image, offset: value.bytes.lowerBound)
        try encoder.encode(RDBObjectDecoder.decode(type: value.type.rawValue, from: &cursor))
        #expect(encoder.bytes == [value.type.rawValue] + Array(image[value.bytes]))
    }

    @Test("a wrong checksum is refused; a zero checksum is not checked")
    func checksum() throws {
        var image = try Self.fixture("all-types.rdb")
        image[image.count - 3] ^= 0x01
        #expect { try read(image) } throws: { ($0 as? RDBError)?.message.contains("checksum") == true }
        var body = try Self.fixture("all-types-uncompressed.rdb")
        let at = try #require(body.firstRange(of: bytes("hello"))).lowerBound
        body[at] = UInt8(ascii: "j")
        #expect { try read(body) } throws: { ($0 as? RDBError)?.message.contains("checksum") == true }
        var unchecked = try Self.fixture("all-types-nochecksum.rdb")
        #expect(unchecked.suffix(8).allSatisfy { $0 == 0 })
        let hello = try #require(unchecked.firstRange(of: bytes("hello"))).lowerBound
        unchecked[hello] = UInt8(ascii: "j")
        let sink = try read(unchecked)
        #expect(sink.entries.contains { $0.key == bytes("str:short") && $0.value == .string(bytes("jello")) })
    }

    /// The type byte and payload bytes of every key, walking the top level of the image.
    static func values(in image: [UInt8]) throws -> [[UInt8]: (type: RDBValueType, bytes: Range<Int>)] {
        var cursor = RDBCursor(image, offset: 9)
        var values: [[UInt8]: (type: RDBValueType, bytes: Range<Int>)] = [:]
        while true {
            let opcode = try cursor.readByte()
            switch opcode {
            case RDBOpcode.eof: return values
            case RDBOpcode.aux: _ = (try cursor.readString(), try cursor.readString())
            case RDBOpcode.selectDB: _ = try cursor.readLength()
            case RDBOpcode.resizeDB: _ = (try cursor.readLength(), try cursor.readLength())
            case RDBOpcode.expireTimeMilliseconds: try cursor.skip(8, "expire")
            case RDBOpcode.function2: _ = try cursor.readString()
            default:
                let key = try cursor.readString()
                let start = cursor.offset
                _ = try RDBObjectDecoder.decode(type: opcode, from: &cursor)
                values[key] = (RDBValueType(rawValue: opcode)!, start..<cursor.offset)
            }
        }
    }
}

/// The keyspace in dump-keyspace.py's line format.
func keyspaceLines(_ sink: CollectingSink) -> [String] {
    func x(_ b: [UInt8]) -> String { "x" + b.map { String(format: "%02x", $0) }.joined() }
    func d(_ v: Double) -> String { "d" + String(format: "%016llx", v.bitPattern) }
    func sorted<T>(_ pairs: [([UInt8], T)]) -> [([UInt8], T)] { pairs.sorted { $0.0.lexicographicallyPrecedes($1.0) } }
    var lines = sink.functions.map { "function " + x($0) }
    for e in sink.entries {
        let kind: String
        let items: [String]
        switch e.value {
        case .string(let s): (kind, items) = ("string", [x(s)])
        case .list(let l): (kind, items) = ("list", l.map(x))
        case .set(let s): (kind, items) = ("set", s.sorted { $0.lexicographicallyPrecedes($1) }.map(x))
        case .hash(let h): (kind, items) = ("hash", sorted(h).flatMap { [x($0.0), x($0.1)] })
        case .sortedSet(let z): (kind, items) = ("zset", sorted(z).flatMap { [x($0.0), d($0.1)] })
        case .stream(let s): (kind, items) = ("stream", s.nodes.joined().filter { !$0.deleted }.flatMap { [$0.id.description] + $0.fields.map(x) })
        }
        let ttl = e.expireAt.map(String.init) ?? "-"
        lines.append((["key", String(e.db), x(e.key), kind, ttl] + items).joined(separator: " "))
    }
    return lines.sorted()
}
