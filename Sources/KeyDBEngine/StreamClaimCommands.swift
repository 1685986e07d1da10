import KeyDBRESP
import KeyDBStorage

/// XCLAIM and XAUTOCLAIM: moving pending entries between a group's consumers.
enum StreamClaimCommands {
    /// XCLAIM key group consumer min-idle-time id [id ...] [IDLE ms] [TIME ms]
    ///   [RETRYCOUNT count] [FORCE] [JUSTID] [LASTID id]
    static func xclaim(_ c: ClientSession, _ args: Arguments) {
        guard let (stream, group) = lookup(c, args) else { return }
        guard var minIdle = args.int64(4) else { return c.replyError(ErrorReply.claimMinIdle) }
        if minIdle < 0 { minIdle = 0 }
        // IDs run until the first argument that is not one; options follow.
        var ids: [StreamID] = []
        var index = 5
        while index < args.count, let parsed = StreamIDText.parse(args[index], strict: true) {
            ids.append(parsed.id)
            index += 1
        }
        let now = c.now
        var deliveryTime: Int64 = -1
        var retryCount: Int64 = -1
        var force = false, justID = false
        var lastID = StreamID.zero
        while index < args.count {
            let more = index + 1 < args.count
            if args.matches(index, "force") {
                force = true
            } else if args.matches(index, "justid") {
                justID = true
            } else if args.matches(index, "idle") && more {
                index += 1
                guard let idle = args.int64(index) else { return c.replyError(ErrorReply.claimIdle) }
                deliveryTime = now &- idle
            } else if args.matches(index, "time") && more {
                index += 1
                guard let time = args.int64(index) else { return c.replyError(ErrorReply.claimTime) }
                deliveryTime = time
            } else if args.matches(index, "retrycount") && more {
                index += 1
                guard let count = args.int64(index) else { return c.replyError(ErrorReply.claimRetryCount) }
                retryCount = count
            } else if args.matches(index, "lastid") && more {
                index += 1
                guard let parsed = StreamIDText.parse(args[index], strict: true) else { return c.replyError(ErrorReply.streamInvalidID) }
                lastID = parsed.id
            } else {
                return c.replyError(bytes: ErrorReply.unrecognizedClaimOption(args[index]))
            }
            index += 1
        }
        let key = Bytes(args[1]), groupName = Bytes(args[2]), name = Bytes(args[3])
        var propagateLastID = false
        if lastID > group.lastID {
            group.lastID = lastID
            propagateLastID = true
        }
        if deliveryTime == -1 || deliveryTime < 0 || deliveryTime > now { deliveryTime = now }
        var claimed: [StreamID] = []
        for id in ids {
            var pending = group.pending[id]
            guard stream.entry(id) != nil else {
                // Gone from the stream: dropped from the PEL too.
                if let pending {
                    StreamGroupCommands.propagateClaim(c, key: key, groupName: groupName, group: group, id: id, entry: pending)
                    propagateLastID = false
                    group.acknowledge(id)
                    c.dirty()
                }
                continue
            }
            let isNew = pending == nil
            if isNew {
                guard force else { continue }
            } else if minIdle > 0, let pending, now &- pending.deliveryTime < minIdle {
                continue
            }
            let consumer = StreamGroupCommands.consumer(c, group, name, key: key)
            consumer.seenTime = now
            if isNew {
                group.addPending(id, to: consumer, time: deliveryTime, count: 1)
                pending = group.pending[id]
            }
            guard let entry = pending else { continue }
            group.transfer(id, entry, to: consumer)
            entry.deliveryTime = deliveryTime
            if retryCount >= 0 {
                entry.deliveryCount = UInt64(retryCount)
            } else if !justID {
                entry.deliveryCount &+= 1
            }
            claimed.append(id)
            StreamGroupCommands.propagateClaim(c, key: key, groupName: groupName, group: group, id: id, entry: entry)
            propagateLastID = false
            c.dirty()
        }
        if propagateLastID {
            StreamGroupCommands.propagateGroupID(c, key: key, groupName: groupName, group: group)
            c.dirty()
        }
        c.reply.writeArrayHeader(claimed.count)
        for id in claimed {
            if justID { c.reply.writeBulk(id) } else if let entry = stream.entry(id) { StreamCommands.writeEntry(c, entry) }
        }
        c.suppressPropagation()
    }

    /// XAUTOCLAIM key group consumer min-idle-time start [COUNT count] [JUSTID]
    static func xautoclaim(_ c: ClientSession, _ args: Arguments) {
        guard var minIdle = args.int64(4) else { return c.replyError(ErrorReply.autoClaimMinIdle) }
        if minIdle < 0 { minIdle = 0 }
        guard let bound = StreamIDText.parseBound(args[5], missingSequence: 0) else { return c.replyError(ErrorReply.streamInvalidID) }
        var start = bound.id
        if bound.exclusive {
            guard let next = start.successor else { return c.replyError(ErrorReply.streamInvalidStart) }
            start = next
        }
        var count = 100
        var justID = false
        var index = 6
        while index < args.count {
            if args.matches(index, "count") && index + 1 < args.count {
                // Redis caps COUNT so that count * 16 bytes stays allocatable.
                guard let n = args.int64(index + 1), n >= 1, n <= Int64.max / 16 else { return c.replyError(ErrorReply.autoClaimCount) }
                count = Int(n)
                index += 1
            } else if args.matches(index, "justid") {
                justID = true
            } else {
                return c.replyError(ErrorReply.syntax)
            }
            index += 1
        }
        guard let (stream, group) = lookup(c, args) else { return }
        // Redis allocates count IDs up front for the deleted list; a count it cannot allocate fails.
        if count > 1 << 40 { return c.replyError(ErrorReply.streamCountTooHigh) }
        let key = Bytes(args[1]), groupName = Bytes(args[2]), name = Bytes(args[3])
        let now = c.now
        var attempts = count &* 10
        var claimed: [StreamID] = []
        var deleted: [StreamID] = []
        var cursor = group.pendingOrder.lowerBound(start)
        while attempts > 0 && count > 0 && cursor < group.pendingOrder.count {
            attempts -= 1
            let id = group.pendingOrder.ids[cursor]
            guard let pending = group.pending[id] else { break }
            if stream.entry(id) == nil {
                StreamGroupCommands.propagateClaim(c, key: key, groupName: groupName, group: group, id: id, entry: pending)
                group.acknowledge(id)
                c.dirty()
                deleted.append(id)
                count -= 1
                continue  // the next pending ID slid into `cursor`
            }
            cursor += 1
            if minIdle > 0 && now &- pending.deliveryTime < minIdle { continue }
            let consumer = StreamGroupCommands.consumer(c, group, name, key: key)
            consumer.seenTime = now
            group.transfer(id, pending, to: consumer)
            pending.deliveryTime = now
            if !justID { pending.deliveryCount &+= 1 }
            claimed.append(id)
            count -= 1
            StreamGroupCommands.propagateClaim(c, key: key, groupName: groupName, group: group, id: id, entry: pending)
            c.dirty()
        }
        let next = cursor < group.pendingOrder.count ? group.pendingOrder.ids[cursor] : StreamID.zero
        c.reply.writeArrayHeader(3)
        c.reply.writeBulk(next)
        c.reply.writeArrayHeader(claimed.count)
        for id in claimed {
            if justID { c.reply.writeBulk(id) } else if let entry = stream.entry(id) { StreamCommands.writeEntry(c, entry) }
        }
        c.reply.writeArrayHeader(deleted.count)
        for id in deleted { c.reply.writeBulk(id) }
        c.suppressPropagation()
    }

    /// The stream and group of a claim; NOGROUP (after WRONGTYPE) when either is missing.
    private static func lookup(_ c: ClientSession, _ args: Arguments) -> (StreamValue, ConsumerGroup)? {
        switch c.stream(args[1]) {
        case .wrongType:
            c.replyError(ErrorReply.wrongType)
            return nil
        case .found(let stream):
            if let group = stream.groups[Bytes(args[2])] { return (stream, group) }
        case .missing: break
        }
        c.replyError(bytes: ErrorReply.noGroup(key: args[1], group: args[2]))
        return nil
    }
}
