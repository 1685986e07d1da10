import KeyDBRESP

/// COMMAND and its subcommands: the command table, described to clients.
enum CommandCommand {
    static func all(_ c: ClientSession, _ args: Arguments) {
        let commands = c.engine.commands.commands
        c.reply.writeArrayHeader(commands.count)
        for command in commands { writeInfo(c, command) }
    }

    static func count(_ c: ClientSession, _ args: Arguments) {
        c.reply.writeIntegerReply(c.engine.commands.count)
    }

    /// COMMAND INFO [name ...]: nil for unknown names.
    static func info(_ c: ClientSession, _ args: Arguments) {
        if args.count == 2 { return all(c, args) }
        c.reply.writeArrayHeader(args.count - 2)
        for index in 2..<args.count {
            if let command = find(c, args[index]) { writeInfo(c, command) } else { c.reply.writeNullArray() }
        }
    }

    /// COMMAND DOCS [name ...]: a map of name → summary, since, group, complexity (and subcommands).
    static func docs(_ c: ClientSession, _ args: Arguments) {
        var commands: [CommandSpec] = []
        if args.count == 2 {
            commands = c.engine.commands.commands
        } else {
            for index in 2..<args.count { if let command = find(c, args[index]) { commands.append(command) } }
        }
        c.reply.writeArrayHeader(commands.count * 2)
        for command in commands {
            c.reply.writeBulk(command.fullName)
            writeDocs(c, command)
        }
    }

    /// COMMAND LIST [FILTERBY MODULE name | ACLCAT category | PATTERN pattern]
    static func list(_ c: ClientSession, _ args: Arguments) {
        var names = c.engine.commands.allSpecs.map(\.fullName)
        if args.count == 5 && args.matches(2, "filterby") {
            let value = args.string(4)
            if args.matches(3, "pattern") {
                names = names.filter { GlobPattern.matches(value, $0, ignoringCase: true) }
            } else if args.matches(3, "aclcat") {
                names = c.engine.commands.allSpecs.filter { $0.aclCategories.contains("@" + value.lowercased()) }.map(\.fullName)
            } else if args.matches(3, "module") {
                names = []
            } else {
                return c.replyError(ErrorReply.syntax)
            }
        } else if args.count != 2 {
            return c.replyError(ErrorReply.syntax)
        }
        c.reply.writeArrayHeader(names.count)
        for name in names { c.reply.writeBulk(name) }
    }

    static func help(_ c: ClientSession, _ args: Arguments) {
        writeHelp(c, command: "COMMAND", lines: [
            "(no subcommand)", "    Return details about all commands.",
            "COUNT", "    Return the total number of commands in this server.",
            "LIST", "    Return a list of all commands in this server.",
            "INFO [<command-name> ...]", "    Return details about the given commands, or all of them.",
            "DOCS [<command-name> ...]", "    Return documentation details about the given commands, or all of them.",
        ])
    }

    /// "get" or "config|get".
    private static func find(_ c: ClientSession, _ name: UnsafeRawBufferPointer) -> CommandSpec? {
        let text = String(decoding: name, as: UTF8.self).lowercased()
        let parts = text.split(separator: "|", maxSplits: 1)
        guard let top = c.engine.commands.find(String(parts.first ?? "")) else { return nil }
        guard parts.count == 2 else { return top }
        return top.subcommands.first { $0.name == parts[1] }
    }

    private static func writeInfo(_ c: ClientSession, _ command: CommandSpec) {
        c.reply.writeArrayHeader(10)
        c.reply.writeBulk(command.fullName)
        c.reply.writeIntegerReply(command.arity)
        let flags = command.flags.words
        c.reply.writeArrayHeader(flags.count)
        for flag in flags { c.reply.writeSimpleString(flag) }
        c.reply.writeIntegerReply(command.keys.first)
        c.reply.writeIntegerReply(command.keys.last)
        c.reply.writeIntegerReply(command.keys.step)
        let categories = command.aclCategories
        c.reply.writeArrayHeader(categories.count)
        for category in categories { c.reply.writeSimpleString(category) }
        c.reply.writeArrayHeader(0)  // tips
        writeKeySpecs(c, command)
        c.reply.writeArrayHeader(command.subcommands.count)
        for subcommand in command.subcommands { writeInfo(c, subcommand) }
    }

    /// One range key spec derived from the key positions.
    private static func writeKeySpecs(_ c: ClientSession, _ command: CommandSpec) {
        let keys = command.keys
        guard keys.first > 0 else { return c.reply.writeArrayHeader(0) }
        c.reply.writeArrayHeader(1)
        c.reply.writeArrayHeader(6)
        c.reply.writeBulk("flags")
        let flags = command.flags.contains(.write) ? ["RW", "update"] : ["RO", "access"]
        c.reply.writeArrayHeader(flags.count)
        for flag in flags { c.reply.writeSimpleString(flag) }
        c.reply.writeBulk("begin_search")
        c.reply.writeArrayHeader(4)
        c.reply.writeBulk("type")
        c.reply.writeBulk("index")
        c.reply.writeBulk("spec")
        c.reply.writeArrayHeader(2)
        c.reply.writeBulk("index")
        c.reply.writeIntegerReply(keys.first)
        c.reply.writeBulk("find_keys")
        c.reply.writeArrayHeader(4)
        c.reply.writeBulk("type")
        c.reply.writeBulk("range")
        c.reply.writeBulk("spec")
        c.reply.writeArrayHeader(6)
        c.reply.writeBulk("lastkey")
        c.reply.writeIntegerReply(keys.last < 0 ? keys.last : keys.last - keys.first)
        c.reply.writeBulk("keystep")
        c.reply.writeIntegerReply(keys.step)
        c.reply.writeBulk("limit")
        c.reply.writeIntegerReply(0)
    }

    private static func writeDocs(_ c: ClientSession, _ command: CommandSpec) {
        let hasSubcommands = command.isContainer
        c.reply.writeArrayHeader(hasSubcommands ? 10 : 8)
        c.reply.writeBulk("summary")
        c.reply.writeBulk(command.summary)
        c.reply.writeBulk("since")
        c.reply.writeBulk(command.since)
        c.reply.writeBulk("group")
        c.reply.writeBulk(command.group)
        c.reply.writeBulk("complexity")
        c.reply.writeBulk(command.complexity)
        if hasSubcommands {
            c.reply.writeBulk("subcommands")
            c.reply.writeArrayHeader(command.subcommands.count * 2)
            for subcommand in command.subcommands {
                c.reply.writeBulk(subcommand.fullName)
                writeDocs(c, subcommand)
            }
        }
    }
}
