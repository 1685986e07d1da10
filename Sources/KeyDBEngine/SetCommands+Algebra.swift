import KeyDBRESP

/// SINTER, SINTERCARD, SUNION, SDIFF and their STORE forms. A missing key
/// is an empty set; any key of another type is an error, checked for every
/// key before computing.
extension SetCommands {
    static func sinter(_ c: ClientSession, _ args: Arguments) {
        guard let sets = sources(c, args, from: 1, to: args.count) else { return }
        replySet(c, intersection(sets))
    }

    static func sinterstore(_ c: ClientSession, _ args: Arguments) {
        guard let sets = sources(c, args, from: 2, to: args.count) else { return }
        store(c, args[1], MemberSet(intersection(sets), maxIntsetEntries: c.engine.setMaxIntsetEntries), event: "sinterstore")
    }

    static func sunion(_ c: ClientSession, _ args: Arguments) {
        guard let sets = sources(c, args, from: 1, to: args.count) else { return }
        replySet(c, union(sets, c.engine.setMaxIntsetEntries))
    }

    static func sunionstore(_ c: ClientSession, _ args: Arguments) {
        guard let sets = sources(c, args, from: 2, to: args.count) else { return }
        store(c, args[1], union(sets, c.engine.setMaxIntsetEntries), event: "sunionstore")
    }

    static func sdiff(_ c: ClientSession, _ args: Arguments) {
        guard let sets = sources(c, args, from: 1, to: args.count) else { return }
        replySet(c, difference(sets, c.engine.setMaxIntsetEntries))
    }

    static func sdiffstore(_ c: ClientSession, _ args: Arguments) {
        guard let sets = sources(c, args, from: 2, to: args.count) else { return }
        store(c, args[1], difference(sets, c.engine.setMaxIntsetEntries), event: "sdiffstore")
    }

    /// SINTERCARD numkeys key [key ...] [LIMIT limit]: the intersection's size,
    /// counting stopped at `limit` (0: no limit).
    static func sintercard(_ c: ClientSession, _ args: Arguments) {
        guard let numkeys = args.int64(1), numkeys >= 1 else { return c.replyError(ErrorReply.numkeysNotPositive) }
        guard numkeys <= args.count - 2 else { return c.replyError(ErrorReply.numkeysExceedArgs) }
        let keysEnd = 2 + Int(numkeys)
        var limit = 0
        var index = keysEnd
        while index < args.count {
            guard args.matches(index, "limit"), index + 1 < args.count else { return c.replyError(ErrorReply.syntax) }
            guard let value = args.int64(index + 1), value >= 0 else { return c.replyError(ErrorReply.limitNegative) }
            limit = Int(value)
            index += 2
        }
        guard let sets = sources(c, args, from: 2, to: keysEnd) else { return }
        c.reply.writeIntegerReply(intersectionCount(sets, limit: limit))
    }

    // MARK: - Computing

    /// The sets at keys `from..<to` (nil for missing keys), or nil after replying WRONGTYPE.
    private static func sources(_ c: ClientSession, _ args: Arguments, from: Int, to: Int) -> [SetValue?]? {
        var sets: [SetValue?] = []
        sets.reserveCapacity(to - from)
        for index in from..<to {
            switch c.set(args[index]) {
            case .wrongType:
                c.replyError(ErrorReply.wrongType)
                return nil
            case .missing: sets.append(nil)
            case .found(let set): sets.append(set)
            }
        }
        return sets
    }

    /// The present sets, smallest first: intersections walk the smallest one.
    private static func smallestFirst(_ sets: [SetValue?]) -> [SetValue]? {
        var present: [SetValue] = []
        for set in sets {
            guard let set else { return nil }  // a missing key empties any intersection
            present.append(set)
        }
        return present.sorted { $0.members.count < $1.members.count }
    }

    private static func intersection(_ sets: [SetValue?]) -> [Bytes] {
        guard let sets = smallestFirst(sets) else { return [] }
        let others = sets.dropFirst().filter { $0 !== sets[0] }
        return sets[0].members.filter { member in others.allSatisfy { $0.members.contains(member) } }
    }

    private static func intersectionCount(_ sets: [SetValue?], limit: Int) -> Int {
        guard let sets = smallestFirst(sets) else { return 0 }
        let others = sets.dropFirst().filter { $0 !== sets[0] }
        var count = 0
        for member in sets[0].members where others.allSatisfy({ $0.members.contains(member) }) {
            count += 1
            if count == limit { break }
        }
        return count
    }

    /// Redis builds a union or difference as a new set (an intset while it can be)
    /// and replies from it: so an all-integer result comes in ascending order.
    static func union(_ sets: [SetValue?], _ maxIntsetEntries: Int) -> MemberSet {
        var result = MemberSet()
        for case let set? in sets {
            for member in set.members { result.insert(member, maxIntsetEntries: maxIntsetEntries) }
        }
        return result
    }

    /// The first set less every later one.
    private static func difference(_ sets: [SetValue?], _ maxIntsetEntries: Int) -> MemberSet {
        guard let first = sets[0] else { return MemberSet() }
        let others = sets.dropFirst().compactMap { $0 }
        if others.contains(where: { $0 === first }) { return MemberSet() }  // the same key subtracted from itself
        // Test each member of the first set, or remove the others' members from a
        // copy, weighed as Redis weighs them: the choice decides the result's
        // encoding (a large copy is a hash table for good) and so its order.
        let othersSize = others.reduce(0) { $0 + $1.members.count }
        if first.members.count * (others.count + 1) / 2 <= first.members.count + othersSize {
            let kept = first.members.lazy.filter { member in !others.contains { $0.members.contains(member) } }
            return MemberSet(kept, maxIntsetEntries: maxIntsetEntries)
        }
        var result = MemberSet(first.members, maxIntsetEntries: maxIntsetEntries)
        for other in others where !result.isEmpty {
            for member in other.members { result.remove(member) }
        }
        return result
    }

    /// The STORE forms: the result replaces `destination` (and its TTL); an
    /// empty result deletes it. Replies the result's size.
    private static func store(_ c: ClientSession, _ destination: UnsafeRawBufferPointer, _ members: MemberSet, event: StaticString) {
        if members.isEmpty {
            if c.db.removeForReplacement(destination, now: c.now) {
                c.dirty()
                c.notify(.generic, "del", destination)
            }
            return c.reply.writeIntegerReply(0)
        }
        c.db.set(destination, .set(SetValue(members)), now: c.now)
        c.dirty()
        c.notify(.set, event, destination)
        c.reply.writeIntegerReply(members.count)
    }
}
