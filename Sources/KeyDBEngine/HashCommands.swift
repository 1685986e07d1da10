import KeyDBRESP

/// Hash commands (Redis's t_hash.c). The rest of the family arrives with the data-types issue.
enum HashCommands {
    /// HSET key field value [field value ...]: how many fields were new.
    static func hset(_ c: ClientSession, _ args: Arguments) {
        guard args.count % 2 == 0 else { return c.replyError(ErrorReply.wrongArity("hset")) }
        let hash: HashValue
        switch c.hash(args[1]) {
        case .wrongType: return c.replyError(ErrorReply.wrongType)
        case .found(let existing): hash = existing
        case .missing:
            hash = HashValue()
            c.db.set(args[1], .hash(hash), now: c.now)
        }
        var created = 0
        for index in stride(from: 2, to: args.count, by: 2) {
            if hash.fields.updateValue(Bytes(args[index + 1]), forKey: Bytes(args[index])) == nil { created += 1 }
        }
        c.dirty()
        c.reply.writeIntegerReply(created)
    }

    static func hget(_ c: ClientSession, _ args: Arguments) {
        switch c.hash(args[1]) {
        case .wrongType: c.replyError(ErrorReply.wrongType)
        case .missing: c.reply.writeNullBulk()
        case .found(let hash): c.replyBulk(hash.fields[Bytes(args[2])])
        }
    }

    static func hgetall(_ c: ClientSession, _ args: Arguments) {
        switch c.hash(args[1]) {
        case .wrongType: c.replyError(ErrorReply.wrongType)
        case .missing: c.reply.writeArrayHeader(0)
        case .found(let hash):
            c.reply.writeArrayHeader(hash.fields.count * 2)
            for (field, value) in hash.fields {
                c.replyBulk(field)
                c.replyBulk(value)
            }
        }
    }

    static func hlen(_ c: ClientSession, _ args: Arguments) {
        switch c.hash(args[1]) {
        case .wrongType: c.replyError(ErrorReply.wrongType)
        case .missing: c.reply.writeIntegerReply(0)
        case .found(let hash): c.reply.writeIntegerReply(hash.fields.count)
        }
    }

    static func hdel(_ c: ClientSession, _ args: Arguments) {
        switch c.hash(args[1]) {
        case .wrongType: c.replyError(ErrorReply.wrongType)
        case .missing: c.reply.writeIntegerReply(0)
        case .found(let hash):
            var deleted = 0
            for index in 2..<args.count where hash.fields.removeValue(forKey: Bytes(args[index])) != nil {
                deleted += 1
            }
            c.removeIfEmpty(args[1], isEmpty: hash.fields.isEmpty)
            c.dirty(deleted)
            c.reply.writeIntegerReply(deleted)
        }
    }
}
