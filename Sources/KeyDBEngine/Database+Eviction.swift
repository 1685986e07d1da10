/// What eviction needs from a database: samples of its keys, and a look at a
/// key that changes nothing (no expiry, no access stamp).
extension Database {
    /// Up to `count` slots from consecutive buckets after a random one, as Redis's
    /// dictGetSomeKeys; with `volatileOnly`, only keys that have a TTL. The walk
    /// is bounded, so a table with few volatile keys may yield fewer, or none.
    func sampleSlots(_ count: Int, volatileOnly: Bool) -> [Int32] {
        let candidates = volatileOnly ? volatileCount : self.count
        guard candidates > 0 else { return [] }
        let buckets = bucketCount
        var found: [Int32] = []
        var bucket = Int.random(in: 0..<buckets)
        // About enough buckets to meet `count` keys; past that, only until one is found
        // (a table emptied by evictions is sparse). Volatile keys are looked for within
        // 64K buckets: Redis keeps a separate table of them, this one does not.
        let expected = count * (buckets / candidates + 1) * 2
        let limit = volatileOnly ? min(buckets, 65_536) : buckets
        var step = 0
        while step < limit && found.count < count && (step < expected || found.isEmpty) {
            table.forEachSlot(inBucket: bucket) { slot in
                if found.count < count && (!volatileOnly || table.entries[Int(slot)].expireAt != 0) { found.append(slot) }
            }
            bucket = (bucket + 1) & (buckets - 1)
            step += 1
        }
        return found
    }

    /// Key-table room not holding a key (reusable without the heap growing).
    public var reservedTableBytes: Int { table.reservedBytes }

    /// The slot holding `key`, expired or not, without touching it.
    func peekSlot(_ key: UnsafeRawBufferPointer) -> Int32? { table.find(key) }
}
