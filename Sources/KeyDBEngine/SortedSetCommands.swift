import KeyDBRESP

/// Sorted-set commands (Redis's t_zset.c): single members, ranks and ZSCAN here;
/// adding, ranges, pops, random members and the set algebra in the `+` files.
enum SortedSetCommands {
    /// The sorted set at `key`, or nil after replying: `missingReply` when the
    /// key is absent, WRONGTYPE when it holds another type.
    static func existing(_ c: ClientSession, _ key: UnsafeRawBufferPointer, forWrite: Bool = false,
                         missingReply: (ClientSession) -> Void) -> SortedSetValue? {
        switch c.sortedSet(key, forWrite: forWrite) {
        case .found(let zset): return zset
        case .missing: missingReply(c)
        case .wrongType: c.replyError(ErrorReply.wrongType)
        }
        return nil
    }

    static func zcard(_ c: ClientSession, _ args: Arguments) {
        guard let zset = existing(c, args[1], missingReply: { $0.reply.writeIntegerReply(0) }) else { return }
        c.reply.writeIntegerReply(zset.count)
    }

    static func zscore(_ c: ClientSession, _ args: Arguments) {
        guard let zset = existing(c, args[1], missingReply: { $0.replyNull() }) else { return }
        guard let score = zset.scores[Bytes(args[2])] else { return c.replyNull() }
        c.replyDouble(score)
    }

    /// Calls `body` with the sorted set at `key`, or nil when the key is missing
    /// (for readers that treat that as an empty set); WRONGTYPE for another type.
    static func readingMissingAsEmpty(_ c: ClientSession, _ key: UnsafeRawBufferPointer, _ body: (SortedSetValue?) -> Void) {
        switch c.sortedSet(key) {
        case .wrongType: c.replyError(ErrorReply.wrongType)
        case .missing: body(nil)
        case .found(let zset): body(zset)
        }
    }

    /// ZMSCORE key member [member ...]: a missing key reads as an empty set.
    static func zmscore(_ c: ClientSession, _ args: Arguments) {
        readingMissingAsEmpty(c, args[1]) { zset in
            c.reply.writeArrayHeader(args.count - 2)
            for index in 2..<args.count {
                if let score = zset?.scores[Bytes(args[index])] { c.replyDouble(score) } else { c.replyNull() }
            }
        }
    }

    static func zrank(_ c: ClientSession, _ args: Arguments) { rank(c, args, reverse: false) }
    static func zrevrank(_ c: ClientSession, _ args: Arguments) { rank(c, args, reverse: true) }

    private static func rank(_ c: ClientSession, _ args: Arguments, reverse: Bool) {
        guard let zset = existing(c, args[1], missingReply: { $0.replyNull() }) else { return }
        let member = Bytes(args[2])
        guard let score = zset.scores[member], let rank = zset.index.rank(of: member, score: score) else {
            return c.replyNull()
        }
        c.reply.writeIntegerReply(reverse ? zset.count - 1 - rank : rank)
    }

    /// ZREM key member [member ...]
    static func zrem(_ c: ClientSession, _ args: Arguments) {
        guard let zset = existing(c, args[1], forWrite: true, missingReply: { $0.reply.writeIntegerReply(0) }) else { return }
        var removed = 0
        for index in 2..<args.count {
            if zset.remove(Bytes(args[index])) { removed += 1 }
            if zset.count == 0 { break }  // the key is gone: later members cannot be in it
        }
        if removed > 0 { c.notify(.zset, "zrem", args[1]) }
        c.removeIfEmpty(args[1], isEmpty: zset.count == 0)
        c.dirty(removed)
        c.reply.writeIntegerReply(removed)
    }

    /// ZSCAN key cursor [MATCH pattern] [COUNT count]: every match in one reply, cursor 0.
    static func zscan(_ c: ClientSession, _ args: Arguments) {
        guard CollectionScan.checkCursor(c, args) else { return }
        guard let zset = existing(c, args[1], missingReply: { CollectionScan.reply($0, []) }) else { return }
        guard let options = ScanOptions.parse(c, args, cursorAt: 2, allowType: false) else { return }
        // Redis prints a listpack's scores as it stores them, a skiplist's with "%.17g".
        let small = zset.isListpack
        var elements: [Bytes] = []
        var node = zset.index.first
        while node != SortedSetIndex.none {
            let member = zset.index.member(node)
            if options.matches(member) {
                elements.append(member)
                let score = zset.index.score(node)
                elements.append(small ? withStoredScoreText(score) { Bytes($0) } : withDoubleText(score) { Bytes($0) })
            }
            node = zset.index.next(node)
        }
        CollectionScan.reply(c, elements)
    }
}

extension ClientSession {
    /// zset-max-listpack-entries / -value, as they are now.
    var zsetListpackLimits: SortedSetValue.ListpackLimits {
        engine.zsetListpackLimits
    }
}
