import KeyDBStorage

/// A stream to and from the form an RDB image (and a DUMP payload) holds.
extension StreamValue {
    public var rdbStream: RDBStream {
        let groups = self.groups.sorted { $0.key < $1.key }.map { name, group in
            RDBStream.Group(
                name: name.array, lastID: group.lastID, entriesRead: group.entriesRead,
                pending: group.pendingOrder.ids.compactMap { id in
                    group.pending[id].map { RDBStream.Pending(id: id, deliveryTime: $0.deliveryTime, deliveryCount: $0.deliveryCount) }
                },
                consumers: group.consumersByName.map {
                    RDBStream.Consumer(name: $0.name.array, seenTime: $0.seenTime, pending: $0.pending.ids)
                })
        }
        return RDBStream(
            nodes: nodes.map { $0.entries.map { RDBStream.Entry(id: $0.id, fields: $0.fields.map(\.array), deleted: $0.deleted) } },
            length: UInt64(length), lastID: lastID, firstID: firstID, maxDeletedID: maxDeletedID,
            entriesAdded: entriesAdded, groups: groups)
    }

    /// The stream an RDB image describes (the reader has checked it is consistent).
    public convenience init(_ image: RDBStream) {
        self.init()
        nodes = image.nodes.filter { !$0.isEmpty }.map { entries in
            Node(entries: entries.map { Entry(id: $0.id, fields: $0.fields.map { Bytes(array: $0) }, deleted: $0.deleted) })
        }
        length = Int(image.length)
        lastID = image.lastID
        firstID = image.firstID
        maxDeletedID = image.maxDeletedID
        entriesAdded = image.entriesAdded
        for saved in image.groups {
            let group = ConsumerGroup(lastID: saved.lastID, entriesRead: saved.entriesRead)
            var owners: [StreamID: Consumer] = [:]
            for savedConsumer in saved.consumers {
                let consumer = Consumer(name: Bytes(array: savedConsumer.name), seenTime: savedConsumer.seenTime)
                group.consumers[consumer.name] = consumer
                for id in savedConsumer.pending { owners[id] = consumer }
            }
            for pending in saved.pending {
                guard let owner = owners[pending.id] else { continue }
                group.addPending(pending.id, to: owner, time: pending.deliveryTime, count: pending.deliveryCount)
            }
            groups[Bytes(array: saved.name)] = group
        }
    }
}
