import KeyDBRESP

/// CLIENT subcommands (Redis's networking.c).
enum ClientCommand {
    static func id(_ c: ClientSession, _ args: Arguments) {
        c.reply.writeIntegerReply(c.id)
    }

    static func setname(_ c: ClientSession, _ args: Arguments) {
        guard let name = validName(args[2]) else { return c.replyError(ErrorReply.clientNameSpaces) }
        c.name = name.isEmpty ? nil : name
        c.replyOK()
    }

    static func getname(_ c: ClientSession, _ args: Arguments) {
        c.replyBulk(c.name)
    }

    /// CLIENT SETINFO LIB-NAME name | LIB-VER version (what redis-py and others send on connect).
    static func setinfo(_ c: ClientSession, _ args: Arguments) {
        let attribute = args.string(2).lowercased()
        guard attribute == "lib-name" || attribute == "lib-ver" else {
            return c.replyError("ERR Unrecognized option '\(args.string(2))'")
        }
        guard validName(args[3]) != nil else {
            return c.replyError("ERR \(attribute) cannot contain spaces, newlines or special characters.")
        }
        if attribute == "lib-name" { c.libraryName = args.string(3) } else { c.libraryVersion = args.string(3) }
        c.replyOK()
    }

    /// CLIENT LIST [TYPE normal|master|replica|pubsub] [ID id ...]
    static func list(_ c: ClientSession, _ args: Arguments) {
        var clients = c.engine.clients.values.sorted { $0.id < $1.id }
        if args.count > 2 {
            if args.matches(2, "type") && args.count == 4 {
                switch args.string(3).lowercased() {
                // Any subscription, shard channels included, makes a pubsub client (Redis's getClientType).
                case "normal": clients = clients.filter { !$0.isSubscribed }
                case "pubsub": clients = clients.filter(\.isSubscribed)
                case "master", "replica", "slave": clients = []
                default: return c.replyError("ERR Unknown client type '\(args.string(3))'")
                }
            } else if args.matches(2, "id") && args.count >= 4 {
                var ids = Set<Int64>()
                for index in 3..<args.count {
                    guard let id = args.int64(index), id > 0 else { return c.replyError("ERR Invalid client ID") }
                    ids.insert(id)
                }
                clients = clients.filter { ids.contains($0.id) }
            } else {
                return c.replyError(ErrorReply.syntax)
            }
        }
        c.reply.writeBulk(clients.map { $0.infoLine(now: c.now, current: c) + "\n" }.joined())
    }

    static func info(_ c: ClientSession, _ args: Arguments) {
        c.reply.writeBulk(c.infoLine(now: c.now, current: c) + "\n")
    }

    /// CLIENT UNBLOCK id [TIMEOUT | ERROR]: ends another client's blocking wait.
    static func unblock(_ c: ClientSession, _ args: Arguments) {
        guard args.count <= 4 else { return c.replyError(bytes: ErrorReply.subcommandSyntax(args)) }
        var withError = false
        if args.count == 4 {
            if args.matches(3, "error") {
                withError = true
            } else if !args.matches(3, "timeout") {
                return c.replyError(ErrorReply.unblockReason)
            }
        }
        guard let id = args.int64(2) else { return c.replyError(ErrorReply.notInteger) }
        guard let target = c.engine.clients[id] else { return c.reply.writeIntegerReply(0) }
        c.reply.writeIntegerReply(c.engine.forceUnblock(target, withError: withError) ? 1 : 0)
    }

    /// CLIENT REPLY ON | OFF | SKIP
    static func reply(_ c: ClientSession, _ args: Arguments) {
        if args.matches(2, "on") {
            c.replyMode = .on
            c.replyOK()
        } else if args.matches(2, "off") {
            c.replyMode = .off
        } else if args.matches(2, "skip") {
            if c.replyMode != .off { c.replyMode = .skipNext }
        } else {
            c.replyError(ErrorReply.syntax)
        }
    }

    static func help(_ c: ClientSession, _ args: Arguments) {
        writeHelp(c, command: "CLIENT", lines: [
            "ID", "    Return the ID of the current connection.",
            "INFO", "    Return information about the current client connection.",
            "LIST [TYPE <normal|master|replica|pubsub>] [ID <id> [<id> ...]]", "    Return information about client connections.",
            "GETNAME", "    Return the name of the current connection.",
            "SETNAME <name>", "    Assign the name <name> to the current connection.",
            "SETINFO <LIB-NAME|LIB-VER> <value>", "    Record the client library's name or version.",
            "UNBLOCK <clientid> [TIMEOUT|ERROR]", "    End another client's blocking wait.",
            "REPLY (ON|OFF|SKIP)", "    Turn replies to this connection's commands on or off, or skip the next one.",
        ])
    }

    /// A name made of printable ASCII without spaces ('!'...'~'), as Redis requires.
    static func validName(_ bytes: UnsafeRawBufferPointer) -> Bytes? {
        for byte in bytes where byte < 33 || byte > 126 { return nil }
        return Bytes(bytes)
    }
}

/// Writes a HELP reply: the command's subcommands, one status line each.
func writeHelp(_ c: ClientSession, command: String, lines: [String]) {
    let all = ["\(command) <subcommand> [<arg> [value] [opt] ...]. Subcommands are:"] + lines + ["HELP", "    Prints this help."]
    c.reply.writeArrayHeader(all.count)
    for line in all { c.reply.writeSimpleString(line) }
}

extension ClientSession {
    /// One CLIENT LIST line, with Redis 7's fields.
    func infoLine(now: Int64, current: ClientSession) -> String {
        let age = (now - createdAt) / 1000
        let idle = self === current ? 0 : (now - lastInteraction) / 1000
        let nameText = name?.description ?? ""
        let letters = (isMonitor ? "O" : "") + (isSubscribed ? "P" : "") + (transaction != nil ? "x" : "") + (blocked != nil ? "b" : "")
        let flags = letters.isEmpty ? "N" : letters
        let command = self === current ? current.lastCommand : lastCommand
        return "id=\(id) addr=\(address) laddr=\(localAddress) fd=\(fileDescriptor) name=\(nameText) age=\(age) idle=\(idle) flags=\(flags) db=\(db.index) sub=\(subscribedChannels.count) psub=\(subscribedPatterns.count) ssub=\(subscribedShardChannels.count) multi=\(transaction?.count ?? -1) qbuf=0 qbuf-free=0 argv-mem=0 multi-mem=0 rbs=\(reply.capacity) rbp=0 obl=0 oll=0 omem=0 tot-mem=\(reply.capacity) events=r cmd=\(command) user=\(user.nameText) redir=-1 resp=2 lib-name=\(libraryName) lib-ver=\(libraryVersion)"
    }
}
