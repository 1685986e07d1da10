/// Streams in an RDB image: STREAM_LISTPACKS_2 (19) is what Redis 7.0 writes;
/// 15 (Redis 5, 6) and 21 (Redis 7.2) are read too.
extension RDBOutput {
    mutating func streamValue(key: UnsafeRawBufferPointer?, _ stream: RDBStream) throws {
        byte(RDBValueType.streamListpacks2.rawValue)
        if let key { try string(key) }
        length(stream.nodes.count)
        for node in stream.nodes {
            try string(node[0].id.keyBytes)
            try string(StreamListpack.encode(node))
            try flushIfFull()
        }
        length64(stream.length)
        for id in [stream.lastID, stream.firstID, stream.maxDeletedID] {
            length64(id.ms)
            length64(id.seq)
        }
        length64(stream.entriesAdded)
        length(stream.groups.count)
        for group in stream.groups {
            try string(group.name)
            length64(group.lastID.ms)
            length64(group.lastID.seq)
            length64(UInt64(bitPattern: group.entriesRead))
            length(group.pending.count)
            for pending in group.pending {
                try pending.id.keyBytes.withUnsafeBytes { try raw($0) }
                littleEndian(pending.deliveryTime)
                length64(pending.deliveryCount)
            }
            length(group.consumers.count)
            for consumer in group.consumers {
                try string(consumer.name)
                littleEndian(consumer.seenTime)
                length(consumer.pending.count)
                for id in consumer.pending { try id.keyBytes.withUnsafeBytes { try raw($0) } }
            }
            try flushIfFull()
        }
    }

    /// An RDB length of any 64-bit value (counters such as entries-read's -1 use the full range).
    mutating func length64(_ n: UInt64) {
        if n <= UInt64(UInt32.max) {
            length(Int(n))
        } else {
            byte(0x81)
            littleEndian(n.byteSwapped)
        }
    }
}

extension RDBCursor {
    mutating func readStream(_ type: RDBValueType) throws -> RDBStream {
        let nodeCount = try readCount("stream node count", minimumItemSize: 2)
        var nodes: [[RDBStream.Entry]] = []
        var length: UInt64 = 0
        for _ in 0..<nodeCount {
            let keyAt = offset
            let key = try readString("stream node key")
            guard let master = key.withUnsafeBytes({ StreamID(keyBytes: $0) }) else {
                throw error("stream node key is not 16 bytes", at: keyAt)
            }
            let entries = try withBlob("stream listpack") { try StreamListpack.decode(master: master, $0) }
            if let previous = nodes.last?.last?.id, master <= previous {
                throw error("stream nodes are not in ID order", at: keyAt)
            }
            length += UInt64(entries.reduce(0) { $0 + ($1.deleted ? 0 : 1) })
            nodes.append(entries)
        }
        let lengthAt = offset
        guard try readLength64("stream length") == length else { throw error("stream length does not match its entries", at: lengthAt) }
        let lastID = StreamID(ms: try readLength64("last ID"), seq: try readLength64("last ID"))
        let live = nodes.joined().filter { !$0.deleted }
        var firstID = live.first?.id ?? .zero
        var maxDeletedID = StreamID.zero
        var entriesAdded = length
        if type != .streamListpacks {
            firstID = StreamID(ms: try readLength64("first ID"), seq: try readLength64("first ID"))
            maxDeletedID = StreamID(ms: try readLength64("max deleted ID"), seq: try readLength64("max deleted ID"))
            entriesAdded = try readLength64("entries added")
        }
        if let newest = nodes.last?.last?.id, newest > lastID { throw error("stream last ID is behind its entries") }
        let groupCount = try readCount("consumer group count", minimumItemSize: 4)
        var groups: [RDBStream.Group] = []
        for _ in 0..<groupCount {
            let name = try readString("consumer group name")
            let groupLast = StreamID(ms: try readLength64("group last ID"), seq: try readLength64("group last ID"))
            var entriesRead: Int64 = -1
            if type != .streamListpacks {
                entriesRead = Int64(bitPattern: try readLength64("group entries read"))
            } else {
                entriesRead = streamEntriesAdded(upTo: groupLast, entriesAdded: entriesAdded, length: length, firstID: firstID,
                                                 lastID: lastID, maxDeletedID: maxDeletedID)
            }
            let pendingCount = try readCount("group pending count", minimumItemSize: 25)
            var pending: [RDBStream.Pending] = []
            for _ in 0..<pendingCount {
                let id = try readRawID()
                let time = Int64(bitPattern: try readLittleEndian(UInt64.self, "delivery time"))
                pending.append(RDBStream.Pending(id: id, deliveryTime: time, deliveryCount: try readLength64("delivery count")))
            }
            guard zip(pending, pending.dropFirst()).allSatisfy({ $0.id < $1.id }) else { throw error("group pending IDs are not ascending") }
            let consumerCount = try readCount("consumer count", minimumItemSize: 10)
            var consumers: [RDBStream.Consumer] = []
            var owned = Set<StreamID>()
            for _ in 0..<consumerCount {
                let consumerName = try readString("consumer name")
                let seen = Int64(bitPattern: try readLittleEndian(UInt64.self, "consumer seen time"))
                if type == .streamListpacks3 { _ = try readLittleEndian(UInt64.self, "consumer active time") }
                let ownedCount = try readCount("consumer pending count", minimumItemSize: 16)
                var ids: [StreamID] = []
                for _ in 0..<ownedCount {
                    let at = offset
                    let id = try readRawID()
                    guard pending.contains(where: { $0.id == id }), owned.insert(id).inserted else {
                        throw error("consumer owns an ID its group has not pending, or one another consumer owns", at: at)
                    }
                    ids.append(id)
                }
                consumers.append(RDBStream.Consumer(name: consumerName, seenTime: seen, pending: ids.sorted()))
            }
            guard owned.count == pending.count else { throw error("a pending entry has no consumer") }
            groups.append(RDBStream.Group(name: name, lastID: groupLast, entriesRead: entriesRead, pending: pending, consumers: consumers))
        }
        return RDBStream(nodes: nodes, length: length, lastID: lastID, firstID: firstID, maxDeletedID: maxDeletedID,
                         entriesAdded: entriesAdded, groups: groups)
    }

    private mutating func readRawID() throws -> StreamID {
        try require(16, "stream ID")
        let id = bytes[offset..<offset + 16].withUnsafeBytes { StreamID(keyBytes: $0)! }
        offset += 16
        return id
    }

    /// A length of any 64-bit value.
    mutating func readLength64(_ what: String) throws -> UInt64 {
        let start = offset
        let first = try readByte(what)
        if first == 0x81 { return try readBigEndian(UInt64.self, what) }
        offset = start
        return UInt64(try readLength(what))
    }
}
