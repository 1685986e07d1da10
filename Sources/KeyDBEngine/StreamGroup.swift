import KeyDBStorage

/// A consumer group (Redis's streamCG): the last ID delivered to it, its read
/// counter, its pending entries list (PEL: delivered, not yet acknowledged) and
/// its consumers, each owning part of the PEL.
final class ConsumerGroup {
    var lastID: StreamID
    /// Entries read since the stream began (for XINFO's lag); -1 when unknown.
    var entriesRead: Int64
    var pending: [StreamID: PendingEntry] = [:]
    var pendingOrder = SortedStreamIDs()
    var consumers: [Bytes: Consumer] = [:]

    init(lastID: StreamID, entriesRead: Int64) {
        self.lastID = lastID
        self.entriesRead = entriesRead
    }

    /// Consumers in name order, as Redis's radix tree lists them.
    var consumersByName: [Consumer] {
        consumers.values.sorted { $0.name < $1.name }
    }

    /// The consumer named `name`, created (seen now) if missing; `created` says whether it was.
    func consumer(_ name: Bytes, now: Int64) -> (consumer: Consumer, created: Bool) {
        if let existing = consumers[name] { return (existing, false) }
        let consumer = Consumer(name: name, seenTime: now)
        consumers[name] = consumer
        return (consumer, true)
    }

    /// Adds `id` to the PEL, owned by `consumer` (replacing any earlier claim).
    func addPending(_ id: StreamID, to consumer: Consumer, time: Int64, count: UInt64) {
        if let old = pending[id] {
            old.consumer.pending.remove(id)
        } else {
            pendingOrder.insert(id)
        }
        pending[id] = PendingEntry(deliveryTime: time, deliveryCount: count, consumer: consumer)
        consumer.pending.insert(id)
    }

    /// Moves a pending entry to `consumer`.
    func transfer(_ id: StreamID, _ entry: PendingEntry, to consumer: Consumer) {
        guard entry.consumer !== consumer else { return }
        entry.consumer.pending.remove(id)
        entry.consumer = consumer
        consumer.pending.insert(id)
    }

    /// Acknowledges `id`: true when it was pending.
    @discardableResult
    func acknowledge(_ id: StreamID) -> Bool {
        guard let entry = pending.removeValue(forKey: id) else { return false }
        pendingOrder.remove(id)
        entry.consumer.pending.remove(id)
        return true
    }

    /// Removes a consumer and its pending entries; returns how many it had.
    func deleteConsumer(_ name: Bytes) -> Int? {
        guard let consumer = consumers.removeValue(forKey: name) else { return nil }
        let owned = consumer.pending.ids
        for id in owned {
            pending[id] = nil
            pendingOrder.remove(id)
        }
        return owned.count
    }

    func copy() -> ConsumerGroup {
        let copy = ConsumerGroup(lastID: lastID, entriesRead: entriesRead)
        for (name, consumer) in consumers {
            let twin = Consumer(name: name, seenTime: consumer.seenTime)
            twin.pending = consumer.pending
            copy.consumers[name] = twin
        }
        for (id, entry) in pending {
            copy.pending[id] = PendingEntry(deliveryTime: entry.deliveryTime, deliveryCount: entry.deliveryCount,
                                            consumer: copy.consumers[entry.consumer.name]!)
        }
        copy.pendingOrder = pendingOrder
        return copy
    }
}

/// A consumer of a group: its name, when it was last seen, and the IDs it owns.
final class Consumer {
    let name: Bytes
    var seenTime: Int64
    var pending = SortedStreamIDs()

    init(name: Bytes, seenTime: Int64) {
        self.name = name
        self.seenTime = seenTime
    }
}

/// One delivered, unacknowledged entry (Redis's streamNACK).
final class PendingEntry {
    var deliveryTime: Int64
    var deliveryCount: UInt64
    var consumer: Consumer

    init(deliveryTime: Int64, deliveryCount: UInt64, consumer: Consumer) {
        self.deliveryTime = deliveryTime
        self.deliveryCount = deliveryCount
        self.consumer = consumer
    }
}

/// Stream IDs kept ascending; new deliveries append at the end, the common case.
struct SortedStreamIDs {
    private(set) var ids: [StreamID] = []

    var count: Int { ids.count }

    /// The index of the first ID ≥ `id`.
    func lowerBound(_ id: StreamID) -> Int {
        var low = 0, high = ids.count
        while low < high {
            let mid = (low + high) / 2
            if ids[mid] < id { low = mid + 1 } else { high = mid }
        }
        return low
    }

    mutating func insert(_ id: StreamID) {
        if let last = ids.last, last < id { return ids.append(id) }
        let i = lowerBound(id)
        if i < ids.count && ids[i] == id { return }
        ids.insert(id, at: i)
    }

    mutating func remove(_ id: StreamID) {
        let i = lowerBound(id)
        if i < ids.count && ids[i] == id { ids.remove(at: i) }
    }

    /// The IDs in `range`, ascending.
    func slice(_ range: ClosedRange<StreamID>) -> ArraySlice<StreamID> {
        let start = lowerBound(range.lowerBound)
        var end = start
        while end < ids.count && ids[end] <= range.upperBound { end += 1 }
        return ids[start..<end]
    }
}
