import KeyDBEngine
import NIOConcurrencyHelpers
import Testing

/// DEBUG: DIGEST's fingerprint (the same whatever order the data was built in, and Redis's
/// digits), the object and threshold subcommands, SET-ACTIVE-EXPIRE.
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

    /// The digits redis-server 7.0.15 gave for the same commands: the digest is Redis's own,
    /// so a Redis replica and its SwiftKeyDB master can be compared with one command.
    @Test func digestIsRedisSHA1Digest() {
        let h = EngineHarness()
        h.run("SET", "k", "v")
        #expect(h.value("DEBUG", "DIGEST").string == "264ccf65edec66bccfa7cc659414ccca432057d2")
        #expect(h.value("DEBUG", "DIGEST-VALUE", "k", "missing").array ==
                [.simple("d79ee9fe5d5ad902d7f6620efc3b07b75ddd742f"), .simple(String(repeating: "0", count: 40))])
        h.run("FLUSHALL")
        h.run("RPUSH", "l", "a", "b", "1"); h.run("SADD", "s", "x", "2"); h.run("ZADD", "z", "1.5", "m", "2", "n")
        h.run("HSET", "h", "f", "v"); h.run("XADD", "st", "1-1", "a", "b"); h.run("SET", "e", "1", "EX", "100")
        #expect(h.value("DEBUG", "DIGEST").string == "a1ff144f06832b3a72aa9eb035b33b587809edf9")
        #expect(h.value("DEBUG", "DIGEST-VALUE", "l", "s", "z", "h", "st", "e").array == [
            "981fd62c1655c074205cff40b800bd5a5bfdcd41", "7904f640014061fb37c6855115964bd3eaaed924",
            "908aeffe4e922542b456cb5c8f5b1961a763d7dd", "90c76e9e9f4c62d642a34fc97c7dad503b51f906",
            "db20534e81d36b705394fcfc8a61996efb6e5a7c", "5279988c5d1911f474bcbbf2f0a87012d40f8459",
        ].map { .simple($0) })
    }

    @Test func populateMakesNumberedKeysAndLeavesExistingOnes() {
        let h = EngineHarness()
        h.run("SET", "key:1", "mine")
        #expect(h.run("DEBUG", "POPULATE", "3") == ok)
        #expect(h.value("MGET", "key:0", "key:1", "key:2").array == [.bulk(Array("value:0".utf8)), .bulk(Array("mine".utf8)),
                                                                    .bulk(Array("value:2".utf8))])
        #expect(h.run("DEBUG", "POPULATE", "2", "p", "9") == ok)
        #expect(h.value("GET", "p:1") == .bulk(Array("value:1".utf8) + [0, 0]))
        #expect(h.run("DEBUG", "POPULATE", "2", "q", "3") == ok)
        #expect(h.value("GET", "q:1") == .bulk(Array("val".utf8)))
        #expect(h.value("DBSIZE") == .integer(7))
        for bad in [["-1"], ["x"], ["1", "p", "-1"]] {
            #expect(h.client.run(["DEBUG", "POPULATE"] + bad) == "-ERR value is out of range, must be positive\r\n")
        }
        #expect(h.run("DEBUG", "POPULATE", "1", "p", "999999999999") == "-ERR string exceeds maximum allowed size (proto-max-bulk-len)\r\n")
    }

    @Test func logWritesTheMessageAndChangeReplIDStartsANewHistory() {
        let h = EngineHarness()
        let logged = NIOLockedValueBox<[String]>([])
        h.engine.logWarning = { text in logged.withLockedValue { $0.append(text) } }
        #expect(h.run(bytes: Array("DEBUG".utf8), Array("LOG".utf8), Array("### test\u{0}hidden".utf8)) == Array("+OK\r\n".utf8))
        let before = h.engine.replication.replid
        #expect(h.run("DEBUG", "CHANGE-REPL-ID") == ok)
        #expect(h.engine.replication.replid != before && h.engine.replication.replid.count == 40)
        #expect(h.run("INFO", "replication").contains("master_replid2:0000000000000000000000000000000000000000\r\nmaster_repl_offset:0\r\nsecond_repl_offset:-1\r\n"))
        #expect(logged.withLockedValue { $0 } == ["DEBUG LOG: ### test", "Changing replication IDs after receiving DEBUG change-repl-id"])
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
