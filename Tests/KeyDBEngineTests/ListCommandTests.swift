import Foundation
import KeyDBEngine
import Testing

/// List commands and blocking pops; every expected reply was checked against
/// redis-server 7.0.15 (Tests/Python/cases/lists.txt and test_blocking.py run
/// the same cases against both servers).
@Suite("list commands")
struct ListCommandTests {
    /// `*n` followed by the bulks.
    private func array(_ items: String...) -> String { "*\(items.count)\r\n" + items.map(bulk).joined() }
    /// BLPOP's [key, element] reply.
    private func pair(_ key: String, _ value: String) -> String { array(key, value) }
    private let emptyArray = "*0\r\n"
    private let nullArray = "*-1\r\n"
    private func arity(_ name: String) -> String { "-ERR wrong number of arguments for '\(name)' command\r\n" }

    // MARK: - Pushing and reading

    @Test("LPUSH, RPUSH, LLEN, LRANGE, TYPE")
    func pushAndRange() {
        let h = EngineHarness()
        h.script([
            ("LLEN l", int(0)), ("LRANGE l 0 -1", emptyArray),
            ("LPUSH l a", int(1)), ("LPUSH l b c", int(3)), ("RPUSH l x y", int(5)),
            ("LRANGE l 0 -1", array("c", "b", "a", "x", "y")), ("LLEN l", int(5)), ("TYPE l", "+list\r\n"),
            ("lpush l lower", int(6)), ("LINDEX l 0", bulk("lower")),
            ("RPUSH e \"\"", int(1)), ("LRANGE e 0 -1", array("")),
            ("LPUSH l", arity("lpush")), ("RPUSH l", arity("rpush")), ("LLEN l extra", arity("llen")),
        ])
    }

    @Test("LPUSHX and RPUSHX only push onto an existing list")
    func pushx() {
        let h = EngineHarness()
        h.script([
            ("LPUSHX l a", int(0)), ("RPUSHX l a b", int(0)), ("EXISTS l", int(0)),
            ("RPUSH l m", int(1)), ("LPUSHX l l1 l2", int(3)), ("RPUSHX l r1 r2", int(5)),
            ("LRANGE l 0 -1", array("l2", "l1", "m", "r1", "r2")),
            ("LPUSHX l", arity("lpushx")), ("SET s v", ok), ("LPUSHX s a", wrongType), ("RPUSHX s a", wrongType),
        ])
    }

    @Test("elements are binary-safe")
    func binary() {
        let h = EngineHarness()
        let element: [UInt8] = [0, 13, 10, 0xFF] + [UInt8](repeating: 9, count: 50)
        #expect(h.run(bytes: Array("RPUSH".utf8), Array("l".utf8), element, []) == Array(int(2).utf8))
        #expect(h.run(bytes: Array("LINDEX".utf8), Array("l".utf8), Array("0".utf8)) == Array("$54\r\n".utf8) + element + [13, 10])
        #expect(h.run(bytes: Array("LPOS".utf8), Array("l".utf8), element) == Array(int(0).utf8))
        #expect(h.run(bytes: Array("LPOS".utf8), Array("l".utf8), []) == Array(int(1).utf8))
        #expect(h.run(bytes: Array("LREM".utf8), Array("l".utf8), Array("0".utf8), element) == Array(int(1).utf8))
        #expect(h.run("LRANGE", "l", "0", "-1") == array(""))
    }

    @Test("LINDEX: negative indexes from the tail, out of range is nil")
    func lindex() {
        let h = EngineHarness()
        h.script([
            ("RPUSH l a b c d e", int(5)),
            ("LINDEX l 0", bulk("a")), ("LINDEX l 4", bulk("e")), ("LINDEX l 5", nullBulk),
            ("LINDEX l -1", bulk("e")), ("LINDEX l -5", bulk("a")), ("LINDEX l -6", nullBulk),
            ("LINDEX l 9223372036854775807", nullBulk), ("LINDEX l -9223372036854775808", nullBulk),
            ("LINDEX l 9223372036854775808", notInteger), ("LINDEX l abc", notInteger), ("LINDEX l 1.5", notInteger),
            // The key is looked up before the index is parsed.
            ("LINDEX nokey 0", nullBulk), ("LINDEX nokey abc", nullBulk),
        ])
    }

    @Test("LRANGE clamps its range like Redis")
    func lrange() {
        let h = EngineHarness()
        h.script([
            ("RPUSH l a b c d e", int(5)),
            ("LRANGE l 1 3", array("b", "c", "d")), ("LRANGE l -2 -1", array("d", "e")),
            ("LRANGE l -100 100", array("a", "b", "c", "d", "e")), ("LRANGE l 3 1", emptyArray),
            ("LRANGE l 5 10", emptyArray), ("LRANGE l -1 -2", emptyArray), ("LRANGE l 0 -6", emptyArray),
            ("LRANGE l 0 -5", array("a")),
            ("LRANGE l -9223372036854775808 9223372036854775807", array("a", "b", "c", "d", "e")),
            ("LRANGE l 9223372036854775807 -9223372036854775808", emptyArray),
            // The indexes are parsed before the key is looked up.
            ("LRANGE l a 1", notInteger), ("LRANGE nokey a b", notInteger), ("LRANGE nokey 0 -1", emptyArray),
        ])
    }

    @Test("LPOS with RANK, COUNT and MAXLEN")
    func lpos() {
        let h = EngineHarness()
        h.script([
            ("RPUSH l a b c 1 2 3 c c", int(8)),
            ("LPOS l c", int(2)), ("LPOS l nomatch", nullBulk),
            ("LPOS l c RANK 2", int(6)), ("LPOS l c RANK 4", nullBulk),
            ("LPOS l c RANK -1", int(7)), ("LPOS l c RANK -3", int(2)), ("LPOS l c RANK -4", nullBulk),
            ("LPOS l c COUNT 0", "*3\r\n:2\r\n:6\r\n:7\r\n"), ("LPOS l c COUNT 2", "*2\r\n:2\r\n:6\r\n"),
            ("LPOS l nomatch COUNT 0", emptyArray),
            ("LPOS l c RANK 2 COUNT 2", "*2\r\n:6\r\n:7\r\n"), ("LPOS l c RANK -1 COUNT 2", "*2\r\n:7\r\n:6\r\n"),
            ("LPOS l c RANK 5 COUNT 0", emptyArray),
            ("LPOS l c MAXLEN 2", nullBulk), ("LPOS l c MAXLEN 3", int(2)),
            ("LPOS l c MAXLEN 7 COUNT 0", "*2\r\n:2\r\n:6\r\n"), ("LPOS l c MAXLEN 2 RANK -1 COUNT 0", "*2\r\n:7\r\n:6\r\n"),
            ("LPOS l c RANK 2 MAXLEN 6", nullBulk), ("LPOS l c RANK 2 MAXLEN 7", int(6)),
            ("LPOS l c RANK 1 RANK -1", int(7)),
            ("lpos l c rank -1 count 0 maxlen 0", "*3\r\n:7\r\n:6\r\n:2\r\n"),
            ("LPOS nokey c", nullBulk), ("LPOS nokey c COUNT 0", emptyArray),
        ])
    }

    @Test("LPOS option errors come before the key lookup")
    func lposErrors() {
        let h = EngineHarness()
        let rankZero = "-ERR RANK can't be zero: use 1 to start from the first match, 2 from the second ... or use negative to start from the end of the list\r\n"
        h.script([
            ("RPUSH l a", int(1)), ("SET s v", ok),
            ("LPOS l a RANK 0", rankZero), ("LPOS nokey a RANK 0", rankZero), ("LPOS s a RANK 0", rankZero),
            ("LPOS l a RANK abc", notInteger), ("LPOS l a RANK 9223372036854775808", notInteger),
            ("LPOS l a COUNT -1", "-ERR COUNT can't be negative\r\n"), ("LPOS l a COUNT abc", "-ERR COUNT can't be negative\r\n"),
            ("LPOS l a MAXLEN -1", "-ERR MAXLEN can't be negative\r\n"), ("LPOS l a MAXLEN x", "-ERR MAXLEN can't be negative\r\n"),
            ("LPOS l a RANK", syntaxError), ("LPOS l a COUNT", syntaxError), ("LPOS l a FOO 1", syntaxError),
            ("LPOS l a COUNT 1 FOO", syntaxError), ("LPOS l a RANK 0 FOO", rankZero), ("LPOS l a FOO RANK 0", syntaxError),
            ("LPOS s a", wrongType), ("LPOS s a FOO", syntaxError), ("LPOS l", arity("lpos")),
        ])
    }

    /// Redis 7.0 negates the rank in C: for LLONG_MIN it stays negative, so every
    /// match counts and COUNT never stops the scan.
    @Test("LPOS RANK -9223372036854775808 (Redis's overflow)")
    func lposMinimumRank() {
        let h = EngineHarness()
        h.script([
            ("RPUSH l a b c 1 2 3 c c", int(8)),
            ("LPOS l c RANK -9223372036854775808", int(7)),
            ("LPOS l c RANK -9223372036854775808 COUNT 0", "*3\r\n:7\r\n:6\r\n:2\r\n"),
            ("LPOS l c RANK -9223372036854775808 COUNT 1", "*3\r\n:7\r\n:6\r\n:2\r\n"),
        ])
    }

    // MARK: - Changing

    @Test("LSET: missing key, index range, negative indexes")
    func lset() {
        let h = EngineHarness()
        h.script([
            ("LSET nokey 0 x", "-ERR no such key\r\n"), ("LSET nokey abc x", "-ERR no such key\r\n"),
            ("RPUSH l a b c", int(3)), ("LSET l 0 A", ok), ("LSET l -1 C", ok),
            ("LRANGE l 0 -1", array("A", "b", "C")),
            ("LSET l 3 x", "-ERR index out of range\r\n"), ("LSET l -4 x", "-ERR index out of range\r\n"),
            ("LSET l abc x", notInteger), ("SET s v", ok), ("LSET s 0 x", wrongType), ("LSET s abc x", wrongType),
        ])
    }

    @Test("LINSERT BEFORE / AFTER, missing pivot, syntax")
    func linsert() {
        let h = EngineHarness()
        h.script([
            ("RPUSH l a b c b", int(4)),
            ("LINSERT l BEFORE b X", int(5)), ("LINSERT l after b Y", int(6)),
            ("LRANGE l 0 -1", array("a", "X", "b", "Y", "c", "b")),
            ("LINSERT l BEFORE missing Z", int(-1)), ("LINSERT nokey BEFORE a Z", int(0)), ("EXISTS nokey", int(0)),
            ("LINSERT l MIDDLE a Z", syntaxError), ("LINSERT nokey MIDDLE a Z", syntaxError),
            ("SET s v", ok), ("LINSERT s BEFORE a Z", wrongType), ("LINSERT s MIDDLE a Z", syntaxError),
            ("LINSERT l BEFORE a", arity("linsert")),
        ])
    }

    @Test("LREM from the head, from the tail, all; deletes an emptied list")
    func lrem() {
        let h = EngineHarness()
        h.script([
            ("RPUSH l a b a c a b a", int(7)),
            ("LREM l 1 a", int(1)), ("LRANGE l 0 -1", array("b", "a", "c", "a", "b", "a")),
            ("LREM l -1 a", int(1)), ("LRANGE l 0 -1", array("b", "a", "c", "a", "b")),
            ("LREM l 0 b", int(2)), ("LRANGE l 0 -1", array("a", "c", "a")),
            ("LREM l 2 nomatch", int(0)), ("LREM l -100 a", int(2)), ("LREM l 0 c", int(1)), ("EXISTS l", int(0)),
            ("RPUSH l x y x y x", int(5)), ("LREM l -2 x", int(2)), ("LRANGE l 0 -1", array("x", "y", "y")),
            ("LREM l -9223372036854775808 y", int(2)), ("LRANGE l 0 -1", array("x")),
            ("LREM nokey 0 a", int(0)), ("LREM nokey abc a", notInteger), ("LREM l 1.5 x", notInteger),
            ("SET s v", ok), ("LREM s 0 a", wrongType), ("LREM s abc a", notInteger),
        ])
    }

    @Test("LTRIM keeps a range and deletes an emptied list")
    func ltrim() {
        let h = EngineHarness()
        h.script([
            ("RPUSH l a b c d e f g", int(7)),
            ("LTRIM l 1 -2", ok), ("LRANGE l 0 -1", array("b", "c", "d", "e", "f")),
            ("LTRIM l -3 -1", ok), ("LRANGE l 0 -1", array("d", "e", "f")),
            ("LTRIM l -100 1", ok), ("LRANGE l 0 -1", array("d", "e")),
            ("LTRIM l 1 0", ok), ("EXISTS l", int(0)),
            ("RPUSH l a b c", int(3)), ("LTRIM l 5 10", ok), ("EXISTS l", int(0)),
            ("RPUSH l a b c", int(3)), ("LTRIM l -1 -2", ok), ("EXISTS l", int(0)),
            ("RPUSH l a b c", int(3)), ("LTRIM l -9223372036854775808 9223372036854775807", ok), ("LLEN l", int(3)),
            ("LTRIM nokey 0 1", ok), ("EXISTS nokey", int(0)), ("LTRIM nokey a b", notInteger),
            ("SET s v", ok), ("LTRIM s 0 1", wrongType), ("LTRIM s a 1", notInteger),
        ])
    }

    // MARK: - Popping

    @Test("LPOP / RPOP with and without a count")
    func pop() {
        let h = EngineHarness()
        h.script([
            ("RPUSH l a b c d e f g", int(7)),
            ("LPOP l", bulk("a")), ("RPOP l", bulk("g")),
            ("LPOP l 2", array("b", "c")), ("RPOP l 2", array("f", "e")),
            ("LPOP l 0", emptyArray), ("LPOP l 10", array("d")), ("EXISTS l", int(0)),
            ("LPOP l", nullBulk), ("LPOP l 1", nullArray), ("RPOP l 0", nullArray),
            ("RPOP nokey -1", "-ERR value is out of range, must be positive\r\n"),
            ("LPOP nokey abc", "-ERR value is out of range, must be positive\r\n"),
            ("LPOP l 1 1", arity("lpop")), ("RPOP l 2 2", arity("rpop")),
            ("SET s v", ok), ("LPOP s", wrongType), ("RPOP s 0", wrongType), ("LPOP s -1", "-ERR value is out of range, must be positive\r\n"),
        ])
    }

    @Test("LMPOP pops from the first non-empty list")
    func lmpop() {
        let h = EngineHarness()
        h.script([
            ("LMPOP 2 l1 l2 LEFT", nullArray),
            ("RPUSH l2 a b c d e", int(5)),
            ("LMPOP 2 l1 l2 LEFT", "*2\r\n" + bulk("l2") + array("a")),
            ("LMPOP 2 l1 l2 RIGHT COUNT 2", "*2\r\n" + bulk("l2") + array("e", "d")),
            ("LMPOP 2 l1 l2 left count 10", "*2\r\n" + bulk("l2") + array("b", "c")),
            ("EXISTS l2", int(0)),
            ("SET s v", ok), ("RPUSH l1 x", int(1)),
            ("LMPOP 2 s l1 LEFT", wrongType), ("LMPOP 2 l1 s LEFT", "*2\r\n" + bulk("l1") + array("x")),
            ("LMPOP 2 nokey s LEFT", wrongType),
        ])
    }

    @Test("LMPOP argument errors")
    func lmpopErrors() {
        let h = EngineHarness()
        let numkeys = "-ERR numkeys should be greater than 0\r\n"
        let count = "-ERR count should be greater than 0\r\n"
        h.script([
            ("LMPOP 0 l LEFT", numkeys), ("LMPOP -1 l LEFT", numkeys), ("LMPOP a l LEFT", numkeys),
            ("LMPOP 9223372036854775808 l LEFT", numkeys),
            ("LMPOP 2 l LEFT", syntaxError), ("LMPOP 100 a b c", syntaxError),
            ("LMPOP 1 l MIDDLE", syntaxError), ("LMPOP 1 l LEFT bar", syntaxError), ("LMPOP 1 l LEFT COUNT", syntaxError),
            ("LMPOP 1 l LEFT COUNT 1 COUNT 2", syntaxError),
            ("LMPOP 1 l LEFT COUNT 0", count), ("LMPOP 1 l LEFT COUNT -1", count), ("LMPOP 1 l LEFT COUNT a", count),
            ("LMPOP", arity("lmpop")), ("LMPOP 1 l", arity("lmpop")),
        ])
    }

    // MARK: - Moving

    @Test("LMOVE and RPOPLPUSH, including rotation of one list")
    func lmove() {
        let h = EngineHarness()
        h.script([
            ("RPUSH src a b c d", int(4)),
            ("LMOVE src dst LEFT RIGHT", bulk("a")), ("LMOVE src dst RIGHT LEFT", bulk("d")),
            ("RPOPLPUSH src dst", bulk("c")), ("LRANGE dst 0 -1", array("c", "d", "a")),
            ("LMOVE src dst left left", bulk("b")), ("EXISTS src", int(0)),
            ("LMOVE src dst LEFT RIGHT", nullBulk), ("RPOPLPUSH nokey nokey", nullBulk), ("EXISTS nokey", int(0)),
            ("RPUSH r 1 2 3 4", int(4)),
            ("LMOVE r r LEFT RIGHT", bulk("1")), ("LRANGE r 0 -1", array("2", "3", "4", "1")),
            ("RPOPLPUSH r r", bulk("1")), ("LRANGE r 0 -1", array("1", "2", "3", "4")),
            ("RPUSH one only", int(1)), ("LMOVE one one RIGHT LEFT", bulk("only")), ("LRANGE one 0 -1", array("only")),
            ("LMOVE src dst MIDDLE LEFT", syntaxError), ("LMOVE nokey dst UP DOWN", syntaxError),
            ("SET s v", ok), ("LMOVE s dst LEFT RIGHT", wrongType), ("RPOPLPUSH dst s", wrongType),
            ("LLEN dst", int(4)), ("LMOVE nokey s LEFT RIGHT", nullBulk),
            ("LMOVE a b LEFT", arity("lmove")), ("RPOPLPUSH a", arity("rpoplpush")),
        ])
    }

    // MARK: - Blocking commands that need not wait

    @Test("BLPOP, BRPOP, BLMPOP, BLMOVE answer at once when a list has elements")
    func blockingWithData() {
        let h = EngineHarness()
        h.script([
            ("RPUSH l a b c", int(3)),
            ("BLPOP l 0", pair("l", "a")), ("BRPOP nokey l 0", pair("l", "c")),
            ("RPUSH m x y z", int(3)),
            ("BLMPOP 0 2 nokey m RIGHT COUNT 2", "*2\r\n" + bulk("m") + array("z", "y")),
            ("BLMOVE l d LEFT RIGHT 0", bulk("b")), ("BRPOPLPUSH m d 0", bulk("x")),
            ("LRANGE d 0 -1", array("x", "b")), ("EXISTS l m", int(0)),
        ])
        #expect(h.session.blocked == nil)
        #expect(h.engine.blockedClientCount == 0)
    }

    @Test("timeout and type errors of the blocking commands")
    func blockingErrors() {
        let h = EngineHarness()
        let notFloat = "-ERR timeout is not a float or out of range\r\n"
        let negative = "-ERR timeout is negative\r\n"
        h.script([
            ("BLPOP l -1", negative), ("BLPOP l -0.01", negative), ("BLPOP l abc", notFloat), ("BLPOP l \"\"", notFloat),
            ("BLPOP l nan", notFloat), ("BLPOP l inf", negative), ("BRPOP l 1s", notFloat),
            ("BLMOVE a b LEFT RIGHT -1", negative), ("BLMOVE a b MIDDLE RIGHT abc", syntaxError),
            ("BRPOPLPUSH a b x", notFloat),
            ("SET s v", ok), ("BLPOP s 0", wrongType), ("BLPOP nokey s 0", wrongType), ("BLPOP s -1", negative),
            ("BLMOVE s d LEFT RIGHT 0", wrongType), ("BLMPOP 0 1 s LEFT", wrongType),
            ("BLPOP l", arity("blpop")), ("BLMPOP 0 1 l", arity("blmpop")),
        ])
        #expect(h.engine.blockedClientCount == 0)
    }

    /// Redis parses BLMPOP's numkeys, LEFT|RIGHT and COUNT before its timeout.
    @Test("BLMPOP checks numkeys and COUNT before the timeout")
    func blmpopArgumentOrder() {
        let h = EngineHarness()
        h.script([
            ("BLMPOP abc 0 l LEFT", "-ERR numkeys should be greater than 0\r\n"),
            ("BLMPOP abc 1 l MIDDLE", syntaxError),
            ("BLMPOP -1 1 l LEFT COUNT 0", "-ERR count should be greater than 0\r\n"),
            ("BLMPOP -1 1 l LEFT", "-ERR timeout is negative\r\n"),
        ])
        #expect(h.engine.blockedClientCount == 0)
    }

    @Test("blocking commands inside MULTI/EXEC answer at once")
    func blockingInsideExec() {
        let h = EngineHarness()
        h.script([
            ("MULTI", ok), ("BLPOP l 0", "+QUEUED\r\n"), ("BRPOP l 100", "+QUEUED\r\n"),
            ("BLMPOP 0 1 l LEFT", "+QUEUED\r\n"), ("BLMOVE l d LEFT RIGHT 0", "+QUEUED\r\n"), ("BRPOPLPUSH l d 0", "+QUEUED\r\n"),
            ("EXEC", "*5\r\n*-1\r\n*-1\r\n*-1\r\n$-1\r\n$-1\r\n"),
            ("MULTI", ok), ("RPUSH l a", "+QUEUED\r\n"), ("BLPOP l 0", "+QUEUED\r\n"), ("BLPOP l 0", "+QUEUED\r\n"),
            ("EXEC", "*3\r\n:1\r\n" + pair("l", "a") + "*-1\r\n"),
        ])
        #expect(h.session.blocked == nil)
        #expect(h.engine.blockedClientCount == 0)
        // Outside a transaction blocking works again.
        #expect(h.run("BLPOP", "l", "0") == "")
        #expect(h.session.blocked != nil)
    }

    // MARK: - Blocking between two sessions

    private func take(_ c: TestClient) -> String { c.takeDelivered() }

    private func recordWakeups(_ c: TestClient) -> WakeupRecorder {
        let recorder = WakeupRecorder()
        c.session.wakeup = { recorder.record() }
        return recorder
    }

    @Test("a blocked BLPOP is served by another session's push and woken")
    func servedByPush() {
        let h = EngineHarness()
        let a = h.client, b = h.connect()
        let wakeups = recordWakeups(a)
        #expect(a.run("BLPOP", "k", "0") == "")
        #expect(a.session.blocked != nil)
        #expect(a.session.blocked?.deadline == 0)
        #expect(h.engine.blockedClientCount == 1)
        #expect(wakeups.count == 0)

        #expect(b.run("RPUSH", "k", "v1", "v2") == int(2))
        #expect(take(a) == pair("k", "v1"))
        #expect(a.session.blocked == nil)
        #expect(h.engine.blockedClientCount == 0)
        #expect(wakeups.count == 1)
        #expect(b.run("LRANGE", "k", "0", "-1") == array("v2"))
        // The served session runs commands again.
        #expect(a.run("LPOP", "k") == bulk("v2"))
        #expect(wakeups.count == 1)
    }

    @Test("waiters are served first come, first served; one push of three serves three")
    func fifo() {
        let h = EngineHarness()
        let waiters = [h.client, h.connect(), h.connect()]
        let producer = h.connect()
        for w in waiters { #expect(w.run("BLPOP", "q", "0") == "") }
        #expect(h.engine.blockedClientCount == 3)
        #expect(producer.run("RPUSH", "q", "1") == int(1))
        #expect(take(waiters[0]) == pair("q", "1"))
        #expect(take(waiters[1]) == "" && take(waiters[2]) == "")
        #expect(producer.run("LPUSH", "q", "a", "b", "c") == int(3))
        #expect(take(waiters[1]) == pair("q", "c"))
        #expect(take(waiters[2]) == pair("q", "b"))
        #expect(producer.run("LRANGE", "q", "0", "-1") == array("a"))
        #expect(h.engine.blockedClientCount == 0)
    }

    @Test("a client waiting on several keys is served by the key that was pushed")
    func severalKeys() {
        let h = EngineHarness()
        let a = h.client, b = h.connect()
        #expect(a.run("BRPOP", "k1", "k2", "k3", "0") == "")
        #expect(b.run("RPUSH", "k3", "x", "y") == int(2))
        #expect(take(a) == pair("k3", "y"))
        #expect(h.engine.blockedClientCount == 0)
        // No trace is left on the other keys.
        #expect(b.run("RPUSH", "k1", "z") == int(1))
        #expect(take(a) == "")
        #expect(b.run("LLEN", "k1") == int(1))
    }

    /// Redis serves the keys in the order they were filled, popping from the key
    /// being served, not from the first non-empty key of the waiter's arguments.
    @Test("keys filled in one transaction serve from the first filled key")
    func servedFromReadyKey() {
        let h = EngineHarness()
        let a = h.client, b = h.connect()
        #expect(a.run("BLPOP", "k1", "k2", "0") == "")
        b.run("MULTI")
        b.run("RPUSH", "k2", "from-k2")
        b.run("RPUSH", "k1", "from-k1")
        #expect(b.run("EXEC") == "*2\r\n:1\r\n:1\r\n")
        #expect(take(a) == pair("k2", "from-k2"))
        #expect(b.run("LRANGE", "k1", "0", "-1") == array("from-k1"))
    }

    @Test("a push inside MULTI serves only after EXEC")
    func pushInsideMulti() {
        let h = EngineHarness()
        let a = h.client, b = h.connect()
        #expect(a.run("BLPOP", "q", "0") == "")
        b.run("MULTI")
        b.run("RPUSH", "q", "v")
        b.run("LLEN", "q")
        #expect(take(a) == "")
        #expect(b.run("EXEC") == "*2\r\n:1\r\n:1\r\n")
        #expect(take(a) == pair("q", "v"))
        #expect(b.run("EXISTS", "q") == int(0))
        // Pushed and popped in one transaction: the waiter stays blocked.
        #expect(a.run("BLPOP", "q", "0") == "")
        b.run("MULTI")
        b.run("RPUSH", "q", "v")
        b.run("LPOP", "q")
        #expect(b.run("EXEC") == "*2\r\n:1\r\n" + bulk("v"))
        #expect(take(a) == "")
        #expect(a.session.blocked != nil)
    }

    @Test("LMOVE into a waited key and chains of BLMOVE")
    func moves() {
        let h = EngineHarness()
        let a = h.client, b = h.connect(), c = h.connect(), p = h.connect()
        #expect(a.run("BLMOVE", "l1", "l2", "LEFT", "RIGHT", "0") == "")
        #expect(b.run("BRPOPLPUSH", "l2", "l3", "0") == "")
        #expect(c.run("BLPOP", "l3", "0") == "")
        #expect(h.engine.blockedClientCount == 3)
        #expect(p.run("RPUSH", "src", "job") == int(1))
        #expect(p.run("LMOVE", "src", "l1", "LEFT", "RIGHT") == bulk("job"))
        #expect(take(a) == bulk("job"))
        #expect(take(b) == bulk("job"))
        #expect(take(c) == pair("l3", "job"))
        #expect(h.engine.blockedClientCount == 0)
        #expect(p.run("EXISTS", "src", "l1", "l2", "l3") == int(0))
    }

    @Test("BLMPOP waits and takes up to COUNT")
    func blmpopServed() {
        let h = EngineHarness()
        let a = h.client, b = h.connect()
        #expect(a.run("BLMPOP", "0", "2", "x", "y", "LEFT", "COUNT", "2") == "")
        #expect(b.run("RPUSH", "y", "1", "2", "3") == int(3))
        #expect(take(a) == "*2\r\n" + bulk("y") + array("1", "2"))
        #expect(b.run("LRANGE", "y", "0", "-1") == array("3"))
    }

    @Test("a key of another type keeps the waiter blocked")
    func otherType() {
        let h = EngineHarness()
        let a = h.client, b = h.connect()
        #expect(a.run("BLPOP", "k", "0") == "")
        #expect(b.run("SET", "k", "string") == ok)
        #expect(take(a) == "")
        #expect(a.session.blocked != nil)
        #expect(b.run("DEL", "k") == int(1))
        #expect(b.run("RPUSH", "k", "v") == int(1))
        #expect(take(a) == pair("k", "v"))
    }

    @Test("RENAME onto a waited key and SWAPDB wake the waiter")
    func renameAndSwapdb() {
        let h = EngineHarness()
        let a = h.client, b = h.connect()
        #expect(a.run("BLPOP", "dst", "0") == "")
        b.run("RPUSH", "src", "a", "b")
        #expect(b.run("RENAME", "src", "dst") == ok)
        #expect(take(a) == pair("dst", "a"))

        #expect(a.run("SELECT", "9") == ok)
        #expect(a.run("BRPOP", "k", "5") == "")
        b.run("SELECT", "1")
        b.run("RPUSH", "k", "hello")
        #expect(b.run("SWAPDB", "1", "9") == ok)
        #expect(take(a) == pair("k", "hello"))
        #expect(h.engine.blockedClientCount == 0)
    }

    @Test("SWAPDB does not serve a waiter whose key has already expired")
    func swapdbExpiredKey() {
        let h = EngineHarness()
        let a = h.client, b = h.connect()
        a.run("SELECT", "9")
        #expect(a.run("BRPOP", "k", "0") == "")
        b.run("SELECT", "1")
        b.run("RPUSH", "k", "hello")
        b.run("PEXPIRE", "k", "100")
        h.advance(milliseconds: 101)
        #expect(b.run("SWAPDB", "1", "9") == ok)
        #expect(take(a) == "")
        #expect(a.session.blocked != nil)
        #expect(h.engine.blockedClientCount == 1)
        b.run("SELECT", "9")
        #expect(b.run("RPUSH", "k", "fresh") == int(1))
        #expect(take(a) == pair("k", "fresh"))
    }

    @Test("timeout: the timer's deadline gives the null reply; a stale deadline is ignored")
    func timeout() {
        let h = EngineHarness()
        let a = h.client
        let wakeups = recordWakeups(a)
        #expect(a.run("BLPOP", "k", "1.5") == "")
        let deadline = a.session.blocked!.deadline
        #expect(deadline == EngineHarness.startTime + 1500)
        h.engine.blockTimedOut(a.session, deadline: deadline - 1)
        #expect(a.session.blocked != nil)
        #expect(wakeups.count == 0)
        h.engine.blockTimedOut(a.session, deadline: a.session.blocked!.deadline)
        #expect(take(a) == nullArray)
        #expect(a.session.blocked == nil)
        #expect(h.engine.blockedClientCount == 0)
        #expect(wakeups.count == 1)
        // A second firing of the same timer does nothing.
        h.engine.blockTimedOut(a.session, deadline: deadline)
        #expect(take(a) == "")
        #expect(wakeups.count == 1)
        // Nobody waits any more: a push stays in the list.
        #expect(h.connect().run("RPUSH", "k", "v") == int(1))
        #expect(take(a) == "")
    }

    @Test("fractional timeouts are rounded up to whole milliseconds")
    func fractionalTimeout() {
        let h = EngineHarness()
        #expect(h.run("BLPOP", "k", "0.0001") == "")
        #expect(h.session.blocked?.deadline == EngineHarness.startTime + 1)
    }

    /// Redis replies `*-1` to every timed-out list block, BLMOVE and BRPOPLPUSH included
    /// (blocked.c replyToBlockedClientTimedOut); only inside MULTI do they reply `$-1`.
    @Test("a timed-out BLMOVE / BRPOPLPUSH gets a null array")
    func moveTimeoutReply() {
        let h = EngineHarness()
        let a = h.client
        for line in ["BLMOVE k d LEFT RIGHT 1", "BRPOPLPUSH k d 1"] {
            #expect(a.run(line: line) == "")
            h.engine.blockTimedOut(a.session, deadline: a.session.blocked!.deadline)
            #expect(take(a) == nullArray, "\(line)")
        }
    }

    @Test("CLIENT UNBLOCK with TIMEOUT and ERROR")
    func clientUnblock() {
        let h = EngineHarness()
        let a = h.client, b = h.connect()
        let wakeups = recordWakeups(a)
        let id = String(a.session.id)
        #expect(b.run("CLIENT", "UNBLOCK", id) == int(0))
        #expect(a.run("BLPOP", "k", "0") == "")
        #expect(b.run("CLIENT", "UNBLOCK", id, "TIMEOUT") == int(1))
        #expect(take(a) == nullArray)
        #expect(wakeups.count == 1)
        #expect(a.run("BRPOP", "k", "0") == "")
        #expect(b.run("CLIENT", "UNBLOCK", id, "error") == int(1))
        #expect(take(a) == "-UNBLOCKED client unblocked via CLIENT UNBLOCK\r\n")
        #expect(wakeups.count == 2)
        #expect(a.session.blocked == nil)
        #expect(h.engine.blockedClientCount == 0)
        #expect(b.run("CLIENT", "UNBLOCK", id) == int(0))
        #expect(b.run("CLIENT", "UNBLOCK", "999") == int(0))
        #expect(b.run("CLIENT", "UNBLOCK", id, "foo") == "-ERR CLIENT UNBLOCK reason should be TIMEOUT or ERROR\r\n")
        #expect(b.run("CLIENT", "UNBLOCK", "abc") == notInteger)
    }

    /// Redis checks the reason before the id, and takes at most 4 arguments.
    @Test("CLIENT UNBLOCK argument checks in Redis's order")
    func clientUnblockArguments() {
        let h = EngineHarness()
        #expect(h.run("CLIENT", "UNBLOCK", "abc", "foo") == "-ERR CLIENT UNBLOCK reason should be TIMEOUT or ERROR\r\n")
        #expect(h.run("CLIENT", "UNBLOCK", "1", "TIMEOUT", "extra")
            == "-ERR unknown subcommand or wrong number of arguments for 'UNBLOCK'. Try CLIENT HELP.\r\n")
    }

    @Test("a disconnected waiter leaves no trace")
    func disconnect() {
        let h = EngineHarness()
        let a = h.client, b = h.connect(), p = h.connect()
        #expect(a.run("BLPOP", "q", "0") == "")
        #expect(b.run("BLPOP", "q", "x", "0") == "")
        #expect(h.engine.blockedClientCount == 2)
        h.engine.unregister(a.session)
        #expect(h.engine.blockedClientCount == 1)
        #expect(p.run("RPUSH", "q", "v") == int(1))
        #expect(take(a) == "")
        #expect(take(b) == pair("q", "v"))
        h.engine.unregister(b.session)
        #expect(h.engine.blockedClientCount == 0)
        #expect(p.run("RPUSH", "x", "w") == int(1))
        #expect(p.run("LLEN", "x") == int(1))
    }
}

/// Counts calls of a session's `wakeup` closure (which must be @Sendable).
final class WakeupRecorder: @unchecked Sendable {  // every access holds `lock`
    private let lock = NSLock()
    private var calls = 0

    func record() { lock.withLock { calls += 1 } }
    var count: Int { lock.withLock { calls } }
}
