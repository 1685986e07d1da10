import KeyDBEngine
import KeyDBRESP
import Testing

/// maxmemory and its policies, on an engine whose memory use is made to be
/// 1,000 bytes per key, so the limit is a number of keys and every run exact.
@Suite("eviction")
struct EvictionTests {
    let h = EngineHarness()

    init() {
        let engine = h.engine
        // Whatever the real heap holds, used_memory here is 1,000 bytes per key.
        engine.heapBytes = {
            engine.keyspace.databases.reduce(0) { $0 + $1.reservedTableBytes + $1.count * 1000 }
        }
    }

    private func limit(keys: Int, policy: String, samples: Int = 5) {
        h.run("CONFIG", "SET", "maxmemory-policy", policy, "maxmemory-samples", String(samples))
        h.run("CONFIG", "SET", "maxmemory", String(keys * 1000))
    }

    private let oom = "-OOM command not allowed when used memory > 'maxmemory'.\r\n"

    @Test("noeviction refuses writes that may grow the dataset, and nothing else")
    func noeviction() {
        limit(keys: 3, policy: "noeviction")
        for key in ["a", "b", "c", "d"] { h.run("SET", key, "v") }  // over by one: the check comes before each command
        h.script([
            ("SET e v", oom), ("APPEND a more", oom),
            ("GET a", "$1\r\nv\r\n"), ("INCR missing", oom),
            ("DEL d", ":1\r\n"), ("DEL c", ":1\r\n"),
            ("SET e v", ok),
        ])
        #expect(h.value("DBSIZE").integer == 3)
    }

    @Test("inside MULTI every command but EXEC, DISCARD, QUIT and RESET is refused; EXEC then aborts")
    func multiUnderMemoryPressure() {
        limit(keys: 1, policy: "noeviction")
        h.run("SET", "a", "v")
        h.run("SET", "b", "v")
        h.script([
            ("MULTI", ok), ("GET a", oom), ("PING", oom),
            ("EXEC", "-EXECABORT Transaction discarded because of previous errors.\r\n"),
        ])
    }

    @Test("allkeys-lru deletes the key used longest ago")
    func allkeysLRU() {
        limit(keys: 3, policy: "allkeys-lru", samples: 16)
        h.run("SET", "a", "1")
        h.advance(seconds: 10)
        h.run("SET", "b", "2")
        h.advance(seconds: 10)
        h.run("SET", "c", "3")
        h.advance(seconds: 10)
        h.run("GET", "a")        // a is now the most recently used
        h.run("SET", "d", "4")   // over the limit: the next command evicts
        h.run("PING")
        #expect(h.value("EXISTS", "a", "b", "c", "d").integer == 3)
        #expect(h.value("EXISTS", "b").integer == 0)
        #expect(h.run("INFO", "stats").contains("evicted_keys:1\r\n"))
    }

    @Test("allkeys-lfu keeps the key used most often")
    func allkeysLFU() {
        limit(keys: 3, policy: "allkeys-lfu", samples: 16)
        for key in ["hot", "x", "y"] { h.run("SET", key, "v") }
        for _ in 0..<200 { h.run("GET", "hot") }
        h.run("SET", "z", "v")
        h.run("SET", "w", "v")
        h.run("PING")
        #expect(h.value("EXISTS", "hot").integer == 1)
        #expect(h.value("DBSIZE").integer == 3)
    }

    @Test("volatile-ttl deletes the key that expires soonest, and volatile policies spare keys without a TTL")
    func volatileTTL() {
        limit(keys: 3, policy: "volatile-ttl", samples: 16)
        h.run("SET", "keep", "v")
        h.run("SET", "late", "v", "EX", "1000")
        h.run("SET", "soon", "v", "EX", "10")
        h.run("SET", "new", "v", "EX", "500")
        h.run("PING")
        #expect(h.value("EXISTS", "soon").integer == 0)
        #expect(h.value("EXISTS", "keep", "late", "new").integer == 3)
        // Lowered to one key: only the volatile ones go; once none is left, writes are refused.
        h.run("CONFIG", "SET", "maxmemory", "1000")
        #expect(h.value("DBSIZE").integer == 1)
        #expect(h.run("SET", "another", "v") == ok)  // at the limit, not over it
        #expect(h.run("SET", "third", "v") == oom)
        #expect(h.value("EXISTS", "keep", "another").integer == 2)
    }

    @Test("random policies stay within the limit", arguments: ["allkeys-random", "volatile-random"])
    func randomPolicies(_ policy: String) {
        limit(keys: 50, policy: policy)
        for index in 0..<500 { #expect(h.run("SET", "k\(index)", "v", "EX", "100") == ok) }
        h.run("PING")
        #expect(h.value("DBSIZE").integer == 50)
    }

    @Test("an eviction is an `evicted` event and a DEL in the log")
    func evictionIsPropagated() {
        let feed = AppendOnlyFeed()
        h.engine.appendOnlyFeed = feed
        let subscriber = h.connect()
        h.run("CONFIG", "SET", "notify-keyspace-events", "Ee")
        subscriber.run("SUBSCRIBE", "__keyevent@0__:evicted")
        limit(keys: 1, policy: "allkeys-lru")
        h.run("SET", "a", "v")
        h.run("SET", "b", "v")
        h.run("SET", "c", "v")
        let message = subscriber.run("PING")  // a bare PING answers after the pushed messages
        #expect(message.contains("__keyevent@0__:evicted\r\n$1\r\na\r\n") || message.contains("__keyevent@0__:evicted\r\n$1\r\nb\r\n"))
        let logged = String(decoding: feed.buffer.readableBytesView, as: UTF8.self)
        #expect(logged.contains("$3\r\nDEL\r\n"))
    }

    @Test("lowering maxmemory evicts at once")
    func loweringTheLimit() {
        limit(keys: 100, policy: "allkeys-random")
        for index in 0..<20 { h.run("SET", "k\(index)", "v") }
        h.run("CONFIG", "SET", "maxmemory", "5000")
        #expect(h.value("DBSIZE").integer == 5)
    }
}
