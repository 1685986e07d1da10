import KeyDBEngine
import Testing

/// Hash commands; every expected reply was checked against redis-server 7.0.15.
@Suite("hash commands")
struct HashCommandTests {
    /// `*n` followed by the bulks.
    private func array(_ items: String...) -> String { "*\(items.count)\r\n" + items.map(bulk).joined() }

    @Test("HSET, HGET, HLEN, HGETALL keep insertion order")
    func setGet() {
        let h = EngineHarness()
        h.script([
            ("HGET h f", nullBulk), ("HLEN h", int(0)), ("HGETALL h", "*0\r\n"),
            ("HSET h f v", int(1)), ("HSET h f w", int(0)), ("HGET h f", bulk("w")),
            ("HSET h a 1 b 2 a 3", int(2)), ("HLEN h", int(3)),
            ("HGETALL h", array("f", "w", "a", "3", "b", "2")),
            ("HKEYS h", array("f", "a", "b")), ("HVALS h", array("w", "3", "2")),
            ("HSET h f", "-ERR wrong number of arguments for 'hset' command\r\n"),
            ("HSET h f v g", "-ERR wrong number of arguments for 'hset' command\r\n"),
            ("HMSET h f v g", "-ERR wrong number of arguments for 'hmset' command\r\n"),
            ("HMSET h x 1 y 2", ok), ("HMGET h x nofield y", "*3\r\n$1\r\n1\r\n$-1\r\n$1\r\n2\r\n"),
            ("HMGET nokey a b", "*2\r\n$-1\r\n$-1\r\n"),
            ("TYPE h", "+hash\r\n"),
        ])
    }

    @Test("fields and values are binary-safe")
    func binary() {
        let h = EngineHarness()
        let field: [UInt8] = [0, 13, 10, 0xFF]
        let value: [UInt8] = [0xFE, 0, 0, 1] + [UInt8](repeating: 7, count: 100)
        #expect(h.run(bytes: Array("HSET".utf8), Array("h".utf8), field, value) == Array(int(1).utf8))
        #expect(h.run(bytes: Array("HGET".utf8), Array("h".utf8), field) == Array("$104\r\n".utf8) + value + [13, 10])
        #expect(h.run(bytes: Array("HSTRLEN".utf8), Array("h".utf8), field) == Array(int(104).utf8))
        #expect(h.run(bytes: Array("HEXISTS".utf8), Array("h".utf8), [0, 13, 10]) == Array(int(0).utf8))
    }

    @Test("HSETNX, HEXISTS, HSTRLEN")
    func setnxExistsStrlen() {
        let h = EngineHarness()
        h.script([
            ("HSETNX h f v", int(1)), ("HSETNX h f w", int(0)), ("HGET h f", bulk("v")),
            ("HEXISTS h f", int(1)), ("HEXISTS h g", int(0)), ("HEXISTS nokey f", int(0)),
            ("HSET h n -123", int(1)), ("HSTRLEN h n", int(4)), ("HSTRLEN h g", int(0)), ("HSTRLEN nokey f", int(0)),
        ])
    }

    @Test("HDEL deletes the key with its last field")
    func hdel() {
        let h = EngineHarness()
        h.script([
            ("HSET h a 1 b 2 c 3", int(3)), ("HDEL h a x a", int(1)), ("HDEL h b c d", int(2)),
            ("EXISTS h", int(0)), ("HDEL h a", int(0)), ("HDEL nokey a", int(0)),
        ])
    }

    @Test("every hash command answers WRONGTYPE on another type")
    func wrongTypes() {
        let h = EngineHarness()
        h.run("SET", "s", "v")
        for line in ["HSET s f v", "HSETNX s f v", "HMSET s f v", "HGET s f", "HMGET s f", "HGETALL s",
                     "HKEYS s", "HVALS s", "HLEN s", "HDEL s f", "HEXISTS s f", "HSTRLEN s f",
                     "HINCRBY s f 1", "HINCRBYFLOAT s f 1", "HRANDFIELD s", "HRANDFIELD s 2 WITHVALUES", "HSCAN s 0"] {
            #expect(h.run(line: line) == wrongType, "\(line)")
        }
        #expect(h.run("GET", "s") == bulk("v"))
    }

    @Test("HINCRBY: counting, parse errors, overflow")
    func hincrby() {
        let h = EngineHarness()
        h.script([
            ("HINCRBY h n 5", int(5)), ("HINCRBY h n -10", int(-5)), ("HGET h n", bulk("-5")),
            ("HINCRBY h n abc", notInteger), ("HINCRBY h n 1.5", notInteger),
            ("HSET h s hello sp \" 1\" big 9223372036854775807", int(3)),
            ("HINCRBY h s 1", "-ERR hash value is not an integer\r\n"),
            ("HINCRBY h sp 1", "-ERR hash value is not an integer\r\n"),
            ("HINCRBY h big 1", "-ERR increment or decrement would overflow\r\n"),
            ("HINCRBY h big -1", int(9_223_372_036_854_775_806)),
            ("HINCRBY nokey f abc", notInteger), ("EXISTS nokey", int(0)),
            ("SET str v", ok), ("HINCRBY str f abc", notInteger),
        ])
    }

    @Test("HINCRBYFLOAT: long double arithmetic and Redis's formatting")
    func hincrbyfloat() {
        let h = EngineHarness()
        h.script([
            ("HINCRBYFLOAT h x 10.5", bulk("10.5")), ("HINCRBYFLOAT h x 0.1", bulk("10.6")),
            ("HINCRBYFLOAT h x -10.6", bulk("0")),
            ("HINCRBYFLOAT h y 3.0e3", bulk("3000")), ("HINCRBYFLOAT h y 1e-5", bulk("3000.00001000000000007")),
            ("HINCRBYFLOAT h x abc", "-ERR value is not a valid float\r\n"),
            ("HINCRBYFLOAT h x inf", "-ERR value is NaN or Infinity\r\n"),
            ("HINCRBYFLOAT h x nan", "-ERR value is not a valid float\r\n"),
            ("HSET h s hello nul \"1\\x002\"", int(2)),
            ("HINCRBYFLOAT h s 1", "-ERR hash value is not a float\r\n"),
            ("HINCRBYFLOAT h nul 1", "-ERR hash value is not a float\r\n"),
        ])
        // Beyond a double's range, within a long double's.
        #expect(h.run("HINCRBYFLOAT", "h", "huge", "1e4000").hasPrefix("$4000\r\n9999"))
        #expect(h.run("HINCRBYFLOAT", "h", "max", "1e4932").hasPrefix("$4933\r\n"))
        #expect(h.run("HINCRBYFLOAT", "h", "max", "1e4932") == "-ERR increment would produce NaN or Infinity\r\n")
        #expect(h.run("HINCRBYFLOAT", "nokey", "f", "inf") == "-ERR value is NaN or Infinity\r\n")
        #expect(h.run("EXISTS", "nokey") == int(0))
    }

    @Test("HRANDFIELD: counts, repetition, WITHVALUES, errors")
    func hrandfield() {
        let h = EngineHarness()
        h.script([
            ("HRANDFIELD nokey", nullBulk), ("HRANDFIELD nokey 3", "*0\r\n"), ("HRANDFIELD nokey -3 WITHVALUES", "*0\r\n"),
            ("HSET h a 1 b 2 c 3", int(3)),
            ("HRANDFIELD h 0", "*0\r\n"),
            ("HRANDFIELD h 3", array("a", "b", "c")), ("HRANDFIELD h 10 WITHVALUES", array("a", "1", "b", "2", "c", "3")),
            ("HRANDFIELD h abc", notInteger), ("HRANDFIELD h 1 WITHSCORES", syntaxError), ("HRANDFIELD h 1 WITHVALUES x", syntaxError),
            ("HRANDFIELD h -9223372036854775808", "-ERR value is out of range, value must between -9223372036854775807 and 9223372036854775807\r\n"),
            ("HRANDFIELD h -9223372036854770000 WITHVALUES", "-ERR value is out of range\r\n"),
            ("HRANDFIELD nokey abc", notInteger),
        ])
        let all: Set<String> = ["a", "b", "c"]
        let single = h.value("HRANDFIELD", "h").string
        #expect(single.map(all.contains) == true)
        let two = h.value("HRANDFIELD", "h", "2").array.compactMap(\.string)
        #expect(two.count == 2 && Set(two).count == 2 && Set(two).isSubset(of: all))
        let repeated = h.value("HRANDFIELD", "h", "-50").array.compactMap(\.string)
        #expect(repeated.count == 50 && Set(repeated).isSubset(of: all))
        let pairs = h.value("HRANDFIELD", "h", "-20", "WITHVALUES").array.compactMap(\.string)
        #expect(pairs.count == 40)
        for i in stride(from: 0, to: pairs.count, by: 2) {
            #expect(["a": "1", "b": "2", "c": "3"][pairs[i]] == pairs[i + 1])
        }
    }

    @Test("HSCAN returns every matching pair with cursor 0")
    func hscan() {
        let h = EngineHarness()
        for i in 0..<1000 { h.run("HSET", "h", "f\(i)", "v\(i)") }
        let reply = h.value("HSCAN", "h", "0", "COUNT", "5")
        #expect(reply.array.first?.string == "0")
        let items = reply.array.last?.array.compactMap(\.string) ?? []
        #expect(items.count == 2000)
        let matched = h.value("HSCAN", "h", "0", "MATCH", "f99*").array.last?.array.compactMap(\.string) ?? []
        #expect(matched == ["f99", "v99", "f990", "v990", "f991", "v991", "f992", "v992", "f993", "v993",
                            "f994", "v994", "f995", "v995", "f996", "v996", "f997", "v997", "f998", "v998", "f999", "v999"])
        h.script([
            ("HSCAN nokey 0", "*2\r\n$1\r\n0\r\n*0\r\n"),
            ("HSCAN nokey 0 COUNT 0", "*2\r\n$1\r\n0\r\n*0\r\n"),
            ("HSCAN h 0 COUNT 0", syntaxError), ("HSCAN h 0 COUNT x", notInteger),
            ("HSCAN h 0 TYPE hash", syntaxError), ("HSCAN h x", "-ERR invalid cursor\r\n"),
            ("HSCAN nokey x", "-ERR invalid cursor\r\n"),
        ])
    }

    @Test("writes count changes; expired hashes are gone")
    func dirtyAndExpiry() {
        let h = EngineHarness()
        let start = h.engine.keyspace.dirty
        h.run("HSET", "h", "a", "1", "a", "2")
        #expect(h.engine.keyspace.dirty - start == 2)  // every pair written counts
        h.run("HDEL", "h", "a", "b")
        #expect(h.engine.keyspace.dirty - start == 3)
        h.script([("HSET h f v", int(1)), ("PEXPIRE h 100", int(1))])
        h.advance(milliseconds: 101)  // due strictly after its time, as in Redis
        h.script([("HGET h f", nullBulk), ("HLEN h", int(0)), ("HSET h g w", int(1)), ("TTL h", int(-1))])
    }
}
