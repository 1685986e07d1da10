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
        #expect(a.value("DEBUG", "DIGEST-VALUE", "missing").array == [.bulk(Array(String(repeating: "0", count: 40).utf8))])
        #expect(a.run("DEBUG", "NOSUCH") == "-ERR Unknown subcommand or wrong number of arguments for 'NOSUCH'. Try DEBUG HELP.\r\n")
    }
}
