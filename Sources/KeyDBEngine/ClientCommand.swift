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
            return c.replyError(ErrorReply.clientSetInfoOption(args.string(2)))
        }
        guard validName(args[3]) != nil else {
            return c.replyError(ErrorReply.clientAttributeCharacters(attribute))
        }
        if attribute == "lib-name" { c.libraryName = args.string(3) } else { c.libraryVersion = args.string(3) }
        c.replyOK()
    }

    /// CLIENT LIST [TYPE normal|master|replica|pubsub] [ID id ...]
    static func list(_ c: ClientSession, _ args: Arguments) {
        var clients = c.engine.clients.values.sorted { $0.id < $1.id }
        if args.count > 2 {
            if args.matches(2, "type") && args.count == 4 {
                guard let type = ClientType(args, 3) else { return c.replyError(bytes: ErrorReply.unknownClientType(args[3])) }
                clients = clients.filter { $0.type == type }
            } else if args.matches(2, "id") && args.count >= 4 {
                // In the order given, as Redis lists them (an id given twice is listed twice).
                var listed: [ClientSession] = []
                for index in 3..<args.count {
                    guard let id = args.int64(index) else { return c.replyError(ErrorReply.invalidClientID) }
                    if let client = c.engine.clients[id] { listed.append(client) }
                }
                clients = listed
            } else {
                return c.replyError(ErrorReply.syntax)
            }
        }
        c.replyVerbatim(clients.map { $0.infoLine(now: c.now, current: c) + "\n" }.joined())
    }

    static func info(_ c: ClientSession, _ args: Arguments) {
        c.replyVerbatim(c.infoLine(now: c.now, current: c) + "\n")
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
        // A SHUTDOWN caller waiting for replicas can be let go with ERROR, as in Redis (the
        // shutdown goes on); it has no timeout reply (Redis 7.0.15 crashes on TIMEOUT).
        guard let target = c.engine.clients[id], withError || target.blocked?.timeoutReply != .shutdownFailed else {
            return c.reply.writeIntegerReply(0)
        }
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

    /// CLIENT NO-EVICT ON|OFF: stored and shown (flag `e`); no client eviction exists yet.
    static func noEvict(_ c: ClientSession, _ args: Arguments) {
        guard let on = onOff(c, args) else { return }
        c.noEvict = on
        c.replyOK()
    }

    /// CLIENT NO-TOUCH ON|OFF (Redis 7.2): keys this client reads keep their access times.
    static func noTouch(_ c: ClientSession, _ args: Arguments) {
        guard let on = onOff(c, args) else { return }
        c.noTouch = on
        c.replyOK()
    }

    /// The ON|OFF argument of a switch subcommand, or nil after a syntax error.
    private static func onOff(_ c: ClientSession, _ args: Arguments) -> Bool? {
        if args.matches(2, "on") { return true }
        if args.matches(2, "off") { return false }
        c.replyError(ErrorReply.syntax)
        return nil
    }

    /// Redis 7.0's text, with the lines 7.2 added for SETINFO and NO-TOUCH.
    static func help(_ c: ClientSession, _ args: Arguments) {
        writeHelp(c, command: "CLIENT", lines: [
            "CACHING (YES|NO)",
            "    Enable/disable tracking of the keys for next command in OPTIN/OPTOUT modes.",
            "GETREDIR",
            "    Return the client ID we are redirecting to when tracking is enabled.",
            "GETNAME",
            "    Return the name of the current connection.",
            "ID",
            "    Return the ID of the current connection.",
            "INFO",
            "    Return information about the current client connection.",
            "KILL <ip:port>",
            "    Kill connection made from <ip:port>.",
            "KILL <option> <value> [<option> <value> [...]]",
            "    Kill connections. Options are:",
            "    * ADDR (<ip:port>|<unixsocket>:0)",
            "      Kill connections made from the specified address",
            "    * LADDR (<ip:port>|<unixsocket>:0)",
            "      Kill connections made to specified local address",
            "    * TYPE (NORMAL|MASTER|REPLICA|PUBSUB)",
            "      Kill connections by type.",
            "    * USER <username>",
            "      Kill connections authenticated by <username>.",
            "    * SKIPME (YES|NO)",
            "      Skip killing current connection (default: yes).",
            "LIST [options ...]",
            "    Return information about client connections. Options:",
            "    * TYPE (NORMAL|MASTER|REPLICA|PUBSUB)",
            "      Return clients of specified type.",
            "UNPAUSE",
            "    Stop the current client pause, resuming traffic.",
            "PAUSE <timeout> [WRITE|ALL]",
            "    Suspend all, or just write, clients for <timeout> milliseconds.",
            "REPLY (ON|OFF|SKIP)",
            "    Control the replies sent to the current connection.",
            "SETNAME <name>",
            "    Assign the name <name> to the current connection.",
            "SETINFO <option> <value>",
            "    Set client meta attr. Options are:",
            "    * LIB-NAME: the client lib name.",
            "    * LIB-VER: the client lib version.",
            "UNBLOCK <clientid> [TIMEOUT|ERROR]",
            "    Unblock the specified blocked client.",
            "TRACKING (ON|OFF) [REDIRECT <id>] [BCAST] [PREFIX <prefix> [...]]",
            "         [OPTIN] [OPTOUT] [NOLOOP]",
            "    Control server assisted client side caching.",
            "TRACKINGINFO",
            "    Report tracking status for the current connection.",
            "NO-EVICT (ON|OFF)",
            "    Protect current client connection from eviction.",
            "NO-TOUCH (ON|OFF)",
            "    Will not touch LRU/LFU stats when this mode is on.",
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
        return "id=\(id) addr=\(address) laddr=\(localAddress) fd=\(fileDescriptor) name=\(nameText) age=\(age) idle=\(idle) flags=\(flagLetters) db=\(db.index) sub=\(subscribedChannels.count) psub=\(subscribedPatterns.count) ssub=\(subscribedShardChannels.count) multi=\(transaction?.count ?? -1) qbuf=\(queryBufferLength) qbuf-free=0 argv-mem=0 multi-mem=0 rbs=\(reply.capacity) rbp=0 obl=0 oll=0 omem=0 tot-mem=\(reply.capacity) events=r cmd=\(lookedUpCommand?.fullName ?? "NULL") user=\(user.nameText) redir=\(trackingRedirect) resp=\(resp3 ? 3 : 2) lib-name=\(libraryName) lib-ver=\(libraryVersion)"
    }

    /// CLIENT LIST flags=, in Redis's order; N when none applies.
    var flagLetters: String {
        var letters = isMonitor ? "O" : replica != nil ? "S" : isMaster ? "M" : ""
        if isSubscribed { letters += "P" }
        if transaction != nil { letters += "x" }
        if blocked != nil || postponed { letters += "b" }
        if let tracking {
            letters += "t"
            if tracking.brokenRedirect { letters += "R" }
            if tracking.broadcast { letters += "B" }
        }
        if watchTouched { letters += "d" }
        if closeAfterReply { letters += "c" }
        if killRequested { letters += "A" }
        if isUnixSocket { letters += "U" }
        if noEvict { letters += "e" }
        if noTouch { letters += "T" }
        return letters.isEmpty ? "N" : letters
    }
}
