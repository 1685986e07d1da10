import KeyDBRESP

/// ZADD and ZINCRBY (Redis's `zaddGenericCommand` / `zsetAdd`).
extension SortedSetCommands {
    /// ZADD's options.
    struct AddOptions {
        /// Only add new members.
        var nx = false
        /// Only update existing members.
        var xx = false
        /// Update only to a greater (gt) or lesser (lt) score; new members are still added.
        var gt = false
        var lt = false
        /// Reply with added + updated instead of added.
        var ch = false
        /// Add the score to the current one and reply with the result (ZINCRBY).
        var incr = false
    }

    /// ZADD key [NX | XX] [GT | LT] [CH] [INCR] score member [score member ...]
    static func zadd(_ c: ClientSession, _ args: Arguments) { add(c, args, options: AddOptions()) }

    /// ZINCRBY key increment member
    static func zincrby(_ c: ClientSession, _ args: Arguments) {
        var options = AddOptions()
        options.incr = true
        add(c, args, options: options)
    }

    private static func add(_ c: ClientSession, _ args: Arguments, options initial: AddOptions) {
        // Options lead; the first word that is not one starts the pairs. ZINCRBY
        // goes through this too, so an increment spelled "nx" is read as an option, as in Redis.
        var options = initial
        var first = 2
        while first < args.count {
            if args.matches(first, "nx") { options.nx = true }
            else if args.matches(first, "xx") { options.xx = true }
            else if args.matches(first, "ch") { options.ch = true }
            else if args.matches(first, "incr") { options.incr = true }
            else if args.matches(first, "gt") { options.gt = true }
            else if args.matches(first, "lt") { options.lt = true }
            else { break }
            first += 1
        }
        let words = args.count - first
        guard words > 0 && words % 2 == 0 else { return c.replyError(ErrorReply.syntax) }
        if options.nx && options.xx { return c.replyError(ErrorReply.zaddXXAndNX) }
        if (options.gt && options.nx) || (options.lt && options.nx) || (options.gt && options.lt) {
            return c.replyError(ErrorReply.zaddGTLTAndNX)
        }
        if options.incr && words > 2 { return c.replyError(ErrorReply.zaddIncrSinglePair) }

        // Every score is checked before anything changes: all or nothing. (They are
        // parsed again below rather than kept: no array to allocate per command.)
        for index in stride(from: first, to: args.count, by: 2) where args.double(index) == nil {
            return c.replyError(ErrorReply.notFloat)
        }

        let limits = c.zsetListpackLimits
        let zset: SortedSetValue
        switch c.sortedSet(args[1], forWrite: true) {
        case .wrongType: return c.replyError(ErrorReply.wrongType)
        case .found(let existing): zset = existing
        case .missing:
            if options.xx { return replyAdded(c, options, added: 0, updated: 0, result: nil) }
            // Redis picks the encoding from the first member alone.
            zset = SortedSetValue(isListpack: limits.maxEntries > 0 && args[first + 1].count <= limits.maxValue)
            c.db.set(args[1], .sortedSet(zset), now: c.now)
        }

        var added = 0, updated = 0
        var result: Double? = nil  // the last member's score, if it was added or updated (INCR's reply)
        for pair in 0..<(words / 2) {
            let increment = args.double(first + 2 * pair)!  // checked above
            let memberBytes = args[first + 2 * pair + 1]
            guard let current = zset.score(of: memberBytes) else {
                if options.xx { continue }
                zset.set(Bytes(memberBytes), score: increment, limits: limits)
                added += 1
                result = increment
                continue
            }
            if options.nx { continue }
            var score = increment
            if options.incr {
                score += current
                // INCR takes one pair, so nothing has changed yet.
                guard !score.isNaN else { return c.replyError(ErrorReply.scoreNaN) }
            }
            if (options.lt && score >= current) || (options.gt && score <= current) { continue }
            result = score
            if score != current {
                zset.set(Bytes(memberBytes), score: score, limits: limits)
                updated += 1
            }
        }
        c.dirty(added + updated)
        if added + updated > 0 { c.notify(.zset, options.incr ? "zincr" : "zadd", args[1]) }
        replyAdded(c, options, added: added, updated: updated, result: result)
    }

    private static func replyAdded(_ c: ClientSession, _ options: AddOptions, added: Int, updated: Int, result: Double?) {
        if options.incr {
            guard let result else { return c.replyNull() }
            c.replyDouble(result)
        } else {
            c.reply.writeIntegerReply(options.ch ? added + updated : added)
        }
    }
}
