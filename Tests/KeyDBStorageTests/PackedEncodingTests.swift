@testable import KeyDBStorage
import Testing

@Suite("listpack, ziplist, intset, zipmap")
struct PackedEncodingTests {
    @Test("listpack picks the smallest encoding for each entry")
    func listpackEncodings() throws {
        let cases: [(String, [UInt8])] = [
            ("0", [0x00]), ("127", [0x7F]),  // 7-bit uint
            ("128", [0xC0, 0x80]), ("-1", [0xDF, 0xFF]), ("4095", [0xCF, 0xFF]), ("-4096", [0xD0, 0x00]),  // 13-bit
            ("4096", [0xF1, 0x00, 0x10]), ("-32768", [0xF1, 0x00, 0x80]),  // 16-bit
            ("32768", [0xF2, 0x00, 0x80, 0x00]), ("-8388608", [0xF2, 0x00, 0x00, 0x80]),  // 24-bit
            ("8388608", [0xF3, 0x00, 0x00, 0x80, 0x00]), ("-2147483648", [0xF3, 0x00, 0x00, 0x00, 0x80]),  // 32-bit
            ("2147483648", [0xF4, 0, 0, 0, 0x80, 0, 0, 0, 0]),
            ("-9223372036854775808", [0xF4, 0, 0, 0, 0, 0, 0, 0, 0x80]),  // 64-bit
            ("", [0x80]), ("ab", [0x82, 0x61, 0x62]),  // 6-bit string
            ("007", [0x83] + Array("007".utf8)), ("-0", [0x82] + Array("-0".utf8)),  // not canonical integers
            ("9223372036854775808", [0x93] + Array("9223372036854775808".utf8)),
        ]
        for (text, encoded) in cases {
            var lp = ListpackBuilder()
            lp.append(bytes(text))
            let out = lp.finish()
            #expect(Array(out[6..<(6 + encoded.count)]) == encoded, "\(text)")
            #expect(try Listpack.decode(out) == [bytes(text)], "\(text)")
        }
    }

    @Test("listpack strings of 6, 12 and 32-bit lengths and multi-byte backlens round-trip")
    func listpackLongStrings() throws {
        var lp = ListpackBuilder()
        let items = [63, 64, 127, 128, 4095, 4096, 16_378, 16_383, 70_000].map { [UInt8](repeating: 0x41, count: $0) }
        for item in items { lp.append(item) }
        let out = lp.finish()
        #expect(out.count == lp.byteCount)
        #expect(try Listpack.decode(out) == items)
        // 16383 bytes of encoding + data take a 3-byte backlen, as in Redis.
        #expect(Listpack.encodeBacklen(16_383) == [0x00, 0xFF, 0xFF])
        #expect(Listpack.encodeBacklen(16_382) == [0x7F, 0xFE])
        #expect(Listpack.encodeBacklen(127) == [0x7F])
    }

    @Test("listpack with more than 65534 entries stores an unknown count")
    func listpackUnknownCount() throws {
        var lp = ListpackBuilder()
        for i in 0..<70_000 { lp.append(integer: Int64(i % 100)) }
        let out = lp.finish()
        #expect(out[4] == 0xFF && out[5] == 0xFF)
        #expect(try Listpack.decode(out).count == 70_000)
    }

    @Test("malformed listpacks are refused")
    func listpackMalformed() {
        var lp = ListpackBuilder()
        lp.append(bytes("hello"))
        lp.append(integer: 1000)
        let good = lp.finish()
        var badCount = good
        badCount[4] = 3
        var badBacklen = good
        badBacklen[good.count - 2] ^= 1
        var badTotal = good
        badTotal[0] += 1
        var badEncoding = good
        badEncoding[6] = 0xF5
        var noEnd = good
        noEnd[good.count - 1] = 0
        for bad in [badCount, badBacklen, badTotal, badEncoding, noEnd, Array(good.dropLast()), [0xFF]] {
            #expect(throws: RDBError.self) { try Listpack.decode(bad) }
        }
    }

    @Test("ziplist decodes every encoding and prevlen size")
    func ziplistEncodings() throws {
        let long = [UInt8](repeating: 0x7A, count: 300)  // forces a 5-byte prevlen after it
        let huge = [UInt8](repeating: 0x79, count: 16_400)
        let bodies: [[UInt8]] = [
            zipString(bytes("abc")), zipString(long), [0xF1], [0xFD],  // immediate 0 and 12
            [0xFE, 0x80],  // int8 -128
            [0xC0, 0x00, 0x80],  // int16 -32768
            [0xF0, 0xFF, 0xFF, 0x7F],  // int24 8388607
            [0xD0, 0xFF, 0xFF, 0xFF, 0x7F],  // int32
            [0xE0, 0, 0, 0, 0, 0, 0, 0, 0x80],  // int64 min
            zipString(huge), zipString([]),
        ]
        let decoded = try Ziplist.decode(ziplist(bodies))
        #expect(decoded == [
            bytes("abc"), long, bytes("0"), bytes("12"), bytes("-128"), bytes("-32768"), bytes("8388607"),
            bytes("2147483647"), bytes("-9223372036854775808"), huge, [],
        ])
        #expect(try Ziplist.decode(ziplist([])) == [])
    }

    @Test("malformed ziplists are refused")
    func ziplistMalformed() {
        let good = ziplist([zipString(bytes("a")), [0xF5], zipString(bytes("bc"))])
        var badPrevlen = good
        badPrevlen[10 + 3] = 9  // second entry's prevlen
        var badTail = good
        badTail[4] = 11
        var badEncoding = good
        badEncoding[10 + 4] = 0xCE  // 11 001110 is no integer encoding
        for bad in [badPrevlen, badTail, badEncoding, Array(good.dropLast()), Array(good.prefix(10))] {
            #expect(throws: RDBError.self) { try Ziplist.decode(bad) }
        }
    }

    @Test("intset encodes in the narrowest width and round-trips", arguments: [
        ([1, -5, 32767, -32768], 2), ([1, 32768], 4), ([Int64(Int32.min), 0], 4),
        ([Int64(Int32.max) + 1], 8), ([Int64.min, Int64.max], 8),
    ] as [([Int64], Int)])
    func intset(members: [Int64], width: Int) throws {
        let blob = Intset.encode(members)
        #expect(blob[0] == UInt8(width))
        #expect(blob.count == 8 + members.count * width)
        #expect(try Intset.decode(blob) == members.sorted())
    }

    @Test("malformed intsets are refused")
    func intsetMalformed() {
        let unsorted: [UInt8] = [2, 0, 0, 0, 2, 0, 0, 0, 5, 0, 1, 0]
        let badWidth: [UInt8] = [3, 0, 0, 0, 1, 0, 0, 0, 5, 0, 0]
        let short: [UInt8] = [2, 0, 0, 0, 2, 0, 0, 0, 5, 0]
        let lying: [UInt8] = [8, 0, 0, 0, 0xFF, 0xFF, 0xFF, 0x7F]
        for bad in [unsorted, badWidth, short, lying, [2, 0, 0]] {
            #expect(throws: RDBError.self) { try Intset.decode(bad) }
        }
    }

    @Test("zipmap decodes short and long lengths and skips free bytes")
    func zipmap() throws {
        let long = [UInt8](repeating: 0x76, count: 300)
        var zm: [UInt8] = [2]
        zm += [1] + bytes("a") + [3, 2] + bytes("xyz") + [0, 0]  // 2 free bytes
        zm += [2] + bytes("bb") + [0xFE] + withUnsafeBytes(of: UInt32(300).littleEndian, Array.init) + [0] + long
        zm += [0xFF]
        let pairs = try zm.withUnsafeBytes { try Zipmap.decode($0) }
        #expect(pairs.map(\.0) == [bytes("a"), bytes("bb")])
        #expect(pairs.map(\.1) == [bytes("xyz"), long])
        for cut in 0..<zm.count {
            #expect(throws: RDBError.self) { try Array(zm[..<cut]).withUnsafeBytes { try Zipmap.decode($0) } }
        }
    }
}
