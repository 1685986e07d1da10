import KeyDBEngine
import KeyDBRESP
import NIOCore
import Testing

/// What the engine hands the write-ahead log: one record per effective write,
/// deterministic on replay, framed by MULTI/EXEC when one command made several.
@Suite struct PropagationTests {
    let harness: EngineHarness
    let feed = AppendOnlyFeed()

    init() {
        harness = EngineHarness()
        harness.engine.appendOnlyFeed = feed
    }

    /// The records logged since the last call, as text argv lists.
    func records() -> [[String]] {
        let decoded = feed.buffer.withUnsafeReadableBytes { decodeCommands($0) }
        #expect(decoded.length == feed.buffer.readableBytes, "the feed holds only whole records")
        feed.buffer.clear()
        return decoded.commands.map { $0.map { String(decoding: $0, as: UTF8.self) } }.filter { $0.first != "SELECT" }
    }

    @Test func plainWritesAreLoggedAsSentAndReadsAreNot() {
        harness.run("SET", "k", "v")
        harness.run("GET", "k")
        harness.run("RPUSH", "l", "a", "b")
        #expect(records() == [["SET", "k", "v"], ["RPUSH", "l", "a", "b"]])
    }

    @Test func theFirstRecordSelectsItsDatabaseAndSwitchesAreLogged() {
        harness.run("SET", "a", "1")
        harness.run("SELECT", "3")
        harness.run("SET", "b", "2")
        let text = feed.buffer.getString(at: feed.buffer.readerIndex, length: feed.buffer.readableBytes)!
        #expect(text == "*2\r\n$6\r\nSELECT\r\n$1\r\n0\r\n*3\r\n$3\r\nSET\r\n$1\r\na\r\n$1\r\n1\r\n"
            + "*2\r\n$6\r\nSELECT\r\n$1\r\n3\r\n*3\r\n$3\r\nSET\r\n$1\r\nb\r\n$1\r\n2\r\n")
    }

    @Test func failedAndNoOpWritesAreNotLogged() {
        harness.run("SET", "s", "x")
        _ = records()
        harness.run("LPUSH", "s", "a")  // WRONGTYPE
        harness.run("SETNX", "s", "y")  // not set
        harness.run("DEL", "missing")
        #expect(records().isEmpty)
    }

    @Test("pops log their count when the command had one: LMPOP and BLMPOP always, BLPOP never (Redis's stream)")
    func popsLogTheirCountAsRedis() {
        harness.run("RPUSH", "l", "a", "b", "c", "d", "e")
        harness.run("LPOP", "l")
        harness.run("LPOP", "l", "1")
        harness.run("LMPOP", "1", "l", "RIGHT", "COUNT", "1")
        harness.run("BLMPOP", "0", "1", "l", "LEFT")
        harness.run("BLPOP", "l", "0")
        #expect(records() == [["RPUSH", "l", "a", "b", "c", "d", "e"], ["LPOP", "l"], ["LPOP", "l", "1"],
                              ["RPOP", "l", "1"], ["LPOP", "l", "1"], ["LPOP", "l"]])
    }

    @Test("SCAN's and RANDOMKEY's expired keys are logged one DEL each, not framed as a transaction")
    func arbitraryKeyExpiryIsNotFramed() {
        harness.run("SET", "a", "1", "PX", "10")
        harness.run("SET", "b", "2", "PX", "10")
        _ = records()
        harness.advance(milliseconds: 20)
        harness.run("SCAN", "0")
        #expect(records().map { $0[0] } == ["DEL", "DEL"])
        harness.run("SET", "c", "1", "PX", "10")
        harness.run("SET", "d", "2", "PX", "10")
        _ = records()
        harness.advance(milliseconds: 20)
        harness.run("MULTI")
        harness.run("SCAN", "0")
        harness.run("EXEC")
        #expect(records().map { $0[0] } == ["MULTI", "DEL", "DEL", "EXEC"])
    }

    @Test func relativeExpiryBecomesAbsolute() {
        let now = harness.now
        harness.run("SET", "k", "v", "EX", "10")
        harness.run("SETEX", "s", "5", "v")
        harness.run("EXPIRE", "k", "100")
        harness.run("PEXPIRE", "s", "1500")
        harness.run("GETEX", "k", "PX", "20")
        harness.run("GETEX", "k", "PERSIST")
        #expect(records() == [["SET", "k", "v", "PXAT", "\(now + 10_000)"], ["SET", "s", "v", "PXAT", "\(now + 5000)"],
                              ["PEXPIREAT", "k", "\(now + 100_000)"], ["PEXPIREAT", "s", "\(now + 1500)"],
                              ["PEXPIREAT", "k", "\(now + 20)"], ["PERSIST", "k"]])
    }

    @Test func anExpiryInThePastIsLoggedAsTheDeletionItCaused() {
        harness.run("SET", "k", "v")
        harness.run("EXPIRE", "k", "-1")
        #expect(records() == [["SET", "k", "v"], ["DEL", "k"]])
    }

    @Test func floatIncrementsAreLoggedAsTheirResult() {
        harness.run("INCRBYFLOAT", "f", "1.5")
        harness.run("HINCRBYFLOAT", "h", "x", "0.25")
        #expect(records() == [["SET", "f", "1.5", "KEEPTTL"], ["HSET", "h", "x", "0.25"]])
    }

    @Test func randomPopsAreLoggedAsTheMembersRemoved() {
        harness.run("SADD", "s", "a", "b", "c", "d")
        _ = records()
        let one = harness.value("SPOP", "s").string!
        let two = harness.value("SPOP", "s", "2").array.compactMap(\.string)
        let rest = harness.value("SPOP", "s", "5").array.compactMap(\.string)
        #expect(records() == [["SREM", "s", one], ["MULTI"]] + two.map { ["SREM", "s", $0] } + [["EXEC"], ["DEL", "s"]])
        #expect(rest.count == 1)
    }

    @Test func blockingAndMultiKeyPopsAreLoggedAsPlainPops() {
        harness.run("RPUSH", "l", "a", "b", "c", "d")
        harness.run("ZADD", "z", "1", "m", "2", "n")
        _ = records()
        harness.run("BLPOP", "nothing", "l", "0")
        harness.run("LMPOP", "2", "nothing", "l", "RIGHT", "COUNT", "2")
        harness.run("BZPOPMAX", "z", "0")
        harness.run("BLMOVE", "l", "dst", "LEFT", "RIGHT", "0")
        #expect(records() == [["LPOP", "l"], ["RPOP", "l", "2"], ["ZPOPMAX", "z", "1"], ["LMOVE", "l", "dst", "LEFT", "RIGHT"]])
    }

    @Test func aClientServedLaterLogsItsPopAfterThePushThatServedIt() {
        let waiter = harness.connect()
        waiter.run("BRPOPLPUSH", "src", "dst", "0")
        #expect(records().isEmpty)
        harness.run("LPUSH", "src", "x")
        #expect(records() == [["LPUSH", "src", "x"], ["RPOPLPUSH", "src", "dst"]])
    }

    @Test("moves, GETSET, SET GET and FLUSHDB are logged as Redis 7.0 propagates them")
    func rewrittenAsRedisDoes() {
        harness.run("RPUSH", "l", "a", "b", "c")
        _ = records()
        harness.run("RPOPLPUSH", "l", "m")
        harness.run("BRPOPLPUSH", "l", "m", "0")
        harness.run("LMOVE", "l", "m", "LEFT", "LEFT")
        harness.run("GETSET", "k", "v1")
        harness.run("SET", "k", "v2", "GET")
        harness.run("SET", "k", "v3", "GET", "EX", "100")
        #expect(records() == [["RPOPLPUSH", "l", "m"], ["RPOPLPUSH", "l", "m"], ["LMOVE", "l", "m", "LEFT", "LEFT"],
                              ["SET", "k", "v1"], ["SET", "k", "v2"], ["SET", "k", "v3", "PXAT", String(harness.now + 100_000)]])
        // An empty database's FLUSHDB is logged too (each one), with its option.
        harness.run("SELECT", "5")
        harness.run("FLUSHDB")
        harness.run("FLUSHDB", "ASYNC")
        #expect(records() == [["FLUSHDB"], ["FLUSHDB", "ASYNC"]])
    }

    @Test func transactionsAreFramedWhenTheyWroteMoreThanOnce() {
        harness.run("MULTI")
        harness.run("SET", "a", "1")
        harness.run("GET", "a")
        harness.run("INCR", "n")
        harness.run("EXEC")
        #expect(records() == [["MULTI"], ["SET", "a", "1"], ["INCR", "n"], ["EXEC"]])
        harness.run("MULTI")
        harness.run("SET", "a", "2")
        harness.run("GET", "a")
        harness.run("EXEC")
        #expect(records() == [["SET", "a", "2"]])
    }

    @Test func deletionsAreLoggedAsUnlinkWhenTheirValueIsFreedInTheBackground() {
        harness.run("SET", "g", "v")
        harness.run("GETDEL", "g")
        #expect(records() == [["SET", "g", "v"], ["DEL", "g"]])  // as Redis rewrites GETDEL
        harness.run("CONFIG", "SET", "lazyfree-lazy-expire", "yes", "lazyfree-lazy-user-del", "yes")
        harness.run("SET", "k", "v")
        harness.run("EXPIRE", "k", "-1")
        harness.run("SET", "g", "v")
        harness.run("GETDEL", "g")
        harness.run("SET", "x", "v")
        harness.run("GETEX", "x", "PXAT", "1")
        harness.run("SET", "t", "v", "PX", "10")
        _ = records()
        harness.advance(milliseconds: 20)
        harness.run("GET", "t")
        #expect(records() == [["UNLINK", "t"]])
    }

    @Test func lazyExpiryIsLoggedAsADeleteBeforeTheCommand() {
        harness.run("SET", "k", "v", "PX", "10")
        _ = records()
        harness.advance(milliseconds: 20)
        harness.run("GET", "k")
        #expect(records() == [["DEL", "k"]])
        harness.run("SET", "t", "v", "PX", "10")
        _ = records()
        harness.advance(milliseconds: 20)
        // Overwriting a key whose time passed: its expiry, then the write, applied together.
        harness.run("SET", "t", "w", "KEEPTTL")
        #expect(records() == [["MULTI"], ["DEL", "t"], ["SET", "t", "w", "KEEPTTL"], ["EXEC"]])
    }

    @Test func loadingRefusesAllButLoadingCommands() {
        harness.engine.loading = true
        #expect(harness.run("GET", "k") == "-LOADING Redis is loading the dataset in memory\r\n")
        #expect(harness.run("PING") == "-LOADING Redis is loading the dataset in memory\r\n")
        #expect(harness.run("INFO", "persistence").contains("loading:1"))
        harness.engine.loading = false
        #expect(harness.run("PING") == "+PONG\r\n")
    }
}
