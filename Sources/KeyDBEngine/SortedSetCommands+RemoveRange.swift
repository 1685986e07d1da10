import KeyDBRESP

/// ZREMRANGEBYRANK, ZREMRANGEBYSCORE, ZREMRANGEBYLEX (Redis's `zremrangeGenericCommand`).
extension SortedSetCommands {
    /// ZREMRANGEBYRANK key start stop
    static func zremrangebyrank(_ c: ClientSession, _ args: Arguments) {
        guard let first = args.int64(2), let last = args.int64(3) else { return c.replyError(ErrorReply.notInteger) }
        removeRange(c, args, event: "zremrangebyrank") { zset in
            let (start, length) = rankWindow(Int(first), Int(last), count: zset.count)
            return start..<(start + length)
        }
    }

    /// ZREMRANGEBYSCORE key min max
    static func zremrangebyscore(_ c: ClientSession, _ args: Arguments) {
        guard let spec = ScoreRangeSpec.parse(min: args[2], max: args[3]) else { return c.replyError(ErrorReply.minMaxNotFloat) }
        removeRange(c, args, event: "zremrangebyscore") { spec.ranks(in: $0) }
    }

    /// ZREMRANGEBYLEX key min max
    static func zremrangebylex(_ c: ClientSession, _ args: Arguments) {
        guard let spec = LexRangeSpec.parse(min: args[2], max: args[3]) else { return c.replyError(ErrorReply.minMaxNotStringRange) }
        removeRange(c, args, event: "zremrangebylex") { zset in
            let (start, length) = spec.window(in: zset, offset: 0, limit: -1, reverse: false)
            return start..<(start + length)
        }
    }

    /// Removes the ranks `ranks` picks from the set at argv[1] (parsed bounds already checked).
    private static func removeRange(_ c: ClientSession, _ args: Arguments, event: StaticString, _ ranks: (SortedSetValue) -> Range<Int>) {
        guard let zset = existing(c, args[1], forWrite: true, missingReply: { $0.reply.writeIntegerReply(0) }) else { return }
        let doomed = ranks(zset)
        zset.removeRanks(doomed)
        if !doomed.isEmpty { c.notify(.zset, event, args[1]) }
        c.removeIfEmpty(args[1], isEmpty: zset.count == 0)
        c.dirty(doomed.count)
        c.reply.writeIntegerReply(doomed.count)
    }
}
