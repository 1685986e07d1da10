import KeyDBEngine
import Testing

/// SLOWLOG and what goes into it; shapes and texts as redis-server 7.0.15 gives them.
@Suite("slow log")
struct SlowLogTests {
    struct Entry: Equatable {
        var id: Int64
        var time: Int64
        var arguments: [String]
        var name: String
    }

    /// The slow log, newest first (the SLOWLOG GET asking is logged after it answers).
    private func entries(_ c: TestClient, count: String = "-1") -> [Entry] {
        c.value("SLOWLOG", "GET", count).array.map { fields in
            let f = fields.array
            #expect(f.count == 6)
            #expect((f[2].integer ?? -1) >= 0)
            #expect(f[4].string == "")  // the harness's sessions have no address
            return Entry(id: f[0].integer ?? -1, time: f[1].integer ?? -1,
                         arguments: f[3].array.map { $0.string ?? "?" }, name: f[5].string ?? "?")
        }
    }

    private func logging(_ h: EngineHarness, maxLen: Int = 128) {
        h.run("CONFIG", "SET", "slowlog-log-slower-than", "0")
        h.run("CONFIG", "SET", "slowlog-max-len", String(maxLen))
        h.run("SLOWLOG", "RESET")
    }

    @Test("every command is logged at threshold 0, newest first, with time, arguments and client name")
    func entryShape() {
        let h = EngineHarness()
        logging(h)
        h.run("CLIENT", "SETNAME", "worker")
        h.run("SET", "k", "v")
        let logged = entries(h.client)
        #expect(logged.map(\.arguments) == [["SET", "k", "v"], ["CLIENT", "SETNAME", "worker"], ["SLOWLOG", "RESET"]])
        #expect(logged.map(\.id) == [4, 3, 2])  // the CONFIG SETs before the RESET were 0 and 1
        #expect(logged.allSatisfy { $0.time == EngineHarness.startTime / 1000 })
        // The name is the client's when the command ran.
        #expect(logged.map(\.name) == ["worker", "worker", ""])
        #expect(h.run("SLOWLOG", "LEN") == int(4))
    }

    @Test("ids keep counting across SLOWLOG RESET; RESET empties the log")
    func idsAndReset() {
        let h = EngineHarness()
        logging(h)
        for _ in 0..<3 { h.run("PING") }
        #expect(h.run("SLOWLOG", "RESET") == ok)
        #expect(h.run("SLOWLOG", "LEN") == int(1))  // the RESET itself
        h.run("PING")
        #expect(entries(h.client).map(\.id) == [8, 7, 6])
    }

    @Test("slowlog-max-len keeps the newest; a shrink applies at the next command, not while the log is off")
    func maxLength() {
        let h = EngineHarness()
        logging(h, maxLen: 3)
        for key in ["a", "b", "c", "d", "e"] { h.run("GET", key) }
        #expect(h.run("SLOWLOG", "LEN") == int(3))
        #expect(entries(h.client).map { $0.arguments.last ?? "" } == ["LEN", "e", "d"])
        h.run("CONFIG", "SET", "slowlog-max-len", "10")
        for _ in 0..<12 { h.run("PING") }
        #expect(h.run("SLOWLOG", "LEN") == int(10))
        h.run("CONFIG", "SET", "slowlog-log-slower-than", "-1")
        h.run("CONFIG", "SET", "slowlog-max-len", "2")
        #expect(h.run("SLOWLOG", "LEN") == int(10))  // off: not logged, not trimmed
        h.run("CONFIG", "SET", "slowlog-log-slower-than", "1000000")
        #expect(h.run("SLOWLOG", "LEN") == int(2))  // on again: trimmed though not logged
        h.run("CONFIG", "SET", "slowlog-max-len", "0")
        h.run("PING")
        #expect(h.run("SLOWLOG", "LEN") == int(0))
    }

    @Test("only commands at least slowlog-log-slower-than µs long are logged")
    func threshold() {
        let h = EngineHarness()
        logging(h)
        h.run("CONFIG", "SET", "slowlog-log-slower-than", "5000")
        h.run("SLOWLOG", "RESET")
        h.run("PING")
        #expect(h.run("SLOWLOG", "LEN") == int(0))
        #expect(h.run("DEBUG", "SLEEP", "0.01") == ok)
        let logged = h.value("SLOWLOG", "GET").array
        #expect(logged.count == 1)
        #expect((logged.first?.array[2].integer ?? 0) >= 10_000)
        #expect(logged.first?.array[3].array.compactMap(\.string) == ["DEBUG", "SLEEP", "0.01"])
    }

    @Test("more than 32 arguments and arguments over 128 bytes are cut, with Redis's notes")
    func trimming() {
        let h = EngineHarness()
        logging(h)
        h.client.run(["SADD", "set"] + (3...33).map(String.init))
        let long = String(repeating: "A", count: 129)
        h.run("SADD", "set", "foo", long)
        let logged = entries(h.client, count: "2")
        #expect(logged[0].arguments == ["SADD", "set", "foo", String(repeating: "A", count: 128) + "... (1 more bytes)"])
        #expect(logged[1].arguments == ["SADD", "set"] + (3...31).map(String.init) + ["... (2 more arguments)"])
        // Exactly 32 arguments and exactly 128 bytes are kept whole.
        h.client.run(["DEL"] + (1...31).map { "k\($0)" })
        h.run("ECHO", String(repeating: "b", count: 128))
        let whole = entries(h.client, count: "2")
        #expect(whole[0].arguments == ["ECHO", String(repeating: "b", count: 128)])
        #expect(whole[1].arguments == ["DEL"] + (1...31).map { "k\($0)" })
    }

    @Test("SLOWLOG GET count: 10 by default, -1 for all, 0 for none; errors as Redis's")
    func getCount() {
        let h = EngineHarness()
        logging(h)
        for _ in 0..<20 { h.run("PING") }
        #expect(h.value("SLOWLOG", "GET").array.count == 10)
        #expect(h.value("SLOWLOG", "GET", "0").array.count == 0)
        #expect(h.value("SLOWLOG", "GET", "3").array.count == 3)
        #expect(h.value("SLOWLOG", "GET", "-1").array.count == 24)
        #expect(h.value("SLOWLOG", "GET", "1000").array.count == 25)
        let countError = "-ERR count should be greater than or equal to -1\r\n"
        h.script([
            ("SLOWLOG GET -2", countError), ("SLOWLOG GET -222", countError), ("SLOWLOG GET abc", countError),
            ("SLOWLOG GET 99999999999999999999", countError),
            ("SLOWLOG GET 1 2", "-ERR unknown subcommand or wrong number of arguments for 'GET'. Try SLOWLOG HELP.\r\n"),
            ("SLOWLOG LEN x", "-ERR wrong number of arguments for 'slowlog|len' command\r\n"),
            ("SLOWLOG", "-ERR wrong number of arguments for 'slowlog' command\r\n"),
            ("SLOWLOG foo", "-ERR unknown subcommand 'foo'. Try SLOWLOG HELP.\r\n"),
        ])
    }

    @Test("SLOWLOG HELP lists its subcommands under Redis's header and footer")
    func help() {
        let lines = EngineHarness().value("SLOWLOG", "HELP").array.compactMap(\.string)
        #expect(lines.first == "SLOWLOG <subcommand> [<arg> [value] [opt] ...]. Subcommands are:")
        #expect(["GET [<count>]", "LEN", "RESET", "HELP"].allSatisfy(lines.contains))
        #expect(lines.count == 12 && lines.last == "    Prints this help.")
    }

    @Test("EXEC is not logged, the commands it ran are")
    func transactions() {
        let h = EngineHarness()
        logging(h)
        h.run("MULTI")
        h.run("SET", "a", "1")
        h.run("INCR", "a")
        h.run("EXEC")
        #expect(entries(h.client).map { $0.arguments.first ?? "" } == ["INCR", "SET", "MULTI", "SLOWLOG"])
    }

    @Test("passwords are logged as (redacted): AUTH, HELLO AUTH, CONFIG SET requirepass")
    func redaction() {
        let h = EngineHarness()
        logging(h)
        h.run("AUTH", "secret")
        h.run("AUTH", "user", "secret")
        h.run("HELLO", "2", "AUTH", "default", "secret", "SETNAME", "n")
        h.run("CONFIG", "SET", "requirepass", "secret", "hz", "10")
        h.run("AUTH", "secret")
        h.run("CONFIG", "SET", "REQUIREPASS", "")
        h.run("ECHO", "secret")
        let logged = entries(h.client).reversed().map(\.arguments).dropFirst()
        #expect(Array(logged) == [
            ["AUTH", "(redacted)"], ["AUTH", "(redacted)", "(redacted)"],
            ["HELLO", "2", "AUTH", "(redacted)", "(redacted)", "SETNAME", "n"],
            ["CONFIG", "SET", "requirepass", "(redacted)", "hz", "10"], ["AUTH", "(redacted)"],
            ["CONFIG", "SET", "REQUIREPASS", "(redacted)"], ["ECHO", "secret"],
        ])
    }

    @Test("a blocking command is logged when served (after the push), not when it times out")
    func blocking() {
        let h = EngineHarness()
        logging(h)
        let waiter = h.connect(), pusher = h.connect()
        #expect(waiter.run("BLPOP", "list", "0") == "")
        #expect(h.run("SLOWLOG", "LEN") == int(1))  // the RESET only
        #expect(pusher.run("LPUSH", "list", "a") == int(1))
        #expect(waiter.takeDelivered() == "*2\r\n$4\r\nlist\r\n$1\r\na\r\n")
        #expect(entries(h.client, count: "2").map(\.arguments) == [["BLPOP", "list", "0"], ["LPUSH", "list", "a"]])

        h.run("SLOWLOG", "RESET")
        #expect(waiter.run("BLPOP", "none", "1") == "")
        let deadline = waiter.session.blocked?.deadline ?? 0
        #expect(deadline > 0)
        h.engine.blockTimedOut(waiter.session, deadline: deadline)
        #expect(waiter.takeDelivered() == "*-1\r\n")
        #expect(entries(h.client).map { $0.arguments.first ?? "" } == ["SLOWLOG"])

        // CLIENT UNBLOCK ends the wait: logged then, before the UNBLOCK itself.
        h.run("SLOWLOG", "RESET")
        #expect(waiter.run("BRPOP", "none", "0") == "")
        #expect(h.run("CLIENT", "UNBLOCK", String(waiter.session.id)) == int(1))
        #expect(entries(h.client, count: "2").map(\.arguments) == [["CLIENT", "UNBLOCK", String(waiter.session.id)], ["BRPOP", "none", "0"]])
    }

    @Test("the config options: defaults, limits and Redis's errors")
    func options() {
        let h = EngineHarness()
        let failed = "-ERR CONFIG SET failed (possibly related to argument "
        h.script([
            ("CONFIG GET slowlog-log-slower-than", "*2\r\n$23\r\nslowlog-log-slower-than\r\n$5\r\n10000\r\n"),
            ("CONFIG GET slowlog-max-len", "*2\r\n$15\r\nslowlog-max-len\r\n$3\r\n128\r\n"),
            ("CONFIG SET slowlog-log-slower-than -2", failed + "'slowlog-log-slower-than') - argument must be between -1 and 9223372036854775807 inclusive\r\n"),
            ("CONFIG SET slowlog-max-len -1", failed + "'slowlog-max-len') - argument must be between 0 and 9223372036854775807 inclusive\r\n"),
            ("CONFIG SET slowlog-log-slower-than -1", ok),
            ("CONFIG GET slowlog-log-slower-than", "*2\r\n$23\r\nslowlog-log-slower-than\r\n$2\r\n-1\r\n"),
        ])
    }
}
