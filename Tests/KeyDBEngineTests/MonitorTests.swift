import KeyDBEngine
import Testing

/// MONITOR: which commands a monitor sees, in what form, and what a monitor may do.
@Suite("monitor")
struct MonitorTests {
    /// The monitor lines delivered since the last look, with the time masked:
    /// `+1700000000.123456 [0 ] "get" "k"` becomes `[0 ] "get" "k"`.
    private func lines(_ monitor: TestClient) -> [String] {
        monitor.takeDelivered().split(separator: "\r\n").map { line in
            let text = String(line)
            #expect(text.wholeMatch(of: try! Regex(#"\+\d{10}\.\d{6} \[\d+ [^\]]*\] .*"#)) != nil, "\(text)")
            return String(text.drop { $0 != "[" })
        }
    }

    private func monitoring(_ h: EngineHarness) -> TestClient {
        let monitor = h.connect()
        #expect(monitor.run("MONITOR") == ok)
        return monitor
    }

    /// Runs `commands` on one client of a fresh engine; what a monitor on another saw.
    private func seen(_ commands: [[String]]) -> [String] {
        let h = EngineHarness()
        let monitor = monitoring(h)
        for command in commands { h.client.run(command) }
        return lines(monitor)
    }

    @Test("every command another client runs, after it ran, as Redis quotes it")
    func lineFormat() {
        #expect(seen([["SET", "k", "a\"b\\c\n\r\t\u{07}\u{08}\u{00}é ~"], ["GET", "k"], ["SELECT", "3"], ["PING"]]) == [
            #"[0 ] "SET" "k" "a\"b\\c\n\r\t\a\b\x00\xc3\xa9 ~""#,
            #"[0 ] "GET" "k""#,
            #"[3 ] "SELECT" "3""#,
            #"[3 ] "PING""#,
        ])
    }

    @Test("not shown: admin commands and refused ones; shown: non-admin subcommands")
    func whichCommands() {
        let commands = [["CONFIG", "GET", "hz"], ["SLOWLOG", "LEN"], ["DEBUG", "SLEEP", "0"], ["CLIENT", "LIST"], ["GET"],
                        ["NOSUCH", "x"], ["SLOWLOG", "HELP"], ["CLIENT", "ID"], ["INFO", "server"]]
        #expect(seen(commands) == [#"[0 ] "SLOWLOG" "HELP""#, #"[0 ] "CLIENT" "ID""#, #"[0 ] "INFO" "server""#])
    }

    @Test("a monitor sees its own commands, each after its reply")
    func ownCommands() {
        let h = EngineHarness()
        let monitor = monitoring(h)
        let reply = monitor.run("PING")
        #expect(reply.hasPrefix("+PONG\r\n+"))
        #expect(reply.hasSuffix(" [0 ] \"PING\"\r\n"))
        #expect(monitor.run("MONITOR") == "")  // admin: not shown either
    }

    @Test("passwords show as (redacted)")
    func redaction() {
        let commands = [["AUTH", "not-real"], ["AUTH", "not-real", "not-a-password"],
                        ["HELLO", "2", "AUTH", "not-real", "not-a-password"]]
        #expect(seen(commands) == [
            #"[0 ] "AUTH" "(redacted)""#,
            #"[0 ] "AUTH" "(redacted)" "(redacted)""#,
            #"[0 ] "HELLO" "2" "AUTH" "(redacted)" "(redacted)""#,
        ])
    }

    @Test("MULTI/EXEC: MULTI, the commands EXEC ran, then EXEC; a discarded transaction shows MULTI and EXEC")
    func transactions() {
        let commands = [["MULTI"], ["SET", "foo", "bar"], ["EXEC"], ["MULTI"], ["SYNTAX", "error"], ["EXEC"]]
        #expect(seen(commands) == [#"[0 ] "MULTI""#, #"[0 ] "SET" "foo" "bar""#, #"[0 ] "EXEC""#,
                                   #"[0 ] "MULTI""#, #"[0 ] "EXEC""#])
    }

    @Test("a blocking command shows when it is sent, not when it is served")
    func blocking() {
        let h = EngineHarness()
        let monitor = monitoring(h)
        let waiter = h.connect()
        #expect(waiter.run("BLPOP", "list", "0") == "")
        #expect(lines(monitor) == [#"[0 ] "BLPOP" "list" "0""#])
        h.run("LPUSH", "list", "a")
        #expect(lines(monitor) == [#"[0 ] "LPUSH" "list" "a""#])
    }

    @Test("a monitor may not touch keys; MONITOR again is ignored; RESET and disconnect end monitoring")
    func monitorMode() {
        let h = EngineHarness()
        let monitor = monitoring(h)
        let replica = "-ERR Replica can't interact with the keyspace\r\n"
        #expect(monitor.run("GET", "k") == replica)
        #expect(monitor.run("SET", "k", "v") == replica)
        #expect(monitor.run("PUBLISH", "c", "m") == replica)
        #expect(monitor.run("MONITOR") == "")
        #expect(h.value("CLIENT", "LIST").string?.contains("flags=O") == true)
        #expect(monitor.run("RESET") == "+RESET\r\n")
        #expect(monitor.run("GET", "k") == nullBulk)
        h.run("PING")
        #expect(monitor.takeDelivered() == "")
        #expect(h.value("CLIENT", "LIST").string?.contains("flags=O") == false)
        // Gone: another monitor still gets lines, the closed one is no longer written to.
        let second = monitoring(h), third = monitoring(h)
        h.engine.unregister(second.session)
        h.run("PING")
        #expect(second.takeDelivered() == "")
        #expect(lines(third) == [#"[0 ] "PING""#])
        // The refused GET counts as rejected, the GET after RESET as a call.
        let stats = h.value("INFO", "commandstats").string?.split(separator: "\r\n") ?? []
        let get = stats.first { $0.hasPrefix("cmdstat_get:") } ?? ""
        #expect(get.hasPrefix("cmdstat_get:calls=1,") && get.hasSuffix(",rejected_calls=1,failed_calls=0"), "\(get)")
    }

    @Test("nothing is shown while the dataset loads")
    func loading() {
        let h = EngineHarness()
        let monitor = monitoring(h)
        h.engine.loading = true
        #expect(h.run("TIME").hasPrefix("*2\r\n"))  // runs while loading, unseen
        h.engine.loading = false
        h.run("ECHO", "loaded")
        #expect(lines(monitor) == [#"[0 ] "ECHO" "loaded""#])
    }

    @Test("MONITOR inside MULTI is refused at EXEC")
    func insideTransaction() {
        let h = EngineHarness()
        h.script([
            ("MULTI", ok), ("MONITOR", "+QUEUED\r\n"),
            ("EXEC", "*1\r\n-ERR MONITOR isn't allowed for DENY BLOCKING client\r\n"),
            ("MONITOR x", "-ERR wrong number of arguments for 'monitor' command\r\n"),
        ])
    }
}
