import KeyDBEngine
import Testing

/// The background expiry walk: keys nobody reads still disappear.
@Suite("active expiry")
struct ActiveExpireTests {
    /// Fills db0 with `expiring` keys that expire after 1 s, `persistent` keys
    /// without TTL and `future` keys with a 1 h TTL.
    private func fill(_ h: EngineHarness, expiring: Int, persistent: Int, future: Int) {
        for i in 0..<expiring { h.run("SET", "exp:\(i)", "v", "PX", "1000") }
        for i in 0..<persistent { h.run("SET", "keep:\(i)", "v") }
        for i in 0..<future { h.run("SET", "later:\(i)", "v", "EX", "3600") }
    }

    @Test("expired keys disappear after hz cycles, without any read", arguments: [10, 1_000, 10_000])
    func expiresWithoutReads(_ expiring: Int) {
        let h = EngineHarness()
        fill(h, expiring: expiring, persistent: 100, future: 100)
        #expect(h.db.count == expiring + 200)
        #expect(h.db.volatileCount == expiring + 100)
        h.advance(milliseconds: 1001)
        for _ in 0..<h.engine.configuration.hz { h.engine.activeExpireCycle() }
        #expect(h.db.count == 200)
        #expect(h.db.volatileCount == 100)
        #expect(h.run("DBSIZE") == int(200))
        #expect(h.run("INFO", "keyspace").hasPrefix("$") && h.run("INFO", "keyspace").contains("# Keyspace\r\ndb0:keys=200,expires=100,avg_ttl="))
    }

    @Test("nothing expires before its time")
    func nothingEarly() {
        let h = EngineHarness()
        fill(h, expiring: 1_000, persistent: 10, future: 10)
        h.advance(milliseconds: 999)
        for _ in 0..<50 { h.engine.activeExpireCycle() }
        #expect(h.db.count == 1_020)
    }

    @Test("with hz 1 one cycle walks the whole table")
    func hzOne() {
        let h = EngineHarness()
        #expect(h.run("CONFIG", "SET", "hz", "1") == ok)
        fill(h, expiring: 5_000, persistent: 50, future: 0)
        h.advance(milliseconds: 1001)
        h.engine.activeExpireCycle()
        #expect(h.db.count == 50)
    }

    @Test("every database is walked")
    func everyDatabase() {
        let h = EngineHarness()
        for db in [0, 3, 15] {
            h.run("SELECT", "\(db)")
            for i in 0..<500 { h.run("SET", "k\(i)", "v", "PX", "\(1 + i % 7)") }
            h.run("SET", "keep", "v")
        }
        h.advance(milliseconds: 100)
        for _ in 0..<10 { h.engine.activeExpireCycle() }
        for db in [0, 3, 15] {
            #expect(h.engine.keyspace.databases[db].count == 1, "db\(db)")
        }
        #expect(h.engine.keyspace.keyCount == 3)
    }

    @Test("INFO expired_keys counts each actively expired key once")
    func expiredKeysStat() {
        let h = EngineHarness()
        fill(h, expiring: 300, persistent: 0, future: 0)
        h.advance(milliseconds: 1001)
        for _ in 0..<10 { h.engine.activeExpireCycle() }
        #expect(h.db.count == 0)
        let info = h.run("INFO", "stats")
        #expect(info.contains("\r\nexpired_keys:300\r\n"), "\(info.split(separator: "\r\n").filter { $0.hasPrefix("expired_keys") })")
    }

    @Test("keys expiring at different times go as their time comes")
    func staggered() {
        let h = EngineHarness()
        for i in 0..<2_000 { h.run("SET", "k\(i)", "v", "PX", "\(1000 * (1 + i % 4))") }
        for second in 1...4 {
            h.advance(milliseconds: 1000)
            h.advance(milliseconds: 1)
            for _ in 0..<10 { h.engine.activeExpireCycle() }
            h.advance(milliseconds: -1)
            #expect(h.db.count == 2_000 - 500 * second, "after \(second) s")
        }
    }
}
