import KeyDBRESP

/// Set commands (Redis's t_set.c). The rest of the family arrives with the data-types issue.
enum SetCommands {
    static func sadd(_ c: ClientSession, _ args: Arguments) {
        let set: SetValue
        switch c.set(args[1]) {
        case .wrongType: return c.replyError(ErrorReply.wrongType)
        case .found(let existing): set = existing
        case .missing:
            set = SetValue()
            c.db.set(args[1], .set(set), now: c.now)
        }
        var added = 0
        for index in 2..<args.count where set.members.insert(Bytes(args[index])).inserted {
            added += 1
        }
        c.dirty(added)
        c.reply.writeIntegerReply(added)
    }

    static func srem(_ c: ClientSession, _ args: Arguments) {
        switch c.set(args[1]) {
        case .wrongType: c.replyError(ErrorReply.wrongType)
        case .missing: c.reply.writeIntegerReply(0)
        case .found(let set):
            var removed = 0
            for index in 2..<args.count where set.members.remove(Bytes(args[index])) != nil {
                removed += 1
            }
            c.removeIfEmpty(args[1], isEmpty: set.members.isEmpty)
            c.dirty(removed)
            c.reply.writeIntegerReply(removed)
        }
    }

    static func scard(_ c: ClientSession, _ args: Arguments) {
        switch c.set(args[1]) {
        case .wrongType: c.replyError(ErrorReply.wrongType)
        case .missing: c.reply.writeIntegerReply(0)
        case .found(let set): c.reply.writeIntegerReply(set.members.count)
        }
    }

    static func sismember(_ c: ClientSession, _ args: Arguments) {
        switch c.set(args[1]) {
        case .wrongType: c.replyError(ErrorReply.wrongType)
        case .missing: c.reply.writeIntegerReply(0)
        case .found(let set): c.reply.writeIntegerReply(set.members.contains(Bytes(args[2])) ? 1 : 0)
        }
    }

    static func smembers(_ c: ClientSession, _ args: Arguments) {
        switch c.set(args[1]) {
        case .wrongType: c.replyError(ErrorReply.wrongType)
        case .missing: c.reply.writeArrayHeader(0)
        case .found(let set):
            c.reply.writeArrayHeader(set.members.count)
            for member in set.members { c.replyBulk(member) }
        }
    }

    /// SRANDMEMBER key [count]: a negative count may repeat members.
    static func srandmember(_ c: ClientSession, _ args: Arguments) {
        guard args.count <= 3 else { return c.replyError(ErrorReply.syntax) }
        guard args.count == 3 else {
            switch c.set(args[1]) {
            case .wrongType: return c.replyError(ErrorReply.wrongType)
            case .missing: return c.reply.writeNullBulk()
            case .found(let set): return c.replyBulk(set.members.randomElement())
            }
        }
        guard let count = args.int64(2), count != .min else { return c.replyError(ErrorReply.longOutOfRange) }
        let set: SetValue
        switch c.set(args[1]) {
        case .wrongType: return c.replyError(ErrorReply.wrongType)
        case .missing: return c.reply.writeArrayHeader(0)
        case .found(let found): set = found
        }
        if count == 0 { return c.reply.writeArrayHeader(0) }
        if count < 0 {
            c.reply.writeArrayHeader(Int(-count))
            for _ in 0..<Int(-count) { c.replyBulk(set.members.randomElement()) }
            return
        }
        let chosen = count >= Int64(set.members.count) ? Array(set.members) : Array(set.members.shuffled().prefix(Int(count)))
        c.reply.writeArrayHeader(chosen.count)
        for member in chosen { c.replyBulk(member) }
    }
}
