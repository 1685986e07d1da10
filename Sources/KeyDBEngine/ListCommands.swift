import KeyDBRESP

/// Which end of a list: LEFT is the head, RIGHT the tail.
enum ListEnd {
    case left, right

    /// LEFT or RIGHT, any case; nil otherwise.
    init?(_ args: Arguments, _ index: Int) {
        if args.matches(index, "left") { self = .left } else if args.matches(index, "right") { self = .right } else { return nil }
    }

    var word: StaticString { self == .left ? "LEFT" : "RIGHT" }
}

/// List commands (Redis's t_list.c). Lists are quicklists: O(1) at both ends.
enum ListCommands {
    // MARK: - Pushing

    static func lpush(_ c: ClientSession, _ args: Arguments) { push(c, args, to: .left, onlyIfExists: false) }
    static func rpush(_ c: ClientSession, _ args: Arguments) { push(c, args, to: .right, onlyIfExists: false) }
    static func lpushx(_ c: ClientSession, _ args: Arguments) { push(c, args, to: .left, onlyIfExists: true) }
    static func rpushx(_ c: ClientSession, _ args: Arguments) { push(c, args, to: .right, onlyIfExists: true) }

    /// The one implementation behind LPUSH, RPUSH, LPUSHX and RPUSHX.
    private static func push(_ c: ClientSession, _ args: Arguments, to end: ListEnd, onlyIfExists: Bool) {
        let list: ListValue
        switch c.list(args[1], forWrite: true) {
        case .wrongType: return c.replyError(ErrorReply.wrongType)
        case .found(let existing): list = existing
        case .missing:
            if onlyIfExists { return c.reply.writeIntegerReply(0) }
            list = ListValue()
            c.db.set(args[1], .list(list), now: c.now)
        }
        for index in 2..<args.count {
            if end == .left { list.items.prepend(args[index]) } else { list.items.append(args[index]) }
        }
        c.dirty(args.count - 2)
        c.notify(.list, end == .left ? "lpush" : "rpush", args[1])
        c.reply.writeIntegerReply(list.items.count)
    }

    /// LINSERT key BEFORE|AFTER pivot element
    static func linsert(_ c: ClientSession, _ args: Arguments) {
        let after: Bool
        if args.matches(2, "after") { after = true } else if args.matches(2, "before") { after = false } else {
            return c.replyError(ErrorReply.syntax)
        }
        guard let list = existingList(c, args[1], forWrite: true, missingReply: { $0.reply.writeIntegerReply(0) }) else { return }
        guard let pivot = list.items.firstIndex(of: args[3]) else { return c.reply.writeIntegerReply(-1) }
        list.items.insert(args[4], at: after ? list.items.index(after: pivot) : pivot)
        c.dirty()
        c.notify(.list, "linsert", args[1])
        c.reply.writeIntegerReply(list.items.count)
    }

    // MARK: - Reading

    static func llen(_ c: ClientSession, _ args: Arguments) {
        guard let list = existingList(c, args[1], missingReply: { $0.reply.writeIntegerReply(0) }) else { return }
        c.reply.writeIntegerReply(list.items.count)
    }

    static func lindex(_ c: ClientSession, _ args: Arguments) {
        guard let list = existingList(c, args[1], missingReply: { $0.replyNull() }) else { return }
        guard let index = args.int64(2) else { return c.replyError(ErrorReply.notInteger) }
        guard let position = resolve(index, count: list.items.count) else { return c.replyNull() }
        list.items.withElement(at: list.items.index(atPosition: position)) { c.reply.writeBulk($0) }
    }

    static func lrange(_ c: ClientSession, _ args: Arguments) {
        guard let start = args.int64(2), let end = args.int64(3) else { return c.replyError(ErrorReply.notInteger) }
        guard let list = existingList(c, args[1], missingReply: { $0.reply.writeArrayHeader(0) }) else { return }
        let range = clampRange(start: start, end: end, count: list.items.count)
        c.reply.writeBulkArray(list.items, range)
    }

    /// LPOS key element [RANK rank] [COUNT num-matches] [MAXLEN len]
    static func lpos(_ c: ClientSession, _ args: Arguments) {
        var rank: Int64 = 1
        var count: Int64? = nil
        var maxLength: Int64 = 0
        var index = 3
        while index < args.count {
            let hasValue = index + 1 < args.count
            if args.matches(index, "rank") && hasValue {
                guard let value = args.int64(index + 1) else { return c.replyError(ErrorReply.notInteger) }
                guard value != 0 else { return c.replyError(ErrorReply.lposRankZero) }
                rank = value
            } else if args.matches(index, "count") && hasValue {
                guard let value = args.int64(index + 1), value >= 0 else { return c.replyError(ErrorReply.lposCountNegative) }
                count = value
            } else if args.matches(index, "maxlen") && hasValue {
                guard let value = args.int64(index + 1), value >= 0 else { return c.replyError(ErrorReply.lposMaxlenNegative) }
                maxLength = value
            } else {
                return c.replyError(ErrorReply.syntax)
            }
            index += 2
        }
        let fromTail = rank < 0
        // Redis negates the rank in C: for the minimum value that wraps and every match counts.
        let skip = rank == .min ? 1 : rank.magnitude
        guard let list = existingList(c, args[1], missingReply: { count == nil ? $0.replyNull() : $0.reply.writeArrayHeader(0) }) else { return }
        var matches: [Int] = []
        var seen: UInt64 = 0
        var scanned: Int64 = 0
        var limit = count.map { $0 == 0 ? Int.max : Int(clamping: $0) } ?? 1
        // Redis's C arithmetic with the minimum rank never reaches the COUNT limit.
        if rank == .min && count != nil { limit = .max }
        let total = list.items.count
        let visit = { (element: UnsafeRawBufferPointer) -> Bool in
            if maxLength != 0 && scanned >= maxLength { return false }
            let position = fromTail ? total - 1 - Int(scanned) : Int(scanned)
            scanned += 1
            guard Quicklist.same(element, args[2]) else { return true }
            seen += 1
            if seen >= skip {
                matches.append(position)
                if matches.count >= limit { return false }
            }
            return true
        }
        if fromTail { list.items.forEachElementFromTail(visit) } else { list.items.forEachElement(visit) }
        guard count != nil else {
            return matches.first.map { c.reply.writeIntegerReply($0) } ?? c.replyNull()
        }
        c.reply.writeArrayHeader(matches.count)
        for position in matches { c.reply.writeIntegerReply(position) }
    }

    // MARK: - Changing

    static func lset(_ c: ClientSession, _ args: Arguments) {
        guard let list = existingList(c, args[1], forWrite: true, missingReply: { $0.replyError(ErrorReply.noSuchKey) }) else { return }
        guard let index = args.int64(2) else { return c.replyError(ErrorReply.notInteger) }
        guard let position = resolve(index, count: list.items.count) else { return c.replyError(ErrorReply.indexOutOfRange) }
        list.items.replace(at: list.items.index(atPosition: position), with: args[3])
        c.dirty()
        c.notify(.list, "lset", args[1])
        c.replyOK()
    }

    /// LREM key count element: count > 0 from the head, < 0 from the tail, 0 all.
    static func lrem(_ c: ClientSession, _ args: Arguments) {
        guard let wanted = args.int64(2) else { return c.replyError(ErrorReply.notInteger) }
        guard let list = existingList(c, args[1], forWrite: true, missingReply: { $0.reply.writeIntegerReply(0) }) else { return }
        let limit = wanted == 0 ? UInt64.max : wanted.magnitude
        let removed = list.items.removeAll(equalTo: args[3], limit: limit, fromTail: wanted < 0)
        if removed > 0 { c.notify(.list, "lrem", args[1]) }
        c.removeIfEmpty(args[1], isEmpty: list.items.isEmpty)
        c.dirty(removed)
        c.reply.writeIntegerReply(removed)
    }

    static func ltrim(_ c: ClientSession, _ args: Arguments) {
        guard let start = args.int64(2), let end = args.int64(3) else { return c.replyError(ErrorReply.notInteger) }
        guard let list = existingList(c, args[1], forWrite: true, missingReply: { $0.replyOK() }) else { return }
        let range = clampRange(start: start, end: end, count: list.items.count)
        let removed = list.items.count - range.count
        if range.isEmpty {
            list.items.removeAll()
        } else {
            list.items.removeLast(list.items.count - range.upperBound)
            list.items.removeFirst(range.lowerBound)
        }
        c.notify(.list, "ltrim", args[1])
        c.removeIfEmpty(args[1], isEmpty: list.items.isEmpty)
        c.dirty(removed)
        c.replyOK()
    }

    // MARK: - Popping

    static func lpop(_ c: ClientSession, _ args: Arguments) { pop(c, args, from: .left) }
    static func rpop(_ c: ClientSession, _ args: Arguments) { pop(c, args, from: .right) }

    /// LPOP / RPOP key [count]: one element as a bulk, or up to `count` as an array.
    private static func pop(_ c: ClientSession, _ args: Arguments, from end: ListEnd) {
        guard args.count <= 3 else { return c.replyError(ErrorReply.wrongArity(c.lastCommand)) }
        var count: Int? = nil
        if args.count == 3 {
            guard let value = args.int64(2), value >= 0 else { return c.replyError(ErrorReply.notPositive) }
            count = Int(value)
        }
        guard let list = existingList(c, args[1], forWrite: true, missingReply: { count == nil ? $0.replyNull() : $0.replyNullArray() }) else { return }
        guard let count else {
            c.replyBulk(popOne(list, from: end))
            return removed(c, args[1], list, count: 1, counted: false, from: end)
        }
        if count == 0 { return c.reply.writeArrayHeader(0) }
        let taken = min(count, list.items.count)
        c.reply.writeArrayHeader(taken)
        for _ in 0..<taken { c.replyBulk(popOne(list, from: end)) }
        removed(c, args[1], list, count: taken, counted: true, from: end)
    }

    /// LMPOP numkeys key [key ...] LEFT|RIGHT [COUNT count]
    static func lmpop(_ c: ClientSession, _ args: Arguments) {
        guard let request = MultiPop.parse(c, args, numkeysAt: 1) else { return }
        if !popFirstNonEmpty(c, request) { c.replyNullArray() }
    }

    /// Pops up to `count` from the first non-empty list among `keys`, replying
    /// [key, [elements]]. Returns false (having replied nothing) when all are empty;
    /// a WRONGTYPE key stops the search with the error.
    @discardableResult
    static func popFirstNonEmpty(_ c: ClientSession, _ request: MultiPop) -> Bool {
        for key in request.keys {
            let found = key.withUnsafeBytes { c.list($0, forWrite: true) }
            switch found {
            case .missing: continue
            case .wrongType:
                c.replyError(ErrorReply.wrongType)
                return true
            case .found(let list):
                let taken = min(request.count, list.items.count)
                c.reply.writeArrayHeader(2)
                c.replyBulk(key)
                c.reply.writeArrayHeader(taken)
                for _ in 0..<taken { c.replyBulk(popOne(list, from: request.end)) }
                key.withUnsafeBytes { removed(c, $0, list, count: taken, counted: true, from: request.end) }
                return true
            }
        }
        return false
    }

    // MARK: - Moving

    /// LMOVE source destination LEFT|RIGHT LEFT|RIGHT
    static func lmove(_ c: ClientSession, _ args: Arguments) {
        guard let from = ListEnd(args, 3), let to = ListEnd(args, 4) else { return c.replyError(ErrorReply.syntax) }
        move(c, source: args[1], destination: args[2], from: from, to: to)
    }

    static func rpoplpush(_ c: ClientSession, _ args: Arguments) {
        move(c, source: args[1], destination: args[2], from: .right, to: .left, loggedAs: .rpoplpush)
    }

    /// How a move is logged: as LMOVE, or (RPOPLPUSH and BRPOPLPUSH) as RPOPLPUSH, as Redis does.
    enum MoveRecord { case lmove, rpoplpush }

    /// Pops from `source` and pushes onto `destination`, replying the element (or nil
    /// when the source is empty). Returns false when the source is empty.
    @discardableResult
    static func move(_ c: ClientSession, source: UnsafeRawBufferPointer, destination: UnsafeRawBufferPointer,
                     from: ListEnd, to: ListEnd, loggedAs record: MoveRecord = .lmove) -> Bool {
        guard let list = existingList(c, source, forWrite: true, missingReply: { $0.replyNull() }) else { return true }
        var target: ListValue? = nil
        switch c.list(destination, forWrite: true) {
        case .wrongType:
            c.replyError(ErrorReply.wrongType)
            return true
        case .found(let existing): target = existing
        case .missing: break
        }
        // Source and destination may be the same list: pop first, then push.
        let element = popOne(list, from: from)
        let destinationList = target ?? ListValue()
        if to == .left { destinationList.items.prepend(element) } else { destinationList.items.append(element) }
        if target == nil { c.db.set(destination, .list(destinationList), now: c.now) }
        c.notify(.list, to == .left ? "lpush" : "rpush", destination)
        c.replyBulk(element)
        c.notify(.list, from == .left ? "lpop" : "rpop", source)
        c.removeIfEmpty(source, isEmpty: list.items.isEmpty)
        c.dirty()
        // BLMOVE and BRPOPLPUSH, served now or later, log the move they made.
        switch record {
        case .lmove: c.propagate("LMOVE" as StaticString, source, destination, from.word, to.word)
        case .rpoplpush: c.propagate("RPOPLPUSH" as StaticString, source, destination)
        }
        return true
    }

    // MARK: - Helpers

    /// The list at `key`, or nil after writing `missingReply` (missing key) or WRONGTYPE.
    static func existingList(_ c: ClientSession, _ key: UnsafeRawBufferPointer, forWrite: Bool = false,
                             missingReply: (ClientSession) -> Void) -> ListValue? {
        switch c.list(key, forWrite: forWrite) {
        case .found(let list): return list
        case .missing: missingReply(c)
        case .wrongType: c.replyError(ErrorReply.wrongType)
        }
        return nil
    }

    static func popOne(_ list: ListValue, from end: ListEnd) -> Bytes {
        end == .left ? list.items.removeFirst() : list.items.removeLast()
    }

    /// After popping `count` elements: delete an emptied list, count the change.
    /// Every pop (plain, multi-key, blocking) is logged as the LPOP / RPOP it amounted to,
    /// with its count when the command had one (LMPOP and BLMPOP always do), as Redis.
    static func removed(_ c: ClientSession, _ key: UnsafeRawBufferPointer, _ list: ListValue, count: Int, counted: Bool,
                        from end: ListEnd) {
        let command: StaticString = end == .left ? "LPOP" : "RPOP"
        if counted { c.propagate(command, key, count) } else { c.propagate(command, key) }
        c.notify(.list, end == .left ? "lpop" : "rpop", key)
        // The key popped from, not every key a multi-key pop named (WATCH, client-side caching).
        c.touch(key)
        c.removeIfEmpty(key, isEmpty: list.items.isEmpty)
        c.dirty(count)
    }

    /// A list index (negative counts from the tail) as a position, or nil when out of range.
    static func resolve(_ index: Int64, count: Int) -> Int? {
        let position = index < 0 ? Int64(count) + index : index
        return position >= 0 && position < Int64(count) ? Int(position) : nil
    }

    /// LRANGE/LTRIM's reading of start and end (inclusive, negative from the tail).
    static func clampRange(start: Int64, end: Int64, count: Int) -> Range<Int> {
        let length = Int64(count)
        var start = start < 0 ? start + length : start
        var end = end < 0 ? end + length : end
        if start < 0 { start = 0 }
        if start > end || start >= length { return 0..<0 }
        if end >= length { end = length - 1 }
        return Int(start)..<Int(end + 1)
    }
}

/// The arguments LMPOP, BLMPOP, ZMPOP and BZMPOP share: numkeys key... end [COUNT n].
struct MultiPop {
    var keys: [Bytes]
    var end: ListEnd
    var count: Int

    /// Parses from the numkeys argument; replies the error and returns nil when bad.
    /// - Parameter ends: the words naming the two ends (LEFT/RIGHT, or MIN/MAX).
    static func parse(_ c: ClientSession, _ args: Arguments, numkeysAt index: Int,
                      ends: (StaticString, StaticString) = ("left", "right")) -> MultiPop? {
        guard let numkeys = args.int64(index), numkeys >= 1 else {
            c.replyError(ErrorReply.numkeysNotPositive)
            return nil
        }
        // More keys than arguments cannot be right (and must not overflow the index arithmetic).
        guard numkeys < Int64(args.count) else {
            c.replyError(ErrorReply.syntax)
            return nil
        }
        let endIndex = index + 1 + Int(numkeys)
        guard endIndex < args.count else {
            c.replyError(ErrorReply.syntax)
            return nil
        }
        let end: ListEnd
        if args.matches(endIndex, ends.0) { end = .left } else if args.matches(endIndex, ends.1) { end = .right } else {
            c.replyError(ErrorReply.syntax)
            return nil
        }
        var count: Int? = nil
        var option = endIndex + 1
        while option < args.count {
            guard count == nil, args.matches(option, "count"), option + 1 < args.count else {
                c.replyError(ErrorReply.syntax)
                return nil
            }
            guard let value = args.int64(option + 1), value >= 1 else {
                c.replyError(ErrorReply.countNotPositive)
                return nil
            }
            count = Int(value)
            option += 2
        }
        return MultiPop(keys: (index + 1..<endIndex).map { Bytes(args[$0]) }, end: end, count: count ?? 1)
    }
}
