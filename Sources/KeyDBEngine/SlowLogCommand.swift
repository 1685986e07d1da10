import KeyDBRESP

/// SLOWLOG GET / LEN / RESET / HELP.
enum SlowLogCommand {
    /// SLOWLOG GET [count]: the newest `count` entries (10 by default, -1 for all).
    static func get(_ c: ClientSession, _ args: Arguments) {
        guard args.count <= 3 else { return c.replyError(bytes: ErrorReply.subcommandSyntax(args)) }
        let entries = c.engine.slowLog.entries
        var count = 10
        if args.count == 3 {
            guard let requested = args.int64(2), requested >= -1 else { return c.replyError(ErrorReply.slowlogCount) }
            count = requested == -1 ? entries.count : Int(requested)
        }
        let shown = entries.prefix(count)
        c.reply.writeArrayHeader(shown.count)
        for entry in shown {
            c.reply.writeArrayHeader(6)
            c.reply.writeIntegerReply(entry.id)
            c.reply.writeIntegerReply(entry.time)
            c.reply.writeIntegerReply(entry.microseconds)
            c.reply.writeBulkArray(entry.arguments)
            c.reply.writeBulk(entry.peer)
            c.replyBulk(entry.clientName)
        }
    }

    static func len(_ c: ClientSession, _ args: Arguments) {
        c.reply.writeIntegerReply(c.engine.slowLog.entries.count)
    }

    static func reset(_ c: ClientSession, _ args: Arguments) {
        c.engine.slowLog.reset()
        c.replyOK()
    }

    static func help(_ c: ClientSession, _ args: Arguments) {
        writeHelp(c, command: "SLOWLOG", lines: [
            "GET [<count>]",
            "    Return top <count> entries from the slowlog (default: 10, -1 mean all).",
            "    Entries are made of:",
            "    id, timestamp, time in microseconds, arguments array, client IP and port,",
            "    client name",
            "LEN", "    Return the length of the slowlog.",
            "RESET", "    Reset the slowlog.",
        ])
    }
}
