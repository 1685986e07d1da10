import KeyDBEngine
import Testing

/// OBJECT and the per-key access records behind IDLETIME and FREQ, on a hand-moved clock.
@Suite("OBJECT and access times")
struct ObjectCommandTests {
    @Test("the access record fits in the entry's padding: 64 bytes a key")
    func entryStaysSmall() {
        #expect(KeyTable.entryStride == 64)
    }

    @Test("IDLETIME counts seconds since the last read or write")
    func idleTime() {
        let h = EngineHarness()
        h.run("SET", "k", "v")
        h.advance(seconds: 10)
        #expect(h.run("OBJECT", "IDLETIME", "k") == int(10))
        h.run("GET", "k")
        #expect(h.run("OBJECT", "IDLETIME", "k") == int(0))
        h.advance(seconds: 3)
        h.run("APPEND", "k", "x")
        h.advance(milliseconds: 1500)
        #expect(h.run("OBJECT", "IDLETIME", "k") == int(1))
        #expect(h.run("OBJECT", "IDLETIME", "missing") == nullBulk)
    }

    @Test("EXISTS, TYPE, TTL, OBJECT and MEMORY USAGE are no access; TOUCH is")
    func notouchCommands() {
        let h = EngineHarness()
        h.run("SET", "k", "v")
        h.advance(seconds: 5)
        for command in [["EXISTS", "k"], ["TYPE", "k"], ["TTL", "k"], ["PTTL", "k"], ["OBJECT", "ENCODING", "k"], ["MEMORY", "USAGE", "k"]] {
            h.client.run(command)
        }
        #expect(h.run("OBJECT", "IDLETIME", "k") == int(5))
        #expect(h.run("TOUCH", "k", "nokey") == int(1))
        #expect(h.run("OBJECT", "IDLETIME", "k") == int(0))
    }

    @Test("CLIENT NO-TOUCH: reads leave the access time, TOUCH still sets it")
    func noTouch() {
        let h = EngineHarness()
        h.run("SET", "k", "v")
        h.advance(seconds: 7)
        #expect(h.run("CLIENT", "NO-TOUCH", "on") == ok)
        #expect(h.run("CLIENT", "INFO").contains(" flags=T "))
        h.run("GET", "k")
        #expect(h.run("OBJECT", "IDLETIME", "k") == int(7))
        // Inside a transaction too, except for TOUCH itself.
        h.run("MULTI"); h.run("GET", "k"); h.run("EXEC")
        #expect(h.run("OBJECT", "IDLETIME", "k") == int(7))
        h.run("MULTI"); h.run("TOUCH", "k"); h.run("EXEC")
        #expect(h.run("OBJECT", "IDLETIME", "k") == int(0))
        h.advance(seconds: 2)
        // Another client still touches.
        h.connect().run("GET", "k")
        #expect(h.run("OBJECT", "IDLETIME", "k") == int(0))
        #expect(h.run("CLIENT", "NO-TOUCH", "off") == ok)
        #expect(h.run("CLIENT", "NO-TOUCH", "maybe") == syntaxError)
    }

    @Test("LFU policies: FREQ starts at 5, grows on access, decays by the minute; IDLETIME refuses")
    func frequency() {
        let h = EngineHarness()
        h.run("SET", "k", "v")
        #expect(h.run("OBJECT", "FREQ", "k") == "-ERR An LFU maxmemory policy is not selected, access frequency not tracked. Please note that when switching between policies at runtime LRU and LFU data will take some time to adjust.\r\n")
        #expect(h.run("CONFIG", "SET", "maxmemory-policy", "allkeys-lfu") == ok)
        h.run("SET", "f", "v")
        #expect(h.run("OBJECT", "FREQ", "f") == int(5))
        h.run("GET", "f")  // from 5 the first increment is certain
        #expect(h.run("OBJECT", "FREQ", "f") == int(6))
        h.advance(seconds: 120)  // lfu-decay-time 1: one step a minute
        #expect(h.run("OBJECT", "FREQ", "f") == int(4))
        #expect(h.run("CONFIG", "SET", "lfu-decay-time", "0") == ok)
        #expect(h.run("OBJECT", "FREQ", "f") == int(6))
        #expect(h.run("OBJECT", "IDLETIME", "f") == "-ERR An LFU maxmemory policy is selected, idle time not tracked. Please note that when switching between policies at runtime LRU and LFU data will take some time to adjust.\r\n")
        #expect(h.run("OBJECT", "FREQ", "missing") == nullBulk)
    }

    @Test("ENCODING answers what Redis 7.0 holds each value as")
    func encodings() {
        let h = EngineHarness()
        let long44 = String(repeating: "x", count: 44), long45 = String(repeating: "x", count: 45)
        h.run("SET", "int", "12345"); h.run("SET", "neg", "-9223372036854775808"); h.run("SET", "lead0", "012")
        h.run("SET", "emb", long44); h.run("SET", "raw", long45)
        h.run("SET", "app", "12"); h.run("APPEND", "app", "3")
        h.run("SETRANGE", "rng", "0", "ab"); h.run("SETBIT", "bit", "1", "1")
        h.run("INCRBYFLOAT", "flt", "2"); h.run("INCR", "ctr")
        h.run("RPUSH", "list", "a")
        h.run("HSET", "hash", "f", "v"); h.run("HSET", "bighash", "f", String(repeating: "v", count: 65))
        h.run("SADD", "ints", "1", "-2"); h.run("SADD", "strs", "1", "a")
        h.run("ZADD", "zs", "1", "a"); h.run("ZADD", "bigz", "1", String(repeating: "m", count: 65))
        let expected = ["int": "int", "neg": "int", "lead0": "embstr", "emb": "embstr", "raw": "raw", "app": "raw",
                        "rng": "raw", "bit": "raw", "flt": "embstr", "ctr": "int", "list": "quicklist",
                        "hash": "listpack", "bighash": "hashtable", "ints": "intset", "strs": "hashtable",
                        "zs": "listpack", "bigz": "skiplist"]
        for (key, encoding) in expected {
            #expect(h.run("OBJECT", "ENCODING", key) == bulk(encoding), "\(key)")
        }
        // SET gives a string back its compact encoding.
        h.run("SET", "app", "123")
        #expect(h.run("OBJECT", "ENCODING", "app") == bulk("int"))
        #expect(h.run("OBJECT", "ENCODING", "missing") == nullBulk)
        // A lower set-max-intset-entries leaves an intset as it is, until a member is added.
        #expect(h.run("CONFIG", "SET", "set-max-intset-entries", "1") == ok)
        #expect(h.run("OBJECT", "ENCODING", "ints") == bulk("intset"))
        h.run("SADD", "ints", "99")
        #expect(h.run("OBJECT", "ENCODING", "ints") == bulk("hashtable"))
    }

    @Test("REFCOUNT: Redis's shared integers 0...9999, else 1")
    func refcount() {
        let h = EngineHarness()
        h.run("SET", "small", "9999"); h.run("SET", "big", "10000"); h.run("SET", "text", "v")
        h.run("SET", "edited", "1"); h.run("APPEND", "edited", "2"); h.run("RPUSH", "list", "1")
        #expect(h.run("OBJECT", "REFCOUNT", "small") == int(2147483647))
        for key in ["big", "text", "edited", "list"] {
            #expect(h.run("OBJECT", "REFCOUNT", key) == int(1), "\(key)")
        }
        #expect(h.run("OBJECT", "REFCOUNT", "missing") == nullBulk)
    }

    @Test("HELP and argument errors as Redis words them")
    func helpAndErrors() {
        let h = EngineHarness()
        let help = h.value("OBJECT", "HELP").array.compactMap(\.string)
        #expect(help.first == "OBJECT <subcommand> [<arg> [value] [opt] ...]. Subcommands are:")
        #expect(help.count == 15)
        #expect(help.last == "    Prints this help.")
        #expect(h.run("OBJECT", "ENCODING") == "-ERR wrong number of arguments for 'object|encoding' command\r\n")
        #expect(h.run("OBJECT", "NOPE", "k") == "-ERR unknown subcommand 'NOPE'. Try OBJECT HELP.\r\n")
        #expect(h.run("OBJECT") == "-ERR wrong number of arguments for 'object' command\r\n")
    }
}
