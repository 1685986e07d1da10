import KeyDBStorage

extension StreamValue {
    /// One node of a stream (what Redis keeps as one listpack): its entries packed in
    /// one byte array, about as compact as Redis's listpack. Each entry is a flags
    /// byte (deleted, same names as the master), its ID as varints (milliseconds after
    /// the node's first ID, then the sequence), then its fields as length-prefixed
    /// bytes, only the values when the names are the master's.
    final class Node {
        private(set) var data: [UInt8] = []
        /// Entries held, deleted ones included, and the live ones.
        private(set) var count = 0
        private(set) var live = 0
        let master: StreamID
        private(set) var lastID: StreamID
        /// The names of the first entry's fields: the master entry's.
        let masterNames: [Bytes]
        /// Listpack bytes (Redis's measure, for stream-node-max-bytes) of the master's names and of the entries.
        private let masterNameBytes: Int
        private var entryBytes = 0

        private static let deletedFlag: UInt8 = 1
        private static let sameNamesFlag: UInt8 = 2

        init(first: Entry) {
            master = first.id
            lastID = first.id
            masterNames = stride(from: 0, to: first.fields.count, by: 2).map { first.fields[$0] }
            masterNameBytes = masterNames.reduce(0) { $0 + $1.withUnsafeBytes(StreamListpack.elementSize) }
            append(first)
        }

        convenience init(entries: [Entry]) {
            self.init(first: entries[0])
            for entry in entries.dropFirst() { append(entry) }
        }

        private init(copying node: Node) {
            data = node.data
            count = node.count
            live = node.live
            master = node.master
            lastID = node.lastID
            masterNames = node.masterNames
            masterNameBytes = node.masterNameBytes
            entryBytes = node.entryBytes
        }

        /// An independent copy (COPY): the packed bytes are shared until either changes.
        func copy() -> Node { Node(copying: self) }

        /// The node's listpack size as Redis would have it.
        var byteCount: Int {
            StreamListpack.masterOverhead(nameCount: masterNames.count, live: live, deleted: count - live)
                + masterNameBytes + entryBytes
        }

        /// Adds an entry after the others (its ID is larger).
        func append(_ entry: Entry) {
            let same = hasMasterNames(entry.fields)
            data.append((entry.deleted ? Self.deletedFlag : 0) | (same ? Self.sameNamesFlag : 0))
            putVarint(entry.id.ms &- master.ms)
            putVarint(entry.id.seq)
            if !same { putVarint(UInt64(entry.fields.count / 2)) }
            var size = StreamListpack.entryOverhead(id: entry.id, master: master, pairs: entry.fields.count / 2, sameFields: same)
            for index in stride(from: same ? 1 : 0, to: entry.fields.count, by: same ? 2 : 1) {
                entry.fields[index].withUnsafeBytes { bytes in
                    putVarint(UInt64(bytes.count))
                    data.append(contentsOf: bytes)
                    size += StreamListpack.elementSize(bytes)
                }
            }
            entryBytes += size
            count += 1
            if !entry.deleted { live += 1 }
            lastID = entry.id
        }

        /// Whether `fields` has the master's names in order (then only its values are stored).
        private func hasMasterNames(_ fields: [Bytes]) -> Bool {
            guard fields.count == masterNames.count * 2 else { return false }
            for index in masterNames.indices where fields[2 * index] != masterNames[index] { return false }
            return true
        }

        // MARK: - Reading

        /// Where an entry starts, and its ID and state; enough to skip it.
        struct Header {
            var id: StreamID
            var deleted: Bool
            var offset: Int
            /// Where its fields start and where the next entry starts.
            var fieldsAt: Int
            var next: Int
            var sameNames: Bool
            var pairs: Int
        }

        /// The header of the entry starting at `offset` (< data.count).
        func header(at offset: Int) -> Header {
            var p = offset
            let flags = data[p]
            p += 1
            let ms = master.ms &+ readVarint(&p)
            let seq = readVarint(&p)
            let same = flags & Self.sameNamesFlag != 0
            let pairs = same ? masterNames.count : Int(readVarint(&p))
            let fieldsAt = p
            for _ in 0..<(same ? pairs : 2 * pairs) { p += Int(readVarint(&p)) }
            return Header(id: StreamID(ms: ms, seq: seq), deleted: flags & Self.deletedFlag != 0, offset: offset,
                          fieldsAt: fieldsAt, next: p, sameNames: same, pairs: pairs)
        }

        /// The entry a header describes, fields and all.
        func entry(_ header: Header) -> Entry {
            var fields: [Bytes] = []
            fields.reserveCapacity(2 * header.pairs)
            var p = header.fieldsAt
            data.withUnsafeBytes { bytes in
                func next() -> Bytes {
                    let length = Int(readVarint(&p))
                    defer { p += length }
                    return Bytes(UnsafeRawBufferPointer(rebasing: bytes[p..<p + length]))
                }
                for index in 0..<header.pairs {
                    fields.append(header.sameNames ? masterNames[index] : next())
                    fields.append(next())
                }
            }
            return Entry(id: header.id, fields: fields, deleted: header.deleted)
        }

        /// Every entry's header in order, until `body` returns false.
        func forEachHeader(_ body: (Header) -> Bool) {
            var offset = 0
            while offset < data.count {
                let h = header(at: offset)
                if !body(h) { return }
                offset = h.next
            }
        }

        /// Every entry, deleted ones included (for the RDB image and COPY).
        var entries: [Entry] {
            var all: [Entry] = []
            all.reserveCapacity(count)
            forEachHeader { all.append(entry($0)); return true }
            return all
        }

        /// The header of the entry with this exact ID, deleted or not.
        func find(_ id: StreamID) -> Header? {
            var found: Header?
            forEachHeader { h in
                if h.id == id { found = h }
                return h.id < id
            }
            return found
        }

        /// Marks a live entry deleted (it keeps its place and size, as in Redis's listpack).
        func markDeleted(_ header: Header) {
            precondition(!header.deleted)
            data[header.offset] |= Self.deletedFlag
            live -= 1
        }

        // MARK: - Varints (7 bits a byte, low first)

        private func putVarint(_ value: UInt64) {
            var v = value
            while v >= 0x80 {
                data.append(UInt8(truncatingIfNeeded: v) | 0x80)
                v >>= 7
            }
            data.append(UInt8(v))
        }

        private func readVarint(_ p: inout Int) -> UInt64 {
            var value: UInt64 = 0
            var shift: UInt64 = 0
            while true {
                let byte = data[p]
                p += 1
                value |= UInt64(byte & 0x7F) << shift
                if byte < 0x80 { return value }
                shift += 7
            }
        }
    }
}
