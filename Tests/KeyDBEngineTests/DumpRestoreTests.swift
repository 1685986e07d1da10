import KeyDBEngine
import KeyDBTestSupport
import Testing

/// DUMP's payload layout and RESTORE's checks, and RESTORE against mangled
/// payloads: it answers an error or restores a value, never traps.
@Suite struct DumpRestoreTests {
    let harness = EngineHarness()

    /// Redis's CRC-64 (Jones, reflected), bit by bit: an independent check of the table-driven one.
    static func crc64(_ bytes: some Sequence<UInt8>) -> UInt64 {
        var crc: UInt64 = 0
        for byte in bytes {
            crc ^= UInt64(byte)
            for _ in 0..<8 { crc = crc & 1 == 1 ? (crc >> 1) ^ 0x95AC_9329_AC4B_C9B5 : crc >> 1 }
        }
        return crc
    }

    /// `body` framed as DUMP frames it, with any version.
    static func seal(_ body: [UInt8], version: UInt16 = 10) -> [UInt8] {
        var payload = body + [UInt8(version & 0xFF), UInt8(version >> 8)]
        let crc = crc64(payload)
        for shift in stride(from: 0, to: 64, by: 8) { payload.append(UInt8(truncatingIfNeeded: crc >> UInt64(shift))) }
        return payload
    }

    func dump(_ key: String) -> [UInt8] {
        guard case .bulk(let payload?) = harness.value("DUMP", key) else {
            Issue.record("DUMP \(key) gave no payload")
            return []
        }
        return payload
    }

    func restore(_ key: String, _ payload: [UInt8], _ options: String...) -> String {
        let reply = harness.client.execute([Array("RESTORE".utf8), Array(key.utf8), Array("0".utf8), payload] + options.map { Array($0.utf8) })
        return String(decoding: reply, as: UTF8.self)
    }

    @Test func theCRCIsRedisCRC64() {
        #expect(Self.crc64(Array("123456789".utf8)) == 0xE9C6_D914_C4B8_D9CA)
    }

    @Test func aStringPayloadIsTypeBodyVersionAndChecksum() {
        harness.run("SET", "k", "hello")
        let payload = dump("k")
        let body: [UInt8] = [0, 5] + Array("hello".utf8)
        #expect(Array(payload.prefix(7)) == body)
        #expect(Array(payload[7..<9]) == [10, 0])
        let crc = Self.crc64(payload.prefix(9))
        #expect(Array(payload[9...]) == (0..<8).map { UInt8(truncatingIfNeeded: crc >> UInt64($0 * 8)) })
        #expect(payload == Self.seal(body))
    }

    @Test func integersAreDumpedInRDBIntegerForm() {
        harness.run("SET", "k", "-1234567")
        #expect(dump("k") == Self.seal([0, 0xC2] + withUnsafeBytes(of: Int32(-1234567).littleEndian, Array.init)))
    }

    @Test func everyTypeRoundTripsWithItsEncoding() {
        harness.run("SET", "s", "text")
        harness.run("SET", "n", "42")
        harness.run("SET", "raw", String(repeating: "x", count: 100))
        harness.run("RPUSH", "l", "a", "1", "b")
        harness.run("HSET", "h", "f", "v")
        harness.run("SADD", "si", "1", "2")
        harness.run("SADD", "ss", "a", "b")
        harness.run("ZADD", "z", "1", "a", "2.5", "b")
        harness.client.run(["HSET", "hbig"] + (0..<600).flatMap { ["f\($0)", "v\($0)"] })
        harness.client.run(["SADD", "sbig"] + (0..<600).map { "\($0)" })
        harness.client.run(["ZADD", "zbig"] + (0..<200).flatMap { ["\($0)", "m\($0)"] })
        harness.run("XADD", "x", "1-1", "f", "v")
        harness.run("XADD", "x", "2-1", "g", "w")
        harness.run("XDEL", "x", "1-1")
        harness.run("XGROUP", "CREATE", "x", "group", "0")
        for key in ["s", "n", "raw", "l", "h", "si", "ss", "z", "hbig", "sbig", "zbig", "x"] {
            let payload = dump(key)
            #expect(restore("copy", payload, "REPLACE") == "+OK\r\n", "\(key)")
            #expect(harness.run("OBJECT", "ENCODING", "copy") == harness.run("OBJECT", "ENCODING", key), "\(key)")
            #expect(dump("copy") == payload, "\(key)")
        }
    }

    @Test func versionsUpToTenAreReadNewerRefused() {
        let body: [UInt8] = [0, 2] + Array("hi".utf8)
        #expect(restore("a", Self.seal(body, version: 9)) == "+OK\r\n")
        #expect(restore("b", Self.seal(body, version: 1)) == "+OK\r\n")
        #expect(restore("c", Self.seal(body, version: 11)) == "-ERR DUMP payload version or checksum are wrong\r\n")
        var corrupted = Self.seal(body)
        corrupted[corrupted.count - 1] ^= 1
        #expect(restore("d", corrupted) == "-ERR DUMP payload version or checksum are wrong\r\n")
        #expect(restore("e", Array(Self.seal(body).prefix(9))) == "-ERR DUMP payload version or checksum are wrong\r\n")
        #expect(restore("f", Self.seal([1, 0])) == "-ERR Bad data format\r\n")  // an empty list
        #expect(harness.run("EXISTS", "c", "d", "e", "f") == ":0\r\n")
    }

    @Test func checksAreMadeInRedisOrder() {
        harness.run("SET", "k", "v")
        #expect(restore("k", [1, 2, 3], "FREQ", "300") == "-ERR Invalid FREQ value, must be >= 0 and <= 255\r\n")
        #expect(restore("k", [1, 2, 3]) == "-BUSYKEY Target key name already exists.\r\n")
        let reply = harness.run(bytes: Array("RESTORE".utf8), Array("new".utf8), Array("-5".utf8), [1, 2, 3])
        #expect(String(decoding: reply, as: UTF8.self) == "-ERR Invalid TTL value, must be >= 0\r\n")
    }

    /// Turns logging on and gives the payload of a string key "k" ("v"); the log is empty.
    func loggedEngineWithPayload() -> (AppendOnlyFeed, [UInt8]) {
        let feed = AppendOnlyFeed()
        harness.engine.appendOnlyFeed = feed
        harness.run("SET", "k", "v")
        let payload = dump("k")
        feed.buffer.clear()
        return (feed, payload)
    }

    @Test func aRelativeTTLIsLoggedAsAnAbsoluteOne() {
        let (feed, payload) = loggedEngineWithPayload()
        let reply = harness.run(bytes: Array("RESTORE".utf8), Array("t".utf8), Array("5000".utf8), payload, Array("IDLETIME".utf8), Array("3".utf8))
        #expect(reply == Array("+OK\r\n".utf8))
        let logged = feed.buffer.getString(at: feed.buffer.readerIndex, length: feed.buffer.readableBytes) ?? ""
        #expect(logged.contains("RESTORE\r\n$1\r\nt\r\n$13\r\n\(harness.now + 5000)\r\n"))
        #expect(logged.hasSuffix("IDLETIME\r\n$1\r\n3\r\n$6\r\nABSTTL\r\n"))
        #expect(harness.run("PEXPIRETIME", "t") == ":\(harness.now + 5000)\r\n")
    }

    @Test func aRestoreAlreadyExpiredOnlyDeletesWhatItReplaced() {
        let (feed, payload) = loggedEngineWithPayload()
        #expect(restore("gone", payload, "ABSTTL") == "+OK\r\n")  // ttl 0: no expiry
        feed.buffer.clear()
        let reply = harness.run(bytes: Array("RESTORE".utf8), Array("k".utf8), Array("1".utf8), payload, Array("ABSTTL".utf8), Array("REPLACE".utf8))
        #expect(reply == Array("+OK\r\n".utf8))
        #expect(harness.run("EXISTS", "k") == ":0\r\n")
        let logged = feed.buffer.getString(at: feed.buffer.readerIndex, length: feed.buffer.readableBytes) ?? ""
        #expect(logged.hasSuffix("*2\r\n$3\r\nDEL\r\n$1\r\nk\r\n"))
    }

    /// Thousands of mangled payloads: bytes flipped, cut, repeated or inserted, most
    /// with a fresh checksum so they reach the decoder. Each RESTORE must answer OK
    /// (and the key then dumps again) or one of RESTORE's payload errors.
    @Test func mangledPayloadsNeverTrap() {
        harness.run("SET", "s", "hello world, a string long enough to be compressed: aaaaaaaaaaaaaaaaaaaaaaaaa")
        harness.run("SET", "n", "-99999")
        harness.run("RPUSH", "l", "a", "1", "b", "200000", "-5")
        harness.run("HSET", "h", "f", "v", "g", "12")
        harness.run("SADD", "si", "1", "2", "70000", "-4000000000")
        harness.run("SADD", "ss", "a", "b")
        harness.run("ZADD", "z", "1", "a", "2.5", "b", "-inf", "c")
        harness.run("XADD", "x", "1-1", "f", "v", "g", "12")
        harness.run("XGROUP", "CREATE", "x", "group", "0")
        harness.client.run(["HSET", "hbig"] + (0..<70).flatMap { ["f\($0)", String(repeating: "v", count: $0)] })
        harness.client.run(["ZADD", "zbig"] + (0..<130).flatMap { ["\($0)", "m\($0)"] })
        let payloads = ["s", "n", "l", "h", "si", "ss", "z", "hbig", "zbig", "x"].map(dump)
        var generator = SeededGenerator(seed: 0x5EED)
        var restored = 0
        for round in 0..<4000 {
            let original = payloads[round % payloads.count]
            var body = Array(original.dropLast(10))
            switch generator.next() % 5 {
            case 0:  // flip a few bits
                for _ in 0..<(1 + Int(generator.next() % 4)) {
                    body[Int(generator.next() % UInt64(body.count))] ^= UInt8(truncatingIfNeeded: generator.next() | 1)
                }
            case 1:  // cut the body short
                body = Array(body.prefix(Int(generator.next() % UInt64(body.count))))
            case 2:  // set a byte to an extreme
                body[Int(generator.next() % UInt64(body.count))] = [0x00, 0xFF, 0x7F, 0x80, 0xC0, 0xC3][Int(generator.next() % 6)]
            case 3:  // insert random bytes
                let at = Int(generator.next() % UInt64(body.count + 1))
                body.insert(contentsOf: (0..<(1 + Int(generator.next() % 8))).map { _ in UInt8(truncatingIfNeeded: generator.next()) }, at: at)
            default:  // keep the body, mangle the frame
                break
            }
            var payload = Self.seal(body)
            if generator.next() % 10 == 0 { payload[payload.count - 1 - Int(generator.next() % 10)] ^= 0x40 }
            let reply = restore("target", payload, "REPLACE")
            if reply == "+OK\r\n" {
                restored += 1
                #expect(harness.run("TYPE", "target") != "+none\r\n")
                #expect(restore("again", dump("target"), "REPLACE") == "+OK\r\n")
            } else {
                #expect(reply == "-ERR Bad data format\r\n" || reply == "-ERR DUMP payload version or checksum are wrong\r\n",
                        "unexpected reply \(reply)")
            }
        }
        #expect(restored > 0)
    }
}
