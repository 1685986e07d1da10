import KeyDBEngine
import Testing

/// CLIENT KILL, old and filter forms, with replies and errors as Redis 7.0.15 gives them.
@Suite("CLIENT KILL")
struct ClientKillTests {
    /// The harness's own client plus three others with distinct addresses.
    private func setUp() -> (EngineHarness, [TestClient]) {
        let h = EngineHarness()
        let others = [
            h.connect(address: "10.0.0.1:1001", localAddress: "127.0.0.1:6379"),
            h.connect(address: "10.0.0.2:1002", localAddress: "127.0.0.1:6379"),
            h.connect(address: "10.0.0.3:1003", localAddress: "127.0.0.1:6380"),
        ]
        return (h, others)
    }

    @Test("each filter alone, and filters combined (all must match)")
    func filters() {
        let (h, c) = setUp()
        #expect(h.run("CLIENT", "KILL", "ADDR", "10.0.0.9:1") == int(0))
        #expect(h.run("CLIENT", "KILL", "ADDR", "10.0.0.1:1001") == int(1))
        #expect(c[0].session.killRequested && c[0].woken.value)
        #expect(h.engine.clients[c[0].session.id] == nil)
        // LADDR and ID must both hold.
        #expect(h.run("CLIENT", "KILL", "LADDR", "127.0.0.1:6379", "ID", "\(c[2].session.id)") == int(0))
        #expect(h.run("CLIENT", "KILL", "laddr", "127.0.0.1:6380", "id", "\(c[2].session.id)") == int(1))
        #expect(!c[1].session.killRequested)
        #expect(h.run("CLIENT", "KILL", "USER", "default", "SKIPME", "yes") == int(1))
        #expect(c[1].session.killRequested)
        #expect(h.engine.clients.count == 1)
        #expect(!h.session.closeAfterReply)
    }

    @Test("TYPE: subscribers are pubsub, the rest normal; master and replica match none")
    func types() {
        let (h, c) = setUp()
        c[1].run("SUBSCRIBE", "ch")
        #expect(h.run("CLIENT", "KILL", "TYPE", "master") == int(0))
        #expect(h.run("CLIENT", "KILL", "TYPE", "slave") == int(0))
        #expect(h.run("CLIENT", "KILL", "TYPE", "replica") == int(0))
        #expect(h.run("CLIENT", "LIST", "TYPE", "pubsub").contains("id=\(c[1].session.id) "))
        #expect(h.run("CLIENT", "KILL", "TYPE", "PubSub") == int(1))
        // The subscription went with the client.
        #expect(h.run("PUBLISH", "ch", "m") == int(0))
        #expect(h.run("CLIENT", "KILL", "TYPE", "normal") == int(2))
        #expect(h.run("CLIENT", "KILL", "TYPE", "normal", "SKIPME", "no") == int(1))
        #expect(h.session.closeAfterReply)
    }

    @Test("the old form: OK or No such client, and it may kill the caller")
    func oldForm() {
        let (h, c) = setUp()
        #expect(h.run("CLIENT", "KILL", "10.0.0.2:1002") == ok)
        #expect(c[1].session.killRequested)
        #expect(h.run("CLIENT", "KILL", "10.0.0.2:1002") == "-ERR No such client\r\n")
        let me = h.connect(address: "10.0.0.7:7")
        #expect(me.run("CLIENT", "KILL", "10.0.0.7:7") == ok)
        #expect(me.session.closeAfterReply)
    }

    @Test("a blocked client leaves its wait at once")
    func blockedVictim() {
        let (h, c) = setUp()
        c[0].send("BLPOP", "q", "0")
        #expect(h.run("INFO", "clients").contains("blocked_clients:1"))
        #expect(h.run("CLIENT", "KILL", "ID", "\(c[0].session.id)") == int(1))
        #expect(h.run("INFO", "clients").contains("blocked_clients:0"))
        h.run("RPUSH", "q", "x")
        #expect(h.run("LLEN", "q") == int(1))
    }

    @Test("errors, in Redis's words")
    func errors() {
        let h = EngineHarness()
        h.script([
            ("CLIENT KILL", "-ERR wrong number of arguments for 'client|kill' command\r\n"),
            ("CLIENT KILL ID 0", "-ERR client-id should be greater than 0\r\n"),
            ("CLIENT KILL ID -5", "-ERR client-id should be greater than 0\r\n"),
            ("CLIENT KILL ID abc", "-ERR client-id should be greater than 0\r\n"),
            ("CLIENT KILL TYPE foo", "-ERR Unknown client type 'foo'\r\n"),
            ("CLIENT KILL USER nobody", "-ERR No such user 'nobody'\r\n"),
            ("CLIENT KILL SKIPME maybe", syntaxError),
            ("CLIENT KILL ID 1 TYPE", syntaxError),
            ("CLIENT KILL FOO bar", syntaxError),
            ("CLIENT KILL ID 999 TYPE normal", int(0)),
        ])
    }

    @Test("CLIENT NO-EVICT is stored and listed as flag e")
    func noEvict() {
        let h = EngineHarness()
        #expect(h.run("CLIENT", "NO-EVICT", "ON") == ok)
        #expect(h.run("CLIENT", "INFO").contains(" flags=e "))
        #expect(h.run("CLIENT", "NO-EVICT", "off") == ok)
        #expect(h.run("CLIENT", "INFO").contains(" flags=N "))
        #expect(h.run("CLIENT", "NO-EVICT", "x") == syntaxError)
    }
}
