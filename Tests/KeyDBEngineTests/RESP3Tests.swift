import KeyDBEngine
import Testing

/// Replies after HELLO 3: the same commands answer with RESP3's nulls, maps, sets,
/// doubles and pushes, as Redis 7.0 does (the differential tests compare every
/// case file with Redis in both protocols; these pin the shapes without a socket).
@Suite("RESP3 replies")
struct RESP3Tests {
    private func resp3() -> EngineHarness {
        let h = EngineHarness()
        #expect(h.run("HELLO", "3").hasPrefix("%7\r\n$6\r\nserver\r\n"))
        return h
    }

    @Test("HELLO switches both ways, answers a map in RESP3 and a flat array in RESP2; RESET goes back to RESP2")
    func hello() {
        let h = EngineHarness()
        #expect(h.run("HELLO", "4") == "-NOPROTO unsupported protocol version\r\n")
        #expect(h.run("HELLO", "3").contains("$5\r\nproto\r\n:3\r\n"))
        #expect(h.run("GET", "missing") == "_\r\n")
        // Without a version HELLO keeps the protocol.
        #expect(h.run("HELLO").hasPrefix("%7\r\n"))
        #expect(h.run("HELLO", "2").hasPrefix("*14\r\n"))
        #expect(h.run("GET", "missing") == nullBulk)
        _ = h.run("HELLO", "3")
        #expect(h.run("RESET") == "+RESET\r\n")
        #expect(h.run("GET", "missing") == nullBulk)
    }

    @Test("HELLO 3 AUTH logs in and switches; a wrong password switches nothing")
    func helloAuth() {
        let h = EngineHarness()
        _ = h.run("CONFIG", "SET", "requirepass", "secret")
        let c = h.connect()
        #expect(c.run("HELLO", "3", "AUTH", "default", "wrong").hasPrefix("-WRONGPASS"))
        #expect(c.run("GET", "k").hasPrefix("-NOAUTH"))
        #expect(c.run("HELLO", "3", "AUTH", "default", "secret").hasPrefix("%7\r\n"))
        #expect(c.run("GET", "k") == "_\r\n")
    }

    @Test("nulls: a missing string, a timed-out blocking pop, an aborted EXEC")
    func nulls() {
        let h = resp3()
        #expect(h.run("MGET", "a", "b") == "*2\r\n_\r\n_\r\n")
        #expect(h.run("LPOP", "nolist", "2") == "_\r\n")
        #expect(h.run("BLPOP", "nolist", "1").isEmpty)
        h.engine.blockTimedOut(h.session, deadline: h.session.blocked!.deadline)
        #expect(h.client.takeDelivered() == "_\r\n")
        _ = h.run("WATCH", "w")
        _ = h.connect().run("SET", "w", "changed")
        _ = h.run("MULTI")
        #expect(h.run("EXEC") == "_\r\n")
    }

    @Test("maps, sets and doubles")
    func aggregates() {
        let h = resp3()
        _ = h.run("HSET", "h", "f", "v")
        #expect(h.run("HGETALL", "h") == "%1\r\n" + bulk("f") + bulk("v"))
        #expect(h.run("HGETALL", "nohash") == "%0\r\n")
        _ = h.run("SADD", "s", "m")
        #expect(h.run("SMEMBERS", "s") == "~1\r\n" + bulk("m"))
        #expect(h.run("SMEMBERS", "noset") == "~0\r\n")
        #expect(h.run("SRANDMEMBER", "s", "5") == "*1\r\n" + bulk("m"))
        _ = h.run("ZADD", "z", "1.5", "a", "2", "b")
        #expect(h.run("ZSCORE", "z", "a") == ",1.5\r\n")
        #expect(h.run("ZRANGE", "z", "0", "-1", "WITHSCORES") == "*2\r\n*2\r\n" + bulk("a") + ",1.5\r\n*2\r\n" + bulk("b") + ",2\r\n")
        #expect(h.run("ZPOPMIN", "z") == "*2\r\n" + bulk("a") + ",1.5\r\n")
        #expect(h.run("ZPOPMIN", "z", "1") == "*1\r\n*2\r\n" + bulk("b") + ",2\r\n")
        #expect(h.run("CONFIG", "GET", "maxmemory") == "%1\r\n" + bulk("maxmemory") + bulk("0"))
    }

    @Test("the RESP2 shapes of the same commands are unchanged")
    func resp2Unchanged() {
        let h = EngineHarness()
        _ = h.run("ZADD", "z", "1.5", "a")
        #expect(h.run("ZRANGE", "z", "0", "-1", "WITHSCORES") == "*2\r\n" + bulk("a") + bulk("1.5"))
        #expect(h.run("ZPOPMIN", "z", "1") == "*2\r\n" + bulk("a") + bulk("1.5"))
        _ = h.run("SADD", "s", "m")
        #expect(h.run("SMEMBERS", "s") == "*1\r\n" + bulk("m"))
    }

    @Test("pub/sub: confirmations and messages are pushes, and a RESP3 subscriber may run any command")
    func pubsub() {
        let h = EngineHarness()
        let subscriber = h.connect()
        _ = subscriber.run("HELLO", "3")
        #expect(subscriber.run("SUBSCRIBE", "ch") == ">3\r\n" + bulk("subscribe") + bulk("ch") + int(1))
        #expect(subscriber.run("GET", "k") == "_\r\n")
        #expect(subscriber.run("PING") == "+PONG\r\n")
        #expect(h.run("PUBLISH", "ch", "hi") == int(1))
        #expect(subscriber.takeDelivered() == ">3\r\n" + bulk("message") + bulk("ch") + bulk("hi"))
        #expect(subscriber.run("UNSUBSCRIBE") == ">3\r\n" + bulk("unsubscribe") + bulk("ch") + int(0))
        #expect(subscriber.run("UNSUBSCRIBE") == ">3\r\n" + bulk("unsubscribe") + "_\r\n" + int(0))
    }

    @Test("human-readable text is a verbatim string")
    func verbatim() {
        let h = resp3()
        #expect(h.run("INFO", "keyspace") == "=16\r\ntxt:# Keyspace\r\n\r\n")
        #expect(h.run("CLIENT", "INFO").hasPrefix("="))
        #expect(h.run("DEBUG", "PROTOCOL", "verbatim") == "=29\r\ntxt:This is a verbatim\nstring\r\n")
    }

    @Test("scripts: redis.setresp(3) hands RESP3 replies to Lua, and results follow the caller's protocol")
    func scripts() {
        let h = resp3()
        _ = h.run("HSET", "h", "f", "v")
        #expect(h.run("EVAL", "redis.setresp(3); return redis.call('hgetall', KEYS[1])", "1", "h") == "%1\r\n" + bulk("f") + bulk("v"))
        #expect(h.run("EVAL", "redis.setresp(3); return redis.call('get', 'nokey') == nil", "0") == "#t\r\n")
        #expect(h.run("EVAL", "redis.setresp(3); local r = redis.call('zscore', 'nokey', 'm'); return type(r)", "0") == bulk("nil"))
        #expect(h.run("EVAL", "return redis.call('get', 'nokey')", "0") == "_\r\n")
        #expect(h.run("EVAL", "return {double=3.5}", "0") == ",3.5\r\n")
        #expect(h.run("EVAL", "return {big_number='123'}", "0") == "(123\r\n")
        #expect(h.run("EVAL", "return {verbatim_string={format='txt', string='hi'}}", "0") == "=6\r\ntxt:hi\r\n")
        // A boolean is RESP3's only after redis.setresp(3); before it, Redis's RESP2 conversion.
        #expect(h.run("EVAL", "return false", "0") == "_\r\n")
        #expect(h.run("EVAL", "redis.setresp(3); return false", "0") == "#f\r\n")
        let resp2 = h.connect()
        #expect(resp2.run("EVAL", "redis.setresp(3); return false", "0") == int(0))
        #expect(resp2.run("EVAL", "return {verbatim_string={format='txt', string='hi'}}", "0") == bulk("hi"))
        #expect(resp2.run("EVAL", "return {map={a=1}}", "0") == "*2\r\n" + bulk("a") + int(1))
    }
}
