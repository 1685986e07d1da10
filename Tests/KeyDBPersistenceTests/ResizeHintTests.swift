import KeyDBEngine
@testable import KeyDBPersistence
import KeyDBStorage
import Testing

/// A snapshot announces each database's key count (RESIZEDB): loading makes
/// the room at once, as Redis expands its dict, and holds the hint to what the
/// file can contain.
@Suite struct ResizeHintTests {
    /// An RDB image of database 0 with `keys` string keys and the given RESIZEDB hint.
    static func image(keys: Int, hint: Int, expiredBelow: Int = 0) throws -> [UInt8] {
        final class Sink { var bytes: [UInt8] = [] }
        let sink = Sink()
        var writer = RDBWriter { sink.bytes.append(contentsOf: $0) }
        try writer.writeHeader()
        try writer.selectDatabase(0)
        try writer.resizeDatabase(keys: hint, expires: 0)
        for index in 0..<keys {
            try writer.writeString(key: Array("key:\(index)".utf8), value: Array("v\(index)".utf8),
                                   expireAtMilliseconds: index < expiredBelow ? 1 : nil)
        }
        try writer.finish()
        return sink.bytes
    }

    static func load(_ image: [UInt8], skipExpired: Bool = false) throws -> Engine {
        let engine = Engine()
        _ = try image.withUnsafeBytes {
            try Snapshot.load($0, name: "dump.rdb", into: engine, skipExpired: skipExpired, withKeyspace: { $0() })
        }
        return engine
    }

    @Test func theAnnouncedKeysGetTheirRoomBeforeTheyLoad() throws {
        // The hint sized the table: 100 keys alone would have made 128 buckets.
        let engine = try Self.load(try Self.image(keys: 100, hint: 300))
        let db = engine.keyspace.databases[0]
        #expect(db.count == 100)
        #expect(db.bucketCount == 512)
        for index in [0, 57, 99] {
            let value = Array("key:\(index)".utf8).withUnsafeBytes { db.get($0, now: 0) }
            guard case .string(let bytes)? = value else { Issue.record("key:\(index) missing"); continue }
            #expect(bytes.array == Array("v\(index)".utf8))
        }
    }

    /// Keys already expired are not loaded at start; the room announced for them is given back.
    @Test func roomForKeysThatDidNotComeIsGivenBack() throws {
        let engine = try Self.load(try Self.image(keys: 100, hint: 300, expiredBelow: 95), skipExpired: true)
        let db = engine.keyspace.databases[0]
        #expect(db.count == 5)
        #expect(db.bucketCount <= 64)
    }

    /// A hint the file cannot back (2^40 keys in a few bytes) reserves no more
    /// than the image could hold, instead of asking for terabytes.
    @Test func aHostileHintIsHeldToTheImageSize() throws {
        let image = try Self.image(keys: 10, hint: 1 << 40)
        let engine = try Self.load(image)
        let db = engine.keyspace.databases[0]
        #expect(db.count == 10)
        #expect(db.bucketCount <= 2 * image.count)
    }
}
