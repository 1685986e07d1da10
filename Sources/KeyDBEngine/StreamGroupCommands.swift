import KeyDBRESP
import KeyDBStorage

/// Consumer groups: XGROUP, XACK, XPENDING, XCLAIM and XAUTOCLAIM (Redis's t_stream.c).
enum StreamGroupCommands {
    /// Every XGROUP subcommand, as Redis's xgroupCommand: options and the key are
    /// checked first, in the same order, so errors come out the same.
    static func xgroup(_ c: ClientSession, _ args: Arguments) {
        let isCreate = args.matches(1, "create"), isSetID = args.matches(1, "setid")
        var makeStream = false
        var entriesRead: Int64 = -1
        var stream: StreamValue?
        var group: ConsumerGroup?
        if args.count >= 4 {
            var index = 5
            while index < args.count {
                if isCreate && args.matches(index, "mkstream") {
                    makeStream = true
                    index += 1
                } else if (isCreate || isSetID) && args.matches(index, "entriesread") && index + 1 < args.count {
                    guard let n = args.int64(index + 1) else { return c.replyError(ErrorReply.notInteger) }
                    guard n >= 0 || n == -1 else { return c.replyError(ErrorReply.streamEntriesReadInvalid) }
                    entriesRead = n
                    index += 2
                } else {
                    return c.replyError(bytes: ErrorReply.subcommandSyntax(args))
                }
            }
            switch c.stream(args[2], forWrite: true) {
            case .wrongType: return c.replyError(ErrorReply.wrongType)
            case .found(let found): stream = found
            case .missing: break
            }
            if !makeStream {
                guard let stream else { return c.replyError(ErrorReply.streamGroupNeedsKey) }
                group = stream.groups[Bytes(args[3])]
                if group == nil && (isSetID || args.matches(1, "createconsumer") || args.matches(1, "delconsumer")) {
                    return c.replyError(bytes: ErrorReply.noGroupInXGroup(key: args[2], group: args[3]))
                }
            }
        }
        if isCreate && args.count >= 5 && args.count <= 8 {
            let id: StreamID
            if args[4].count == 1 && args[4][0] == UInt8(ascii: "$") {
                id = stream?.lastID ?? .zero
            } else {
                guard let parsed = StreamIDText.parse(args[4], strict: true) else { return c.replyError(ErrorReply.streamInvalidID) }
                id = parsed.id
            }
            let target: StreamValue
            if let stream { target = stream } else {
                target = StreamValue()
                c.db.set(args[2], .stream(target), now: c.now)
            }
            let name = Bytes(args[3])
            guard target.groups[name] == nil else { return c.replyError(ErrorReply.streamBusyGroup) }
            target.groups[name] = ConsumerGroup(lastID: id, entriesRead: entriesRead)
            c.replyOK()
            c.dirty()
            c.notify(.stream, "xgroup-create", args[2])
        } else if isSetID && (args.count == 5 || args.count == 7), let stream, let group {
            if args[4].count == 1 && args[4][0] == UInt8(ascii: "$") {
                group.lastID = stream.lastID
            } else {
                guard let parsed = StreamIDText.parse(args[4]) else { return c.replyError(ErrorReply.streamInvalidID) }
                group.lastID = parsed.id
            }
            group.entriesRead = entriesRead
            c.replyOK()
            c.dirty()
            c.notify(.stream, "xgroup-setid", args[2])
        } else if args.matches(1, "destroy") && args.count == 4 {
            guard let stream, group != nil else { return c.reply.writeIntegerReply(0) }
            stream.groups[Bytes(args[3])] = nil
            c.reply.writeIntegerReply(1)
            c.dirty()
            c.notify(.stream, "xgroup-destroy", args[2])
            // Its blocked readers get NOGROUP.
            c.db.signalKeyAdded(args[2])
        } else if args.matches(1, "createconsumer") && args.count == 5, let group {
            let name = Bytes(args[4])
            guard group.consumers[name] == nil else { return c.reply.writeIntegerReply(0) }
            _ = consumer(c, group, name, key: Bytes(args[2]))
            c.reply.writeIntegerReply(1)
        } else if args.matches(1, "delconsumer") && args.count == 5, let group {
            guard let pending = group.deleteConsumer(Bytes(args[4])) else { return c.reply.writeIntegerReply(0) }
            c.reply.writeIntegerReply(pending)
            c.dirty()
            c.notify(.stream, "xgroup-delconsumer", args[2])
        } else {
            c.replyError(bytes: ErrorReply.subcommandSyntax(args))
        }
    }

    static func help(_ c: ClientSession, _ args: Arguments) {
        writeHelp(c, command: "XGROUP", lines: [
            "CREATE <key> <groupname> <id|$> [option]",
            "    Create a new consumer group. Options are:",
            "    * MKSTREAM",
            "      Create the empty stream if it does not exist.",
            "    * ENTRIESREAD entries_read",
            "      Set the group's entries_read counter (internal use).",
            "CREATECONSUMER <key> <groupname> <consumer>",
            "    Create a new consumer in the specified group.",
            "DELCONSUMER <key> <groupname> <consumer>",
            "    Remove the specified consumer.",
            "DESTROY <key> <groupname>",
            "    Remove the specified group.",
            "SETID <key> <groupname> <id|$> [ENTRIESREAD entries_read]",
            "    Set the current group ID and entries_read counter.",
        ])
    }

    /// The group's consumer `name`, created when missing (counted as a change and
    /// notified as xgroup-createconsumer, as Redis's streamCreateConsumer does).
    static func consumer(_ c: ClientSession, _ group: ConsumerGroup, _ name: Bytes, key: Bytes,
                         whenCreated: () -> Void = {}) -> Consumer {
        let (consumer, created) = group.consumer(name, now: c.now)
        if created {
            c.dirty()
            c.notify(.stream, "xgroup-createconsumer", key)
            whenCreated()
        }
        return consumer
    }

    // MARK: - Propagation (what the log records of group state)

    /// XCLAIM key group consumer 0 id TIME ms RETRYCOUNT n FORCE JUSTID LASTID id: the
    /// pending entry exactly as it now is.
    static func propagateClaim(_ c: ClientSession, key: Bytes, groupName: Bytes, group: ConsumerGroup, id: StreamID,
                               entry: PendingEntry) {
        c.propagate("XCLAIM" as StaticString, key, groupName, entry.consumer.name, "0" as StaticString, id.text,
                    "TIME" as StaticString, entry.deliveryTime, "RETRYCOUNT" as StaticString, Int64(bitPattern: entry.deliveryCount),
                    "FORCE" as StaticString, "JUSTID" as StaticString, "LASTID" as StaticString, group.lastID.text)
    }

    /// XGROUP SETID key group id ENTRIESREAD n: the group's position.
    static func propagateGroupID(_ c: ClientSession, key: Bytes, groupName: Bytes, group: ConsumerGroup) {
        c.propagate("XGROUP" as StaticString, "SETID" as StaticString, key, groupName, group.lastID.text,
                    "ENTRIESREAD" as StaticString, group.entriesRead)
    }

    // MARK: - XACK

    /// XACK key group id [id ...]
    static func xack(_ c: ClientSession, _ args: Arguments) {
        var group: ConsumerGroup?
        switch c.stream(args[1]) {
        case .wrongType: return c.replyError(ErrorReply.wrongType)
        case .found(let stream): group = stream.groups[Bytes(args[2])]
        case .missing: break
        }
        guard let group else { return c.reply.writeIntegerReply(0) }
        var ids: [StreamID] = []
        for index in 3..<args.count {
            guard let parsed = StreamIDText.parse(args[index], strict: true) else { return c.replyError(ErrorReply.streamInvalidID) }
            ids.append(parsed.id)
        }
        var acknowledged = 0
        for id in ids where group.acknowledge(id) { acknowledged += 1 }
        c.dirty(acknowledged)
        c.reply.writeIntegerReply(acknowledged)
    }

    // MARK: - XPENDING

    /// XPENDING key group [[IDLE min-idle] start end count [consumer]]
    static func xpending(_ c: ClientSession, _ args: Arguments) {
        guard args.count == 3 || (6...9).contains(args.count) else { return c.replyError(ErrorReply.syntax) }
        var minIdle: Int64 = 0
        var count = 0
        var range = StreamID.zero...StreamID.max
        var empty = false
        var consumerName: Bytes?
        if args.count >= 6 {
            var startAt = 3
            if args.matches(3, "idle") {
                guard let n = args.int64(4) else { return c.replyError(ErrorReply.notInteger) }
                minIdle = n
                guard args.count >= 8 else { return c.replyError(ErrorReply.syntax) }
                startAt += 2
            }
            guard let n = args.int64(startAt + 2) else { return c.replyError(ErrorReply.notInteger) }
            count = n < 0 ? 0 : Int(clamping: n)
            guard let bounds = StreamCommands.parseInterval(c, start: args[startAt], end: args[startAt + 1]) else { return }
            if let bounds { range = bounds } else { empty = true }
            if startAt + 3 < args.count { consumerName = Bytes(args[startAt + 3]) }
        }
        var group: ConsumerGroup?
        switch c.stream(args[1]) {
        case .wrongType: return c.replyError(ErrorReply.wrongType)
        case .found(let stream): group = stream.groups[Bytes(args[2])]
        case .missing: break
        }
        guard let group else { return c.replyError(bytes: ErrorReply.noGroup(key: args[1], group: args[2])) }
        guard args.count >= 6 else { return summary(c, group) }
        var ids = group.pendingOrder
        if let consumerName {
            guard let consumer = group.consumers[consumerName] else { return c.reply.writeArrayHeader(0) }
            ids = consumer.pending
        }
        let now = c.now
        var rows: [(StreamID, PendingEntry)] = []
        if !empty {
            for id in ids.slice(range) where rows.count < count {
                guard let entry = group.pending[id] else { continue }
                if minIdle != 0 && now &- entry.deliveryTime < minIdle { continue }
                rows.append((id, entry))
            }
        }
        c.reply.writeArrayHeader(rows.count)
        for (id, entry) in rows {
            c.reply.writeArrayHeader(4)
            c.reply.writeBulk(id)
            c.replyBulk(entry.consumer.name)
            c.reply.writeIntegerReply(max(0, now &- entry.deliveryTime))
            c.reply.writeIntegerReply(Int64(bitPattern: entry.deliveryCount))
        }
    }

    /// XPENDING key group: the count, the smallest and largest IDs, and each consumer's count.
    private static func summary(_ c: ClientSession, _ group: ConsumerGroup) {
        c.reply.writeArrayHeader(4)
        c.reply.writeIntegerReply(group.pendingOrder.count)
        guard let first = group.pendingOrder.ids.first, let last = group.pendingOrder.ids.last else {
            c.replyNull()
            c.replyNull()
            c.replyNullArray()
            return
        }
        c.reply.writeBulk(first)
        c.reply.writeBulk(last)
        let owners = group.consumersByName.filter { $0.pending.count > 0 }
        c.reply.writeArrayHeader(owners.count)
        for consumer in owners {
            c.reply.writeArrayHeader(2)
            c.replyBulk(consumer.name)
            c.reply.writeBulkDecimal(Int64(consumer.pending.count))
        }
    }
}
