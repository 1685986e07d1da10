import KeyDBRESP

/// HRANDFIELD key [count [WITHVALUES]]
extension HashCommands {
    static func hrandfield(_ c: ClientSession, _ args: Arguments) {
        guard args.count >= 3 else {
            switch c.hash(args[1]) {
            case .wrongType: return c.replyError(ErrorReply.wrongType)
            case .missing: return c.replyNull()
            case .found(let hash):
                let fields = hash.fields.positional
                return c.replyBulk(fields[Int.random(in: 0..<fields.count)].key)
            }
        }
        // Redis takes counts in -LONG_MAX...LONG_MAX, so that negating one never overflows.
        guard let count = args.int64(2) else { return c.replyError(ErrorReply.notInteger) }
        guard count != .min else { return c.replyError(ErrorReply.longOutOfRange) }
        guard args.count == 3 || (args.count == 4 && args.matches(3, "withvalues")) else {
            return c.replyError(ErrorReply.syntax)
        }
        let withValues = args.count == 4
        // The reply length doubles with values: keep it representable.
        if withValues && (count < -Int64.max / 2 || count > Int64.max / 2) {
            return c.replyError(ErrorReply.valueOutOfRange)
        }
        let hash: HashValue
        switch c.hash(args[1]) {
        case .wrongType: return c.replyError(ErrorReply.wrongType)
        case .missing: return c.reply.writeArrayHeader(0)
        case .found(let found): hash = found
        }
        let fields = hash.fields.positional
        if count == 0 { return c.reply.writeArrayHeader(0) }

        // A negative count may repeat fields; so may a count of one, trivially.
        if count < 0 || count == 1 {
            guard let picks = RandomSample.repeatedPicks(count, c) else { return }
            c.replyMembersHeader(picks, paired: withValues)
            for _ in 0..<picks {
                let index = Int.random(in: 0..<fields.count)
                let (field, value) = fields[index]
                c.replyPairStart(paired: withValues)
                c.replyBulk(field)
                if withValues { c.replyBulk(value) }
            }
            return
        }

        // Asking for at least the whole hash returns the whole hash, in order.
        let chosen = count >= fields.count
            ? ArraySlice(0..<fields.count)
            : RandomSample.distinct(Array(0..<fields.count), count: Int(count))
        c.replyMembersHeader(chosen.count, paired: withValues)
        for index in chosen {
            let (field, value) = fields[index]
            c.replyPairStart(paired: withValues)
            c.replyBulk(field)
            if withValues { c.replyBulk(value) }
        }
    }
}
