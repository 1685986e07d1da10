import KeyDBRESP

/// ZRANDMEMBER (Redis's `zrandmemberCommand`). Random picks are random ranks,
/// O(log n) each through the index.
extension SortedSetCommands {
    /// ZRANDMEMBER key [count [WITHSCORES]]: a negative count may repeat members.
    static func zrandmember(_ c: ClientSession, _ args: Arguments) {
        guard args.count >= 3 else {
            guard let zset = existing(c, args[1], missingReply: { $0.replyNull() }) else { return }
            return c.replyBulk(zset.index.member(zset.index.node(at: Int.random(in: 0..<zset.count))))
        }
        guard let requested = args.int64(2) else { return c.replyError(ErrorReply.notInteger) }
        guard requested != .min else { return c.replyError(ErrorReply.longOutOfRange) }
        guard args.count == 3 || (args.count == 4 && args.matches(3, "withscores")) else { return c.replyError(ErrorReply.syntax) }
        let withScores = args.count == 4
        // With scores the reply holds twice the count, which must stay a long.
        if withScores && (requested < -(Int64.max / 2) || requested > Int64.max / 2) {
            return c.replyError(ErrorReply.valueOutOfRange)
        }
        guard let zset = existing(c, args[1], missingReply: { $0.reply.writeArrayHeader(0) }) else { return }
        if requested == 0 { return c.reply.writeArrayHeader(0) }

        let index = zset.index
        func reply(_ rank: Int) {
            let node = index.node(at: rank)
            c.replyPairStart(paired: withScores)
            c.replyBulk(index.member(node))
            if withScores { c.replyDouble(index.score(node)) }
        }
        // A negative count (or a single member): independent draws, repeats allowed.
        if requested < 0 || requested == 1 {
            guard let count = RandomSample.repeatedPicks(requested, c) else { return }
            c.replyMembersHeader(count, paired: withScores)
            for _ in 0..<count { reply(Int.random(in: 0..<zset.count)) }
            return
        }
        let count = Int(requested)
        // Asking for at least the whole set: the whole set, highest first (Redis walks it from the tail).
        if count >= zset.count {
            c.replyMembersHeader(zset.count, paired: withScores)
            index.visit(from: zset.count - 1, count: zset.count, reverse: true) { member, score in
                c.replyPairStart(paired: withScores)
                c.replyBulk(member)
                if withScores { c.replyDouble(score) }
            }
            return
        }
        c.replyMembersHeader(count, paired: withScores)
        if count * 3 > zset.count {
            // Most of the set: shuffle every rank and keep a prefix.
            for rank in RandomSample.distinct(Array(0..<zset.count), count: count) { reply(rank) }
        } else {
            // A small part: draw ranks until enough are distinct.
            var chosen = Set<Int>()
            while chosen.count < count {
                let rank = Int.random(in: 0..<zset.count)
                if chosen.insert(rank).inserted { reply(rank) }
            }
        }
    }
}
