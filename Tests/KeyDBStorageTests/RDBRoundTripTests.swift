import KeyDBStorage
import Testing

/// RDBWriter output read back by RDBReader, and the encodings the writer picks.
@Suite("RDB writer round trips")
struct RDBRoundTripTests {
    /// Writes one key, reads the image back, and returns the value and its type byte.
    func roundTrip(_ value: RDBObject, limits: RDBEncodingLimits = RDBEncodingLimits(), compression: Bool = true)
        throws -> (RDBObject, RDBValueType?)
    {
        let image = try writeImage(compression: compression, limits: limits) {
            try $0.selectDatabase(0)
            try $0.writeEntry(key: bytes("k"), value: value)
        }
        let sink = try read(image)
        try #require(sink.entries.count == 1)
        var encoder = RDBObjectEncoder(compression: compression, limits: limits)
        try encoder.encode(value)
        return (sink.entries[0].value, RDBValueType(rawValue: encoder.bytes[0]))
    }

    static func strings(_ n: Int, _ f: (Int) -> String = { "e\($0)" }) -> [[UInt8]] { (0..<n).map { bytes(f($0)) } }

    @Test("strings: integer encodings at their edges, non-canonical integers, empty, big")
    func strings() throws {
        var rng = SeededGenerator(seed: 3)
        let texts = [
            "", "0", "-1", "127", "-128", "128", "-129", "32767", "-32768", "32768", "-32769",
            "2147483647", "-2147483648", "2147483648", "-2147483649", "12345678901", "9223372036854775807",
            "007", "-0", "+1", " 1", "1.0", "a\0b\r\n",
        ]
        for t in texts {
            #expect(try roundTrip(.string(bytes(t))).0 == .string(bytes(t)), "\(t)")
        }
        for big in [[UInt8](repeating: 7, count: 1 << 20), rng.bytes(100_000), bytes(String(repeating: "abc", count: 7))] {
            for compression in [true, false] {
                #expect(try roundTrip(.string(big), compression: compression).0 == .string(big))
            }
        }
    }

    @Test("strings use Redis's encodings: int8/16/32 when canonical, LZF when it pays")
    func stringEncodings() throws {
        func encoded(_ s: String, compression: Bool = true) throws -> [UInt8] {
            var e = RDBObjectEncoder(compression: compression)
            try e.encodeString(bytes(s))
            return e.bytes
        }
        #expect(try encoded("-128") == [0, 0xC0, 0x80])
        #expect(try encoded("-129") == [0, 0xC1, 0x7F, 0xFF])
        #expect(try encoded("32768") == [0, 0xC2, 0x00, 0x80, 0x00, 0x00])
        #expect(try encoded("2147483648") == [0, 10] + bytes("2147483648"))
        #expect(try encoded("007") == [0, 3] + bytes("007"))
        let long = String(repeating: "ab", count: 100)
        #expect(try encoded(long)[1] == 0xC3)
        #expect(try encoded(long, compression: false)[1] == 0x40)
        #expect(try encoded(String(repeating: "a", count: 20)) == [0, 20] + bytes(String(repeating: "a", count: 20)))
    }

    @Test("lists: listpack nodes split near 8 KB, big elements alone, PLAIN below the threshold", arguments: [
        0, 1, 126, 127, 128, 129, 5000,
    ])
    func lists(count: Int) throws {
        guard count > 0 else {
            #expect(throws: RDBError.self) { try roundTrip(.list([])) }
            return
        }
        let items = Self.strings(count) { $0 % 3 == 0 ? String($0 - 100) : "element-\($0)" }
        let (back, type) = try roundTrip(.list(items))
        #expect(back == .list(items))
        #expect(type == .listQuicklist2)
    }

    @Test("list node layout follows quicklist's size rule and packed threshold")
    func listNodes() throws {
        let big = [UInt8](repeating: 0x42, count: 9000)
        let small = Self.strings(2000)
        let items = small + [big] + small
        var limits = RDBEncodingLimits()
        let packedOnly = try nodes(items, limits: limits)
        #expect(packedOnly.allSatisfy { $0.container == 2 })
        #expect(packedOnly.allSatisfy { $0.blob.count <= 9100 })
        #expect(packedOnly.contains { $0.blob.count > 9000 })  // the big element, alone
        limits.listPlainThreshold = 8192
        let withPlain = try nodes(items, limits: limits)
        #expect(withPlain.filter { $0.container == 1 }.map(\.blob) == [big])
        #expect(withPlain.filter { $0.container == 2 }.allSatisfy { $0.blob.count <= 8192 })
        #expect(try roundTrip(.list(items), limits: limits).0 == .list(items))
    }

    /// The quicklist nodes of an encoded list, read with the public cursor API.
    func nodes(_ items: [[UInt8]], limits: RDBEncodingLimits) throws -> [(container: Int, blob: [UInt8])] {
        var e = RDBObjectEncoder(compression: false, limits: limits)
        try e.encodeList(items)
        var cursor = RDBCursor(e.bytes, offset: 1)
        return try (0..<cursor.readLength()).map { _ in (try cursor.readLength(), try cursor.readString()) }
    }

    @Test("sets: intset up to 512 canonical integers, hash table otherwise", arguments: [
        (512, true, RDBValueType.setIntset), (513, true, .set), (3, false, .set), (1, true, .setIntset),
    ])
    func sets(count: Int, integers: Bool, type: RDBValueType) throws {
        var members = Self.strings(count) { String($0 * 7 - 1000) }
        if !integers { members[0] = bytes("x") }
        let (back, actual) = try roundTrip(.set(members))
        #expect(actual == type)
        guard case .set(let got) = back else { Issue.record("not a set"); return }
        #expect(Set(got) == Set(members))
    }

    @Test("intset members at 16/32/64-bit edges")
    func intsetEdges() throws {
        let values: [Int64] = [
            0, -1, Int64(Int16.min), Int64(Int16.max), Int64(Int16.max) + 1, Int64(Int32.min), Int64(Int32.max),
            Int64(Int32.max) + 1, .min, .max,
        ]
        let members = values.map { bytes(String($0)) }
        let (back, type) = try roundTrip(.set(members))
        #expect(type == .setIntset)
        #expect(back == .set(values.sorted().map { bytes(String($0)) }))
        // "007" and "-0" are not canonical, so not integers.
        #expect(try roundTrip(.set([bytes("1"), bytes("007")])).1 == .set)
        #expect(try roundTrip(.set([bytes("-0")])).1 == .set)
    }

    @Test("hashes: listpack up to 512 fields of up to 64 bytes", arguments: [
        (512, 64, 1, RDBValueType.hashListpack), (513, 1, 1, .hash), (1, 65, 1, .hash), (1, 1, 65, .hash),
        (128, 64, 64, .hashListpack), (129, 64, 64, .hashListpack),
    ])
    func hashes(count: Int, valueLength: Int, fieldLength: Int, type: RDBValueType) throws {
        func padded(_ s: String, _ n: Int) -> [UInt8] { bytes(String(repeating: "f", count: max(0, n - s.count)) + s) }
        // Odd fields get short integer values, even ones values of exactly `valueLength` bytes.
        let input: [([UInt8], [UInt8])] = (0..<count).map { i in
            let value: [UInt8] = i % 2 == 1 ? bytes(String(i)) : [UInt8](repeating: UInt8(i % 256), count: valueLength)
            return (padded(String(i), fieldLength), value)
        }
        let unique = Dictionary(input, uniquingKeysWith: { (a: [UInt8], _: [UInt8]) in a })
        let (back, actual) = try roundTrip(.hash(input))
        #expect(actual == type)
        guard case .hash(let got) = back else { Issue.record("not a hash"); return }
        #expect(Dictionary(got, uniquingKeysWith: { (a: [UInt8], _: [UInt8]) in a }) == unique)
    }

    static let specialScores: [Double] = [
        0, -0.0, 1.5, -2.5, 1e300, -1e300, .infinity, -.infinity, 3.141592653589793, 42, -7, 1e20, 1.0 / 3,
        4_611_686_018_427_387_904, -4_611_686_018_427_387_904, 4_611_686_018_427_388_928, 9_007_199_254_740_992, 9_007_199_254_740_994,
        .leastNonzeroMagnitude, .greatestFiniteMagnitude, 0.1, 123_456_789.123,
    ]

    @Test("sorted sets: listpack keeps Redis's order and reads every score back exactly (-0 becomes 0, as in Redis)")
    func sortedSetListpack() throws {
        let members = Self.specialScores.enumerated().map { (bytes("m\($0.offset)"), $0.element) }
        let (back, type) = try roundTrip(.sortedSet(members))
        #expect(type == .sortedSetListpack)
        let expected = members.map { ($0.0, $0.1 == 0 ? 0.0 : $0.1) }.sorted {
            $0.1 < $1.1 || ($0.1 == $1.1 && $0.0.lexicographicallyPrecedes($1.0))
        }
        #expect(back == .sortedSet(expected))
    }

    @Test("sorted sets: ZSET_2 above 128 members or 64-byte members keeps binary scores", arguments: [
        (129, 1), (1, 65), (128, 64),
    ])
    func sortedSetSkiplist(count: Int, memberLength: Int) throws {
        var members = (0..<count).map { (bytes(String(repeating: "m", count: memberLength - 1) + "\($0 % 10)"), Double($0) * 0.5) }
        members = Array(Dictionary(members, uniquingKeysWith: { a, _ in a }).map { ($0.key, $0.value) })
        members += zip(Self.specialScores.indices, Self.specialScores).map { (bytes("s\($0.0)"), $0.1) }
        let (back, type) = try roundTrip(.sortedSet(members))
        let packed = members.count <= 128 && members.allSatisfy { $0.0.count <= 64 }
        #expect(type == (packed ? .sortedSetListpack : .sortedSet2))
        guard case .sortedSet(let got) = back else { Issue.record("not a sorted set"); return }
        let wanted = Dictionary(members.map { ($0.0, packed && $0.1 == 0 ? 0.0 : $0.1) }, uniquingKeysWith: { a, _ in a })
        #expect(got.count == wanted.count)
        for (m, s) in got { #expect(wanted[m]?.bitPattern == s.bitPattern) }
    }

    @Test("NaN scores and empty collections are refused by the writer")
    func refusals() {
        #expect(throws: RDBError.self) { try roundTrip(.sortedSet([(bytes("a"), .nan)])) }
        for empty: RDBObject in [.set([]), .hash([]), .sortedSet([])] {
            #expect(throws: RDBError.self) { try roundTrip(empty) }
        }
    }

    @Test("aux fields, functions, databases, resize hints and expiry survive")
    func wholeImage() throws {
        let image = try writeImage {
            try $0.writeAux(bytes("redis-ver"), bytes("7.0.15"))
            try $0.writeAux(bytes("redis-bits"), bytes("64"))
            try $0.writeFunction(bytes("#!lua name=lib\nredis.register_function('f', function() return 1 end)"))
            for db in [0, 1, 15, 300] {
                try $0.selectDatabase(db)
                try $0.resizeDatabase(keys: 2, expires: 1)
                try $0.writeString(key: bytes("str\(db)"), value: bytes("v"), expireAtMilliseconds: 4_102_444_800_123)
                try $0.writeList(key: bytes("l\(db)"), elements: [bytes("a"), bytes("b")])
                try $0.writeSet(key: bytes("set\(db)"), members: [bytes("1")], expireAtMilliseconds: -5)
                try $0.writeHash(key: bytes("h\(db)"), fields: [(bytes("f"), bytes("v"))])
                try $0.writeSortedSet(key: bytes("z\(db)"), members: [(bytes("m"), 1.5)])
            }
        }
        let sink = try read(image)
        #expect(sink.auxValue("redis-ver") == bytes("7.0.15"))
        #expect(sink.functions.count == 1)
        #expect(sink.resizes.count == 4)
        #expect(sink.entries.count == 20)
        #expect(sink.entries.map(\.db) == [0, 1, 15, 300].flatMap { Array(repeating: $0, count: 5) })
        #expect(sink.entries.filter { $0.key.starts(with: bytes("str")) }.allSatisfy { $0.expireAt == 4_102_444_800_123 })
        #expect(sink.entries.filter { $0.key.starts(with: bytes("set")) }.allSatisfy { $0.expireAt == -5 })
        #expect(sink.entries.filter { $0.key.starts(with: bytes("l")) }.allSatisfy { $0.expireAt == nil })
        #expect(Array(image.prefix(9)) == bytes("REDIS0010"))
    }

    @Test("checksum off writes a zero trailer; compression off writes no LZF")
    func options() throws {
        let long = [UInt8](repeating: 0x61, count: 1000)
        let plain = try writeImage(compression: false, checksum: false) {
            try $0.writeString(key: bytes("k"), value: long)
        }
        #expect(plain.suffix(8).allSatisfy { $0 == 0 })
        #expect(plain.count > 1000)
        #expect(try read(plain).entries.first?.value == .string(long))
        let packed = try writeImage { try $0.writeString(key: bytes("k"), value: long) }
        #expect(packed.count < 100)
        #expect(CRC64.checksum(Array(packed.dropLast(8))) == packed.suffix(8).reversed().reduce(0) { $0 << 8 | UInt64($1) })
    }

    @Test("many keys stream out in bounded chunks")
    func streaming() throws {
        final class Stats { var chunks = 0; var largest = 0; var image: [UInt8] = [] }
        let stats = Stats()
        var writer = RDBWriter(chunkSize: 4096) {
            stats.chunks += 1
            stats.largest = max(stats.largest, $0.count)
            stats.image += $0
        }
        try writer.writeHeader()
        try writer.selectDatabase(0)
        let keys = 50_000
        for i in 0..<keys {
            try writer.writeString(key: bytes("key:\(i)"), value: bytes("value:\(i)"))
        }
        let hugeHash = (0..<20_000).map { (bytes("field:\($0)"), bytes("v\($0)")) }
        try writer.writeHash(key: bytes("huge"), fields: hugeHash)
        try writer.finish()
        #expect(writer.bytesWritten == stats.image.count)
        #expect(stats.largest < 4096 + 200)
        #expect(stats.chunks > 100)
        let sink = try read(stats.image)
        #expect(sink.entries.count == keys + 1)
        #expect(sink.entries.last?.value == .hash(hugeHash))
    }
}
