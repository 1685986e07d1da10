import KeyDBEngine
import Testing

/// Set commands; every expected reply was checked against redis-server 7.0.15.
/// Set order is unspecified, so multi-member replies are compared as sets.
@Suite("set commands")
struct SetCommandTests {
    /// The members a command answered, as a set of strings.
    private func members(_ h: EngineHarness, _ args: String...) -> Set<String> {
        Set(RESPValue.decode(h.client.execute(args.map { Array($0.utf8) })).array.compactMap(\.string))
    }

    @Test("SADD, SREM, SCARD, SISMEMBER, SMISMEMBER, SMEMBERS")
    func basics() {
        let h = EngineHarness()
        h.script([
            ("SCARD s", int(0)), ("SMEMBERS s", "*0\r\n"), ("SISMEMBER s a", int(0)),
            ("SADD s a b c", int(3)), ("SADD s a d d", int(1)), ("SCARD s", int(4)),
            ("SISMEMBER s a", int(1)), ("SISMEMBER s z", int(0)),
            ("SMISMEMBER s a z d", "*3\r\n:1\r\n:0\r\n:1\r\n"), ("SMISMEMBER nokey a b", "*2\r\n:0\r\n:0\r\n"),
            ("SREM s a z", int(1)), ("SREM nokey a", int(0)),
            ("SMISMEMBER s", "-ERR wrong number of arguments for 'smismember' command\r\n"),
            ("TYPE s", "+set\r\n"),
        ])
        #expect(members(h, "SMEMBERS", "s") == ["b", "c", "d"])
        h.script([("SREM s b c d", int(3)), ("EXISTS s", int(0))])
    }

    @Test("a repeated-pick count whose reply could not fit is refused instead of crashing")
    func hugeNegativeCounts() {
        let h = EngineHarness()
        let refused = "-ERR count is too large: the reply would not fit in an output buffer\r\n"
        h.script([
            ("SADD s a", int(1)), ("HSET h f v", int(1)), ("ZADD z 1 m", int(1)),
            ("SRANDMEMBER s -100000000", refused),
            ("HRANDFIELD h -100000000", refused),
            ("ZRANDMEMBER z -100000000", refused),
            ("SRANDMEMBER s -3", "*3\r\n$1\r\na\r\n$1\r\na\r\n$1\r\na\r\n"),
        ])
    }

    @Test("members are binary-safe")
    func binary() {
        let h = EngineHarness()
        let member: [UInt8] = [0, 13, 10, 0xFF] + [UInt8](repeating: 1, count: 40)
        #expect(h.run(bytes: Array("SADD".utf8), Array("s".utf8), member, []) == Array(int(2).utf8))
        #expect(h.run(bytes: Array("SISMEMBER".utf8), Array("s".utf8), member) == Array(int(1).utf8))
        #expect(h.run(bytes: Array("SISMEMBER".utf8), Array("s".utf8), [0]) == Array(int(0).utf8))
        #expect(h.run(bytes: Array("SISMEMBER".utf8), Array("s".utf8), []) == Array(int(1).utf8))
    }

    @Test("every set command answers WRONGTYPE on another type")
    func wrongTypes() {
        let h = EngineHarness()
        h.run("SET", "str", "v")
        h.run("SADD", "s", "a")
        for line in ["SADD str m", "SREM str m", "SMEMBERS str", "SISMEMBER str m", "SMISMEMBER str m", "SCARD str",
                     "SPOP str", "SPOP str 2", "SRANDMEMBER str", "SRANDMEMBER str -2", "SINTER s str", "SINTER nokey str",
                     "SINTERCARD 2 nokey str", "SUNION s str", "SDIFF nokey str", "SINTERSTORE d s str",
                     "SUNIONSTORE d str", "SDIFFSTORE d s str", "SMOVE str s a", "SMOVE s str a", "SSCAN str 0"] {
            #expect(h.run(line: line) == wrongType, "\(line)")
        }
        h.script([("SMOVE nokey str a", int(0)), ("GET str", bulk("v")), ("EXISTS d", int(0))])
    }

    @Test("SPOP removes what it returns and deletes the emptied key")
    func spop() {
        let h = EngineHarness()
        h.script([("SPOP nokey", nullBulk), ("SPOP nokey 3", "*0\r\n"), ("SADD s a b c d e", int(5))])
        let one = h.value("SPOP", "s").string ?? ""
        #expect(["a", "b", "c", "d", "e"].contains(one))
        #expect(h.run("SISMEMBER", "s", one) == int(0))
        let two = members(h, "SPOP", "s", "2")
        #expect(two.count == 2 && !two.contains(one))
        #expect(h.run("SCARD", "s") == int(2))
        #expect(h.run("SPOP", "s", "0") == "*0\r\n")
        let rest = members(h, "SPOP", "s", "10")
        #expect(rest.count == 2 && rest.union(two).union([one]) == ["a", "b", "c", "d", "e"])
        h.script([
            ("EXISTS s", int(0)),
            ("SPOP s -1", "-ERR value is out of range, must be positive\r\n"),
            ("SPOP s abc", "-ERR value is out of range, must be positive\r\n"),
            ("SPOP s 1 2", syntaxError),
            ("SADD s x", int(1)), ("SPOP s", bulk("x")), ("EXISTS s", int(0)),
        ])
    }

    @Test("SRANDMEMBER: distinct for a positive count, repeated for a negative one")
    func srandmember() {
        let h = EngineHarness()
        h.script([
            ("SRANDMEMBER nokey", nullBulk), ("SRANDMEMBER nokey 5", "*0\r\n"), ("SRANDMEMBER nokey -5", "*0\r\n"),
            ("SADD s a b c", int(3)), ("SRANDMEMBER s 0", "*0\r\n"),
            ("SRANDMEMBER s abc", notInteger),
            ("SRANDMEMBER s -9223372036854775808", "-ERR value is out of range, value must between -9223372036854775807 and 9223372036854775807\r\n"),
            ("SRANDMEMBER s 1 2", syntaxError),
        ])
        #expect(members(h, "SRANDMEMBER", "s", "10") == ["a", "b", "c"])
        let two = RESPValue.decode(h.client.execute([Array("SRANDMEMBER".utf8), Array("s".utf8), Array("2".utf8)])).array
        #expect(two.count == 2 && Set(two.compactMap(\.string)).count == 2)
        let many = h.value("SRANDMEMBER", "s", "-100").array.compactMap(\.string)
        #expect(many.count == 100 && Set(many) == ["a", "b", "c"])  // 3^-100 chance of missing one
        #expect(h.run("SCARD", "s") == int(3))
    }

    @Test("SINTER, SUNION, SDIFF treat missing keys as empty sets")
    func algebra() {
        let h = EngineHarness()
        h.run("SADD", "s1", "a", "b", "c", "d", "1", "2")
        h.run("SADD", "s2", "b", "c", "x", "2")
        h.run("SADD", "s3", "c", "2", "z")
        #expect(members(h, "SINTER", "s1", "s2") == ["b", "c", "2"])
        #expect(members(h, "SINTER", "s1", "s2", "s3") == ["c", "2"])
        #expect(members(h, "SINTER", "s1", "s1") == ["a", "b", "c", "d", "1", "2"])
        #expect(members(h, "SINTER", "s1", "nokey").isEmpty)
        #expect(members(h, "SUNION", "s1", "s2", "nokey") == ["a", "b", "c", "d", "1", "2", "x"])
        #expect(members(h, "SDIFF", "s1", "s2") == ["a", "d", "1"])
        #expect(members(h, "SDIFF", "s1", "s2", "s3", "nokey") == ["a", "d", "1"])
        #expect(members(h, "SDIFF", "s1", "s2", "s1").isEmpty)
        #expect(members(h, "SDIFF", "nokey", "s1").isEmpty)
        // Both of the difference's strategies: a small first set, then a large one.
        h.run(line: "SADD big " + (0..<100).map(String.init).joined(separator: " "))
        #expect(members(h, "SDIFF", "s3", "big") == ["c", "z"])
        #expect(members(h, "SDIFF", "big", "s3").count == 99)
    }

    @Test("SINTERCARD: numkeys, LIMIT and their errors")
    func sintercard() {
        let h = EngineHarness()
        h.run("SADD", "s1", "a", "b", "c", "d")
        h.run("SADD", "s2", "b", "c", "d", "e")
        h.script([
            ("SINTERCARD 2 s1 s2", int(3)), ("SINTERCARD 1 s1", int(4)), ("SINTERCARD 2 s1 nokey", int(0)),
            ("SINTERCARD 2 s1 s2 LIMIT 2", int(2)), ("SINTERCARD 2 s1 s2 LIMIT 0", int(3)),
            ("SINTERCARD 2 s1 s2 limit 10", int(3)), ("SINTERCARD 2 s1 s2 LIMIT 1 LIMIT 5", int(3)),
            ("SINTERCARD 0 s1", "-ERR numkeys should be greater than 0\r\n"),
            ("SINTERCARD abc s1", "-ERR numkeys should be greater than 0\r\n"),
            ("SINTERCARD 3 s1 s2", "-ERR Number of keys can't be greater than number of args\r\n"),
            ("SINTERCARD 2 s1 s2 LIMIT -1", "-ERR LIMIT can't be negative\r\n"),
            ("SINTERCARD 2 s1 s2 LIMIT x", "-ERR LIMIT can't be negative\r\n"),
            ("SINTERCARD 2 s1 s2 LIMIT", syntaxError), ("SINTERCARD 1 s1 s2", syntaxError),
        ])
    }

    @Test("the STORE forms replace the destination, or delete it when the result is empty")
    func stores() {
        let h = EngineHarness()
        h.run("SADD", "s1", "a", "b", "c")
        h.run("SADD", "s2", "b", "c", "d")
        h.script([
            ("SET dst v", ok), ("EXPIRE dst 100", int(1)),
            ("SINTERSTORE dst s1 s2", int(2)), ("TYPE dst", "+set\r\n"), ("TTL dst", int(-1)),
            ("SUNIONSTORE dst s1 s2", int(4)), ("SDIFFSTORE dst s1 s2", int(1)), ("SMEMBERS dst", "*1\r\n$1\r\na\r\n"),
            ("SINTERSTORE dst s1 nokey", int(0)), ("EXISTS dst", int(0)),
            ("SUNIONSTORE dst nokey", int(0)), ("SDIFFSTORE dst s1 s1", int(0)), ("EXISTS dst", int(0)),
            ("SUNIONSTORE s1 s1 s2", int(4)),
        ])
        #expect(members(h, "SMEMBERS", "s1") == ["a", "b", "c", "d"])
        let start = h.engine.keyspace.dirty
        h.run("SINTERSTORE", "d2", "nokey")  // nothing to delete: no change
        #expect(h.engine.keyspace.dirty == start)
    }

    @Test("SMOVE between sets, to a new set, and onto itself")
    func smove() {
        let h = EngineHarness()
        h.script([
            ("SADD src a b", int(2)), ("SADD dst x", int(1)),
            ("SMOVE src dst a", int(1)), ("SISMEMBER dst a", int(1)), ("SISMEMBER src a", int(0)),
            ("SMOVE src dst a", int(0)), ("SMOVE src src b", int(1)), ("SMOVE src src z", int(0)),
            ("SMOVE src new b", int(1)), ("EXISTS src", int(0)), ("SMEMBERS new", "*1\r\n$1\r\nb\r\n"),
            ("SMOVE nokey dst a", int(0)),
        ])
        let start = h.engine.keyspace.dirty
        h.run("SADD", "dst", "b")
        h.run("SMOVE", "dst", "new", "b")  // already there: only the source changes
        #expect(h.engine.keyspace.dirty - start == 2)
    }

    @Test("SSCAN returns every matching member with cursor 0")
    func sscan() {
        let h = EngineHarness()
        h.run(line: "SADD s " + (0..<500).map { "m\($0)" }.joined(separator: " "))
        let reply = h.value("SSCAN", "s", "0", "COUNT", "3")
        #expect(reply.array.first?.string == "0")
        #expect(reply.array.last?.array.count == 500)
        let matched = Set(h.value("SSCAN", "s", "0", "MATCH", "m4?").array.last?.array.compactMap(\.string) ?? [])
        #expect(matched == Set((40..<50).map { "m\($0)" }))
        h.script([
            ("SSCAN nokey 0", "*2\r\n$1\r\n0\r\n*0\r\n"), ("SSCAN nokey 0 FOO", "*2\r\n$1\r\n0\r\n*0\r\n"),
            ("SSCAN s 0 COUNT 0", syntaxError), ("SSCAN s 0 MATCH", syntaxError), ("SSCAN s abc", "-ERR invalid cursor\r\n"),
        ])
    }
}
