import KeyDBRESP

/// The blocking list commands (Redis's t_list.c / blocked.c): serve at once
/// when a list has elements, otherwise wait for a push, a timeout, or CLIENT UNBLOCK.
enum BlockingCommands {
    static func blpop(_ c: ClientSession, _ args: Arguments) { blockingPop(c, args, from: .left) }
    static func brpop(_ c: ClientSession, _ args: Arguments) { blockingPop(c, args, from: .right) }

    /// BLPOP / BRPOP key [key ...] timeout: replies [key, element].
    private static func blockingPop(_ c: ClientSession, _ args: Arguments, from end: ListEnd) {
        guard let deadline = parseTimeout(c, args, args.count - 1) else { return }
        let keys = (1..<args.count - 1).map { Bytes(args[$0]) }
        let request = MultiPop(keys: keys, end: end, count: 1)
        switch popOneEach(c, request, stopOnWrongType: true) {
        case .served, .failed: return
        case .empty:
            c.engine.block(c, keys: keys, deadline: deadline) { client, readyKey in
                popOneEach(client, MultiPop(keys: [readyKey], end: end, count: 1), stopOnWrongType: false) == .served
            }
        }
    }

    /// BLMPOP timeout numkeys key [key ...] LEFT|RIGHT [COUNT count]
    static func blmpop(_ c: ClientSession, _ args: Arguments) {
        // Redis reads numkeys, the end and COUNT before the timeout.
        guard let request = MultiPop.parse(c, args, numkeysAt: 2) else { return }
        guard let deadline = parseTimeout(c, args, 1) else { return }
        if ListCommands.popFirstNonEmpty(c, request) { return }
        c.engine.block(c, keys: request.keys, deadline: deadline) { client, readyKey in
            // Waiting, a key of another type is skipped rather than answered with WRONGTYPE.
            guard case .found = readyKey.withUnsafeBytes({ client.list($0, forWrite: true) }) else { return false }
            return ListCommands.popFirstNonEmpty(client, MultiPop(keys: [readyKey], end: request.end, count: request.count))
        }
    }

    /// BLMOVE source destination LEFT|RIGHT LEFT|RIGHT timeout
    static func blmove(_ c: ClientSession, _ args: Arguments) {
        guard let from = ListEnd(args, 3), let to = ListEnd(args, 4) else { return c.replyError(ErrorReply.syntax) }
        guard let deadline = parseTimeout(c, args, 5) else { return }
        blockingMove(c, args, from: from, to: to, record: .lmove, deadline: deadline)
    }

    /// BRPOPLPUSH source destination timeout
    static func brpoplpush(_ c: ClientSession, _ args: Arguments) {
        guard let deadline = parseTimeout(c, args, 3) else { return }
        blockingMove(c, args, from: .right, to: .left, record: .rpoplpush, deadline: deadline)
    }

    private static func blockingMove(_ c: ClientSession, _ args: Arguments, from: ListEnd, to: ListEnd,
                                     record: ListCommands.MoveRecord, deadline: Int64) {
        switch c.list(args[1], forWrite: true) {
        case .wrongType: return c.replyError(ErrorReply.wrongType)
        case .found:
            ListCommands.move(c, source: args[1], destination: args[2], from: from, to: to, loggedAs: record)
            return
        case .missing: break
        }
        let source = Bytes(args[1]), destination = Bytes(args[2])
        // A timeout answers *-1 as every blocked list command does; EXEC's refusal to block answers $-1.
        c.engine.block(c, keys: [source], deadline: deadline, deniedReply: .nullBulk) { client, _ in
            guard case .found = source.withUnsafeBytes({ client.list($0, forWrite: true) }) else { return false }
            return source.withUnsafeBytes { s in
                destination.withUnsafeBytes { d in
                    guard ListCommands.move(client, source: s, destination: d, from: from, to: to, loggedAs: record) else { return false }
                    // Served outside a command of its own: the push is signalled here (WATCH,
                    // client-side caching), as Redis's lmoveHandlePush does; the source's push was already.
                    client.touch(d)
                    return true
                }
            }
        }
    }

    enum PopOutcome { case served, empty, failed }

    /// Pops one element from the first non-empty list, replying [key, element].
    private static func popOneEach(_ c: ClientSession, _ request: MultiPop, stopOnWrongType: Bool) -> PopOutcome {
        for key in request.keys {
            switch key.withUnsafeBytes({ c.list($0, forWrite: true) }) {
            case .missing: continue
            case .wrongType:
                guard stopOnWrongType else { continue }
                c.replyError(ErrorReply.wrongType)
                return .failed
            case .found(let list):
                c.reply.writeArrayHeader(2)
                c.replyBulk(key)
                c.replyBulk(ListCommands.popOne(list, from: request.end))
                key.withUnsafeBytes { ListCommands.removed(c, $0, list, count: 1, counted: false, from: request.end) }
                return .served
            }
        }
        return .empty
    }

    /// A timeout in seconds (fractions allowed) as an absolute Unix-ms deadline; 0 waits
    /// forever. Replies the error and returns nil when it is not a number or negative.
    static func parseTimeout(_ c: ClientSession, _ args: Arguments, _ index: Int) -> Int64? {
        guard let seconds = args.longDouble(index) else {
            c.replyError(ErrorReply.timeoutNotFloat)
            return nil
        }
        let milliseconds = (seconds * 1000).rounded(.up)
        // Redis converts in C: values past the 64-bit range come out negative.
        guard milliseconds >= 0, milliseconds < 9_223_372_036_854_775_808.0 else {
            c.replyError(ErrorReply.timeoutNegative)
            return nil
        }
        let amount = Int64(milliseconds)
        return amount == 0 ? 0 : amount &+ c.now
    }
}

/// The blocking sorted-set pops (Redis's t_zset.c): as the list pops, for the lowest or highest scores.
enum BlockingSortedSetCommands {
    static func bzpopmin(_ c: ClientSession, _ args: Arguments) { blockingPop(c, args, from: .min) }
    static func bzpopmax(_ c: ClientSession, _ args: Arguments) { blockingPop(c, args, from: .max) }

    /// BZPOPMIN / BZPOPMAX key [key ...] timeout: replies [key, member, score].
    private static func blockingPop(_ c: ClientSession, _ args: Arguments, from end: SortedSetEnd) {
        guard let deadline = BlockingCommands.parseTimeout(c, args, args.count - 1) else { return }
        let keys = (1..<args.count - 1).map { Bytes(args[$0]) }
        if SortedSetCommands.popFirstNonEmpty(c, keys: keys, from: end, count: 1, shape: .keyThenFlat) { return }
        c.engine.block(c, keys: keys, deadline: deadline) { client, readyKey in
            SortedSetCommands.popFirstNonEmpty(client, keys: [readyKey], from: end, count: 1, shape: .keyThenFlat,
                                               stopOnWrongType: false)
        }
    }

    /// BZMPOP timeout numkeys key [key ...] MIN|MAX [COUNT count]
    static func bzmpop(_ c: ClientSession, _ args: Arguments) {
        // Redis reads numkeys, the end and COUNT before the timeout.
        guard let request = MultiPop.parse(c, args, numkeysAt: 2, ends: ("min", "max")) else { return }
        guard let deadline = BlockingCommands.parseTimeout(c, args, 1) else { return }
        let end: SortedSetEnd = request.end == .left ? .min : .max
        if SortedSetCommands.popFirstNonEmpty(c, keys: request.keys, from: end, count: request.count, shape: .keyThenPairs) {
            return
        }
        c.engine.block(c, keys: request.keys, deadline: deadline) { client, readyKey in
            SortedSetCommands.popFirstNonEmpty(client, keys: [readyKey], from: end, count: request.count,
                                               shape: .keyThenPairs, stopOnWrongType: false)
        }
    }
}
