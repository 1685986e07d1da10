import KeyDBRESP

/// ZUNION, ZINTER, ZDIFF, their STORE forms, and ZINTERCARD (Redis's
/// `zunionInterDiffGenericCommand`). Plain sets take part as sorted sets whose scores are all 1.
extension SortedSetCommands {
    enum SetOperation { case union, inter, diff }
    enum Aggregate { case sum, min, max }

    /// One input: a sorted set, a set, or a missing key (empty), and its weight.
    private struct Source {
        enum Contents {
            case missing
            case zset(SortedSetValue)
            case set(SetValue)
        }

        var contents: Contents
        var weight = 1.0

        var count: Int {
            switch contents {
            case .missing: return 0
            case .zset(let zset): return zset.count
            case .set(let set): return set.members.count
            }
        }

        /// Whether two inputs are the same key's value (Redis compares the objects).
        func isSameObject(as other: Source) -> Bool {
            switch (contents, other.contents) {
            case (.zset(let a), .zset(let b)): return a === b
            case (.set(let a), .set(let b)): return a === b
            default: return false
            }
        }

        func score(of member: Bytes) -> Double? {
            switch contents {
            case .missing: return nil
            case .zset(let zset): return zset.scores[member]
            case .set(let set): return set.members.contains(member) ? 1 : nil
            }
        }

        func forEach(_ body: (Bytes, Double) -> Void) {
            switch contents {
            case .missing: return
            case .zset(let zset): for (member, score) in zset.scores { body(member, score) }
            case .set(let set): for member in set.members { body(member, 1) }
            }
        }
    }

    static func zunion(_ c: ClientSession, _ args: Arguments) { unionInterDiff(c, args, destination: nil, numkeysAt: 1, .union) }
    static func zinter(_ c: ClientSession, _ args: Arguments) { unionInterDiff(c, args, destination: nil, numkeysAt: 1, .inter) }
    static func zdiff(_ c: ClientSession, _ args: Arguments) { unionInterDiff(c, args, destination: nil, numkeysAt: 1, .diff) }
    static func zunionstore(_ c: ClientSession, _ args: Arguments) { unionInterDiff(c, args, destination: 1, numkeysAt: 2, .union) }
    static func zinterstore(_ c: ClientSession, _ args: Arguments) { unionInterDiff(c, args, destination: 1, numkeysAt: 2, .inter) }
    static func zdiffstore(_ c: ClientSession, _ args: Arguments) { unionInterDiff(c, args, destination: 1, numkeysAt: 2, .diff) }
    /// ZINTERCARD numkeys key [key ...] [LIMIT limit]
    static func zintercard(_ c: ClientSession, _ args: Arguments) {
        unionInterDiff(c, args, destination: nil, numkeysAt: 1, .inter, cardinalityOnly: true)
    }

    private static func unionInterDiff(_ c: ClientSession, _ args: Arguments, destination: Int?, numkeysAt numkeysIndex: Int,
                                       _ operation: SetOperation, cardinalityOnly: Bool = false) {
        guard let numkeys = args.int64(numkeysIndex) else { return c.replyError(ErrorReply.notInteger) }
        guard numkeys >= 1 else { return c.replyError(ErrorReply.atLeastOneInputKey(c.lastCommand)) }
        guard numkeys <= args.count - numkeysIndex - 1 else { return c.replyError(ErrorReply.syntax) }

        // Keys are looked up (and type-checked) before the options are read, as in Redis.
        var sources: [Source] = []
        var index = numkeysIndex + 1
        for _ in 0..<Int(numkeys) {
            switch c.lookupRead(args[index]) {
            case .none: sources.append(Source(contents: .missing))
            case .sortedSet(let zset)?: sources.append(Source(contents: .zset(zset)))
            case .set(let set)?: sources.append(Source(contents: .set(set)))
            case .some: return c.replyError(ErrorReply.wrongType)
            }
            index += 1
        }

        var aggregate = Aggregate.sum
        var withScores = false
        var limit = 0  // ZINTERCARD: 0 is no limit
        while index < args.count {
            let remaining = args.count - index
            let algebra = operation != .diff && !cardinalityOnly
            if algebra && remaining >= sources.count + 1 && args.matches(index, "weights") {
                index += 1
                for i in sources.indices {
                    guard let weight = args.double(index) else { return c.replyError(ErrorReply.weightNotFloat) }
                    sources[i].weight = weight
                    index += 1
                }
            } else if algebra && remaining >= 2 && args.matches(index, "aggregate") {
                if args.matches(index + 1, "sum") { aggregate = .sum }
                else if args.matches(index + 1, "min") { aggregate = .min }
                else if args.matches(index + 1, "max") { aggregate = .max }
                else { return c.replyError(ErrorReply.syntax) }
                index += 2
            } else if destination == nil && !cardinalityOnly && args.matches(index, "withscores") {
                withScores = true
                index += 1
            } else if cardinalityOnly && remaining >= 2 && args.matches(index, "limit") {
                guard let value = args.int64(index + 1), value >= 0 else { return c.replyError(ErrorReply.limitNegative) }
                limit = Int(value)
                index += 2
            } else {
                return c.replyError(ErrorReply.syntax)
            }
        }

        // Smallest first: intersections probe the others with its members.
        // Stable, so equal sizes keep their order (it shapes floating-point sums).
        if operation != .diff {
            sources = sources.enumerated().sorted { ($0.element.count, $0.offset) < ($1.element.count, $1.offset) }.map(\.element)
        }

        var result: [Bytes: Double] = [:]
        switch operation {
        case .inter:
            guard sources[0].count > 0 else { break }
            var cardinality = 0
            sources[0].forEach { member, memberScore in
                if limit > 0 && cardinality >= limit { return }
                var score = sources[0].weight * memberScore
                if score.isNaN { score = 0 }
                for other in sources.dropFirst() {
                    let found = other.isSameObject(as: sources[0]) ? memberScore : other.score(of: member)
                    guard let found else { return }
                    score = combine(score, found * other.weight, aggregate)
                }
                if cardinalityOnly { cardinality += 1 } else { result[member] = score }
            }
            if cardinalityOnly { return c.reply.writeIntegerReply(cardinality) }
        case .union:
            for source in sources where source.count > 0 {
                source.forEach { member, memberScore in
                    var score = source.weight * memberScore
                    if score.isNaN { score = 0 }
                    if let existing = result[member] {
                        result[member] = combine(existing, score, aggregate)
                    } else {
                        result[member] = score
                    }
                }
            }
        case .diff:
            guard sources[0].count > 0 else { break }
            // Subtracting a set from itself leaves nothing.
            if sources.dropFirst().contains(where: { $0.isSameObject(as: sources[0]) }) { break }
            sources[0].forEach { member, score in
                if !sources.dropFirst().contains(where: { $0.score(of: member) != nil }) { result[member] = score }
            }
        }
        if cardinalityOnly { return c.reply.writeIntegerReply(0) }

        if let destination {
            guard !result.isEmpty else {
                c.reply.writeIntegerReply(0)
                if c.db.removeForReplacement(args[destination], now: c.now) {
                    c.dirty()
                    c.notify(.generic, "del", args[destination])
                }
                return
            }
            c.db.set(args[destination], .sortedSet(SortedSetValue(result, limits: c.zsetListpackLimits)), now: c.now)
            c.dirty()
            switch operation {
            case .union: c.notify(.zset, "zunionstore", args[destination])
            case .inter: c.notify(.zset, "zinterstore", args[destination])
            case .diff: c.notify(.zset, "zdiffstore", args[destination])
            }
            return c.reply.writeIntegerReply(result.count)
        }
        let ordered = result.sorted { $0.value < $1.value || ($0.value == $1.value && $0.key < $1.key) }
        c.replyMembersHeader(ordered.count, paired: withScores)
        for (member, score) in ordered {
            c.replyPairStart(paired: withScores)
            c.replyBulk(member)
            if withScores { c.replyDouble(score) }
        }
    }

    /// Folds one more weighted score in; a sum of opposite infinities is 0, as in Redis.
    private static func combine(_ target: Double, _ value: Double, _ aggregate: Aggregate) -> Double {
        switch aggregate {
        case .sum:
            let sum = target + value
            return sum.isNaN ? 0 : sum
        case .min: return value < target ? value : target
        case .max: return value > target ? value : target
        }
    }
}
