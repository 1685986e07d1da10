import KeyDBStorage

// The one description of how each value type meets the RDB layer, shared by
// snapshots (KeyDBPersistence's Snapshot) and DUMP / RESTORE: a type added
// here is saved, loaded, dumped and restored alike.

extension Value {
    /// Hands the value to `sink` in the form Redis 7.0 saves it.
    public func writeRDB(to sink: inout some RDBValueSink) throws {
        switch self {
        case .string(let bytes):
            try sink.encodeString(bytes)
        case .list(let list):
            try sink.encodeList(count: list.items.count) { body in
                try list.items.forEachElement {
                    try body($0)
                    return true
                }
            }
        case .set(let set):
            try sink.encodeSet(set.members, intset: set.members.isIntset)
        case .hash(let hash):
            try sink.encodeHash(hash.fields.map { ($0.key, $0.value) })
        case .sortedSet(let zset):
            // Highest first, as Redis walks its skiplist from the tail when saving.
            var members: [(Bytes, Double)] = []
            members.reserveCapacity(zset.count)
            zset.forEachInOrder { members.append(($0, $1)) }
            try sink.encodeSortedSet(members.reversed())
        case .stream(let stream):
            try sink.encodeStream(stream.rdbStream)
        }
    }

    /// The value an RDB object loads as, held in the encodings Redis would pick under
    /// `zsetLimits` (zset-max-listpack-*) and `maxIntsetEntries` (set-max-intset-entries);
    /// nil for an empty collection (Redis refuses to load one).
    public init?(rdb object: RDBObject, zsetLimits limits: SortedSetValue.ListpackLimits, maxIntsetEntries: Int) {
        switch object {
        case .string(let bytes):
            self = .string(Bytes(array: bytes))
        case .list(let items):
            guard !items.isEmpty else { return nil }
            self = .list(ListValue(Quicklist(arrays: items)))
        case .set(let members):
            guard !members.isEmpty else { return nil }
            self = .set(SetValue(members.lazy.map { Bytes(array: $0) }, maxIntsetEntries: maxIntsetEntries))
        case .hash(let pairs):
            guard !pairs.isEmpty else { return nil }
            var fields = HashFields()
            for (field, value) in pairs { _ = fields.updateValue(Bytes(array: value), forKey: Bytes(array: field)) }
            self = .hash(HashValue(fields))
        case .sortedSet(let members):
            guard !members.isEmpty else { return nil }
            let zset = SortedSetValue(isListpack: members.count <= limits.maxEntries)
            for (member, score) in members { zset.set(Bytes(array: member), score: score, limits: limits) }
            self = .sortedSet(zset)
        case .stream(let image):
            self = .stream(StreamValue(image))
        }
    }
}

extension Configuration {
    /// The thresholds that pick a packed encoding when a value is saved or dumped.
    public var rdbEncodingLimits: RDBEncodingLimits {
        var limits = RDBEncodingLimits()
        limits.listPlainThreshold = listPackedThreshold
        limits.setMaxIntsetEntries = setMaxIntsetEntries
        limits.hashMaxListpackEntries = hashMaxListpackEntries
        limits.hashMaxListpackValue = hashMaxListpackValue
        limits.sortedSetMaxListpackEntries = zsetMaxListpackEntries
        limits.sortedSetMaxListpackValue = zsetMaxListpackValue
        return limits
    }
}
