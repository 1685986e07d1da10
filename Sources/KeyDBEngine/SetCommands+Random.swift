import KeyDBRESP

/// SPOP and SRANDMEMBER: random members, removed or not.
extension SetCommands {
    /// SPOP key [count]: removes and returns random members; the key goes when emptied.
    static func spop(_ c: ClientSession, _ args: Arguments) {
        guard args.count <= 3 else { return c.replyError(ErrorReply.syntax) }
        guard args.count == 3 else {
            switch c.set(args[1], forWrite: true) {
            case .wrongType: return c.replyError(ErrorReply.wrongType)
            case .missing: return c.replyNull()
            case .found(let set):
                let member = set.members.randomElement()!
                set.members.remove(member)
                // The random choice is logged as the removal it made.
                c.propagate("SREM" as StaticString, args[1], member)
                c.notify(.set, "spop", args[1])
                c.replyBulk(member)
                c.removeIfEmpty(args[1], isEmpty: set.members.isEmpty)
                c.dirty()
                return
            }
        }
        // Redis gives one text for a count that is negative or no integer at all.
        guard let count = args.int64(2), count >= 0 else { return c.replyError(ErrorReply.notPositive) }
        let set: SetValue
        switch c.set(args[1], forWrite: true) {
        case .wrongType: return c.replyError(ErrorReply.wrongType)
        case .missing: return c.replySetHeader(0)
        case .found(let found): set = found
        }
        if count == 0 { return c.replySetHeader(0) }
        c.notify(.set, "spop", args[1])
        // Popping at least every member hands over the whole set and deletes the key.
        if count >= set.members.count {
            // Redis answers this case through SUNION of the key: its read counts a hit,
            // and it replies from the set it builds (an intset when the members allow).
            c.engine.stats.keyspaceHits += 1
            c.dirty(set.members.count)
            replySet(c, union([set], c.engine.setMaxIntsetEntries))
            c.db.removeForReplacement(args[1], now: c.now)
            c.notify(.generic, "del", args[1])
            c.propagate("DEL" as StaticString, args[1])
            return
        }
        let remaining = set.members.count - Int(count)
        let popped: [Bytes]
        if remaining * spopMoveStrategyFactor > count {
            popped = Array(RandomSample.distinct(Array(set.members), count: Int(count)))
            for member in popped { set.members.remove(member) }
        } else {
            // Popping most of the set: as Redis, pick the members that stay, as a new
            // set (an intset again if they allow), and the rest leave in the set's order.
            let kept = MemberSet(RandomSample.distinct(Array(set.members), count: remaining),
                                 maxIntsetEntries: c.engine.setMaxIntsetEntries)
            popped = set.members.filter { !kept.contains($0) }
            set.members = kept
        }
        // One SREM a member, as Redis logs it (framed as a transaction when more than one).
        for member in popped { c.propagate("SREM" as StaticString, args[1], member) }
        c.dirty(popped.count)
        replySet(c, popped)
    }

    /// Redis's SPOP_MOVE_STRATEGY_MUL: SPOP draws the members it pops while at least
    /// this many times as many stay; else it draws the ones that stay.
    private static let spopMoveStrategyFactor = 5

    /// SRANDMEMBER key [count]: a negative count may repeat members.
    static func srandmember(_ c: ClientSession, _ args: Arguments) {
        guard args.count <= 3 else { return c.replyError(ErrorReply.syntax) }
        guard args.count == 3 else {
            switch c.set(args[1]) {
            case .wrongType: return c.replyError(ErrorReply.wrongType)
            case .missing: return c.replyNull()
            case .found(let set): return c.replyBulk(set.members.randomElement())
            }
        }
        // Redis takes counts in -LONG_MAX...LONG_MAX, so that negating one never overflows.
        guard let count = args.int64(2) else { return c.replyError(ErrorReply.notInteger) }
        guard count != .min else { return c.replyError(ErrorReply.longOutOfRange) }
        let set: SetValue
        switch c.set(args[1]) {
        case .wrongType: return c.replyError(ErrorReply.wrongType)
        case .missing: return c.reply.writeArrayHeader(0)
        case .found(let found): set = found
        }
        if count == 0 { return c.reply.writeArrayHeader(0) }
        if count < 0 || count == 1 {
            guard let picks = RandomSample.repeatedPicks(count, c) else { return }
            c.reply.writeArrayHeader(picks)
            for _ in 0..<picks { c.replyBulk(set.members.randomElement()) }
            return
        }
        if count >= set.members.count { return c.reply.writeBulkArray(set.members) }
        c.reply.writeBulkArray(RandomSample.distinct(Array(set.members), count: Int(count)))
    }
}
