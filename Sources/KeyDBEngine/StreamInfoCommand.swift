import KeyDBRESP
import KeyDBStorage

/// XINFO STREAM [FULL [COUNT n]] | GROUPS | CONSUMERS | HELP.
enum StreamInfoCommand {
    static func xinfo(_ c: ClientSession, _ args: Arguments) {
        if args.matches(1, "help") {
            guard args.count == 2 else { return c.replyError(bytes: ErrorReply.subcommandSyntax(args)) }
            return writeHelp(c, command: "XINFO", lines: [
                "CONSUMERS <key> <groupname>",
                "    Show consumers of <groupname>.",
                "GROUPS <key>",
                "    Show the stream consumer groups.",
                "STREAM <key> [FULL [COUNT <count>]",
                "    Show information about the stream.",
            ])
        }
        guard args.count >= 3 else { return c.replyError(bytes: ErrorReply.subcommandSyntax(args)) }
        let stream: StreamValue
        switch c.stream(args[2]) {
        case .wrongType: return c.replyError(ErrorReply.wrongType)
        case .missing: return c.replyError(ErrorReply.noSuchKey)
        case .found(let found): stream = found
        }
        if args.matches(1, "consumers") && args.count == 4 {
            guard let group = stream.groups[Bytes(args[3])] else {
                return c.replyError(bytes: ErrorReply.noGroupInXGroup(key: args[2], group: args[3]))
            }
            let consumers = group.consumersByName
            c.reply.writeArrayHeader(consumers.count)
            for consumer in consumers {
                c.replyMapHeader(3)
                c.reply.writeBulk("name")
                c.replyBulk(consumer.name)
                c.reply.writeBulk("pending")
                c.reply.writeIntegerReply(consumer.pending.count)
                c.reply.writeBulk("idle")
                c.reply.writeIntegerReply(max(0, c.now &- consumer.seenTime))
            }
        } else if args.matches(1, "groups") && args.count == 3 {
            let groups = stream.groups.sorted { $0.key < $1.key }
            c.reply.writeArrayHeader(groups.count)
            for (name, group) in groups {
                c.replyMapHeader(6)
                c.reply.writeBulk("name")
                c.replyBulk(name)
                c.reply.writeBulk("consumers")
                c.reply.writeIntegerReply(group.consumers.count)
                c.reply.writeBulk("pending")
                c.reply.writeIntegerReply(group.pendingOrder.count)
                c.reply.writeBulk("last-delivered-id")
                c.reply.writeBulk(group.lastID)
                writeReadCounterAndLag(c, stream, group)
            }
        } else if args.matches(1, "stream") {
            streamInfo(c, args, stream)
        } else {
            c.replyError(bytes: ErrorReply.subcommandSyntax(args))
        }
    }

    /// "entries-read" and "lag" (nil when deletions make them unknowable).
    private static func writeReadCounterAndLag(_ c: ClientSession, _ stream: StreamValue, _ group: ConsumerGroup) {
        c.reply.writeBulk("entries-read")
        if group.entriesRead != -1 { c.reply.writeIntegerReply(group.entriesRead) } else { c.replyNull() }
        c.reply.writeBulk("lag")
        let added = Int64(bitPattern: stream.entriesAdded)
        if stream.entriesAdded == 0 {
            c.reply.writeIntegerReply(0)
        } else if group.entriesRead != -1 && !stream.rangeHasTombstones(from: group.lastID) {
            c.reply.writeIntegerReply(added &- group.entriesRead)
        } else {
            let read = stream.entriesAdded(upTo: group.lastID)
            if read != -1 { c.reply.writeIntegerReply(added &- read) } else { c.replyNull() }
        }
    }

    private static func streamInfo(_ c: ClientSession, _ args: Arguments, _ stream: StreamValue) {
        var full = false
        var count = 10
        let options = args.count - 3
        if options > 0 {
            guard options == 1 || options == 3, args.matches(3, "full") else { return c.replyError(bytes: ErrorReply.subcommandSyntax(args)) }
            full = true
            if options == 3 {
                guard args.matches(4, "count") else { return c.replyError(bytes: ErrorReply.subcommandSyntax(args)) }
                guard let n = args.int64(5) else { return c.replyError(ErrorReply.notInteger) }
                count = n < 0 ? 10 : Int(clamping: n)
            }
        }
        c.replyMapHeader(full ? 9 : 10)
        c.reply.writeBulk("length")
        c.reply.writeIntegerReply(stream.length)
        c.reply.writeBulk("radix-tree-keys")
        c.reply.writeIntegerReply(stream.nodes.count)
        c.reply.writeBulk("radix-tree-nodes")
        c.reply.writeIntegerReply(radixTreeNodes(stream))
        c.reply.writeBulk("last-generated-id")
        c.reply.writeBulk(stream.lastID)
        c.reply.writeBulk("max-deleted-entry-id")
        c.reply.writeBulk(stream.maxDeletedID)
        c.reply.writeBulk("entries-added")
        c.reply.writeIntegerReply(Int64(bitPattern: stream.entriesAdded))
        c.reply.writeBulk("recorded-first-entry-id")
        c.reply.writeBulk(stream.firstID)
        let groups = stream.groups.sorted { $0.key < $1.key }
        guard full else {
            c.reply.writeBulk("groups")
            c.reply.writeIntegerReply(groups.count)
            for (label, last) in [("first-entry", false), ("last-entry", true)] {
                c.reply.writeBulk(label)
                var edge: StreamValue.Entry?
                stream.forEach(in: StreamID.zero...StreamID.max, reverse: last) { edge = $0; return false }
                if let edge { StreamCommands.writeEntry(c, edge) } else { c.replyNull() }
            }
            return
        }
        c.reply.writeBulk("entries")
        var entries: [StreamValue.Entry] = []
        stream.forEach(in: StreamID.zero...StreamID.max) { entry in
            entries.append(entry)
            return count == 0 || entries.count < count
        }
        StreamCommands.writeEntries(c, entries)
        c.reply.writeBulk("groups")
        c.reply.writeArrayHeader(groups.count)
        for (name, group) in groups {
            c.replyMapHeader(7)
            c.reply.writeBulk("name")
            c.replyBulk(name)
            c.reply.writeBulk("last-delivered-id")
            c.reply.writeBulk(group.lastID)
            writeReadCounterAndLag(c, stream, group)
            c.reply.writeBulk("pel-count")
            c.reply.writeIntegerReply(group.pendingOrder.count)
            c.reply.writeBulk("pending")
            writePending(c, group, group.pendingOrder, count: count, withOwner: true)
            let consumers = group.consumersByName
            c.reply.writeBulk("consumers")
            c.reply.writeArrayHeader(consumers.count)
            for consumer in consumers {
                c.replyMapHeader(4)
                c.reply.writeBulk("name")
                c.replyBulk(consumer.name)
                c.reply.writeBulk("seen-time")
                c.reply.writeIntegerReply(consumer.seenTime)
                c.reply.writeBulk("pel-count")
                c.reply.writeIntegerReply(consumer.pending.count)
                c.reply.writeBulk("pending")
                writePending(c, group, consumer.pending, count: count, withOwner: false)
            }
        }
    }

    /// The first `count` (0: all) of `ids` as [id, (owner,) delivery time, delivery count].
    private static func writePending(_ c: ClientSession, _ group: ConsumerGroup, _ ids: SortedStreamIDs, count: Int, withOwner: Bool) {
        let shown = count == 0 ? ids.ids[...] : ids.ids.prefix(count)
        c.reply.writeArrayHeader(shown.count)
        for id in shown {
            guard let entry = group.pending[id] else { continue }
            c.reply.writeArrayHeader(withOwner ? 4 : 3)
            c.reply.writeBulk(id)
            if withOwner { c.replyBulk(entry.consumer.name) }
            c.reply.writeIntegerReply(entry.deliveryTime)
            c.reply.writeIntegerReply(Int64(bitPattern: entry.deliveryCount))
        }
    }

    /// How many nodes Redis's radix tree holds for the node keys (16 bytes each): a chain
    /// of shared bytes is one compressed node, each place keys part is one branching
    /// node, and every key ends in a leaf. An empty tree is its root alone.
    static func radixTreeNodes(_ stream: StreamValue) -> Int {
        let keys = stream.nodes.map { $0.master.keyBytes }
        guard !keys.isEmpty else { return 1 }
        return subtreeNodes(keys[...], depth: 0)
    }

    /// Nodes below `depth` for sorted keys that agree on their first `depth` bytes.
    private static func subtreeNodes(_ keys: ArraySlice<[UInt8]>, depth: Int) -> Int {
        let length = keys.first!.count
        if keys.count == 1 { return depth < length ? 2 : 1 }
        var shared = depth
        while keys.allSatisfy({ $0[shared] == keys.first![shared] }) { shared += 1 }
        var total = (shared > depth ? 1 : 0) + 1
        var start = keys.startIndex
        while start < keys.endIndex {
            var end = start
            while end < keys.endIndex && keys[end][shared] == keys[start][shared] { end += 1 }
            total += subtreeNodes(keys[start..<end], depth: shared + 1)
            start = end
        }
        return total
    }
}
