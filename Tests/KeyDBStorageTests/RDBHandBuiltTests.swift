import KeyDBStorage
import Testing

/// Old encodings and opcodes that Redis 7.0 reads but no longer writes, built by hand.
@Suite("RDB reader on hand-built images")
struct RDBHandBuiltTests {
    func single(_ type: UInt8, version: Int = 10, _ payload: (inout ImageBuilder) -> Void) throws -> RDBObject {
        var b = ImageBuilder(version: version)
        b.byte(type)
        b.string("k")
        payload(&b)
        let sink = try read(b.finished())
        try #require(sink.entries.count == 1)
        return sink.entries[0].value
    }

    @Test("RDB_TYPE_LIST with raw, integer-encoded and LZF strings")
    func plainList() throws {
        let long = [UInt8](repeating: 0x61, count: 100)
        let packed = long.withUnsafeBytes { LZF.compress($0) }!
        let value = try single(1) {
            $0.length(4)
            $0.string("x")
            $0.raw([0xC0, 0xFB])  // int8 -5
            $0.raw([0xC2, 0x00, 0x00, 0x00, 0x80])  // int32 min
            $0.raw([0xC3])
            $0.length(packed.count)
            $0.length(long.count)
            $0.raw(packed)
        }
        #expect(value == .list([bytes("x"), bytes("-5"), bytes("-2147483648"), long]))
    }

    @Test("RDB_TYPE_ZSET with text scores, including the nan/inf length codes")
    func textScores() throws {
        let value = try single(3) {
            $0.length(4)
            $0.string("a")
            $0.raw([3] + bytes("1.5"))
            $0.string("b")
            $0.raw([254])
            $0.string("c")
            $0.raw([255])
            $0.string("d")
            $0.raw([23] + bytes("3.1415926535897931e-300"))
        }
        #expect(value == .sortedSet([(bytes("a"), 1.5), (bytes("b"), .infinity), (bytes("c"), -.infinity), (bytes("d"), 3.1415926535897931e-300)]))
        #expect(throws: RDBError.self) {
            try single(3) {
                $0.length(1)
                $0.string("a")
                $0.raw([253])  // nan is no valid score
            }
        }
    }

    @Test("ziplist-encoded list, hash and sorted set; quicklist of ziplists")
    func ziplists() throws {
        let zl = ziplist([zipString(bytes("a")), [0xF3], zipString(bytes("b")), [0xFE, 0x9C]])  // a 2 b -100
        #expect(try single(10) { $0.string(zl) } == .list([bytes("a"), bytes("2"), bytes("b"), bytes("-100")]))
        #expect(try single(13) { $0.string(zl) } == .hash([(bytes("a"), bytes("2")), (bytes("b"), bytes("-100"))]))
        #expect(try single(12) { $0.string(zl) } == .sortedSet([(bytes("a"), 2), (bytes("b"), -100)]))
        let zl2 = ziplist([zipString(bytes("c")), zipString(bytes("0.25"))])
        let quick = try single(14) {
            $0.length(2)
            $0.string(zl)
            $0.string(zl2)
        }
        #expect(quick == .list([bytes("a"), bytes("2"), bytes("b"), bytes("-100"), bytes("c"), bytes("0.25")]))
        let odd = ziplist([zipString(bytes("a"))])
        #expect(throws: RDBError.self) { try single(13) { $0.string(odd) } }
    }

    @Test("zipmap hash, listpack set (7.2), quicklist 2 with PLAIN and PACKED nodes")
    func otherEncodings() throws {
        let zm: [UInt8] = [1, 1] + bytes("f") + [2, 0] + bytes("vv") + [0xFF]
        #expect(try single(9) { $0.string(zm) } == .hash([(bytes("f"), bytes("vv"))]))
        var lp = ListpackBuilder()
        lp.append(bytes("x"))
        lp.append(integer: 77)
        #expect(try single(20) { $0.string(lp.finish()) } == .set([bytes("x"), bytes("77")]))
        let list = try single(18) {
            $0.length(3)
            $0.length(1)
            $0.string("plain")
            $0.length(2)
            $0.string(lp.finish())
            $0.length(1)
            $0.raw([0xC0, 9])  // a PLAIN node may be integer-encoded like any string
        }
        #expect(list == .list([bytes("plain"), bytes("x"), bytes("77"), bytes("9")]))
        #expect(throws: RDBError.self) {
            try single(18) {
                $0.length(1)
                $0.length(3)
                $0.string("?")
            }
        }
    }

    @Test("second-precision expiry, IDLE and FREQ, 64-bit lengths, old versions without a checksum")
    func opcodes() throws {
        var b = ImageBuilder(version: 3)
        b.byte(0xFE)
        b.length(2)
        b.byte(0xFD)
        b.raw(withUnsafeBytes(of: Int32(1_700_000_000).littleEndian, Array.init))
        b.byte(0xF8)
        b.length(12345)
        b.byte(0xF9)
        b.byte(5)
        b.byte(0)
        b.string("k")
        b.raw([0x81, 0, 0, 0, 0, 0, 0, 0, 2] + bytes("hi"))  // a 64-bit length
        let sink = try read(b.finished())
        #expect(sink.entries == [.init(db: 2, key: bytes("k"), value: .string(bytes("hi")), expireAt: 1_700_000_000_000)])
    }

    @Test("refused: newer versions, bad magic, module data, old functions, cut-short streams, modules, unknown types")
    func refusals() throws {
        func message(_ image: [UInt8]) -> String {
            do {
                _ = try read(image)
                return "no error"
            } catch let e as RDBError {
                return e.message
            } catch {
                return "not an RDBError"
            }
        }
        #expect(message(ImageBuilder(version: 11).finished()).contains("newer"))
        #expect(message(bytes("REDIX0010") + [0xFF]).contains("magic"))
        #expect(message(bytes("REDIS00a0") + [0xFF]).contains("version"))
        for (opcode, text) in [(0xF7, "module data not supported"), (0xF6, "release-candidate")] as [(UInt8, String)] {
            var b = ImageBuilder()
            b.byte(opcode)
            b.raw([1, 2, 3])
            #expect(message(b.finished()).contains(text))
        }
        // Stream types load (StreamEncodingTests); a stream body cut short is an error.
        for (type, text) in [(15, "string-encoded"), (19, "string-encoded"), (21, "string-encoded"), (6, "module"), (7, "module"), (8, "unknown")] as [(UInt8, String)] {
            var b = ImageBuilder()
            b.byte(type)
            b.string("k")
            b.raw([0, 0, 0])
            #expect(message(b.finished()).contains(text))
        }
        #expect(message(ImageBuilder().bytes).contains("end of data"))
    }

    @Test("lying lengths fail before allocating")
    func lyingLengths() {
        var hugeList = ImageBuilder()
        hugeList.byte(1)
        hugeList.string("k")
        hugeList.raw([0x81, 0, 0, 0x10, 0, 0, 0, 0, 0])  // 2^44 elements
        var hugeString = ImageBuilder()
        hugeString.byte(0)
        hugeString.string("k")
        hugeString.raw([0x80, 0xFF, 0xFF, 0xFF, 0xF0])
        var hugeLZF = ImageBuilder()
        hugeLZF.byte(0)
        hugeLZF.string("k")
        hugeLZF.raw([0xC3, 2, 0x80, 0x7F, 0xFF, 0xFF, 0xFF, 0x00, 0x61])
        var hugeZset = ImageBuilder()
        hugeZset.byte(5)
        hugeZset.string("k")
        hugeZset.raw([0x80, 0, 0, 0x10, 0])  // 4096 members, 9+ bytes each
        hugeZset.raw([UInt8](repeating: 0, count: 4096))
        var tooLong = ImageBuilder()
        tooLong.byte(0)
        tooLong.string("k")
        tooLong.raw([0x81, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF])
        for image in [hugeList, hugeString, hugeLZF, hugeZset, tooLong] {
            #expect(throws: RDBError.self) { try read(image.finished()) }
        }
    }
}
