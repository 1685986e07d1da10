import Dispatch
@testable import KeyDBEngine
import NIOConcurrencyHelpers
import Testing

/// Redis's lazyfree.c: which values go to the background thread, and the counts
/// INFO reports (the differential test in test_lazyfree.py checks them against Redis).
@Suite("lazy free")
struct LazyFreeTests {
    private func freed(_ h: EngineHarness) -> Int {
        h.engine.keyspace.lazyFree.drain()
        #expect(h.engine.keyspace.lazyFree.pending == 0)
        return h.engine.keyspace.lazyFree.freed
    }

    /// An engine with `lazyfree-lazy-<setting>` on.
    private func harness(lazy setting: String) -> EngineHarness {
        let h = EngineHarness()
        h.run("CONFIG", "SET", "lazyfree-lazy-\(setting)", "yes")
        return h
    }

    /// A set of 1,000 members: freed in the background when lazily deleted.
    private func bigSet(_ h: EngineHarness, _ key: String) {
        h.client.run(["SADD", key] + (0..<1_000).map { "m\($0)" })
    }

    @Test("free effort follows Redis's encodings: packed values are one allocation")
    func effort() {
        let h = EngineHarness()
        h.run("SADD", "ints", "1", "2", "3")
        for i in 0..<600 { h.run("SADD", "bigints", "\(i)") }
        for i in 0..<100 { h.run("SADD", "words", "w\(i)") }
        for i in 0..<100 { h.run("HSET", "packed", "f\(i)", "v") }
        for i in 0..<100 { h.run("ZADD", "packedz", "\(i)", "m\(i)") }
        for i in 0..<200 { h.run("ZADD", "z", "\(i)", "m\(i)") }
        h.run("RPUSH", "list", "a", "b")
        h.run("SET", "string", "v")
        func effort(_ key: String) -> Int {
            let slot = Bytes(key).withUnsafeBytes { h.db.peek($0, now: 0) }!
            return h.db.value(at: slot).freeEffort
        }
        #expect(effort("string") == 1)
        #expect(effort("ints") == 1)
        #expect(effort("bigints") == 600)  // past set-max-intset-entries: a hash table
        #expect(effort("words") == 100)
        #expect(effort("packed") == 1)  // still a listpack
        #expect(effort("packedz") == 1)
        #expect(effort("z") == 200)  // past zset-max-listpack-entries (128): a skiplist
        #expect(effort("list") == 1)  // one quicklist node
    }

    @Test("UNLINK frees a big value in the background, a small one in place")
    func unlink() {
        let h = EngineHarness()
        bigSet(h, "big")
        h.run("SADD", "small", "a")
        #expect(h.run("UNLINK", "small", "big", "missing") == int(2))
        #expect(freed(h) == 1)
        #expect(h.db.count == 0)
    }

    @Test("DEL frees in the background only with lazyfree-lazy-user-del")
    func del() {
        let h = EngineHarness()
        bigSet(h, "big")
        h.run("DEL", "big")
        #expect(freed(h) == 0)
        h.run("CONFIG", "SET", "lazyfree-lazy-user-del", "yes")
        bigSet(h, "big")
        h.run("DEL", "big")
        #expect(freed(h) == 1)
    }

    @Test("FLUSHALL ASYNC counts every key; SYNC and the default free in place")
    func flush() {
        let h = EngineHarness()
        for i in 0..<10 { h.run("SET", "k\(i)", "v") }
        h.run("FLUSHALL", "SYNC")
        h.run("SET", "k", "v")
        h.run("FLUSHDB")
        #expect(freed(h) == 0)
        for i in 0..<10 { h.run("SET", "k\(i)", "v") }
        h.run("FLUSHALL", "ASYNC")
        #expect(freed(h) == 10)
        #expect(h.db.count == 0)
        h.run("CONFIG", "SET", "lazyfree-lazy-user-flush", "yes")
        h.run("SET", "k", "v")
        h.run("FLUSHDB")
        #expect(freed(h) == 11)
        h.run("CONFIG", "RESETSTAT")
        #expect(freed(h) == 0)
    }

    @Test("a replaced value goes to the background with lazyfree-lazy-server-del, not a value stored back")
    func replaced() {
        let h = harness(lazy: "server-del")
        bigSet(h, "big")
        h.run("SET", "big", "v")
        #expect(freed(h) == 1)
        bigSet(h, "other")
        h.run("RENAME", "big", "other")
        #expect(freed(h) == 2)
        // A command storing a key's own collection back frees nothing.
        bigSet(h, "s")
        let value = Bytes("s").withUnsafeBytes { h.db.value(at: h.db.peek($0, now: 0)!) }
        _ = Bytes("s").withUnsafeBytes { h.db.set($0, value, now: 0) }
        #expect(freed(h) == 2)
        #expect(h.run("SCARD", "s") == int(1_000))
    }

    @Test("with lazyfree-lazy-eviction, a write waits for the evicted values still being freed instead of failing")
    func evictionWaitsForTheBackground() {
        let h = harness(lazy: "eviction")
        let engine = h.engine, lazyFree = engine.keyspace.lazyFree
        // used_memory: 1,000 bytes a key, and a million more while a value waits to be freed.
        engine.heapBytes = {
            engine.keyspace.databases.reduce(0) { $0 + $1.reservedTableBytes + $1.count * 1000 }
                + (lazyFree.pending > 0 ? 1_000_000 : 0)
        }
        // Tenacity 100: no time limit, so the wait is its one-second cap (the resume comes long before).
        h.run("CONFIG", "SET", "maxmemory-policy", "volatile-random", "maxmemory-eviction-tenacity", "100")
        h.run("CONFIG", "SET", "maxmemory", "1000")
        bigSet(h, "big")
        h.run("EXPIRE", "big", "1000")  // the only key eviction may take
        h.run("SET", "x", "v")  // now over the limit: the next command evicts
        lazyFree.suspend()
        // A queue of its own (GCD gives it a thread even when the shared pool is busy).
        DispatchQueue(label: "resume").asyncAfter(deadline: .now() + .milliseconds(20)) { lazyFree.resume() }
        #expect(h.run("SET", "y", "v") == "+OK\r\n")
        #expect(h.run("EXISTS", "big") == int(0))
        #expect(freed(h) == 1)
    }

    @Test("the wait for background frees ends once memory is under the limit, not when the queue is empty")
    func evictionWaitEndsUnderTheLimit() {
        let h = harness(lazy: "eviction")
        let engine = h.engine, lazyFree = engine.keyspace.lazyFree
        let over = NIOLockedValueBox(false)  // memory counted over the limit while set
        engine.heapBytes = { over.withLockedValue { $0 } ? 10_000_000 : 0 }
        h.run("CONFIG", "SET", "maxmemory-policy", "volatile-random", "maxmemory-eviction-tenacity", "100")
        h.run("CONFIG", "SET", "maxmemory", "1000")
        bigSet(h, "big")
        lazyFree.suspend()
        defer { lazyFree.resume() }
        h.run("UNLINK", "big")  // handed over, and held there: the queue never empties during the test
        #expect(lazyFree.pending == 1)
        over.withLockedValue { $0 = true }  // nothing evictable: the next command waits
        DispatchQueue(label: "under").asyncAfter(deadline: .now() + .milliseconds(10)) { over.withLockedValue { $0 = false } }
        let started = DispatchTime.now()
        #expect(h.run("SET", "y", "v") == "+OK\r\n")
        // Well before the one-second cap the old wait sat out (it waited for the queue to empty).
        #expect(DispatchTime.now().uptimeNanoseconds - started.uptimeNanoseconds < 900_000_000)
        #expect(lazyFree.pending == 1)
    }

    @Test("expiry frees in the background with lazyfree-lazy-expire")
    func expiry() {
        let h = harness(lazy: "expire")
        bigSet(h, "big")
        h.run("PEXPIRE", "big", "10")
        h.advance(milliseconds: 20)
        #expect(h.run("EXISTS", "big") == int(0))
        #expect(freed(h) == 1)
    }
}
