@testable import KeyDBEngine
import Testing

/// Sorted-set commands; every expected reply was checked against redis-server 7.0.15.
@Suite("sorted-set commands")
struct SortedSetTests {
    private let emptyArray = "*0\r\n"

    /// `*n` of bulks.
    private func array(_ items: String...) -> String {
        "*\(items.count)\r\n" + items.map(bulk).joined()
    }

    @Test("ZADD options, replies and the errors Redis gives for bad combinations")
    func zadd() {
        let h = EngineHarness()
        h.script([
            ("ZADD z 1 a 2 b", int(2)), ("ZADD z 3 a", int(0)), ("ZADD z CH 4 a 2 b 5 c", int(2)),
            ("ZADD z NX 9 a 6 d", int(1)), ("ZSCORE z a", bulk("4")),
            ("ZADD z XX 7 a 8 e", int(0)), ("ZSCORE z a", bulk("7")), ("ZSCORE z e", nullBulk),
            ("ZADD z GT CH 1 a 10 b", int(1)), ("ZADD z LT CH 0 a 20 b", int(1)),
            ("ZRANGE z 0 -1 WITHSCORES", array("a", "0", "c", "5", "d", "6", "b", "10")),
            ("ZADD z XX NX 1 a", "-ERR XX and NX options at the same time are not compatible\r\n"),
            ("ZADD z GT LT 1 a", "-ERR GT, LT, and/or NX options at the same time are not compatible\r\n"),
            ("ZADD z NX GT 1 a", "-ERR GT, LT, and/or NX options at the same time are not compatible\r\n"),
            ("ZADD z INCR 1 a 2 b", "-ERR INCR option supports a single increment-element pair\r\n"),
            ("ZADD z 1 a 2", syntaxError), ("ZADD z NX 1", syntaxError),
            ("ZADD z nan a", "-ERR value is not a valid float\r\n"), ("ZADD z 1 a x b", "-ERR value is not a valid float\r\n"),
            ("ZCARD z", int(4)),
            ("ZADD nokey XX 1 a", int(0)), ("ZADD nokey XX INCR 1 a", nullBulk), ("EXISTS nokey", int(0)),
        ])
    }

    @Test("INCR and ZINCRBY: sums, NaN refused, nil when nothing happened")
    func increments() {
        let h = EngineHarness()
        h.script([
            ("ZINCRBY z 1.5 a", bulk("1.5")), ("ZINCRBY z 0.1 a", bulk("1.6000000000000001")),
            ("ZADD z INCR -1.6 a", bulk("0")), ("ZADD z INCR 0.3 a", bulk("0.29999999999999999")),
            ("ZADD z NX INCR 1 a", nullBulk), ("ZADD z GT INCR -1 a", nullBulk), ("ZADD z LT INCR -1 a", bulk("-0.69999999999999996")),
            ("ZINCRBY z inf b", bulk("inf")), ("ZINCRBY z -inf b", "-ERR resulting score is not a number (NaN)\r\n"),
            ("ZSCORE z b", bulk("inf")), ("ZINCRBY z nx a", syntaxError), ("ZINCRBY z abc a", "-ERR value is not a valid float\r\n"),
        ])
    }

    @Test("scores print as Redis prints doubles, and small sets store -0 as 0")
    func scoreText() {
        let h = EngineHarness()
        h.script([
            ("ZADD z 1.1 a 1e17 b 123456789012345678 c 0.1 d -2.5 e 1e-05 f 100 g inf h -inf i", int(9)),
            ("ZMSCORE z a b c d e f g h i", array("1.1000000000000001", "1e+17", "1.2345678901234568e+17", "0.10000000000000001",
                                                  "-2.5", "1.0000000000000001e-05", "100", "inf", "-inf")),
            ("ZADD z -0 zero", int(1)), ("ZSCORE z zero", bulk("0")),
            // ZSCAN shows a small set's scores as stored: whole numbers in full.
            ("ZSCAN z 0 MATCH b", "*2\r\n" + bulk("0") + array("b", "100000000000000000")),
        ])
        h.run(line: "ZADD big -0 early " + (0..<129).map { "\($0) m\($0)" }.joined(separator: " "))
        h.run(line: "ZADD big -0 late")
        // 131 members: a skiplist in Redis, which keeps -0; "early" was stored while it was a listpack.
        h.script([("ZCARD big", int(131)), ("ZSCORE big early", bulk("0")), ("ZSCORE big late", bulk("-0"))])
    }

    @Test("ranks, ranges by rank, score and lex, with LIMIT and REV")
    func ranges() {
        let h = EngineHarness()
        h.run(line: "ZADD z 1 a 2 b 2 c 3 d 4 e")
        h.script([
            ("ZRANK z c", int(2)), ("ZREVRANK z c", int(2)), ("ZREVRANK z a", int(4)), ("ZRANK z nope", nullBulk),
            ("ZRANGE z 1 -2", array("b", "c", "d")), ("ZRANGE z 0 1 REV", array("e", "d")),
            ("ZRANGE z (1 3 BYSCORE LIMIT 1 5", array("c", "d")), ("ZRANGE z 3 (1 BYSCORE REV", array("d", "c", "b")),
            ("ZRANGEBYSCORE z -inf +inf WITHSCORES LIMIT 3 -1", array("d", "3", "e", "4")),
            ("ZREVRANGEBYSCORE z 2 2", array("c", "b")), ("ZCOUNT z (1 3", int(3)),
            ("ZRANGE z 0 -1 LIMIT 0 1", "-ERR syntax error, LIMIT is only supported in combination with either BYSCORE or BYLEX\r\n"),
            ("ZRANGE z - + BYLEX WITHSCORES", "-ERR syntax error, WITHSCORES not supported in combination with BYLEX\r\n"),
            ("ZRANGE z 0 -1 REV REV", syntaxError), ("ZREVRANGE z 0 1 REV", syntaxError),
            ("ZRANGE z x 1 BYSCORE", "-ERR min or max is not a float\r\n"),
            ("ZRANGE z x 1 BYLEX", "-ERR min or max not valid string range item\r\n"),
        ])
        h.run(line: "ZADD l 0 a 0 b 0 c 0 d")
        h.script([
            ("ZRANGEBYLEX l [b +", array("b", "c", "d")), ("ZREVRANGEBYLEX l (d - LIMIT 1 1", array("b")),
            ("ZLEXCOUNT l (a [c", int(2)), ("ZLEXCOUNT l + -", int(0)),
        ])
    }

    @Test("removals delete emptied keys and count changes")
    func removals() {
        let h = EngineHarness()
        h.run(line: "ZADD z 1 a 2 b 3 c 4 d 5 e")
        let dirty = h.engine.keyspace.dirty
        h.script([
            ("ZREM z a nope", int(1)), ("ZREMRANGEBYRANK z 0 0", int(1)), ("ZREMRANGEBYSCORE z (3 4", int(1)),
            ("ZRANGE z 0 -1", array("c", "e")), ("ZREMRANGEBYLEX z - +", int(2)), ("EXISTS z", int(0)),
        ])
        #expect(h.engine.keyspace.dirty == dirty + 5)
        h.script([("ZREM z a", int(0)), ("ZREMRANGEBYSCORE z a b", "-ERR min or max is not a float\r\n")])
    }

    @Test("pops: ZPOPMIN, ZPOPMAX, ZMPOP")
    func pops() {
        let h = EngineHarness()
        h.run(line: "ZADD z 1 a 2 b 3 c")
        h.script([
            ("ZPOPMIN z", array("a", "1")), ("ZPOPMAX z 5", array("c", "3", "b", "2")), ("EXISTS z", int(0)),
            ("ZPOPMIN z", emptyArray), ("ZPOPMIN z -1", "-ERR value is out of range, must be positive\r\n"),
            ("ZMPOP 1 z MIN", "*-1\r\n"), ("ZADD y 5 x 6 w", int(2)),
            ("ZMPOP 2 z y MAX COUNT 1", "*2\r\n" + bulk("y") + "*1\r\n" + array("w", "6")),
            ("ZMPOP 0 y MIN", "-ERR numkeys should be greater than 0\r\n"),
            ("ZMPOP 1 y MIN COUNT 0", "-ERR count should be greater than 0\r\n"),
        ])
    }

    @Test("the pop the blocking commands call: shapes, first non-empty key, wrong types")
    func popForBlocking() {
        let h = EngineHarness()
        h.run(line: "ZADD z 1 a 2 b")
        h.run(line: "SET s v")
        let c = h.session
        func reply() -> String {
            let text = String(decoding: c.reply.readBytes(length: c.reply.readableBytes) ?? [], as: UTF8.self)
            c.reply.clear()
            return text
        }
        #expect(!SortedSetCommands.popFirstNonEmpty(c, keys: ["none"], from: .min, count: 1, shape: .keyThenFlat))
        #expect(reply() == "")
        #expect(SortedSetCommands.popFirstNonEmpty(c, keys: ["s", "z"], from: .min, count: 1, shape: .keyThenFlat))
        #expect(reply() == wrongType)
        #expect(SortedSetCommands.popFirstNonEmpty(c, keys: ["s", "none", "z"], from: .max, count: 1, shape: .keyThenFlat,
                                                   stopOnWrongType: false))
        #expect(reply() == array("z", "b", "2"))
        #expect(SortedSetCommands.popFirstNonEmpty(c, keys: ["z"], from: .min, count: 10, shape: .keyThenPairs))
        #expect(reply() == "*2\r\n" + bulk("z") + "*1\r\n" + array("a", "1"))
        h.script([("EXISTS z", int(0))])
    }

    @Test("union, intersection and difference, with sets counting as score 1")
    func algebra() {
        let h = EngineHarness()
        h.run(line: "ZADD a 1 x 2 y 3 z")
        h.run(line: "ZADD b 10 y 20 z 30 w")
        h.run(line: "SADD s x w")
        h.script([
            ("ZUNION 2 a b WITHSCORES", array("x", "1", "y", "12", "z", "23", "w", "30")),
            ("ZINTER 2 a b WEIGHTS 2 1 AGGREGATE MAX WITHSCORES", array("y", "10", "z", "20")),
            ("ZDIFF 2 a s WITHSCORES", array("y", "2", "z", "3")),
            ("ZINTER 2 a s WITHSCORES", array("x", "2")),
            ("ZINTERCARD 2 a b LIMIT 1", int(1)), ("ZINTERCARD 2 a b", int(2)),
            ("ZUNIONSTORE d 3 a b s", int(4)), ("ZRANGE d 0 0 WITHSCORES", array("x", "2")),
            ("ZINTERSTORE d 2 a nokey", int(0)), ("EXISTS d", int(0)),
            ("ZUNION 0 a", "-ERR at least 1 input key is needed for 'zunion' command\r\n"),
            ("ZINTERSTORE d 0 a", "-ERR at least 1 input key is needed for 'zinterstore' command\r\n"),
            ("ZUNION 2 a b WEIGHTS 1 x", "-ERR weight value is not a float\r\n"),
            ("ZINTERCARD 1 a LIMIT -1", "-ERR LIMIT can't be negative\r\n"),
            ("ZDIFF 2 a b WEIGHTS 1 1", syntaxError), ("ZUNION 3 a b", syntaxError),
        ])
        h.run(line: "ZADD i1 inf m")
        h.run(line: "ZADD i2 -inf m")
        h.script([("ZUNION 2 i1 i2 WITHSCORES", array("m", "0"))])
    }

    @Test("ZRANGESTORE replaces the destination, or deletes it when the range is empty")
    func rangestore() {
        let h = EngineHarness()
        h.run(line: "ZADD src 1 a 2 b 3 c")
        h.run(line: "SET dst x")
        h.script([
            ("ZRANGESTORE dst src 0 1", int(2)), ("ZRANGE dst 0 -1 WITHSCORES", array("a", "1", "b", "2")),
            ("ZRANGESTORE dst src +inf (1 BYSCORE REV LIMIT 0 1", int(1)), ("ZRANGE dst 0 -1", array("c")),
            ("ZRANGESTORE dst src 5 9", int(0)), ("EXISTS dst", int(0)),
            ("ZRANGESTORE dst src 0 -1 WITHSCORES", syntaxError),
        ])
    }

    @Test("ZRANDMEMBER: distinct members for a positive count, repeats for a negative one")
    func randomMembers() {
        let h = EngineHarness()
        h.run(line: "ZADD z 1 a 2 b 3 c 4 d 5 e 6 f 7 g 8 h 9 i 10 j")
        for count in [1, 2, 3, 4, 8, 9] {
            let picked = h.value("ZRANDMEMBER", "z", "\(count)").array.compactMap(\.string)
            #expect(picked.count == count && Set(picked).count == count)
        }
        #expect(h.value("ZRANDMEMBER", "z", "-30").array.count == 30)
        let pairs = h.value("ZRANDMEMBER", "z", "3", "WITHSCORES").array.compactMap(\.string)
        for index in stride(from: 0, to: pairs.count, by: 2) {
            #expect(Double(pairs[index + 1]) == Double(pairs[index].unicodeScalars.first!.value - 96))
        }
        h.script([
            ("ZRANDMEMBER z 100", array("j", "i", "h", "g", "f", "e", "d", "c", "b", "a")),
            ("ZRANDMEMBER z 0", emptyArray), ("ZRANDMEMBER nokey", nullBulk), ("ZRANDMEMBER nokey 3", emptyArray),
            ("ZRANDMEMBER z -9223372036854770000 WITHSCORES", "-ERR value is out of range\r\n"),
        ])
    }

    @Test("every sorted-set command answers WRONGTYPE on another type")
    func wrongTypes() {
        let h = EngineHarness()
        h.run("SET", "str", "v")
        for line in ["ZADD str 1 a", "ZINCRBY str 1 a", "ZSCORE str a", "ZMSCORE str a", "ZCARD str", "ZCOUNT str 0 1",
                     "ZLEXCOUNT str - +", "ZRANGE str 0 -1", "ZRANGESTORE d str 0 -1", "ZRANGEBYSCORE str 0 1",
                     "ZREVRANGEBYSCORE str 1 0", "ZRANGEBYLEX str - +", "ZREVRANGEBYLEX str + -", "ZREVRANGE str 0 -1",
                     "ZRANK str a", "ZREVRANK str a", "ZREM str a", "ZREMRANGEBYRANK str 0 1", "ZREMRANGEBYSCORE str 0 1",
                     "ZREMRANGEBYLEX str - +", "ZPOPMIN str", "ZPOPMAX str 2", "ZMPOP 1 str MIN", "ZUNION 1 str",
                     "ZINTER 1 str", "ZDIFF 1 str", "ZUNIONSTORE d 1 str", "ZINTERSTORE d 1 str", "ZDIFFSTORE d 1 str",
                     "ZINTERCARD 1 str", "ZRANDMEMBER str", "ZRANDMEMBER str 2", "ZSCAN str 0"] {
            #expect(h.run(line: line) == wrongType, "\(line)")
        }
        h.script([("GET str", bulk("v")), ("EXISTS d", int(0))])
    }

    @Test("COPY gives an independent sorted set")
    func copy() {
        let h = EngineHarness()
        h.run(line: "ZADD a 1 x 2 y")
        h.script([("COPY a b", int(1)), ("ZADD b 3 z", int(1)), ("ZREM b x", int(1)),
                  ("ZRANGE a 0 -1", array("x", "y")), ("ZRANGE b 0 -1", array("y", "z"))])
    }

    @Test("a large set through the commands: ranks and small ranges stay exact")
    func largeSet() {
        let h = EngineHarness()
        let n = 20_000
        for start in stride(from: 0, to: n, by: 1000) {
            h.run(line: "ZADD big " + (start..<start + 1000).map { "\(($0 * 7) % n) m\(($0 * 7) % n)" }.joined(separator: " "))
        }
        h.script([
            ("ZCARD big", int(Int64(n))), ("ZRANK big m12345", int(12345)), ("ZREVRANK big m12345", int(Int64(n - 1 - 12345))),
            ("ZRANGE big 10000 10002", array("m10000", "m10001", "m10002")),
            ("ZRANGE big (500 +inf BYSCORE LIMIT 0 2", array("m501", "m502")),
            ("ZCOUNT big 100 199", int(100)), ("ZREMRANGEBYRANK big 0 9999", int(10000)),
            ("ZRANK big m10000", int(0)), ("ZPOPMAX big 1", array("m19999", "19999")),
        ])
    }
}
