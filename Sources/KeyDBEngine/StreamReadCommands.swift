import KeyDBRESP
import KeyDBStorage

/// XREAD and XREADGROUP: serve what is there at once, or wait for an XADD
/// (Redis's xreadCommand and serveClientsBlockedOnStreamKey).
enum StreamReadCommands {
    /// What a blocked reader needs to be served later.
    struct Request {
        var count = 0
        var group: Bytes?
        var consumer = Bytes.empty
        var noAck = false
    }

    static func xread(_ c: ClientSession, _ args: Arguments) { read(c, args, inGroup: false) }
    static func xreadgroup(_ c: ClientSession, _ args: Arguments) { read(c, args, inGroup: true) }

    /// XREAD [COUNT n] [BLOCK ms] STREAMS key ... id ...
    /// XREADGROUP GROUP group consumer [COUNT n] [BLOCK ms] [NOACK] STREAMS key ... id ...
    private static func read(_ c: ClientSession, _ args: Arguments, inGroup: Bool) {
        var request = Request()
        var deadline: Int64?
        var streamsAt = 0
        var index = 1
        while index < args.count {
            let more = args.count - 1 - index
            if args.matches(index, "block") && more > 0 {
                if c.isScriptClient { return c.replyError(bytes: ErrorReply.streamBlockInScript(args[0])) }
                guard let ms = args.int64(index + 1) else { return c.replyError(ErrorReply.timeoutNotInteger) }
                guard ms >= 0 else { return c.replyError(ErrorReply.timeoutNegative) }
                deadline = ms == 0 ? 0 : ms &+ c.now
                index += 1
            } else if args.matches(index, "count") && more > 0 {
                guard let n = args.int64(index + 1) else { return c.replyError(ErrorReply.notInteger) }
                request.count = n < 0 ? 0 : Int(clamping: n)
                index += 1
            } else if args.matches(index, "streams") && more > 0 {
                streamsAt = index + 1
                guard (args.count - streamsAt) % 2 == 0 else { return c.replyError(ErrorReply.streamUnbalanced) }
                break
            } else if args.matches(index, "group") && more >= 2 {
                guard inGroup else { return c.replyError(ErrorReply.streamGroupOnlyInReadGroup) }
                request.group = Bytes(args[index + 1])
                request.consumer = Bytes(args[index + 2])
                index += 2
            } else if args.matches(index, "noack") {
                guard inGroup else { return c.replyError(ErrorReply.streamNoAckOnlyInReadGroup) }
                request.noAck = true
            } else {
                return c.replyError(ErrorReply.syntax)
            }
            index += 1
        }
        guard streamsAt > 0 else { return c.replyError(ErrorReply.syntax) }
        if inGroup && request.group == nil { return c.replyError(ErrorReply.streamMissingGroup) }
        let count = (args.count - streamsAt) / 2
        var keys: [Bytes] = []
        // The ID each read starts after; nil for `>` (the group's last delivered ID).
        var after: [StreamID?] = []
        for i in 0..<count {
            let key = args[streamsAt + i], idText = args[streamsAt + count + i]
            var stream: StreamValue?
            switch c.stream(key) {
            case .wrongType: return c.replyError(ErrorReply.wrongType)
            case .found(let found): stream = found
            case .missing: break
            }
            if let group = request.group, stream?.groups[group] == nil {
                return c.replyError(bytes: group.withUnsafeBytes { ErrorReply.noGroup(key: key, group: $0, inReadGroup: true) })
            }
            keys.append(Bytes(key))
            if idText.count == 1 && idText[0] == UInt8(ascii: "$") {
                if inGroup { return c.replyError(ErrorReply.streamDollarInReadGroup) }
                after.append(stream?.lastID ?? .zero)
            } else if idText.count == 1 && idText[0] == UInt8(ascii: ">") {
                guard inGroup else { return c.replyError(ErrorReply.streamGreaterOnlyInReadGroup) }
                after.append(nil)
            } else {
                guard let parsed = StreamIDText.parse(idText, strict: true) else { return c.replyError(ErrorReply.streamInvalidID) }
                // Redis marks `>` with the largest ID, so that ID spelt out reads as `>` too.
                after.append(inGroup && parsed.id == .max ? nil : parsed.id)
            }
        }
        // Served at once: every stream with something for this reader, in order.
        var served: [(key: Bytes, write: () -> Void)] = []
        for (i, key) in keys.enumerated() {
            guard case .found(let stream) = key.withUnsafeBytes({ c.stream($0) }) else { continue }
            if let group = request.group.flatMap({ stream.groups[$0] }) {
                if let history = after[i] {
                    served.append((key, { serveHistory(c, key, stream, group, after: history, request) }))
                } else if stream.length > 0, let top = stream.edgeID(last: true), top > group.lastID {
                    served.append((key, { serveNew(c, key, stream, group: group, after: group.lastID, request) }))
                }
            } else if let start = after[i], stream.length > 0, let top = stream.edgeID(last: true), top > start {
                served.append((key, { serveNew(c, key, stream, group: nil, after: start, request) }))
            }
        }
        // Whatever the outcome, the log gets the XCLAIM / SETID records written as the
        // reader was served, never the command as sent.
        if !served.isEmpty {
            c.replyKeyedHeader(served.count)
            for (key, write) in served {
                c.replyKeyedEntryStart()
                c.replyBulk(key)
                write()
            }
            return c.suppressPropagation()
        }
        guard let deadline else {
            c.replyNullArray()
            return c.suppressPropagation()
        }
        // A blocked reader with no COUNT takes at most this many entries when woken.
        if request.count == 0 { request.count = 1000 }
        let starts = after
        c.engine.block(c, keys: keys, deadline: deadline, servesDeletedKeys: request.group != nil) { client, readyKey in
            guard let i = keys.firstIndex(of: readyKey) else { return false }
            return serveBlocked(client, readyKey, after: starts[i], request)
        }
        c.suppressPropagation()
    }

    /// A blocked reader woken by a change to `key`: served when there is something
    /// new for it; an error when its group (or, for a group reader, its stream) is gone.
    private static func serveBlocked(_ c: ClientSession, _ key: Bytes, after start: StreamID?, _ request: Request) -> Bool {
        let stream: StreamValue
        switch key.withUnsafeBytes({ c.stream($0, forWrite: true) }) {
        case .found(let found): stream = found
        case .missing, .wrongType:
            guard request.group != nil else { return false }
            c.replyError(ErrorReply.streamDeletedWhileBlocked)
            return true
        }
        var after = start ?? .zero
        var group: ConsumerGroup?
        if let name = request.group {
            guard let found = stream.groups[name] else {
                c.replyError(ErrorReply.streamGroupGoneWhileBlocked)
                return true
            }
            group = found
            after = found.lastID
        }
        guard stream.lastID > after else { return false }
        c.replyKeyedHeader(1)
        c.replyKeyedEntryStart()
        c.replyBulk(key)
        serveNew(c, key, stream, group: group, after: after, request)
        c.suppressPropagation()
        return true
    }

    /// New entries after `after`; for a group, delivered to the consumer: its PEL
    /// grows (unless NOACK) and the group's last ID moves, each logged as Redis propagates it.
    private static func serveNew(_ c: ClientSession, _ key: Bytes, _ stream: StreamValue, group: ConsumerGroup?, after: StreamID,
                                 _ request: Request) {
        var entries: [StreamValue.Entry] = []
        if let start = after.successor {
            stream.forEach(in: start...StreamID.max) { entry in
                entries.append(entry)
                return request.count == 0 || entries.count < request.count
            }
        }
        StreamCommands.writeEntries(c, entries)
        guard let group, let groupName = request.group else { return }
        let consumer = StreamGroupCommands.consumer(c, group, request.consumer, key: key) {
            // With NOACK no XCLAIM will name the new consumer: the log records its creation.
            if request.noAck {
                c.propagate("XGROUP" as StaticString, "CREATECONSUMER" as StaticString, key, groupName, request.consumer)
            }
        }
        consumer.seenTime = c.now
        var movedLastID = false
        for entry in entries {
            if entry.id > group.lastID {
                if group.entriesRead != -1 && !stream.rangeHasTombstones(from: entry.id) {
                    group.entriesRead &+= 1  // wraps as Redis's does at the top of the range
                } else if stream.entriesAdded > 0 {
                    group.entriesRead = stream.entriesAdded(upTo: entry.id)
                }
                group.lastID = entry.id
                movedLastID = true
            }
            guard !request.noAck else { continue }
            group.addPending(entry.id, to: consumer, time: c.now, count: 1)
            StreamGroupCommands.propagateClaim(c, key: key, groupName: groupName, group: group, id: entry.id,
                                               entry: group.pending[entry.id]!)
        }
        // Without NOACK the XCLAIMs carry the last ID (LASTID), as Redis propagates them.
        if movedLastID && request.noAck { StreamGroupCommands.propagateGroupID(c, key: key, groupName: groupName, group: group) }
        c.dirty()
    }

    /// XREADGROUP with an ID: the consumer's own pending entries after it; an entry
    /// deleted since delivery shows as its ID with a nil body.
    private static func serveHistory(_ c: ClientSession, _ key: Bytes, _ stream: StreamValue, _ group: ConsumerGroup, after: StreamID,
                                     _ request: Request) {
        let consumer = StreamGroupCommands.consumer(c, group, request.consumer, key: key) {
            if request.noAck, let groupName = request.group {
                c.propagate("XGROUP" as StaticString, "CREATECONSUMER" as StaticString, key, groupName, request.consumer)
            }
        }
        consumer.seenTime = c.now
        var ids: ArraySlice<StreamID> = []
        if let start = after.successor { ids = consumer.pending.slice(start...StreamID.max) }
        if request.count > 0 { ids = ids.prefix(request.count) }
        c.reply.writeArrayHeader(ids.count)
        for id in ids {
            if let entry = stream.entry(id) {
                StreamCommands.writeEntry(c, entry)
                if let pending = group.pending[id] {
                    pending.deliveryTime = c.now
                    pending.deliveryCount += 1
                }
            } else {
                c.reply.writeArrayHeader(2)
                c.reply.writeBulk(id)
                c.replyNullArray()
            }
        }
        c.dirty()
    }
}
