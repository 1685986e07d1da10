import KeyDBRESP

/// Which end of a sorted set a pop takes from: MIN is the lowest score.
enum SortedSetEnd {
    case min, max
}

/// ZPOPMIN, ZPOPMAX, ZMPOP, and the pop the blocking variants share (Redis's `genericZpopCommand`).
extension SortedSetCommands {
    /// The shape of a pop's reply.
    enum PopReplyShape {
        /// ZPOPMIN / ZPOPMAX without a count: [member, score]
        case flat
        /// ZPOPMIN / ZPOPMAX with a count: [member, score, ...], nested pairs in RESP3
        case counted
        /// BZPOPMIN / BZPOPMAX: [key, member, score]
        case keyThenFlat
        /// ZMPOP / BZMPOP: [key, [[member, score], ...]]
        case keyThenPairs
    }

    /// ZPOPMIN key [count]
    static func zpopmin(_ c: ClientSession, _ args: Arguments) { popMinMax(c, args, from: .min) }
    /// ZPOPMAX key [count]
    static func zpopmax(_ c: ClientSession, _ args: Arguments) { popMinMax(c, args, from: .max) }

    private static func popMinMax(_ c: ClientSession, _ args: Arguments, from end: SortedSetEnd) {
        guard args.count <= 3 else { return c.replyError(ErrorReply.syntax) }
        var count = 1
        if args.count == 3 {
            // getPositiveLongFromObjectOrReply: one text for "not a number" and "negative".
            guard let value = args.int64(2), value >= 0 else { return c.replyError(ErrorReply.notPositive) }
            count = Int(value)
        }
        guard let zset = existing(c, args[1], forWrite: true, missingReply: { $0.reply.writeArrayHeader(0) }) else { return }
        if count == 0 { return c.reply.writeArrayHeader(0) }
        pop(c, key: Bytes(args[1]), zset, from: end, count: count, shape: args.count == 3 ? .counted : .flat)
    }

    /// ZMPOP numkeys key [key ...] MIN|MAX [COUNT count]: null when every key is empty.
    static func zmpop(_ c: ClientSession, _ args: Arguments) {
        guard let request = MultiPop.parse(c, args, numkeysAt: 1, ends: ("min", "max")) else { return }
        let end: SortedSetEnd = request.end == .left ? .min : .max
        if !popFirstNonEmpty(c, keys: request.keys, from: end, count: request.count, shape: .keyThenPairs) {
            c.replyNullArray()
        }
    }

    /// Pops from the first of `keys` that holds a sorted set (held sets are never empty).
    /// Returns false, having replied nothing, when none does. A key of another
    /// type answers WRONGTYPE (true is returned), or with `stopOnWrongType`
    /// false is passed over, as a blocked client waiting for a set would.
    @discardableResult
    static func popFirstNonEmpty(_ c: ClientSession, keys: [Bytes], from end: SortedSetEnd, count: Int,
                                 shape: PopReplyShape, stopOnWrongType: Bool = true) -> Bool {
        for key in keys {
            switch key.withUnsafeBytes({ c.sortedSet($0, forWrite: true) }) {
            case .missing: continue
            case .wrongType:
                guard stopOnWrongType else { continue }
                c.replyError(ErrorReply.wrongType)
                return true
            case .found(let zset):
                pop(c, key: key, zset, from: end, count: count, shape: shape)
                return true
            }
        }
        return false
    }

    /// Pops up to `count` (≥ 1) elements from `end` of `zset`, the non-empty set
    /// at `key`, replying in `shape`; deletes the key once it is empty.
    static func pop(_ c: ClientSession, key: Bytes, _ zset: SortedSetValue, from end: SortedSetEnd, count: Int,
                    shape: PopReplyShape) {
        let taken = min(count, zset.count)
        let nested = shape == .keyThenPairs || (shape == .counted && c.resp3)
        switch shape {
        case .flat:
            c.reply.writeArrayHeader(2)
        case .counted:
            c.replyMembersHeader(taken, paired: true)
        case .keyThenFlat:
            c.reply.writeArrayHeader(taken * 2 + 1)
            c.replyBulk(key)
        case .keyThenPairs:
            c.reply.writeArrayHeader(2)
            c.replyBulk(key)
            c.reply.writeArrayHeader(taken)
        }
        let ranks = end == .min ? 0..<taken : (zset.count - taken)..<zset.count
        var popped: [(Bytes, Double)] = []
        popped.reserveCapacity(taken)
        zset.removeRanks(ranks) { member, score in popped.append((member, score)) }
        c.notify(.zset, end == .min ? "zpopmin" : "zpopmax", key)
        // The key popped from, not every key a multi-key pop named (WATCH, client-side caching).
        key.withUnsafeBytes { c.touch($0) }
        // Removal walks up the order; MAX replies from the top down.
        if end == .max { popped.reverse() }
        for (member, score) in popped {
            if nested { c.reply.writeArrayHeader(2) }
            c.replyBulk(member)
            c.replyDouble(score)
        }
        c.dirty(taken)
        // ZMPOP and the blocking pops, served now or later, log the plain pop they made.
        key.withUnsafeBytes { c.propagate(end == .min ? "ZPOPMIN" as StaticString : "ZPOPMAX", $0, taken) }
        key.withUnsafeBytes { c.removeIfEmpty($0, isEmpty: zset.count == 0) }
    }
}
