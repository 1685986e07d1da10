import KeyDBRESP

/// MONITOR: a client that asks sees every command the server runs afterwards,
/// its own included, as one status line each (Redis's replicationFeedMonitors).
enum MonitorCommand {
    static func monitor(_ c: ClientSession, _ args: Arguments) {
        // Inside EXEC a client expects one reply per command; a monitor gets a stream.
        guard !c.denyBlocking else { return c.replyError(ErrorReply.monitorDenyBlocking) }
        // Asking again changes nothing, and Redis does not answer.
        guard !c.isMonitor else { return }
        c.engine.addMonitor(c)
        c.replyOK()
    }
}

extension Engine {
    func addMonitor(_ client: ClientSession) {
        client.isMonitor = true
        monitors.append(client)
    }

    /// Out of monitor mode (RESET, disconnect).
    func removeMonitor(_ client: ClientSession) {
        guard client.isMonitor else { return }
        client.isMonitor = false
        monitors.removeAll { $0 === client }
    }

    /// Sends every monitor `+<unix s>.<µs> [<db> <address>] "arg" ...` for a command
    /// `client` just ran; redacted arguments show as "(redacted)".
    func feedMonitors(_ client: ClientSession, _ args: Arguments, at microseconds: Int64) {
        let fraction = String(microseconds % 1_000_000)
        // As in Redis: a script's commands show as lua's, a Unix socket client as unix:<path>.
        let origin = client.isScriptClient ? "lua" : client.isUnixSocket ? "unix:\(client.engine.configuration.unixSocket)" : client.address
        var line = Array("+\(microseconds / 1_000_000).\(String(repeating: "0", count: 6 - fraction.count))\(fraction) [\(client.db.index) \(origin)]".utf8)
        for index in 0..<args.count {
            line.append(32)
            if client.redactedArguments.contains(index) {
                SlowLog.redacted.withUnsafeBytes { Repr.appendQuoted($0, to: &line) }
            } else {
                Repr.appendQuoted(args[index], to: &line)
            }
        }
        line += [13, 10]
        for monitor in monitors {
            monitor.reply.writeBytes(line)
            deliver(to: monitor)
        }
    }
}
