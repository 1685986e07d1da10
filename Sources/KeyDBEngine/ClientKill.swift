import KeyDBRESP

/// CLIENT KILL addr:port | CLIENT KILL [ID id] [TYPE type] [USER name]
/// [ADDR addr:port] [LADDR addr:port] [SKIPME yes|no] (Redis's networking.c).
enum ClientKill {
    /// What a client must match to be killed; every filter given applies (AND).
    struct Filter {
        var id: Int64? = nil
        var type: ClientType? = nil
        var user: [UInt8]? = nil
        var address: String? = nil
        var localAddress: String? = nil
        var skipMe = true

        func matches(_ client: ClientSession, caller: ClientSession) -> Bool {
            if let address, client.address != address { return false }
            if let localAddress, client.localAddress != localAddress { return false }
            if let type, client.type != type { return false }
            if let id, client.id != id { return false }
            if let user, client.user.name != user { return false }
            return !(skipMe && client === caller)
        }
    }

    static func kill(_ c: ClientSession, _ args: Arguments) {
        // The old form names one address, may kill the caller, and answers OK or an error.
        let oldForm = args.count == 3
        guard let filter = oldForm ? Filter(address: args.string(2), skipMe: false) : parse(c, args) else { return }
        var killed = 0
        var killSelf = false
        for client in c.engine.clients.values.sorted(by: { $0.id < $1.id })
        where !client.killRequested && filter.matches(client, caller: c) {
            if client === c { killSelf = true } else { c.engine.disconnect(client) }
            killed += 1
        }
        if oldForm {
            if killed == 0 { c.replyError(ErrorReply.noSuchClient) } else { c.replyOK() }
        } else {
            c.reply.writeIntegerReply(Int64(killed))
        }
        // Only now: the reply above must still go out before the connection closes.
        if killSelf { c.closeAfterReply = true }
    }

    /// The filter form's options, in pairs; nil after replying the first error.
    private static func parse(_ c: ClientSession, _ args: Arguments) -> Filter? {
        var filter = Filter()
        var index = 2
        while index < args.count {
            guard index + 1 < args.count else {
                c.replyError(ErrorReply.syntax)
                return nil
            }
            let value = index + 1
            if args.matches(index, "id") {
                guard let id = args.int64(value), id > 0 else {
                    c.replyError(ErrorReply.clientIDNotPositive)
                    return nil
                }
                filter.id = id
            } else if args.matches(index, "type") {
                guard let type = ClientType(args, value) else {
                    c.replyError(bytes: ErrorReply.unknownClientType(args[value]))
                    return nil
                }
                filter.type = type
            } else if args.matches(index, "addr") {
                filter.address = args.string(value)
            } else if args.matches(index, "laddr") {
                filter.localAddress = args.string(value)
            } else if args.matches(index, "user") {
                guard let user = c.engine.acl.user(named: args[value]) else {
                    c.replyError(bytes: ErrorReply.noSuchUser(args[value]))
                    return nil
                }
                filter.user = user.name
            } else if args.matches(index, "skipme") {
                if args.matches(value, "yes") {
                    filter.skipMe = true
                } else if args.matches(value, "no") {
                    filter.skipMe = false
                } else {
                    c.replyError(ErrorReply.syntax)
                    return nil
                }
            } else {
                c.replyError(ErrorReply.syntax)
                return nil
            }
            index += 2
        }
        return filter
    }
}
