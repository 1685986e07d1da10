import KeyDBStorage

/// A stream (Redis's t_stream.c): entries in ID order, kept in nodes the way
/// Redis keeps listpacks under its radix tree, because node boundaries show:
/// `~` trimming removes whole nodes only, and the RDB image holds one listpack
/// per node. An XDEL or an inexact trim marks an entry deleted; it stays in its
/// node (and counts toward the node's size) until the node empties.
public final class StreamValue: @unchecked Sendable {  // guarded by the keyspace lock
    struct Entry {
        var id: StreamID
        /// Field, value, field, value...
        var fields: [Bytes]
        var deleted = false
    }

    var nodes: [Node] = []
    public internal(set) var length = 0
    var lastID = StreamID.zero
    var firstID = StreamID.zero
    var maxDeletedID = StreamID.zero
    var entriesAdded: UInt64 = 0
    var groups: [Bytes: ConsumerGroup] = [:]

    public init() {}

    /// Node limits (stream-node-max-bytes, stream-node-max-entries).
    struct NodeLimits {
        var maxBytes: Int
        var maxEntries: Int
    }

    /// Adds an entry after every existing one (the caller checked `id > lastID`).
    func append(_ id: StreamID, fields: [Bytes], limits: NodeLimits) {
        let entry = Entry(id: id, fields: fields)
        if let tail = nodes.last, !isFull(tail, adding: fields, limits) {
            tail.append(entry)
        } else {
            nodes.append(Node(first: entry))
        }
        length += 1
        entriesAdded &+= 1
        lastID = id
        if length == 1 { firstID = id }
    }

    /// Redis's rule for starting a new node: the listpack would reach the byte
    /// limit (counting the new fields' raw length), or holds the entry limit already.
    private func isFull(_ node: Node, adding fields: [Bytes], _ limits: NodeLimits) -> Bool {
        let maxBytes = limits.maxBytes == 0 || limits.maxBytes > Self.listpackMaxSize ? Self.listpackMaxSize : limits.maxBytes
        if node.byteCount + fields.reduce(0, { $0 + $1.count }) >= maxBytes { return true }
        return limits.maxEntries > 0 && node.count >= limits.maxEntries
    }

    /// The largest listpack a stream node may be (STREAM_LISTPACK_MAX_SIZE).
    static let listpackMaxSize = 1 << 30

    // MARK: - Finding entries

    /// The position of the first node whose entries may include `id`.
    private func nodeIndex(for id: StreamID) -> Int {
        // The last node whose master is ≤ id.
        var low = 0, high = nodes.count
        while low < high {
            let mid = (low + high) / 2
            if nodes[mid].master <= id { low = mid + 1 } else { high = mid }
        }
        return max(0, low - 1)
    }

    /// The live entries with IDs in `range`, ascending (or descending when `reverse`),
    /// until `body` returns false.
    func forEach(in range: ClosedRange<StreamID>, reverse: Bool = false, _ body: (Entry) -> Bool) {
        guard !nodes.isEmpty else { return }
        if !reverse {
            for node in nodes[nodeIndex(for: range.lowerBound)...] {
                var going = true
                node.forEachHeader { h in
                    if h.id > range.upperBound {
                        going = false
                    } else if h.id >= range.lowerBound && !h.deleted {
                        going = body(node.entry(h))
                    }
                    return going
                }
                if !going { return }
            }
        } else {
            // A node packs its entries forwards: collect the headers in range, then walk them back.
            for node in nodes[...nodeIndex(for: range.upperBound)].reversed() {
                var headers: [Node.Header] = []
                node.forEachHeader { h in
                    if h.id >= range.lowerBound && !h.deleted && h.id <= range.upperBound { headers.append(h) }
                    return h.id <= range.upperBound
                }
                for h in headers.reversed() where !body(node.entry(h)) { return }
                if node.master <= range.lowerBound { return }
            }
        }
    }

    /// The live entry with this exact ID.
    func entry(_ id: StreamID) -> Entry? {
        guard !nodes.isEmpty else { return nil }
        let node = nodes[nodeIndex(for: id)]
        guard let h = node.find(id), !h.deleted else { return nil }
        return node.entry(h)
    }

    /// The first (or last) live entry's ID.
    func edgeID(last: Bool) -> StreamID? {
        var found: StreamID?
        forEach(in: StreamID.zero...StreamID.max, reverse: last) { found = $0.id; return false }
        return found
    }

    // MARK: - Deleting

    /// XDEL of one ID: true when a live entry had it.
    func delete(_ id: StreamID) -> Bool {
        guard !nodes.isEmpty else { return false }
        let n = nodeIndex(for: id)
        let node = nodes[n]
        guard let h = node.find(id), !h.deleted else { return false }
        if node.live == 1 { nodes.remove(at: n) } else { node.markDeleted(h) }
        length -= 1
        return true
    }

    /// After deletions: the first ID follows the first live entry.
    func refreshFirstID() {
        firstID = length == 0 ? .zero : edgeID(last: false) ?? .zero
    }

    enum TrimStrategy {
        case maxLength(Int)
        case minID(StreamID)
    }

    /// Redis's streamTrim: whole nodes while they fit below the threshold, then (unless
    /// `approximate`) entries of the next node are marked deleted. `limit` (0: none)
    /// caps the entries removed. Returns how many were.
    func trim(_ strategy: TrimStrategy, approximate: Bool, limit: Int) -> Int {
        var deleted = 0
        while let node = nodes.first {
            if case .maxLength(let maxLength) = strategy, length <= maxLength { break }
            if limit > 0 && deleted + node.live > limit { break }
            let removeNode: Bool
            switch strategy {
            case .maxLength(let maxLength): removeNode = length - node.live >= maxLength
            case .minID(let minID): removeNode = node.lastID < minID
            }
            if removeNode {
                nodes.removeFirst()
                length -= node.live
                deleted += node.live
                continue
            }
            if approximate { break }
            node.forEachHeader { h in
                if stopTrimming(strategy, at: h.id) { return false }
                if !h.deleted {
                    node.markDeleted(h)
                    length -= 1
                    deleted += 1
                }
                return true
            }
            break
        }
        if length == 0 { firstID = .zero } else if deleted > 0 { refreshFirstID() }
        return deleted
    }

    private func stopTrimming(_ strategy: TrimStrategy, at id: StreamID) -> Bool {
        switch strategy {
        case .maxLength(let maxLength): return length <= maxLength
        case .minID(let minID): return id >= minID
        }
    }

    // MARK: - Consumer groups' read counters

    /// Redis's streamEstimateDistanceFromFirstEverEntry.
    func entriesAdded(upTo id: StreamID) -> Int64 {
        streamEntriesAdded(upTo: id, entriesAdded: entriesAdded, length: UInt64(length), firstID: firstID,
                           lastID: lastID, maxDeletedID: maxDeletedID)
    }

    /// Whether an entry deleted with XDEL lies in `start...end` (nil: open) of the
    /// live history, where counting entries would go wrong.
    func rangeHasTombstones(from start: StreamID?, to end: StreamID? = nil) -> Bool {
        guard length > 0, maxDeletedID != .zero, firstID <= maxDeletedID else { return false }
        return (start ?? .zero) <= maxDeletedID && maxDeletedID <= (end ?? .max)
    }

    /// A deep copy, for COPY.
    func copy() -> StreamValue {
        let copy = StreamValue()
        copy.nodes = nodes.map { $0.copy() }
        copy.length = length
        copy.lastID = lastID
        copy.firstID = firstID
        copy.maxDeletedID = maxDeletedID
        copy.entriesAdded = entriesAdded
        for (name, group) in groups { copy.groups[name] = group.copy() }
        return copy
    }
}
