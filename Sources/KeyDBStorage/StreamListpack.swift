import KeyDBRESP

/// One stream node as Redis lays it out in a listpack: a master entry (live and
/// deleted counts, then the field names of the node's first entry), then each
/// entry as flags, ID delta from the node's first ID, fields (or only values when
/// they match the master's names) and the entry's element count.
public enum StreamListpack {
    static let deletedFlag: Int64 = 1
    static let sameFieldsFlag: Int64 = 2

    // MARK: - Sizes (what stream-node-max-bytes is checked against)

    /// The bytes of a listpack integer entry, backlen included.
    public static func integerSize(_ v: Int64) -> Int { ListpackBuilder.integerEntrySize(v) }

    /// The bytes of a listpack element holding `bytes` (as an integer when it is one).
    public static func elementSize(_ bytes: some RDBBytes) -> Int {
        bytes.withRDBBytes { ListpackBuilder.entrySize($0) }
    }

    /// A node's listpack size apart from its entries: header, master entry, terminator.
    public static func masterSize<E: RDBBytes>(fieldNames: some Collection<E>, live: Int, deleted: Int) -> Int {
        Listpack.headerSize + 1 + integerSize(Int64(live)) + integerSize(Int64(deleted))
            + integerSize(Int64(fieldNames.count)) + fieldNames.reduce(0) { $0 + elementSize($1) } + integerSize(0)
    }

    /// The bytes one entry takes in a node whose first ID is `master`.
    public static func entrySize<E: RDBBytes>(id: StreamID, master: StreamID, fields: [E], sameFields: Bool) -> Int {
        let pairs = fields.count / 2
        var size = integerSize(sameFields ? sameFieldsFlag : 0) + integerSize(Int64(bitPattern: id.ms &- master.ms))
            + integerSize(Int64(bitPattern: id.seq &- master.seq))
        if !sameFields { size += integerSize(Int64(pairs)) }
        for (i, element) in fields.enumerated() where !sameFields || i % 2 == 1 { size += elementSize(element) }
        return size + integerSize(Int64(pairs + 3 + (sameFields ? 0 : pairs + 1)))
    }

    /// Whether `fields`' names are `masterNames`, in order.
    public static func hasSameFields<E: RDBBytes, M: RDBBytes>(_ fields: [E], as masterNames: [M]) -> Bool {
        guard fields.count == masterNames.count * 2 else { return false }
        for (i, name) in masterNames.enumerated() {
            let equal = name.withRDBBytes { a in fields[2 * i].withRDBBytes { b in a.elementsEqual(b) } }
            if !equal { return false }
        }
        return true
    }

    // MARK: - Encoding

    /// The listpack of a node holding `entries` (the first one's ID and names are the master's).
    public static func encode(_ entries: [RDBStream.Entry]) -> [UInt8] {
        guard let first = entries.first else { return ListpackBuilder().finish() }
        let master = first.id
        let names = stride(from: 0, to: first.fields.count, by: 2).map { first.fields[$0] }
        let deleted = entries.reduce(0) { $0 + ($1.deleted ? 1 : 0) }
        var lp = ListpackBuilder()
        lp.append(integer: Int64(entries.count - deleted))
        lp.append(integer: Int64(deleted))
        lp.append(integer: Int64(names.count))
        for name in names { lp.append(name) }
        lp.append(integer: 0)
        for entry in entries {
            let same = hasSameFields(entry.fields, as: names)
            let pairs = entry.fields.count / 2
            lp.append(integer: (entry.deleted ? deletedFlag : 0) | (same ? sameFieldsFlag : 0))
            lp.append(integer: Int64(bitPattern: entry.id.ms &- master.ms))
            lp.append(integer: Int64(bitPattern: entry.id.seq &- master.seq))
            if !same { lp.append(integer: Int64(pairs)) }
            for (i, element) in entry.fields.enumerated() where !same || i % 2 == 1 { lp.append(element) }
            lp.append(integer: Int64(pairs + 3 + (same ? 0 : pairs + 1)))
        }
        return lp.finish()
    }

    // MARK: - Decoding

    /// The entries of the node keyed `master`, deleted ones included, checked as
    /// Redis's deep sanitization would: anything inconsistent is an error.
    public static func decode(master: StreamID, _ listpack: UnsafeRawBufferPointer) throws -> [RDBStream.Entry] {
        let elements = try Listpack.decode(listpack)
        var p = 0
        func integer(_ what: String) throws -> Int64 {
            guard p < elements.count else { throw RDBError("stream listpack ends inside \(what)", offset: 0) }
            defer { p += 1 }
            guard let v = elements[p].withUnsafeBytes({ Int64(redisDecimal: $0) }) else {
                throw RDBError("stream listpack \(what) is not an integer", offset: 0)
            }
            return v
        }
        func element(_ what: String) throws -> [UInt8] {
            guard p < elements.count else { throw RDBError("stream listpack ends inside \(what)", offset: 0) }
            defer { p += 1 }
            return elements[p]
        }
        let live = try integer("live count"), deleted = try integer("deleted count")
        let nameCount = try integer("master field count")
        guard live >= 0, deleted >= 0, nameCount >= 0, nameCount <= elements.count else {
            throw RDBError("stream listpack master entry is invalid", offset: 0)
        }
        var names: [[UInt8]] = []
        for _ in 0..<nameCount { names.append(try element("master field")) }
        guard try integer("master terminator") == 0 else { throw RDBError("stream master entry is not terminated", offset: 0) }
        var entries: [RDBStream.Entry] = []
        var seenDeleted: Int64 = 0
        while p < elements.count {
            let flags = try integer("entry flags")
            let msDelta = try integer("entry ms delta"), seqDelta = try integer("entry seq delta")
            let id = StreamID(ms: master.ms &+ UInt64(bitPattern: msDelta), seq: master.seq &+ UInt64(bitPattern: seqDelta))
            let same = flags & sameFieldsFlag != 0
            let pairs = same ? Int64(names.count) : try integer("entry field count")
            guard pairs >= 0, pairs <= Int64(elements.count - p) else { throw RDBError("stream entry field count is invalid", offset: 0) }
            var fields: [[UInt8]] = []
            fields.reserveCapacity(Int(pairs) * 2)
            for i in 0..<Int(pairs) {
                fields.append(same ? names[i] : try element("entry field"))
                fields.append(try element("entry value"))
            }
            let count = try integer("entry element count")
            guard count == pairs + 3 + (same ? 0 : pairs + 1) else { throw RDBError("stream entry element count is wrong", offset: 0) }
            if let previous = entries.last?.id, id <= previous {
                throw RDBError("stream entry IDs are not ascending", offset: 0)
            }
            if flags & deletedFlag != 0 { seenDeleted += 1 }
            entries.append(RDBStream.Entry(id: id, fields: fields, deleted: flags & deletedFlag != 0))
        }
        guard !entries.isEmpty, entries[0].id == master, seenDeleted == deleted, Int64(entries.count) - seenDeleted == live else {
            throw RDBError("stream node counts do not match its entries", offset: 0)
        }
        return entries
    }
}
