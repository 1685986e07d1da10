import KeyDBRESP

/// Server-wide commands that are neither keys nor configuration.
enum ServerCommands {
    static func time(_ c: ClientSession, _ args: Arguments) {
        let now = Clock.microseconds()
        c.reply.writeArrayHeader(2)
        c.reply.writeBulk(String(now / 1_000_000))
        c.reply.writeBulk(String(now % 1_000_000))
    }

    /// SHUTDOWN [NOSAVE | SAVE] [NOW] [FORCE] [ABORT]: unless NOW, waits up to
    /// shutdown-timeout for the replicas to acknowledge the stream (writes held; the
    /// caller blocked, as any other SHUTDOWN meanwhile), then syncs the log, saves a
    /// snapshot when asked (or when save points are set), and stops the server; the
    /// client gets no reply, its connection just closes, as with Redis. A failed save
    /// keeps the server up with an error unless FORCE. ABORT ends a wait.
    static func shutdown(_ c: ClientSession, _ args: Arguments) {
        var saveGiven = false, noSaveGiven = false, now = false, force = false, abort = false
        for index in 1..<max(1, args.count) {
            if args.matches(index, "save") { saveGiven = true }
            else if args.matches(index, "nosave") { noSaveGiven = true }
            else if args.matches(index, "now") { now = true }
            else if args.matches(index, "force") { force = true }
            else if args.matches(index, "abort") { abort = true }
            else { return c.replyError(ErrorReply.syntax) }
        }
        // ABORT takes no other flag, and SAVE and NOSAVE exclude each other.
        if (saveGiven && noSaveGiven) || (abort && (saveGiven || noSaveGiven || now || force)) {
            return c.replyError(ErrorReply.syntax)
        }
        let save: Bool? = saveGiven ? true : noSaveGiven ? false : nil
        if abort { return c.engine.abortShutdown() ? c.replyOK() : c.replyError(ErrorReply.noShutdownInProgress) }
        // A paused script may be abandoned only by SHUTDOWN NOSAVE, which leaves its effects out of the log.
        if c.engine.scriptBusy && save != false { return c.replyError(c.engine.scripting.busyError) }
        switch c.engine.prepareForShutdown(ShutdownOptions(save: save, now: now, force: force)) {
        case .finished: c.closeAfterReply = true
        case .waiting: c.engine.joinShutdown(c)
        case .failed: c.replyError(ErrorReply.shutdownFailed)
        }
    }

    /// MEMORY USAGE key [SAMPLES count]: bytes the key and its value occupy.
    static func memoryUsage(_ c: ClientSession, _ args: Arguments) {
        var index = 3
        while index < args.count {
            guard args.matches(index, "samples"), index + 1 < args.count else { return c.replyError(ErrorReply.syntax) }
            guard let samples = args.int64(index + 1) else { return c.replyError(ErrorReply.notInteger) }
            guard samples >= 0 else { return c.replyError(ErrorReply.syntax) }
            index += 2
        }
        guard let slot = c.db.peek(args[2], now: c.now) else { return c.replyNull() }
        c.reply.writeIntegerReply(MemoryUsage.bytes(key: c.db.key(at: slot), value: c.db.value(at: slot)))
    }
}

/// An estimate of the bytes a key costs, for MEMORY USAGE.
enum MemoryUsage {
    /// Table entry (key, value, expiry, links) plus heap storage.
    static let entryBytes = 64

    static func bytes(key: Bytes, value: Value) -> Int {
        var total = entryBytes + heapBytes(key)
        switch value {
        case .string(let bytes): total += heapBytes(bytes)
        case .list(let list): total += 48 + list.items.allocatedBytes
        case .hash(let hash): total += 48 + hash.fields.reduce(0) { $0 + 56 + heapBytes($1.key) + heapBytes($1.value) }
        case .set(let set): total += 48 + set.members.reduce(0) { $0 + 32 + heapBytes($1) }
        // Per member: its dictionary slot, its skiplist node and about 1.33 links.
        case .sortedSet(let zset): total += 96 + zset.scores.reduce(0) { $0 + 88 + heapBytes($1.key) }
        // The nodes' packed entries, and each node's object and names.
        case .stream(let stream):
            total += 128 + stream.nodes.reduce(0) { $0 + 96 + $1.data.count + $1.masterNames.count * 24 }
            for group in stream.groups.values { total += 96 + group.pendingOrder.count * 80 + group.consumers.count * 96 }
        }
        return total
    }

    /// Bytes outside the inline struct: none for short strings, array header plus bytes otherwise.
    static func heapBytes(_ bytes: Bytes) -> Int {
        bytes.count <= Bytes.inlineCapacity ? 0 : 32 + bytes.count
    }
}
