/// A stream as an RDB image holds it: the entries node by node (a node is one
/// listpack under the radix tree; deleted entries stay in their node until it
/// empties, as in Redis), the stream's counters and its consumer groups.
public struct RDBStream: Equatable, Sendable {
    public struct Entry: Equatable, Sendable {
        public var id: StreamID
        /// Field, value, field, value...
        public var fields: [[UInt8]]
        public var deleted: Bool
        public init(id: StreamID, fields: [[UInt8]], deleted: Bool = false) {
            self.id = id
            self.fields = fields
            self.deleted = deleted
        }
    }

    public struct Pending: Equatable, Sendable {
        public var id: StreamID
        public var deliveryTime: Int64
        public var deliveryCount: UInt64
        public init(id: StreamID, deliveryTime: Int64, deliveryCount: UInt64) {
            self.id = id
            self.deliveryTime = deliveryTime
            self.deliveryCount = deliveryCount
        }
    }

    public struct Consumer: Equatable, Sendable {
        public var name: [UInt8]
        public var seenTime: Int64
        /// The IDs this consumer owns, ascending; each is in its group's `pending`.
        public var pending: [StreamID]
        public init(name: [UInt8], seenTime: Int64, pending: [StreamID]) {
            self.name = name
            self.seenTime = seenTime
            self.pending = pending
        }
    }

    public struct Group: Equatable, Sendable {
        public var name: [UInt8]
        public var lastID: StreamID
        /// Entries the group has read since the stream began; -1 when unknown.
        public var entriesRead: Int64
        /// Ascending by ID.
        public var pending: [Pending]
        public var consumers: [Consumer]
        public init(name: [UInt8], lastID: StreamID, entriesRead: Int64, pending: [Pending], consumers: [Consumer]) {
            self.name = name
            self.lastID = lastID
            self.entriesRead = entriesRead
            self.pending = pending
            self.consumers = consumers
        }
    }

    public var nodes: [[Entry]]
    public var length: UInt64
    public var lastID: StreamID
    public var firstID: StreamID
    public var maxDeletedID: StreamID
    public var entriesAdded: UInt64
    public var groups: [Group]

    public init(nodes: [[Entry]], length: UInt64, lastID: StreamID, firstID: StreamID, maxDeletedID: StreamID,
                entriesAdded: UInt64, groups: [Group]) {
        self.nodes = nodes
        self.length = length
        self.lastID = lastID
        self.firstID = firstID
        self.maxDeletedID = maxDeletedID
        self.entriesAdded = entriesAdded
        self.groups = groups
    }
}
