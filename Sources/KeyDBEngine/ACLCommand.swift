import KeyDBRESP

/// ACL and its subcommands: users, their rules, the security log.
enum ACLCommand {
    static func setuser(_ c: ClientSession, _ args: Arguments) {
        // Rules may hold passwords: the slow log and monitors see none of them.
        for index in 2..<args.count { c.redact(index) }
        let name = args.bytes(2)
        guard !ACLSelector.hasSpaces(name) else { return c.replyError(ErrorReply.usernameSpaces) }
        let rules = (3..<args.count).map { args.bytes($0) }
        let engine = c.engine
        let failure = engine.acl.setUser(name, rules: rules) { current, updated in
            engine.closeSubscribersLosingChannels(of: current, updated: updated)
        }
        if let failure { return c.replyError(bytes: failure) }
        engine.refreshPermissions()
        c.replyOK()
    }

    static func deluser(_ c: ClientSession, _ args: Arguments) {
        let names = (2..<args.count).map { args.bytes($0) }
        guard !names.contains(Array("default".utf8)) else { return c.replyError(ErrorReply.defaultUserNotRemovable) }
        var deleted = 0
        for name in names {
            guard let user = c.engine.acl.removeUser(name) else { continue }
            c.engine.logOut(clientsOf: user, current: c)
            deleted += 1
        }
        c.reply.writeIntegerReply(deleted)
    }

    static func getuser(_ c: ClientSession, _ args: Arguments) {
        guard let user = c.engine.acl.user(named: args[2]) else { return c.replyNull() }
        let table = c.engine.commands
        c.replyMapHeader(6)
        c.reply.writeBulk("flags")
        c.replySetHeader(user.flagWords.count)
        for flag in user.flagWords { c.reply.writeBulk(flag) }
        c.reply.writeBulk("passwords")
        c.reply.writeArrayHeader(user.passwords.count)
        for password in user.passwords { c.reply.writeBulk(password) }
        writeSelector(c, user.selectors[0], table: table)
        c.reply.writeBulk("selectors")
        c.reply.writeArrayHeader(user.selectors.count - 1)
        for selector in user.selectors.dropFirst() {
            c.replyMapHeader(3)
            writeSelector(c, selector, table: table)
        }
    }

    private static func writeSelector(_ c: ClientSession, _ selector: ACLSelector, table: CommandTable) {
        c.reply.writeBulk("commands")
        c.reply.writeBulk(selector.describeCommands(table: table))
        c.reply.writeBulk("keys")
        c.reply.writeBulk(selector.keysDescription)
        c.reply.writeBulk("channels")
        c.reply.writeBulk(selector.channelsDescription)
    }

    static func list(_ c: ClientSession, _ args: Arguments) {
        let users = c.engine.acl.sortedUsers
        c.reply.writeArrayHeader(users.count)
        for user in users { c.reply.writeBulk(Array("user ".utf8) + user.name + Array(" \(user.describe(table: c.engine.commands))".utf8)) }
    }

    static func users(_ c: ClientSession, _ args: Arguments) {
        let users = c.engine.acl.sortedUsers
        c.reply.writeArrayHeader(users.count)
        for user in users { c.reply.writeBulk(user.name) }
    }

    static func whoami(_ c: ClientSession, _ args: Arguments) {
        c.reply.writeBulk(c.user.name)
    }

    static func cat(_ c: ClientSession, _ args: Arguments) {
        guard args.count <= 3 else { return c.replyError(bytes: ErrorReply.subcommandSyntax(args)) }
        guard args.count == 3 else {
            c.reply.writeArrayHeader(ACLCategories.table.count)
            for entry in ACLCategories.table { c.reply.writeBulk(entry.name) }
            return
        }
        guard let category = ACLCategories.named(args.string(2)) else { return c.replyError(bytes: ErrorReply.unknownCategory(args[2])) }
        let names = c.engine.commands.names(in: category)
        c.reply.writeArrayHeader(names.count)
        for name in names { c.reply.writeBulk(name) }
    }

    static func genpass(_ c: ClientSession, _ args: Arguments) {
        guard args.count <= 3 else { return c.replyError(bytes: ErrorReply.subcommandSyntax(args)) }
        var bits: Int64 = 256
        if args.count == 3 {
            guard let given = args.int64(2) else { return c.replyError(ErrorReply.notInteger) }
            bits = given
        }
        guard bits > 0 && bits <= 4096 else { return c.replyError(ErrorReply.genpassBits) }
        let digits = Array("0123456789abcdef".utf8)
        var generator = SystemRandomNumberGenerator()
        let password = (0..<Int((bits + 3) / 4)).map { _ in digits[Int(generator.next() & 15)] }
        c.reply.writeBulk(password)
    }

    static func log(_ c: ClientSession, _ args: Arguments) {
        guard args.count <= 3 else { return c.replyError(bytes: ErrorReply.subcommandSyntax(args)) }
        let log = c.engine.acl.log
        var count = 10
        if args.count == 3 {
            if args.matches(2, "reset") {
                log.reset()
                return c.replyOK()
            }
            guard let given = args.int64(2) else { return c.replyError(ErrorReply.notInteger) }
            count = Int(max(0, min(given, Int64(Int32.max))))
        }
        let now = c.engine.clock?() ?? Clock.milliseconds()
        let entries = log.entries.prefix(count)
        c.reply.writeArrayHeader(entries.count)
        for entry in entries {
            c.replyMapHeader(7)
            c.reply.writeBulk("count")
            c.reply.writeIntegerReply(entry.count)
            c.reply.writeBulk("reason")
            c.reply.writeBulk(entry.reason.rawValue)
            c.reply.writeBulk("context")
            c.reply.writeBulk(entry.context.rawValue)
            c.reply.writeBulk("object")
            c.reply.writeBulk(entry.object)
            c.reply.writeBulk("username")
            c.reply.writeBulk(entry.userName)
            c.reply.writeBulk("age-seconds")
            c.replyDouble(Double(now - entry.createdAt) / 1000)
            c.reply.writeBulk("client-info")
            c.reply.writeBulk(entry.clientInfo)
        }
    }

    /// ACL DRYRUN user command [arg ...]: whether the user could run it, without running it.
    static func dryrun(_ c: ClientSession, _ args: Arguments) {
        guard let user = c.engine.acl.user(named: args[2]) else { return c.replyError(bytes: ErrorReply.dryRunUserNotFound(args[2])) }
        let commandArgs = args.dropping(3)
        guard let command = c.engine.commands.lookup(commandArgs) else {
            return c.replyError(bytes: ErrorReply.dryRunCommandNotFound(args[3]))
        }
        guard command.acceptsArgumentCount(commandArgs.count) else { return c.replyError(ErrorReply.wrongArity(command.fullName)) }
        guard let denial = user.check(command, commandArgs) else { return c.replyOK() }
        var argument: [UInt8] = []
        if case .key(let index) = denial { argument = commandArgs.bytes(index) }
        if case .channel(let index) = denial { argument = commandArgs.bytes(index) }
        c.reply.writeBulk(ErrorReply.dryRunDenial(denial, command: command.fullName, argument: argument))
    }

    static func load(_ c: ClientSession, _ args: Arguments) {
        guard let path = c.engine.aclFilePath else { return c.replyError(ErrorReply.aclNoFile) }
        switch c.engine.loadACLFile(path) {
        case .success: c.replyOK()
        case .failure(let error): c.replyError("ERR " + error.message)
        }
    }

    static func save(_ c: ClientSession, _ args: Arguments) {
        guard let path = c.engine.aclFilePath else { return c.replyError(ErrorReply.aclNoFile) }
        guard c.engine.saveACLFile(path) else { return c.replyError(ErrorReply.aclSaveFailed) }
        c.replyOK()
    }

    static func help(_ c: ClientSession, _ args: Arguments) {
        writeHelp(c, command: "ACL", lines: [
            "CAT [<category>]", "    List all commands that belong to <category>, or all command categories",
            "    when no category is specified.",
            "DELUSER <username> [<username> ...]", "    Delete a list of users.",
            "DRYRUN <username> <command> [<arg> ...]", "    Returns whether the user can execute the given command without executing the command.",
            "GETUSER <username>", "    Get the user's details.",
            "GENPASS [<bits>]", "    Generate a secure 256-bit user password. The optional `bits` argument can",
            "    be used to specify a different size.",
            "LIST", "    Show users details in config file format.",
            "LOAD", "    Reload users from the ACL file.",
            "LOG [<count> | RESET]", "    Show the ACL log entries.",
            "SAVE", "    Save the current config to the ACL file.",
            "SETUSER <username> <attribute> [<attribute> ...]", "    Create or modify a user with the specified attributes.",
            "USERS", "    List all the registered usernames.",
            "WHOAMI", "    Return the current connection username.",
        ])
    }
}
