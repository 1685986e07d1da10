import KeyDBEngine
import Testing

/// Command lookup, arity, authentication and HELLO; texts as redis-server 7.0.15 words them.
@Suite("dispatch")
struct DispatchTests {
    @Test("unknown commands echo their first arguments")
    func unknownCommand() {
        let h = EngineHarness()
        h.script([
            ("foo", "-ERR unknown command 'foo', with args beginning with: \r\n"),
            ("foo a b", "-ERR unknown command 'foo', with args beginning with: 'a' 'b' \r\n"),
            ("FOO \"a b\" c", "-ERR unknown command 'FOO', with args beginning with: 'a b' 'c' \r\n"),
        ])
        let x = String(repeating: "x", count: 100), y = String(repeating: "y", count: 100)
        #expect(h.run("foo", x, y, "zzz") == "-ERR unknown command 'foo', with args beginning with: '\(x)' '\(String(repeating: "y", count: 25))' \r\n")
        #expect(h.run(String(repeating: "C", count: 200)) == "-ERR unknown command '\(String(repeating: "C", count: 128))', with args beginning with: \r\n")
        #expect(h.run("foo", String(repeating: "x", count: 200)) == "-ERR unknown command 'foo', with args beginning with: '\(String(repeating: "x", count: 128))' \r\n")
        // CR and LF become spaces; a NUL cuts an argument short (C's %s).
        #expect(h.run("foo", "a\r\nb") == "-ERR unknown command 'foo', with args beginning with: 'a  b' \r\n")
        #expect(h.run(bytes: Array("foo".utf8), [97, 0, 98], [99]) == Array("-ERR unknown command 'foo', with args beginning with: 'a' 'c' \r\n".utf8))
        #expect(h.run(bytes: [102, 111, 0, 111], [99]) == Array("-ERR unknown command 'fo', with args beginning with: 'c' \r\n".utf8))
    }

    @Test("unknown subcommands")
    func unknownSubcommand() {
        let h = EngineHarness()
        h.script([
            ("config foo", "-ERR unknown subcommand 'foo'. Try CONFIG HELP.\r\n"),
            ("config foo bar", "-ERR unknown subcommand 'foo'. Try CONFIG HELP.\r\n"),
            ("CONFIG FOO", "-ERR unknown subcommand 'FOO'. Try CONFIG HELP.\r\n"),
            ("command foo", "-ERR unknown subcommand 'foo'. Try COMMAND HELP.\r\n"),
            ("client foo", "-ERR unknown subcommand 'foo'. Try CLIENT HELP.\r\n"),
            ("memory foo", "-ERR unknown subcommand 'foo'. Try MEMORY HELP.\r\n"),
        ])
        #expect(h.run("config", "x\ny") == "-ERR unknown subcommand 'x y'. Try CONFIG HELP.\r\n")
        #expect(h.run(bytes: Array("config".utf8), [97, 0, 98]) == Array("-ERR unknown subcommand 'a'. Try CONFIG HELP.\r\n".utf8))
    }

    @Test("wrong number of arguments", arguments: [
        ("get", "get"), ("get a b", "get"), ("set a", "set"), ("ping a b", "ping"), ("echo", "echo"),
        ("config", "config"), ("config get", "config|get"), ("config set a", "config|set"), ("config help x", "config|help"),
        ("GET", "get"), ("Config Get", "config|get"), ("ttl", "ttl"), ("del", "del"), ("mget", "mget"), ("incrbyfloat a", "incrbyfloat"),
        ("client", "client"), ("command count x", "command|count"),
    ])
    func wrongArity(_ line: String, _ name: String) {
        let h = EngineHarness()
        #expect(h.run(line: line) == "-ERR wrong number of arguments for '\(name)' command\r\n")
    }

    @Test("command names are case-insensitive")
    func caseInsensitive() {
        let h = EngineHarness()
        h.script([("sEt k v", ok), ("GeT k", bulk("v")), ("PING", "+PONG\r\n"), ("ping hello", bulk("hello")), ("EcHo x", bulk("x")),
                  // A 16-byte name (the longest kept inline), and subcommands, in any case.
                  ("ZrAnGeByScOrE nokey 0 1", "*0\r\n"), ("ZREVRANGEBYSCORE nokey 1 0", "*0\r\n"),
                  ("CoNfIg GeT hz", "*2\r\n$2\r\nhz\r\n$2\r\n10\r\n"), ("config GET HZ", "*2\r\n$2\r\nHZ\r\n$2\r\n10\r\n")])  // echoed as asked, like Redis
    }

    @Test("NOAUTH before AUTH when requirepass is set")
    func requirePass() {
        var configuration = Configuration()
        configuration.requirePass = "secret"
        let h = EngineHarness(configuration: configuration)
        let noauth = "-NOAUTH Authentication required.\r\n"
        let wrongpass = "-WRONGPASS invalid username-password pair or user is disabled.\r\n"
        h.script([
            ("GET a", noauth), ("PING", noauth), ("CONFIG GET x", noauth), ("SELECT 1", noauth),
            // Unknown commands and bad arity are reported before authentication.
            ("foo", "-ERR unknown command 'foo', with args beginning with: \r\n"),
            ("get", "-ERR wrong number of arguments for 'get' command\r\n"),
            ("AUTH wrong", wrongpass), ("AUTH default wrong", wrongpass), ("AUTH nobody secret", wrongpass),
            ("AUTH a b c", syntaxError),
            ("GET a", noauth),
            ("AUTH secret", ok), ("GET a", nullBulk), ("SET a 1", ok),
        ])
        #expect(h.session.authenticated)
        let other = h.connect()
        #expect(!other.session.authenticated)
        #expect(other.run("GET", "a") == noauth)
        #expect(other.run("AUTH", "default", "secret") == ok)
        #expect(other.run("GET", "a") == bulk("1"))
        // RESET forgets the authentication.
        #expect(other.run("RESET") == "+RESET\r\n")
        #expect(other.run("GET", "a") == noauth)
        #expect(other.run("QUIT") == ok)
    }

    @Test("AUTH without requirepass")
    func authWithoutPassword() {
        let h = EngineHarness()
        h.script([
            ("AUTH foo", "-ERR AUTH <password> called without any password configured for the default user. Are you sure your configuration is correct?\r\n"),
            ("AUTH default foo", ok),
            ("AUTH bar foo", "-WRONGPASS invalid username-password pair or user is disabled.\r\n"),
            ("AUTH a b c", syntaxError),
        ])
    }

    @Test("HELLO 2 answers the RESP2 handshake; versions other than 2 and 3 are refused with NOPROTO")
    func hello() {
        let h = EngineHarness()
        let id = h.session.id
        let expected = "*14\r\n$6\r\nserver\r\n$5\r\nredis\r\n$7\r\nversion\r\n$6\r\n7.0.15\r\n$5\r\nproto\r\n:2\r\n$2\r\nid\r\n:\(id)\r\n$4\r\nmode\r\n$10\r\nstandalone\r\n$4\r\nrole\r\n$6\r\nmaster\r\n$7\r\nmodules\r\n*0\r\n"
        #expect(h.run("HELLO") == expected)
        #expect(h.run("HELLO", "2") == expected)
        h.script([
            ("HELLO 1", "-NOPROTO unsupported protocol version\r\n"),
            ("HELLO 4", "-NOPROTO unsupported protocol version\r\n"),
            ("HELLO abc", "-ERR Protocol version is not an integer or out of range\r\n"),
            ("HELLO 99999999999999999999", "-ERR Protocol version is not an integer or out of range\r\n"),
            ("HELLO 2 foo", "-ERR Syntax error in HELLO option 'foo'\r\n"),
            ("HELLO 2 auth", "-ERR Syntax error in HELLO option 'auth'\r\n"),
            ("HELLO 2 setname", "-ERR Syntax error in HELLO option 'setname'\r\n"),
            ("HELLO 2 setname \"a b\"", "-ERR Client names cannot contain spaces, newlines or special characters.\r\n"),
            ("CLIENT GETNAME", nullBulk),
        ])
        #expect(h.run("HELLO", "2", "SETNAME", "myname") == expected)
        #expect(h.run("CLIENT", "GETNAME") == bulk("myname"))
    }

    @Test("HELLO with requirepass")
    func helloAuth() {
        var configuration = Configuration()
        configuration.requirePass = "secret"
        let h = EngineHarness(configuration: configuration)
        let helloNoAuth = "-NOAUTH HELLO must be called with the client already authenticated, otherwise the HELLO AUTH <user> <pass> option can be used to authenticate the client and select the RESP protocol version at the same time\r\n"
        h.script([
            ("HELLO", helloNoAuth), ("HELLO 2", helloNoAuth),
            ("HELLO 2 AUTH default wrong", "-WRONGPASS invalid username-password pair or user is disabled.\r\n"),
            ("GET a", "-NOAUTH Authentication required.\r\n"),
        ])
        #expect(h.run("HELLO", "2", "AUTH", "default", "secret", "SETNAME", "x").hasPrefix("*14\r\n$6\r\nserver\r\n"))
        #expect(h.run("GET", "a") == nullBulk)
        #expect(h.run("CLIENT", "GETNAME") == bulk("x"))
    }

    @Test("errors are counted in INFO errorstats")
    func errorStats() {
        let h = EngineHarness()
        h.run("foo")
        h.run("GET")
        h.run("SET", "k", "v", "NX", "XX")
        h.run("LPUSH", "l", "a")
        h.run("GET", "l")
        let info = h.run("INFO", "errorstats")
        #expect(info == bulk("# Errorstats\r\nerrorstat_ERR:count=3\r\nerrorstat_WRONGTYPE:count=1\r\n"))
        #expect(h.run("INFO", "stats").contains("\r\ntotal_error_replies:4\r\n"))
    }

    @Test("EXEC of queued writes is refused while the disk refuses writes; reads-only EXEC runs")
    func execUnderWriteRefusal() {
        let h = EngineHarness()
        h.run("MULTI"); h.run("SET", "k", "v")
        let reads = h.connect()
        reads.send("MULTI"); reads.send("GET", "k")
        h.engine.writeRefusal = ErrorReply.logWriteFailed("No space left on device")
        #expect(h.run("EXEC") == "-EXECABORT Transaction discarded because of: MISCONF Errors writing to the AOF file: No space left on device\r\n")
        reads.send("EXEC")
        #expect(reads.received() == "+OK\r\n+QUEUED\r\n*1\r\n$-1\r\n")
        h.engine.writeRefusal = nil
        #expect(h.run("GET", "k") == "$-1\r\n")
    }
}
