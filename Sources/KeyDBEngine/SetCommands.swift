import KeyDBRESP

/// Set commands (Redis's t_set.c): adding, removing, testing and listing
/// members. Random picks are in SetCommands+Random.swift, intersections,
/// unions and differences in SetCommands+Algebra.swift.
enum SetCommands {
    static func sadd(_ c: ClientSession, _ args: Arguments) {
        let set: SetValue
        switch c.set(args[1], forWrite: true) {
        case .wrongType: return c.replyError(ErrorReply.wrongType)
        case .found(let existing): set = existing
        case .missing:
            set = SetValue()
            c.db.set(args[1], .set(set), now: c.now)
        }
        var added = 0
        let maxIntsetEntries = c.engine.setMaxIntsetEntries
        for index in 2..<args.count where set.members.insert(args[index], maxIntsetEntries: maxIntsetEntries) {
            added += 1
        }
        if added > 0 { c.notify(.set, "sadd", args[1]) }
        c.dirty(added)
        c.reply.writeIntegerReply(added)
    }

    static func srem(_ c: ClientSession, _ args: Arguments) {
        switch c.set(args[1], forWrite: true) {
        case .wrongType: c.replyError(ErrorReply.wrongType)
        case .missing: c.reply.writeIntegerReply(0)
        case .found(let set):
            var removed = 0
            for index in 2..<args.count where set.members.remove(Bytes(args[index])) != nil {
                removed += 1
            }
            if removed > 0 { c.notify(.set, "srem", args[1]) }
            c.removeIfEmpty(args[1], isEmpty: set.members.isEmpty)
            c.dirty(removed)
            c.reply.writeIntegerReply(removed)
        }
    }

    /// SMOVE source destination member: 1 when the member was in the source.
    static func smove(_ c: ClientSession, _ args: Arguments) {
        // A missing source answers 0 before any type check, as in Redis.
        let source: SetValue
        switch c.set(args[1], forWrite: true) {
        case .missing: return c.reply.writeIntegerReply(0)
        case .wrongType: return c.replyError(ErrorReply.wrongType)
        case .found(let found): source = found
        }
        var destination: SetValue? = nil
        switch c.set(args[2], forWrite: true) {
        case .wrongType: return c.replyError(ErrorReply.wrongType)
        case .missing: break
        case .found(let found): destination = found
        }
        let member = Bytes(args[3])
        if destination === source { return c.reply.writeIntegerReply(source.members.contains(member) ? 1 : 0) }
        guard source.members.remove(member) != nil else { return c.reply.writeIntegerReply(0) }
        c.notify(.set, "srem", args[1])
        c.removeIfEmpty(args[1], isEmpty: source.members.isEmpty)
        c.touch(args[1])
        c.dirty()
        if let destination {
            // A destination that already had the member is unchanged: its watchers stay valid.
            if destination.members.insert(member, maxIntsetEntries: c.engine.setMaxIntsetEntries) {
                c.touch(args[2])
                c.dirty()
                c.notify(.set, "sadd", args[2])
            }
        } else {
            c.db.set(args[2], .set(SetValue([member], maxIntsetEntries: c.engine.setMaxIntsetEntries)), now: c.now)
            c.dirty()
            c.notify(.set, "sadd", args[2])
        }
        c.reply.writeIntegerReply(1)
    }

    // MARK: - Reading

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

    /// SMISMEMBER key member [member ...]: a missing key reads as an empty set (all zeros).
    static func smismember(_ c: ClientSession, _ args: Arguments) {
        var set: SetValue? = nil
        switch c.set(args[1]) {
        case .wrongType: return c.replyError(ErrorReply.wrongType)
        case .missing: break
        case .found(let found): set = found
        }
        c.reply.writeArrayHeader(args.count - 2)
        for index in 2..<args.count {
            c.reply.writeIntegerReply(set?.members.contains(Bytes(args[index])) == true ? 1 : 0)
        }
    }

    static func smembers(_ c: ClientSession, _ args: Arguments) {
        switch c.set(args[1]) {
        case .wrongType: c.replyError(ErrorReply.wrongType)
        case .missing: c.replySetHeader(0)
        case .found(let set): replySet(c, set.members)
        }
    }

    /// Members as a set: RESP3's `~`, an array in RESP2.
    static func replySet(_ c: ClientSession, _ members: some Collection<Bytes>) {
        c.reply.writeBulkArray(members, marker: c.resp3 ? UInt8(ascii: "~") : UInt8(ascii: "*"))
    }

    /// SSCAN key cursor [MATCH pattern] [COUNT count]
    static func sscan(_ c: ClientSession, _ args: Arguments) {
        guard CollectionScan.checkCursor(c, args) else { return }
        switch c.set(args[1]) {
        case .wrongType: c.replyError(ErrorReply.wrongType)
        case .missing: CollectionScan.reply(c, [])
        case .found(let set):
            guard let options = ScanOptions.parse(c, args, cursorAt: 2, allowType: false) else { return }
            CollectionScan.reply(c, set.members.filter(options.matches))
        }
    }
}
