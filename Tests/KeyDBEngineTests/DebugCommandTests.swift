import KeyDBEngine
import Testing

/// DEBUG DIGEST: the same data gives the same fingerprint whatever order it was built in.
@Suite struct DebugCommandTests {
    @Test func digestIgnoresInsertionOrderButNotContent() {
        let a = EngineHarness(), b = EngineHarness()
        #expect(a.value("DEBUG", "DIGEST").string == String(repeating: "0", count: 40))
        a.run("SADD", "s", "x", "y", "z"); a.run("HSET", "h", "f", "1", "g", "2"); a.run("SET", "k", "v")
        b.run("SET", "k", "v"); b.run("HSET", "h", "g", "2", "f", "1"); b.run("SADD", "s", "z", "y", "x")
        #expect(a.value("DEBUG", "DIGEST") == b.value("DEBUG", "DIGEST"))
        #expect(a.value("DEBUG", "DIGEST-VALUE", "s") == b.value("DEBUG", "DIGEST-VALUE", "s"))
        b.run("RPUSH", "l", "1", "2")
        a.run("RPUSH", "l", "2", "1")
        #expect(a.value("DEBUG", "DIGEST") != b.value("DEBUG", "DIGEST"), "list order is content")
        // Status replies, as Redis's.
        #expect(a.value("DEBUG", "DIGEST-VALUE", "missing").array == [.simple(String(repeating: "0", count: 40))])
        #expect(EngineHarness().run("DEBUG", "DIGEST") == "+" + String(repeating: "0", count: 40) + "\r\n")
        #expect(a.run("DEBUG", "NOSUCH") == "-ERR unknown subcommand or wrong number of arguments for 'NOSUCH'. Try DEBUG HELP.\r\n")
    }

    @Test func quicklistPackedThresholdGivesElementsNodesOfTheirOwn() {
        let h = EngineHarness()
        #expect(h.run("DEBUG", "QUICKLIST-PACKED-THRESHOLD", "1b") == ok)
        h.run("RPUSH", "l", "a", "bb", "ccc")
        // As redis-server 7.0.15 describes and dumps the same list: three plain nodes.
        #expect(h.run("DEBUG", "OBJECT", "l").hasSuffix(" ql_nodes:3 ql_avg_node:1.00 ql_listpack_max:-2 ql_compressed:0 ql_uncompressed_size:6\r\n"))
        guard case .bulk(let dump?) = h.value("DUMP", "l") else { Issue.record("DUMP gave no bulk"); return }
        #expect(Array(dump.prefix(14)) == [0x12, 3, 1, 1, 0x61, 1, 2, 0x62, 0x62, 1, 3, 0x63, 0x63, 0x63])
        #expect(h.run("DEBUG", "QUICKLIST-PACKED-THRESHOLD", "0") == ok)
        #expect(h.run("DEBUG", "OBJECT", "l").contains(" ql_nodes:1 "))
        for bad in ["-1", "+5", "abc", "5gb", "4293918721"] {
            #expect(h.run("DEBUG", "QUICKLIST-PACKED-THRESHOLD", bad) == "-ERR argument must be a memory value bigger than 1 and smaller than 4gb\r\n")
        }
        #expect(h.run("DEBUG", "QUICKLIST-PACKED-THRESHOLD", "4293918720") == ok)
    }

    @Test func setActiveExpireStopsTheCycleAndObjectDescribesStoredValues() {
        let h = EngineHarness()
        h.run("SET", "k", "hello")
        let line = h.run("DEBUG", "OBJECT", "k")
        // serializedlength: the RDB body of "hello" is its length byte and 5 bytes.
        #expect(line.hasPrefix("+Value at:0x") && line.contains(" refcount:1 encoding:embstr serializedlength:6 lru:"), "\(line)")
        #expect(h.run("DEBUG", "OBJECT", "nosuch") == "-ERR no such key\r\n")
        h.run("RPUSH", "l", "a", "b", "c")
        // As redis-server 7.0.15 describes the same list.
        #expect(h.run("DEBUG", "OBJECT", "l").contains(" encoding:quicklist serializedlength:19 lru:"))
        #expect(h.run("DEBUG", "OBJECT", "l").hasSuffix(" ql_nodes:1 ql_avg_node:3.00 ql_listpack_max:-2 ql_compressed:0 ql_uncompressed_size:16\r\n"))
        #expect(h.run("DEBUG", "SET-ACTIVE-EXPIRE", "0") == ok)
        h.run("SET", "t", "v", "PX", "10")
        h.advance(milliseconds: 50)
        h.engine.activeExpireCycle()
        // Still stored (DEBUG OBJECT sees it) until something touches it.
        #expect(h.run("DEBUG", "OBJECT", "t").hasPrefix("+Value at:"))
        #expect(h.run("DEL", "t") == int(0))
        #expect(h.run("DEBUG", "SET-ACTIVE-EXPIRE", "1") == ok)
        h.run("SET", "u", "v", "PX", "10")
        h.advance(milliseconds: 50)
        h.engine.activeExpireCycle()
        #expect(h.run("DEBUG", "OBJECT", "u") == "-ERR no such key\r\n")
    }
}
