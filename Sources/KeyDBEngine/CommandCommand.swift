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

    /// COMMAND INFO [name ...]: a null bulk string for unknown names (Redis's addReplyNull).
    static func info(_ c: ClientSession, _ args: Arguments) {
        if args.count == 2 { return all(c, args) }
        c.reply.writeArrayHeader(args.count - 2)
        for index in 2..<args.count {
            if let command = find(c, args[index]) { writeInfo(c, command) } else { c.replyNull() }
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
        c.replyMapHeader(commands.count)
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
                // An unknown category lists nothing, as in Redis.
                names = ACLCategories.named(value).map { c.engine.commands.names(in: $0) } ?? []
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
            "(no subcommand)", "    Return details about all Redis commands.",
            "COUNT", "    Return the total number of commands in this Redis server.",
            "LIST", "    Return a list of all commands in this Redis server.",
            "INFO [<command-name> ...]", "    Return details about multiple Redis commands.",
            "    If no command names are given, documentation details for all", "    commands are returned.",
            "DOCS [<command-name> ...]", "    Return documentation details about multiple Redis commands.",
            "    If no command names are given, documentation details for all", "    commands are returned.",
            "GETKEYS <full-command>", "    Return the keys from a full Redis command.",
            "GETKEYSANDFLAGS <full-command>", "    Return the keys and the access flags from a full Redis command.",
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
        let range = command.legacyKeyRange
        c.reply.writeArrayHeader(10)
        c.reply.writeBulk(command.fullName)
        c.reply.writeIntegerReply(command.arity)
        writeSimpleStrings(c, command.flags.words(movableKeys: range.movable))
        c.reply.writeIntegerReply(range.first)
        c.reply.writeIntegerReply(range.last)
        c.reply.writeIntegerReply(range.step)
        writeSimpleStrings(c, command.aclCategories)
        c.replySetHeader(command.tips.count)
        for tip in command.tips { c.reply.writeBulk(tip) }
        writeKeySpecs(c, command)
        // Redis answers an empty set for none, an array otherwise.
        if command.subcommands.isEmpty { return c.replySetHeader(0) }
        c.reply.writeArrayHeader(command.subcommands.count)
        for subcommand in command.subcommands { writeInfo(c, subcommand) }
    }

    /// Flags and categories: sets of status replies.
    private static func writeSimpleStrings(_ c: ClientSession, _ words: [String]) {
        c.replySetHeader(words.count)
        for word in words { c.reply.writeSimpleString(word) }
    }

    private static func writeKeySpecs(_ c: ClientSession, _ command: CommandSpec) {
        c.replySetHeader(command.keySpecs.count)
        for spec in command.keySpecs {
            c.replyMapHeader(spec.notes == nil ? 3 : 4)
            if let notes = spec.notes {
                c.reply.writeBulk("notes")
                c.reply.writeBulk(notes)
            }
            c.reply.writeBulk("flags")
            writeSimpleStrings(c, spec.flags.words)
            c.reply.writeBulk("begin_search")
            switch spec.begin {
            case .index(let position):
                writeSearch(c, type: "index", [("index", .integer(position))])
            case .keyword(let keyword, let startFrom):
                writeSearch(c, type: "keyword", [("keyword", .text(keyword.description)), ("startfrom", .integer(startFrom))])
            case .unknown:
                writeSearch(c, type: "unknown", [])
            }
            c.reply.writeBulk("find_keys")
            switch spec.find {
            case .range(let lastKey, let step, let limit):
                writeSearch(c, type: "range", [("lastkey", .integer(lastKey)), ("keystep", .integer(step)), ("limit", .integer(limit))])
            case .keyNumber(let index, let firstKey, let step):
                writeSearch(c, type: "keynum", [("keynumidx", .integer(index)), ("firstkey", .integer(firstKey)), ("keystep", .integer(step))])
            case .unknown:
                writeSearch(c, type: "unknown", [])
            }
        }
    }

    private enum SpecValue { case integer(Int), text(String) }

    /// One begin_search / find_keys map: its type and its spec fields.
    private static func writeSearch(_ c: ClientSession, type: String, _ fields: [(String, SpecValue)]) {
        c.replyMapHeader(2)
        c.reply.writeBulk("type")
        c.reply.writeBulk(type)
        c.reply.writeBulk("spec")
        c.replyMapHeader(fields.count)
        for (name, value) in fields {
            c.reply.writeBulk(name)
            switch value {
            case .integer(let number): c.reply.writeIntegerReply(number)
            case .text(let text): c.reply.writeBulk(text)
            }
        }
    }

    /// COMMAND GETKEYS / GETKEYSANDFLAGS command [arg ...]: the keys the command would use.
    static func getkeys(_ c: ClientSession, _ args: Arguments) { writeKeys(c, args, withFlags: false) }
    static func getkeysandflags(_ c: ClientSession, _ args: Arguments) { writeKeys(c, args, withFlags: true) }

    private static func writeKeys(_ c: ClientSession, _ args: Arguments, withFlags: Bool) {
        let commandArgs = args.dropping(2)
        guard let command = c.engine.commands.lookup(commandArgs), !(command.isContainer && command.handler == nil) else {
            return c.replyError(ErrorReply.getkeysInvalidCommand)
        }
        // Specs flagged not_key (SPUBLISH's channel) name no key.
        guard command.keySpecs.contains(where: { !$0.flags.contains(.notKey) }) else { return c.replyError(ErrorReply.getkeysNoKeys) }
        guard command.acceptsArgumentCount(commandArgs.count) else { return c.replyError(ErrorReply.getkeysWrongArgumentCount) }
        let keys = command.keyReferences(commandArgs)
        guard !keys.isEmpty else {
            guard command.flags.contains(.noMandatoryKeys) else { return c.replyError(ErrorReply.getkeysInvalidArguments) }
            return c.reply.writeArrayHeader(0)
        }
        c.reply.writeArrayHeader(keys.count)
        for key in keys {
            if withFlags { c.reply.writeArrayHeader(2) }
            c.reply.writeBulk(commandArgs[key.index])
            if withFlags { writeSimpleStrings(c, key.flags.words) }
        }
    }

    private static func writeDocs(_ c: ClientSession, _ command: CommandSpec) {
        let hasSubcommands = command.isContainer
        c.replyMapHeader(hasSubcommands ? 5 : 4)
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
            c.replyMapHeader(command.subcommands.count)
            for subcommand in command.subcommands {
                c.reply.writeBulk(subcommand.fullName)
                writeDocs(c, subcommand)
            }
        }
    }
}
