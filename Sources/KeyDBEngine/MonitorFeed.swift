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
        var line = Array("+\(microseconds / 1_000_000).\(String(repeating: "0", count: 6 - fraction.count))\(fraction) [\(client.db.index) \(client.address)]".utf8)
        for index in 0..<args.count {
            line.append(32)
            if client.redactedArguments.contains(index) {
                SlowLog.redacted.withUnsafeBytes { MonitorLine.appendQuoted($0, to: &line) }
            } else {
                MonitorLine.appendQuoted(args[index], to: &line)
            }
        }
        line += [13, 10]
        for monitor in monitors {
            monitor.reply.writeBytes(line)
            deliver(to: monitor)
        }
    }
}

enum MonitorLine {
    /// `bytes` in double quotes with C-style escapes for quotes, backslashes,
    /// control characters and bytes outside printable ASCII (Redis's sdscatrepr).
    static func appendQuoted(_ bytes: UnsafeRawBufferPointer, to line: inout [UInt8]) {
        let backslash = UInt8(ascii: "\\"), quote = UInt8(ascii: "\"")
        line.append(quote)
        for byte in bytes {
            switch byte {
            case backslash, quote: line += [backslash, byte]
            case 10: line += [backslash, UInt8(ascii: "n")]
            case 13: line += [backslash, UInt8(ascii: "r")]
            case 9: line += [backslash, UInt8(ascii: "t")]
            case 7: line += [backslash, UInt8(ascii: "a")]
            case 8: line += [backslash, UInt8(ascii: "b")]
            case 32...126: line.append(byte)
            default:
                let hex = Array("0123456789abcdef".utf8)
                line += [backslash, UInt8(ascii: "x"), hex[Int(byte >> 4)], hex[Int(byte & 15)]]
            }
        }
        line.append(quote)
    }
}
