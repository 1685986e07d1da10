import KeyDBEngine
import Testing

/// TTLs with a hand-driven clock. Expected replies follow Redis 7.0.15
/// (expire.c, t_string.c; checked against redis-server where time allows).
@Suite("expiry")
struct ExpiryTests {
    @Test("SET EX, then time passes: TTL counts down, then the key is gone")
    func setExThenExpire() {
        let h = EngineHarness()
        #expect(h.run("SET", "k", "v", "EX", "10") == ok)
        #expect(h.run("TTL", "k") == int(10))
        #expect(h.run("PTTL", "k") == int(10_000))
        h.advance(milliseconds: 9_500)
        #expect(h.run("PTTL", "k") == int(500))
        #expect(h.run("GET", "k") == bulk("v"))
        h.advance(milliseconds: 501)
        #expect(h.run("GET", "k") == nullBulk)
        #expect(h.run("TTL", "k") == int(-2))
        #expect(h.run("EXISTS", "k") == int(0))
        #expect(h.db.count == 0)
    }

    /// Redis's `keyIsExpired` is `now > when`: at the exact expiry millisecond
    /// the key still exists, and PTTL answers 0.
    @Test("a key already stale when watched is no change when expiry deletes it; a live one is")
    func watchedStaleKey() {
        let h = EngineHarness()
        h.run("DEBUG", "SET-ACTIVE-EXPIRE", "0")
        h.run("SET", "x", "foo", "PX", "1")
        h.advance(milliseconds: 2)
        #expect(h.run("WATCH", "x") == ok)
        #expect(h.run("EXISTS", "x") == int(0))  // deletes it now
        h.run("MULTI")
        h.run("PING")
        #expect(h.run("EXEC") == "*1\r\n+PONG\r\n")
        h.run("SET", "y", "foo", "PX", "10")
        #expect(h.run("WATCH", "y") == ok)
        h.advance(milliseconds: 20)
        #expect(h.run("EXISTS", "y") == int(0))
        h.run("MULTI")
        h.run("PING")
        #expect(h.run("EXEC") == "*-1\r\n")
    }

    @Test("a key is still there at its exact expiry millisecond")
    func exactExpiryMillisecond() {
        let h = EngineHarness()
        h.run("SET", "k", "v", "PX", "1000")
        h.advance(milliseconds: 1000)
        #expect(h.run("PTTL", "k") == int(0))
        #expect(h.run("GET", "k") == bulk("v"))
        h.advance(milliseconds: 1)
        #expect(h.run("GET", "k") == nullBulk)
        #expect(h.run("PTTL", "k") == int(-2))
    }

    @Test("TTL rounds to the nearest second", arguments: [
        (Int64(1), Int64(0)), (499, 0), (500, 1), (1000, 1), (1499, 1), (1500, 2), (1501, 2), (9_999, 10), (10_000, 10), (10_499, 10), (10_500, 11),
    ])
    func ttlRounding(_ pttl: Int64, _ ttl: Int64) {
        let h = EngineHarness()
        h.run("SET", "k", "v", "PX", "\(pttl + 1000)")
        h.advance(milliseconds: 1000)
        #expect(h.run("PTTL", "k") == int(pttl))
        #expect(h.run("TTL", "k") == int(ttl))
    }

    @Test("TTL and PTTL of a missing key and a persistent key")
    func ttlSpecialValues() {
        let h = EngineHarness()
        h.script([
            ("TTL missing", int(-2)), ("PTTL missing", int(-2)), ("EXPIRETIME missing", int(-2)), ("PEXPIRETIME missing", int(-2)),
            ("SET p v", ok), ("TTL p", int(-1)), ("PTTL p", int(-1)), ("EXPIRETIME p", int(-1)), ("PEXPIRETIME p", int(-1)),
        ])
    }

    @Test("EXPIRETIME and PEXPIRETIME")
    func expiretime() {
        let h = EngineHarness()
        h.script([
            ("SET q v", ok),
            ("PEXPIREAT q 5000000000000", int(1)), ("EXPIRETIME q", int(5_000_000_000)), ("PEXPIRETIME q", int(5_000_000_000_000)),
            ("PEXPIREAT q 5000000000499", int(1)), ("EXPIRETIME q", int(5_000_000_000)),
            ("PEXPIREAT q 5000000000500", int(1)), ("EXPIRETIME q", int(5_000_000_001)),
            // Redis rounds with unsigned arithmetic, so the largest expiry does not overflow.
            ("PEXPIREAT q 9223372036854775807", int(1)), ("EXPIRETIME q", int(9_223_372_036_854_776)),
            ("PEXPIREAT q 9223372036854775308", int(1)), ("EXPIRETIME q", int(9_223_372_036_854_775)),
        ])
        #expect(h.run("PTTL", "q") == int(9_223_372_036_854_775_308 - EngineHarness.startTime))
        h.run("EXPIREAT", "q", "5000000000")
        #expect(h.run("PEXPIRETIME", "q") == int(5_000_000_000_000))
        #expect(h.run("TTL", "q") == int(5_000_000_000 - EngineHarness.startTime / 1000))
    }

    @Test("EXPIRE NX / XX / GT / LT on a key without and with a TTL")
    func expireConditionMatrix() {
        let h = EngineHarness()
        // Checked against redis-server 7.0.15.
        h.script([
            ("SET p v", ok), ("SET t v EX 100", ok),
            ("EXPIRE p 50 NX", int(1)), ("TTL p", int(50)), ("PERSIST p", int(1)),
            ("EXPIRE t 50 NX", int(0)), ("TTL t", int(100)),
            ("EXPIRE p 50 XX", int(0)), ("TTL p", int(-1)),
            ("EXPIRE t 50 XX", int(1)), ("TTL t", int(50)),
            // GT: no TTL counts as infinite, so nothing is greater.
            ("EXPIRE p 50 GT", int(0)), ("TTL p", int(-1)),
            ("EXPIRE t 40 GT", int(0)), ("EXPIRE t 50 GT", int(0)), ("EXPIRE t 60 GT", int(1)), ("TTL t", int(60)),
            // LT: anything is less than infinite.
            ("EXPIRE p 50 LT", int(1)), ("TTL p", int(50)), ("PERSIST p", int(1)),
            ("EXPIRE t 70 LT", int(0)), ("EXPIRE t 60 LT", int(0)), ("EXPIRE t 30 LT", int(1)), ("TTL t", int(30)),
            ("EXPIRE t 30 XX GT", int(0)), ("EXPIRE t 31 XX GT", int(1)), ("EXPIRE t 30 XX LT", int(1)), ("TTL t", int(30)),
            ("EXPIRE p 30 XX LT", int(0)),
            ("EXPIRE missing 10", int(0)), ("EXPIRE missing 10 NX", int(0)), ("EXPIRE missing 10 LT", int(0)),
            ("PEXPIRE t 20000 gt", int(0)), ("PEXPIRE t 40000 gt", int(1)), ("PTTL t", int(40_000)),
        ])
    }

    @Test("EXPIRE option errors")
    func expireOptionErrors() {
        let h = EngineHarness()
        let nxError = "-ERR NX and XX, GT or LT options at the same time are not compatible\r\n"
        h.script([
            ("SET t v", ok),
            ("EXPIRE t 30 NX XX", nxError), ("EXPIRE t 30 NX GT", nxError), ("EXPIRE t 30 LT NX", nxError),
            ("EXPIRE t 30 GT LT", "-ERR GT and LT options at the same time are not compatible\r\n"),
            ("EXPIRE t 30 FOO", "-ERR Unsupported option FOO\r\n"), ("EXPIRE t 30 nx FOO", "-ERR Unsupported option FOO\r\n"),
            // Options are checked before the time.
            ("EXPIRE t abc FOO", "-ERR Unsupported option FOO\r\n"), ("EXPIRE t abc NX XX", nxError),
            ("EXPIRE t abc", notInteger), ("EXPIRE t 1.5", notInteger), ("EXPIRE t \"\"", notInteger),
            ("EXPIRE t 9223372036854775807", "-ERR invalid expire time in 'expire' command\r\n"),
            ("EXPIRE t 9223372036854774", "-ERR invalid expire time in 'expire' command\r\n"),
            ("EXPIRE t -9223372036854775808", "-ERR invalid expire time in 'expire' command\r\n"),
            ("PEXPIRE t 9223372036854775807", "-ERR invalid expire time in 'pexpire' command\r\n"),
            ("EXPIREAT t 9223372036854775808", notInteger),
            ("EXPIREAT t 9223372036854776", "-ERR invalid expire time in 'expireat' command\r\n"),
            ("EXISTS t", int(1)), ("TTL t", int(-1)),
            ("EXPIREAT t 9223372036854775", int(1)), ("PEXPIRETIME t", int(9_223_372_036_854_775_000)),
            ("EXPIRE", "-ERR wrong number of arguments for 'expire' command\r\n"),
            ("EXPIRE t", "-ERR wrong number of arguments for 'expire' command\r\n"),
        ])
        #expect(h.run(bytes: Array("EXPIRE".utf8), Array("t".utf8), Array("1".utf8), Array("a\nb".utf8)) == Array("-ERR Unsupported option a b\r\n".utf8))
    }

    @Test("EXPIRE with a time not in the future deletes the key")
    func negativeExpireDeletes() {
        let h = EngineHarness()
        h.script([
            ("SET p v", ok), ("EXPIRE p 0", int(1)), ("EXISTS p", int(0)),
            ("SET p v", ok), ("EXPIRE p -1", int(1)), ("EXISTS p", int(0)),
            ("SET p v", ok), ("PEXPIRE p -100 NX", int(1)), ("EXISTS p", int(0)),
            ("SET p v", ok), ("EXPIRE p -1 XX", int(0)), ("EXISTS p", int(1)),
            ("EXPIRE p -1 LT", int(1)), ("EXISTS p", int(0)),
            ("SET p v EX 100", ok), ("EXPIRE p -1 GT", int(0)), ("TTL p", int(100)),
            ("EXPIREAT p 1", int(1)), ("EXISTS p", int(0)),
            ("SET p v", ok), ("PEXPIREAT p \(EngineHarness.startTime)", int(1)), ("EXISTS p", int(0)),
            ("SET p v", ok), ("PEXPIREAT p \(EngineHarness.startTime + 1)", int(1)), ("PTTL p", int(1)),
        ])
        #expect(h.db.count == 1)
    }

    @Test("PERSIST")
    func persist() {
        let h = EngineHarness()
        h.script([
            ("SET k v EX 100", ok), ("PERSIST k", int(1)), ("TTL k", int(-1)), ("PERSIST k", int(0)),
            ("PERSIST missing", int(0)), ("GET k", bulk("v")),
        ])
        #expect(h.db.volatileCount == 0)
        h.run("SET", "e", "v", "PX", "10")
        h.advance(milliseconds: 11)
        #expect(h.run("PERSIST", "e") == int(0))
        #expect(h.run("EXISTS", "e") == int(0))
    }

    @Test("GETEX: EX / PX / EXAT / PXAT / PERSIST")
    func getex() {
        let h = EngineHarness()
        let t = EngineHarness.startTime
        h.script([
            ("SET a 1", ok),
            ("GETEX a", bulk("1")), ("TTL a", int(-1)),
            ("GETEX a EX 100", bulk("1")), ("TTL a", int(100)),
            ("GETEX a PX 5000", bulk("1")), ("PTTL a", int(5000)),
            ("GETEX a PX 100 PX 200", bulk("1")), ("PTTL a", int(200)),
            ("GETEX a EXAT \(t / 1000 + 50)", bulk("1")), ("TTL a", int(50)),
            ("GETEX a PXAT \(t + 1234)", bulk("1")), ("PTTL a", int(1234)),
            ("GETEX a PERSIST", bulk("1")), ("TTL a", int(-1)),
            ("GETEX a persist persist", bulk("1")), ("TTL a", int(-1)),
            // A point in time already passed deletes the key (after replying its value).
            ("GETEX a EXAT 1", bulk("1")), ("EXISTS a", int(0)),
            ("SET b 2", ok), ("GETEX b PXAT \(t)", bulk("2")), ("EXISTS b", int(0)),
            ("SET c 3", ok), ("GETEX c PXAT \(t + 1)", bulk("3")), ("PTTL c", int(1)),
            ("GETEX missing", nullBulk), ("GETEX missing EX 10", nullBulk), ("GETEX missing EX 0", nullBulk),
        ])
    }

    @Test("GETEX errors")
    func getexErrors() {
        let h = EngineHarness()
        h.script([
            ("SET a 1", ok), ("LPUSH l x", int(1)),
            ("GETEX missing FOO", syntaxError), ("GETEX a FOO", syntaxError), ("GETEX a EX", syntaxError),
            ("GETEX a EX 0", "-ERR invalid expire time in 'getex' command\r\n"),
            ("GETEX a PX -5", "-ERR invalid expire time in 'getex' command\r\n"),
            ("GETEX a EX 9223372036854775807", "-ERR invalid expire time in 'getex' command\r\n"),
            ("GETEX a EX abc", notInteger),
            ("GETEX a PERSIST EX 10", syntaxError), ("GETEX a EX 10 PERSIST", syntaxError), ("GETEX a EX 10 PX 10", syntaxError),
            ("GETEX a NX", syntaxError), ("GETEX a KEEPTTL", syntaxError), ("GETEX a GET", syntaxError),
            ("GETEX l", wrongType), ("GETEX l EX 0", wrongType), ("GETEX l EX abc", wrongType),
            ("GETEX", "-ERR wrong number of arguments for 'getex' command\r\n"),
            ("TTL a", int(-1)),
        ])
    }

    @Test("SET KEEPTTL keeps the TTL; a plain SET clears it")
    func keepTTL() {
        let h = EngineHarness()
        h.script([
            ("SET k v EX 100", ok), ("SET k w KEEPTTL", ok), ("TTL k", int(100)), ("GET k", bulk("w")),
            ("SET k x", ok), ("TTL k", int(-1)),
            ("SET k v PX 5000", ok), ("SET k y XX KEEPTTL", ok), ("PTTL k", int(5000)),
            ("SET k z GET KEEPTTL", bulk("y")), ("PTTL k", int(5000)),
            ("SET n v KEEPTTL", ok), ("TTL n", int(-1)),
            ("GETSET k g", bulk("z")), ("TTL k", int(-1)),
            ("SET k v EX 100", ok), ("MSET k m", ok), ("TTL k", int(-1)),
            ("SET k v EX 100", ok), ("SETEX k 5 s", ok), ("TTL k", int(5)),
            ("SET k v EX 100", ok), ("SETNX k x", int(0)), ("TTL k", int(100)),
        ])
        #expect(h.db.volatileCount == 1)
    }

    @Test("commands that change a value in place keep its TTL")
    func inPlaceChangesKeepTTL() {
        let h = EngineHarness()
        h.script([
            ("SET n 1 EX 100", ok), ("INCR n", int(2)), ("TTL n", int(100)),
            ("INCRBY n 5", int(7)), ("DECR n", int(6)), ("DECRBY n 2", int(4)), ("TTL n", int(100)),
            ("INCRBYFLOAT n 0.5", bulk("4.5")), ("TTL n", int(100)),
            ("APPEND n x", int(4)), ("TTL n", int(100)),
            ("SETRANGE n 0 y", int(4)), ("TTL n", int(100)), ("GET n", bulk("y.5x")),
            ("LPUSH l a", int(1)), ("EXPIRE l 100", int(1)), ("LPUSH l b", int(2)), ("TTL l", int(100)),
        ])
    }

    @Test("an expired key counts as missing for writes too")
    func expiredKeyWrites() {
        let h = EngineHarness()
        h.run("SET", "k", "v", "PX", "100")
        h.run("SET", "n", "41", "PX", "100")
        h.run("SET", "s", "abc", "PX", "100")
        h.advance(milliseconds: 101)
        h.script([
            ("SETNX k w", int(1)), ("TTL k", int(-1)),
            ("INCR n", int(1)), ("TTL n", int(-1)),
            ("APPEND s x", int(1)), ("GET s", bulk("x")), ("TTL s", int(-1)),
        ])
        h.run("SET", "k", "v", "PX", "100")
        h.advance(milliseconds: 101)
        h.script([("SET k w XX", nullBulk), ("SET k w NX GET", nullBulk), ("GET k", bulk("w")), ("TTL k", int(-1))])
        h.run("SET", "k", "v", "PX", "100")
        h.advance(milliseconds: 101)
        h.script([("SET k w KEEPTTL", ok), ("TTL k", int(-1))])
        h.run("SET", "k", "v", "PX", "100")
        h.advance(milliseconds: 101)
        h.script([("RENAME k j", "-ERR no such key\r\n"), ("DEL k", int(0)), ("TYPE k", "+none\r\n"), ("EXPIRE k 10", int(0))])
    }

    @Test("SETEX, PSETEX and SET with a TTL")
    func setWithTTL() {
        let h = EngineHarness()
        let t = EngineHarness.startTime
        h.script([
            ("SETEX k 10 v", ok), ("TTL k", int(10)), ("GET k", bulk("v")),
            ("PSETEX k 1500 v", ok), ("PTTL k", int(1500)),
            ("SET k v PX 250", ok), ("PTTL k", int(250)),
            ("SET k v EXAT \(t / 1000 + 7)", ok), ("TTL k", int(7)),
            ("SET k v PXAT \(t + 7)", ok), ("PTTL k", int(7)),
            ("SET k v EX 10 EX 20", ok), ("TTL k", int(20)),
            ("SET k v ex 1 nx", nullBulk), ("SET k v xx px 30000", ok), ("TTL k", int(30)),
            // A point in time already passed: the key is set, and already gone.
            ("SET k v EXAT 1", ok), ("EXISTS k", int(0)),
            ("SETEX k 0 v", "-ERR invalid expire time in 'setex' command\r\n"),
            ("SETEX k -5 v", "-ERR invalid expire time in 'setex' command\r\n"),
            ("PSETEX k 0 v", "-ERR invalid expire time in 'psetex' command\r\n"),
            ("SETEX k abc v", notInteger),
            ("SET k v EX 0", "-ERR invalid expire time in 'set' command\r\n"),
            ("SET k v PX -1", "-ERR invalid expire time in 'set' command\r\n"),
            ("SET k v EXAT 0", "-ERR invalid expire time in 'set' command\r\n"),
            ("SET k v EX 9223372036854775807", "-ERR invalid expire time in 'set' command\r\n"),
            ("SET k v PX 9223372036854775807", "-ERR invalid expire time in 'set' command\r\n"),
            ("SET k v EX abc", notInteger),
            ("EXISTS k", int(0)),
        ])
    }

    @Test("RENAME, COPY and MOVE carry the TTL along")
    func ttlTravels() {
        let h = EngineHarness()
        h.script([
            ("SET t v EX 100", ok), ("RENAME t t2", ok), ("TTL t2", int(100)),
            ("RENAMENX t2 t3", int(1)), ("TTL t3", int(100)),
            ("COPY t3 t4", int(1)), ("TTL t4", int(100)),
            ("COPY t3 t5 DB 1", int(1)), ("MOVE t4 2", int(1)),
            ("SELECT 1", ok), ("TTL t5", int(100)), ("SELECT 2", ok), ("TTL t4", int(100)),
        ])
    }

    @Test("lazy expiry deletes the key on access and counts it in INFO")
    func lazyExpiryStats() {
        let h = EngineHarness()
        h.run("SET", "a", "1", "PX", "10")
        h.run("SET", "b", "1", "PX", "10")
        h.advance(milliseconds: 20)
        #expect(h.db.count == 2)
        #expect(h.run("GET", "a") == nullBulk)
        #expect(h.db.count == 1)
        #expect(h.run("INFO", "stats").contains("\r\nexpired_keys:1\r\n"))
    }

    /// Redis's SCAN deletes the expired keys it meets (db.c scanGenericCommand
    /// calls expireIfNeeded), so DBSIZE drops afterwards.
    @Test("SCAN deletes the expired keys it comes across")
    func scanExpires() {
        let h = EngineHarness()
        h.run("SET", "a", "1", "PX", "10")
        h.run("SET", "b", "1")
        h.advance(milliseconds: 20)
        #expect(h.run("DBSIZE") == int(2))
        #expect(h.run("SCAN", "0") == "*2\r\n$1\r\n0\r\n*1\r\n$1\r\nb\r\n")
        #expect(h.run("DBSIZE") == int(1))
    }

    @Test("RANDOMKEY never answers an expired key")
    func randomkeyExpired() {
        let h = EngineHarness()
        for i in 0..<50 { h.run("SET", "k\(i)", "v", "PX", "10") }
        h.advance(milliseconds: 20)
        #expect(h.run("RANDOMKEY") == nullBulk)
        #expect(h.db.count == 0)
        h.run("SET", "live", "v")
        for i in 0..<50 { h.run("SET", "k\(i)", "v", "PX", "10") }
        h.advance(milliseconds: 20)
        #expect(h.run("RANDOMKEY") == bulk("live"))
    }

    @Test("KEYS skips expired keys")
    func keysSkipsExpired() {
        let h = EngineHarness()
        h.run("SET", "a", "1", "PX", "10")
        h.run("SET", "b", "1")
        h.advance(milliseconds: 20)
        #expect(h.run("KEYS", "*") == "*1\r\n$1\r\nb\r\n")
    }
}
