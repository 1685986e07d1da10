import KeyDBRESP

/// Hash commands (Redis's t_hash.c): setting, reading and deleting fields.
/// Counters are in HashCommands+Increment.swift, HRANDFIELD in
/// HashCommands+RandomField.swift.
enum HashCommands {
    // MARK: - Writing fields

    /// HSET key field value [field value ...]: how many fields were new.
    static func hset(_ c: ClientSession, _ args: Arguments) {
        guard args.count % 2 == 0 else { return c.replyError(ErrorReply.wrongArity("hset")) }
        guard let created = setFields(c, args) else { return }
        c.reply.writeIntegerReply(created)
    }

    /// HMSET: HSET's older spelling, which answers OK.
    static func hmset(_ c: ClientSession, _ args: Arguments) {
        guard args.count % 2 == 0 else { return c.replyError(ErrorReply.wrongArity("hmset")) }
        guard setFields(c, args) != nil else { return }
        c.replyOK()
    }

    /// The one implementation behind HSET and HMSET: the number of new fields,
    /// or nil after replying WRONGTYPE.
    private static func setFields(_ c: ClientSession, _ args: Arguments) -> Int? {
        guard let (hash, isNew) = hashForWrite(c, args[1]) else { return nil }
        var created = 0
        for index in stride(from: 2, to: args.count, by: 2) {
            if hash.fields.setValue(args[index + 1], forKey: args[index]) { created += 1 }
        }
        if isNew { c.db.set(args[1], .hash(hash), now: c.now) }
        // Redis counts every pair written, new or not.
        c.dirty((args.count - 2) / 2)
        c.notify(.hash, "hset", args[1])
        return created
    }

    static func hsetnx(_ c: ClientSession, _ args: Arguments) {
        guard let (hash, isNew) = hashForWrite(c, args[1]) else { return }
        let field = Bytes(args[2])
        if hash.fields[field] != nil { return c.reply.writeIntegerReply(0) }
        hash.fields[field] = Bytes(args[3])
        if isNew { c.db.set(args[1], .hash(hash), now: c.now) }
        c.dirty()
        c.notify(.hash, "hset", args[1])
        c.reply.writeIntegerReply(1)
    }

    /// The hash at `key` for a write (no hit/miss counting), or a new empty one
    /// the caller stores once it holds a field (`isNew`); nil after replying WRONGTYPE.
    static func hashForWrite(_ c: ClientSession, _ key: UnsafeRawBufferPointer) -> (HashValue, isNew: Bool)? {
        switch c.hash(key, forWrite: true) {
        case .wrongType:
            c.replyError(ErrorReply.wrongType)
            return nil
        case .found(let hash): return (hash, false)
        case .missing: return (HashValue(), true)
        }
    }

    static func hdel(_ c: ClientSession, _ args: Arguments) {
        switch c.hash(args[1], forWrite: true) {
        case .wrongType: c.replyError(ErrorReply.wrongType)
        case .missing: c.reply.writeIntegerReply(0)
        case .found(let hash):
            var deleted = 0
            for index in 2..<args.count where hash.fields.removeValue(forKey: Bytes(args[index])) != nil {
                deleted += 1
            }
            if deleted > 0 { c.notify(.hash, "hdel", args[1]) }
            c.removeIfEmpty(args[1], isEmpty: hash.fields.isEmpty)
            c.dirty(deleted)
            c.reply.writeIntegerReply(deleted)
        }
    }

    // MARK: - Reading fields

    static func hget(_ c: ClientSession, _ args: Arguments) {
        switch c.hash(args[1]) {
        case .wrongType: c.replyError(ErrorReply.wrongType)
        case .missing: c.replyNull()
        case .found(let hash): c.replyBulk(hash.fields[Bytes(args[2])])
        }
    }

    /// HMGET key field [field ...]: a missing key reads as an empty hash (all nils).
    static func hmget(_ c: ClientSession, _ args: Arguments) {
        var hash: HashValue? = nil
        switch c.hash(args[1]) {
        case .wrongType: return c.replyError(ErrorReply.wrongType)
        case .missing: break
        case .found(let found): hash = found
        }
        c.reply.writeArrayHeader(args.count - 2)
        for index in 2..<args.count {
            c.replyBulk(hash?.fields[Bytes(args[index])])
        }
    }

    static func hexists(_ c: ClientSession, _ args: Arguments) {
        switch c.hash(args[1]) {
        case .wrongType: c.replyError(ErrorReply.wrongType)
        case .missing: c.reply.writeIntegerReply(0)
        case .found(let hash): c.reply.writeIntegerReply(hash.fields[Bytes(args[2])] == nil ? 0 : 1)
        }
    }

    /// HSTRLEN key field: 0 for a missing key or field.
    static func hstrlen(_ c: ClientSession, _ args: Arguments) {
        switch c.hash(args[1]) {
        case .wrongType: c.replyError(ErrorReply.wrongType)
        case .missing: c.reply.writeIntegerReply(0)
        case .found(let hash): c.reply.writeIntegerReply(hash.fields[Bytes(args[2])]?.count ?? 0)
        }
    }

    static func hlen(_ c: ClientSession, _ args: Arguments) {
        switch c.hash(args[1]) {
        case .wrongType: c.replyError(ErrorReply.wrongType)
        case .missing: c.reply.writeIntegerReply(0)
        case .found(let hash): c.reply.writeIntegerReply(hash.fields.count)
        }
    }

    // MARK: - Whole hash

    static func hgetall(_ c: ClientSession, _ args: Arguments) { replyAll(c, args[1], fields: true, values: true) }
    static func hkeys(_ c: ClientSession, _ args: Arguments) { replyAll(c, args[1], fields: true, values: false) }
    static func hvals(_ c: ClientSession, _ args: Arguments) { replyAll(c, args[1], fields: false, values: true) }

    /// The one implementation behind HGETALL, HKEYS and HVALS (Redis's genericHgetallCommand).
    private static func replyAll(_ c: ClientSession, _ key: UnsafeRawBufferPointer, fields: Bool, values: Bool) {
        switch c.hash(key) {
        case .wrongType: c.replyError(ErrorReply.wrongType)
        case .missing: fields && values ? c.replyMapHeader(0) : c.reply.writeArrayHeader(0)
        case .found(let hash):
            if fields && values { c.replyMapHeader(hash.fields.count) } else { c.reply.writeArrayHeader(hash.fields.count) }
            for (field, value) in hash.fields {
                if fields { c.replyBulk(field) }
                if values { c.replyBulk(value) }
            }
        }
    }

    /// HSCAN key cursor [MATCH pattern] [COUNT count]
    static func hscan(_ c: ClientSession, _ args: Arguments) {
        guard CollectionScan.checkCursor(c, args) else { return }
        switch c.hash(args[1]) {
        case .wrongType: c.replyError(ErrorReply.wrongType)
        case .missing: CollectionScan.reply(c, [])
        case .found(let hash):
            guard let options = ScanOptions.parse(c, args, cursorAt: 2, allowType: false) else { return }
            var found: [Bytes] = []
            // MATCH looks at the field; its value comes along.
            for (field, value) in hash.fields where options.matches(field) {
                found.append(field)
                found.append(value)
            }
            CollectionScan.reply(c, found)
        }
    }
}
