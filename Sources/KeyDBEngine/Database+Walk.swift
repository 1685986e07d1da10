import KeyDBRESP

/// Whole-database walks and bulk loading, for snapshots and the log's rewrite.
extension Database {
    /// Visits every entry, expired ones included (a snapshot keeps them with
    /// their time, as Redis's does; whoever loads it decides).
    public func forEachEntry<E: Error>(_ body: (Bytes, Value, Int64) throws(E) -> Void) throws(E) {
        for head in table.heads {
            var slot = head
            while slot >= 0 {
                let entry = table.entries[Int(slot)]
                try body(entry.key, entry.value, entry.expireAt)
                slot = entry.next
            }
        }
    }

    /// Buckets for `keys` more keys, made before a snapshot's keys load.
    public func reserve(keys: Int) { table.reserve(keys) }

    /// Gives back the buckets a load reserved for keys that did not come (skipped as expired).
    public func fitAfterLoading() { table.shrinkToFit() }

    /// Adds a key read from disk, replacing any older value under the same name.
    public func load(_ key: Bytes, _ value: Value, expireAt: Int64) {
        let hash = key.withUnsafeBytes { KeyHash.hash($0) }
        // Not shrinking on the way: the buckets were sized for the whole load.
        _ = key.withUnsafeBytes { table.remove($0, hash: hash, shrinking: false) }
        let slot = table.insertNew(key, value, expireAt: expireAt, hash: hash, access: AccessClock.initial(access))
        // A snapshot stores integers as such only within 32 bits; longer digit strings load as strings.
        if case .string(let bytes) = value, bytes.count > 9, let number = bytes.withUnsafeBytes({ Int64(redisDecimal: $0) }),
           Int32(exactly: number) == nil {
            table.entries[Int(slot)].flags = KeyTable.plainString
        }
    }
}

extension SortedSetValue {
    /// Members with their scores in Redis's order (score, then member).
    public func forEachInOrder(_ body: (Bytes, Double) -> Void) {
        var node = index.first
        while node != SortedSetIndex.none {
            body(index.member(node), index.score(node))
            node = index.next(node)
        }
    }
}
