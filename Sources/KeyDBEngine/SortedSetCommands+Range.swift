import KeyDBRESP

/// ZRANGE and its older spellings, ZRANGESTORE, ZCOUNT, ZLEXCOUNT (Redis's `zrangeGenericCommand`).
extension SortedSetCommands {
    /// What min and max mean: positions, scores or members.
    enum RangeKind { case auto, rank, score, lex }
    enum RangeDirection { case auto, forward, reverse }

    /// ZRANGE key start stop [BYSCORE | BYLEX] [REV] [LIMIT offset count] [WITHSCORES]
    static func zrange(_ c: ClientSession, _ args: Arguments) { range(c, args, key: 1, destination: nil, kind: .auto, direction: .auto) }
    /// ZRANGESTORE dst src min max [BYSCORE | BYLEX] [REV] [LIMIT offset count]
    static func zrangestore(_ c: ClientSession, _ args: Arguments) { range(c, args, key: 2, destination: 1, kind: .auto, direction: .auto) }
    static func zrevrange(_ c: ClientSession, _ args: Arguments) { range(c, args, key: 1, destination: nil, kind: .rank, direction: .reverse) }
    static func zrangebyscore(_ c: ClientSession, _ args: Arguments) { range(c, args, key: 1, destination: nil, kind: .score, direction: .forward) }
    static func zrevrangebyscore(_ c: ClientSession, _ args: Arguments) { range(c, args, key: 1, destination: nil, kind: .score, direction: .reverse) }
    static func zrangebylex(_ c: ClientSession, _ args: Arguments) { range(c, args, key: 1, destination: nil, kind: .lex, direction: .forward) }
    static func zrevrangebylex(_ c: ClientSession, _ args: Arguments) { range(c, args, key: 1, destination: nil, kind: .lex, direction: .reverse) }

    /// The one implementation: `kind` and `direction` are fixed by the older
    /// commands, chosen by BYSCORE / BYLEX / REV for ZRANGE and ZRANGESTORE.
    private static func range(_ c: ClientSession, _ args: Arguments, key: Int, destination: Int?,
                              kind fixedKind: RangeKind, direction fixedDirection: RangeDirection) {
        // A second REV, BYSCORE or BYLEX is a syntax error, as is one the command already implies.
        var kind = fixedKind, direction = fixedDirection
        var withScores = false
        var offset = 0, limit = -1
        var index = key + 3
        while index < args.count {
            let remaining = args.count - index - 1
            if destination == nil && args.matches(index, "withscores") {
                withScores = true
            } else if args.matches(index, "limit") && remaining >= 2 {
                guard let o = args.int64(index + 1), let l = args.int64(index + 2) else {
                    return c.replyError(ErrorReply.notInteger)
                }
                offset = Int(o)
                limit = Int(l)
                index += 2
            } else if direction == .auto && args.matches(index, "rev") {
                direction = .reverse
            } else if kind == .auto && args.matches(index, "bylex") {
                kind = .lex
            } else if kind == .auto && args.matches(index, "byscore") {
                kind = .score
            } else {
                return c.replyError(ErrorReply.syntax)
            }
            index += 1
        }
        if direction == .auto { direction = .forward }
        if kind == .auto { kind = .rank }
        if limit != -1 && kind == .rank { return c.replyError(ErrorReply.zrangeLimitNeedsByScoreOrByLex) }
        if withScores && kind == .lex { return c.replyError(ErrorReply.zrangeWithScoresAndByLex) }

        let reverse = direction == .reverse
        // Reversed score and lex ranges are written max first.
        let (minAt, maxAt) = reverse && kind != .rank ? (key + 2, key + 1) : (key + 1, key + 2)
        enum Parsed {
            case rank(Int, Int)
            case score(ScoreRangeSpec)
            case lex(LexRangeSpec)
        }
        let parsed: Parsed
        switch kind {
        case .rank, .auto:
            guard let start = args.int64(minAt), let end = args.int64(maxAt) else { return c.replyError(ErrorReply.notInteger) }
            parsed = .rank(Int(start), Int(end))
        case .score:
            guard let spec = ScoreRangeSpec.parse(min: args[minAt], max: args[maxAt]) else { return c.replyError(ErrorReply.minMaxNotFloat) }
            parsed = .score(spec)
        case .lex:
            guard let spec = LexRangeSpec.parse(min: args[minAt], max: args[maxAt]) else { return c.replyError(ErrorReply.minMaxNotStringRange) }
            parsed = .lex(spec)
        }

        let zset: SortedSetValue
        switch c.sortedSet(args[key]) {
        case .wrongType: return c.replyError(ErrorReply.wrongType)
        case .found(let found): zset = found
        case .missing:
            if let destination { return storeRange(c, args[destination], nil, from: 0, count: 0, reverse: false, listpack: true) }
            return c.reply.writeArrayHeader(0)
        }

        // The answer is always a run of consecutive ranks: where it starts, and its length.
        var start = 0, length = 0
        switch parsed {
        case .rank(let first, let last):
            (start, length) = rankWindow(first, last, count: zset.count)
            if reverse { start = zset.count - 1 - start }
        case .score(let spec):
            (start, length) = limitWindow(spec.ranks(in: zset), offset: offset, limit: limit, reverse: reverse)
        case .lex(let spec):
            (start, length) = spec.window(in: zset, offset: offset, limit: limit, reverse: reverse)
        }

        if let destination {
            // Redis sizes the destination up front only for a rank range.
            let listpack: Bool
            if case .rank = parsed { listpack = length <= c.zsetListpackLimits.maxEntries } else { listpack = true }
            return storeRange(c, args[destination], zset, from: start, count: length, reverse: reverse, listpack: listpack)
        }
        c.replyMembersHeader(length, paired: withScores)
        zset.index.visit(from: start, count: length, reverse: reverse) { member, score in
            c.replyPairStart(paired: withScores)
            c.replyBulk(member)
            if withScores { c.replyDouble(score) }
        }
    }

    /// ZRANGE-style positions `first`...`last` (negative from the end) clipped
    /// to a set of `count`: the first rank and how many follow (0 when empty).
    static func rankWindow(_ first: Int, _ last: Int, count: Int) -> (start: Int, length: Int) {
        var first = first < 0 ? first + count : first
        var last = last < 0 ? last + count : last
        if first < 0 { first = 0 }
        if first > last || first >= count { return (0, 0) }
        if last >= count { last = count - 1 }
        return (first, last - first + 1)
    }

    /// LIMIT applied to the ranks of a score or lex range, walking from its low
    /// end (or its high end when reversed). A negative offset selects nothing,
    /// as Redis walks off the end; a negative limit means no limit.
    private static func limitWindow(_ ranks: Range<Int>, offset: Int, limit: Int, reverse: Bool) -> (start: Int, length: Int) {
        guard offset >= 0, offset < ranks.count else { return (0, 0) }
        let available = ranks.count - offset
        let length = limit < 0 ? available : min(limit, available)
        return (reverse ? ranks.upperBound - 1 - offset : ranks.lowerBound + offset, length)
    }

    /// ZRANGESTORE's ending: stores the run (or deletes the destination when it
    /// is empty) and replies with its length.
    private static func storeRange(_ c: ClientSession, _ destination: UnsafeRawBufferPointer, _ source: SortedSetValue?,
                                   from start: Int, count: Int, reverse: Bool, listpack: Bool) {
        guard let source, count > 0 else {
            c.reply.writeIntegerReply(0)
            if c.db.removeForReplacement(destination, now: c.now) {
                c.dirty()
                c.notify(.generic, "del", destination)
            }
            return
        }
        let stored = SortedSetValue(isListpack: listpack)
        let limits = c.zsetListpackLimits
        source.index.visit(from: start, count: count, reverse: reverse) { member, score in
            stored.set(member, score: score, limits: limits)
        }
        c.db.set(destination, .sortedSet(stored), now: c.now)
        c.dirty()
        c.notify(.zset, "zrangestore", destination)
        c.reply.writeIntegerReply(count)
    }

    // MARK: - Counting

    /// ZCOUNT key min max
    static func zcount(_ c: ClientSession, _ args: Arguments) {
        guard let spec = ScoreRangeSpec.parse(min: args[2], max: args[3]) else { return c.replyError(ErrorReply.minMaxNotFloat) }
        guard let zset = existing(c, args[1], missingReply: { $0.reply.writeIntegerReply(0) }) else { return }
        c.reply.writeIntegerReply(spec.ranks(in: zset).count)
    }

    /// ZLEXCOUNT key min max
    static func zlexcount(_ c: ClientSession, _ args: Arguments) {
        guard let spec = LexRangeSpec.parse(min: args[2], max: args[3]) else { return c.replyError(ErrorReply.minMaxNotStringRange) }
        guard let zset = existing(c, args[1], missingReply: { $0.reply.writeIntegerReply(0) }) else { return }
        c.reply.writeIntegerReply(spec.count(in: zset))
    }
}
