import KeyDBRESP

/// CLIENT TRACKING, CACHING, GETREDIR and TRACKINGINFO (Redis's networking.c);
/// what they switch on is in Tracking.swift.
enum ClientTrackingCommands {
    /// CLIENT TRACKING ON|OFF [REDIRECT id] [BCAST] [PREFIX prefix ...] [OPTIN] [OPTOUT] [NOLOOP]
    static func tracking(_ c: ClientSession, _ args: Arguments) {
        var mode = TrackingMode()
        var prefixes: [Bytes] = []
        // Options are read (and a redirect checked) before ON or OFF, as Redis does.
        var index = 3
        while index < args.count {
            let more = index < args.count - 1
            if args.matches(index, "redirect") && more {
                index += 1
                guard mode.redirect == 0 else { return c.replyError(ErrorReply.trackingRedirectTwice) }
                guard let id = args.int64(index) else { return c.replyError(ErrorReply.notInteger) }
                guard c.engine.clients[id] != nil else { return c.replyError(ErrorReply.trackingRedirectMissing) }
                mode.redirect = id
            } else if args.matches(index, "bcast") {
                mode.broadcast = true
            } else if args.matches(index, "optin") {
                mode.optIn = true
            } else if args.matches(index, "optout") {
                mode.optOut = true
            } else if args.matches(index, "noloop") {
                mode.noLoop = true
            } else if args.matches(index, "prefix") && more {
                index += 1
                prefixes.append(Bytes(args[index]))
            } else {
                return c.replyError(ErrorReply.syntax)
            }
            index += 1
        }
        if args.matches(2, "off") {
            c.engine.disableTracking(c)
            return c.replyOK()
        }
        guard args.matches(2, "on") else { return c.replyError(ErrorReply.syntax) }
        let current = c.tracking
        guard mode.broadcast || prefixes.isEmpty else { return c.replyError(ErrorReply.trackingPrefixNeedsBcast) }
        if let current, current.broadcast != mode.broadcast { return c.replyError(ErrorReply.trackingBcastSwitch) }
        if mode.broadcast && (mode.optIn || mode.optOut) { return c.replyError(ErrorReply.trackingOptInOutWithBcast) }
        if mode.optIn && mode.optOut { return c.replyError(ErrorReply.trackingOptInAndOut) }
        if let current, (mode.optIn && current.optOut) || (mode.optOut && current.optIn) {
            return c.replyError(ErrorReply.trackingOptSwitch)
        }
        if mode.broadcast, let overlap = overlap(in: prefixes, held: current?.prefixes ?? []) {
            // (Redis 7.0 answers OK after this error when the overlap is not with the first
            // prefix given, and turns tracking on; here the error stands alone.)
            return c.replyError(bytes: overlap)
        }
        mode.prefixes = prefixes
        c.engine.enableTracking(c, mode)
        c.replyOK()
    }

    /// Two prefixes overlap when one starts the other: each given one is checked
    /// against those the client holds, then against the ones given after it.
    private static func overlap(in given: [Bytes], held: [Bytes]) -> [UInt8]? {
        func overlaps(_ a: Bytes, _ b: Bytes) -> Bool { a.starts(with: b) || b.starts(with: a) }
        for (i, prefix) in given.enumerated() {
            if let other = held.first(where: { overlaps($0, prefix) }) {
                return ErrorReply.trackingPrefixOverlap(prefix, other, existing: true)
            }
            if let other = given[(i + 1)...].first(where: { overlaps(prefix, $0) }) {
                return ErrorReply.trackingPrefixOverlap(prefix, other, existing: false)
            }
        }
        return nil
    }

    /// CLIENT CACHING YES|NO: whether the next command's reads are tracked (OPTIN / OPTOUT).
    static func caching(_ c: ClientSession, _ args: Arguments) {
        guard let mode = c.tracking else { return c.replyError(ErrorReply.cachingWithoutTracking) }
        if args.matches(2, "yes") {
            guard mode.optIn else { return c.replyError(ErrorReply.cachingYesWithoutOptIn) }
        } else if args.matches(2, "no") {
            guard mode.optOut else { return c.replyError(ErrorReply.cachingNoWithoutOptOut) }
        } else {
            return c.replyError(ErrorReply.syntax)
        }
        c.tracking?.caching = true
        c.replyOK()
    }

    /// CLIENT GETREDIR: the redirect client (0: none) while tracking, else -1.
    static func getredir(_ c: ClientSession, _ args: Arguments) {
        c.reply.writeIntegerReply(c.trackingRedirect)
    }

    /// CLIENT TRACKINGINFO: flags, redirect and prefixes.
    static func trackinginfo(_ c: ClientSession, _ args: Arguments) {
        let mode = c.tracking
        var flags = [mode != nil ? "on" : "off"]
        if let mode {
            if mode.broadcast { flags.append("bcast") }
            if mode.optIn { flags.append("optin") }
            if mode.optIn && mode.caching { flags.append("caching-yes") }
            if mode.optOut { flags.append("optout") }
            if mode.optOut && mode.caching { flags.append("caching-no") }
            if mode.noLoop { flags.append("noloop") }
            if mode.brokenRedirect { flags.append("broken_redirect") }
        }
        c.replyMapHeader(3)
        c.reply.writeBulk("flags")
        c.replySetHeader(flags.count)
        for flag in flags { c.reply.writeBulk(flag) }
        c.reply.writeBulk("redirect")
        c.reply.writeIntegerReply(c.trackingRedirect)
        c.reply.writeBulk("prefixes")
        c.reply.writeBulkArray(mode?.prefixes ?? [])
    }
}
