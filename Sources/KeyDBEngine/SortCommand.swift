import KeyDBRESP

/// SORT and SORT_RO (Redis's sort.c): the elements of a list, set or sorted set,
/// ordered by themselves or by keys a pattern names, optionally limited,
/// replaced by GET patterns, and returned or stored as a list.
enum SortCommand {
    static func sort(_ c: ClientSession, _ args: Arguments) { run(c, args, readOnly: false) }
    static func sortRO(_ c: ClientSession, _ args: Arguments) { run(c, args, readOnly: true) }

    /// The options as Redis parses them, left to right.
    struct Options {
        var descending = false
        var alpha = false
        var limitStart: Int64 = 0
        var limitCount: Int64 = -1
        var by: SortPattern? = nil
        /// BY a pattern without "*": keep the elements' own order. Once set it stays,
        /// even if a later BY has a "*" (as in Redis).
        var dontSort = false
        var store: Bytes? = nil
        var gets: [SortPattern] = []
    }

    private static func parse(_ c: ClientSession, _ args: Arguments, readOnly: Bool) -> Options? {
        var options = Options()
        var fullKeyAccess: Bool? = nil
        // BY and GET read keys no key spec names: only a user who may read every key can use them.
        func mayReadAnyKey() -> Bool {
            if let known = fullKeyAccess { return known }
            let allowed = c.aclUnrestricted || c.lastCommandSpec.map { c.user.hasUnrestrictedKeyAccess($0, args, .read) } ?? true
            fullKeyAccess = allowed
            return allowed
        }
        var index = 2
        while index < args.count {
            let left = args.count - index - 1
            if args.matches(index, "asc") {
                options.descending = false
            } else if args.matches(index, "desc") {
                options.descending = true
            } else if args.matches(index, "alpha") {
                options.alpha = true
            } else if args.matches(index, "limit") && left >= 2 {
                guard let start = args.int64(index + 1), let count = args.int64(index + 2) else {
                    c.replyError(ErrorReply.notInteger)
                    return nil
                }
                (options.limitStart, options.limitCount) = (start, count)
                index += 2
            } else if !readOnly && args.matches(index, "store") && left >= 1 {
                options.store = Bytes(args[index + 1])
                index += 1
            } else if args.matches(index, "by") && left >= 1 {
                let pattern = SortPattern(args[index + 1])
                options.by = pattern
                if !pattern.hasWildcard {
                    options.dontSort = true
                } else if !mayReadAnyKey() {
                    c.replyError(ErrorReply.sortByDeniedByACL)
                    return nil
                }
                index += 1
            } else if args.matches(index, "get") && left >= 1 {
                guard mayReadAnyKey() else {
                    c.replyError(ErrorReply.sortGetDeniedByACL)
                    return nil
                }
                options.gets.append(SortPattern(args[index + 1]))
                index += 1
            } else {
                c.replyError(ErrorReply.syntax)
                return nil
            }
            index += 1
        }
        return options
    }

    private static func run(_ c: ClientSession, _ args: Arguments, readOnly: Bool) {
        guard var options = parse(c, args, readOnly: readOnly) else { return }
        let slot = c.lookupReadSlot(args[1])
        let value = slot.map { c.db.value(at: $0) }
        switch value {
        case nil, .list?, .set?, .sortedSet?: break
        default: return c.replyError(ErrorReply.wrongType)
        }
        // A set has no order of its own: what is stored or seen by a script must not
        // depend on how its members happen to lie, so it is sorted after all.
        if options.dontSort, case .set? = value, options.store != nil || c.isScriptClient {
            options.dontSort = false
            options.alpha = true
            options.by = nil
        }
        // Redis turns a listpack sorted set into a skiplist before sorting it.
        if case .sortedSet(let zset)? = value, zset.isListpack, let slot {
            c.db.holdAsSkiplist(at: slot, zset)
        }

        let length = value.map(elementCount) ?? 0
        // LIMIT, clamped as Redis does so that no arithmetic can overflow.
        var start = Int(clamping: min(max(options.limitStart, 0), Int64(length)))
        let count = Int(clamping: min(max(options.limitCount, -1), Int64(length)))
        var end = count < 0 ? length - 1 : start + count - 1
        if start >= length {
            start = length - 1
            end = length - 2
        }
        if end >= length { end = length - 1 }

        var items = elements(of: value, options, start: &start, end: &end, c)
        if !options.dontSort {
            guard weigh(&items, options, c) else { return c.replyError(ErrorReply.sortScoreNotDouble) }
            let compare = comparator(options)
            items.sort { compare($0, $1) < 0 }
        }
        let taken = end >= start ? items[start...end] : []
        if let store = options.store {
            self.store(taken, options, into: store, c)
        } else {
            reply(taken, options, c)
        }
    }

    /// The elements to sort, in the value's own order. When they need no sorting
    /// (a constant BY) a list or sorted set gives only the LIMIT range, in DESC's
    /// direction, and `start` / `end` are moved onto what it gave.
    private static func elements(of value: Value?, _ options: Options, start: inout Int, end: inout Int,
                                 _ c: ClientSession) -> [Item] {
        let length = value.map(elementCount) ?? 0
        var items: [Item] = []
        switch value {
        case .list(let list)? where options.dontSort:
            if end >= start {
                let range = options.descending ? (length - 1 - end)...(length - 1 - start) : start...end
                items = list.items.elements(range.lowerBound..<range.upperBound + 1).map { Item(element: $0) }
                if options.descending { items.reverse() }
                (start, end) = (0, end - start)
            }
        case .sortedSet(let zset)? where options.dontSort:
            if end >= start {
                var rank = 0
                let range = options.descending ? (length - 1 - end)...(length - 1 - start) : start...end
                zset.forEachInOrder { member, _ in
                    if range.contains(rank) { items.append(Item(element: member)) }
                    rank += 1
                }
                if options.descending { items.reverse() }
                (start, end) = (0, end - start)
            }
        case .list(let list)?:
            items = list.items.map { Item(element: $0) }
        case .set(let set)?:
            items = set.members.map { Item(element: $0) }  // an intset's in ascending order, as Redis walks it
        case .sortedSet(let zset)?:
            items = zset.scores.keys.map { Item(element: $0) }
        default:
            break
        }
        return items
    }

    /// Gives each element what it is compared by (the BY value, or itself); false when
    /// a numeric sort meets a value that is not a number.
    private static func weigh(_ items: inout [Item], _ options: Options, _ c: ClientSession) -> Bool {
        var convertible = true
        for i in items.indices {
            let by: Bytes
            if let pattern = options.by {
                guard let found = pattern.lookup(items[i].element, c) else { continue }  // 0, or first under ALPHA
                by = found
            } else {
                by = items[i].element
            }
            if options.alpha {
                if options.by != nil { items[i].collated = by }
            } else if let score = sortScore(by) {
                items[i].score = score
            } else {
                convertible = false
            }
        }
        return convertible
    }

    /// STORE: the result as a list (GET's missing values as empty strings), replacing
    /// the key; an empty result deletes it.
    private static func store(_ taken: ArraySlice<Item>, _ options: Options, into store: Bytes, _ c: ClientSession) {
        var list: [Bytes] = []
        for item in taken {
            if options.gets.isEmpty { list.append(item.element) }
            for pattern in options.gets { list.append(pattern.lookup(item.element, c) ?? Bytes(array: [])) }
        }
        store.withUnsafeBytes { key in
            if !list.isEmpty {
                c.db.set(key, .list(ListValue(Quicklist(list))), expireAt: 0, now: c.now)
                c.notify(.list, "sortstore", store)
                c.dirty(list.count)
            } else if c.db.removeForReplacement(key, now: c.now) {
                c.notify(.generic, "del", store)
                c.dirty()
            }
        }
        c.reply.writeIntegerReply(Int64(list.count))
    }

    private static func reply(_ taken: ArraySlice<Item>, _ options: Options, _ c: ClientSession) {
        c.reply.writeArrayHeader(taken.count * max(1, options.gets.count))
        for item in taken {
            if options.gets.isEmpty { item.element.withUnsafeBytes { c.reply.writeBulk($0) } }
            for pattern in options.gets {
                if let found = pattern.lookup(item.element, c) {
                    found.withUnsafeBytes { c.reply.writeBulk($0) }
                } else {
                    c.replyNull()
                }
            }
        }
    }

    private static func elementCount(_ value: Value) -> Int {
        switch value {
        case .list(let list): list.items.count
        case .set(let set): set.members.count
        case .sortedSet(let zset): zset.count
        default: 0
        }
    }
}

extension Database {
    /// SORT's conversion of a listpack sorted set: the same members, held as a
    /// skiplist from now on. Not a change of the data, so no watcher is told.
    func holdAsSkiplist(at slot: Int32, _ zset: SortedSetValue) {
        let converted = SortedSetValue(isListpack: false)
        zset.forEachInOrder { converted.set($0, score: $1) }
        table.entries[Int(slot)].value = .sortedSet(converted)
    }
}
