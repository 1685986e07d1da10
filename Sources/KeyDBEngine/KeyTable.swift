/// The hash table behind a database: key → (value, expiry).
///
/// Chained buckets over one contiguous entry array (no object per key).
/// Bucket count is a power of two and the table resizes all at once; SCAN
/// walks buckets in reverse-binary cursor order, as Redis's `dictScan`
/// does, so every key present for a whole scan is returned even if the
/// table grows or shrinks between calls.
public struct KeyTable {
    @usableFromInline struct Entry {
        @usableFromInline var key: Bytes
        @usableFromInline var value: Value
        /// `KeyTable.rawString` and friends: what the value's bytes alone do not tell.
        @usableFromInline var flags: UInt8
        /// Redis's 24-bit `lru` field: the LRU clock at the last access, or the
        /// LFU decay time and counter (AccessClock.swift). Both fields sit in
        /// padding after `value` (offsets 42 and 44): the entry stays 64 bytes.
        @usableFromInline var access: UInt32
        /// Absolute expiry in Unix milliseconds; 0 = persistent.
        @usableFromInline var expireAt: Int64
        @usableFromInline var hash: UInt32
        /// Next entry in the same bucket (or in the free list); -1 ends it.
        @usableFromInline var next: Int32
    }

    @usableFromInline var heads: [Int32]
    @usableFromInline var entries: [Entry] = []
    @usableFromInline var freeHead: Int32 = -1
    public private(set) var count = 0
    /// Entries with an expiry set.
    public private(set) var volatileCount = 0
    /// `Entry.flags`: a string changed in place (APPEND, SETRANGE, SETBIT), which
    /// Redis keeps as a raw sds whatever its length or digits.
    static let rawString: UInt8 = 1
    /// `Entry.flags`: a string Redis made without trying the integer encoding
    /// (INCRBYFLOAT's result, a snapshot's string outside 32 bits): embstr or raw, never int.
    static let plainString: UInt8 = 2

    /// Bytes per key in the entry array (tests hold it at 64: the access record lives in padding).
    public static var entryStride: Int { MemoryLayout<Entry>.stride }

    @usableFromInline var mask: Int { heads.count - 1 }
    static let minimumBuckets = 4

    public init() {
        heads = Array(repeating: -1, count: KeyTable.minimumBuckets)
    }

    public var bucketCount: Int { heads.count }

    /// Bytes of entry storage holding no key: free slots and room the array reserved.
    var reservedBytes: Int { (entries.capacity - count) * MemoryLayout<Entry>.stride }

    /// Bytes the table itself holds for its keys: its bucket heads and the entries in
    /// use (an entry carries the key's inline bytes, the value's inline part and the
    /// expiry, as a dictEntry and robj do in Redis). Room holding no key is left out,
    /// as it is of used_memory (`reservedBytes`).
    public var overheadBytes: Int {
        heads.capacity * MemoryLayout<Int32>.stride + count * MemoryLayout<Entry>.stride
    }

    // MARK: - Lookup

    /// Index of the entry for `key`, if present (expired or not).
    func find(_ key: UnsafeRawBufferPointer, hash: UInt64) -> Int32? {
        let short = UInt32(truncatingIfNeeded: hash)
        var index = heads[Int(truncatingIfNeeded: hash) & mask]
        while index >= 0 {
            let slot = Int(index)
            if entries[slot].hash == short && entries[slot].key.equals(key) { return index }
            index = entries[slot].next
        }
        return nil
    }

    func find(_ key: UnsafeRawBufferPointer) -> Int32? {
        find(key, hash: KeyHash.hash(key))
    }

    // MARK: - Changes

    /// Inserts a key known to be absent; returns its slot.
    @discardableResult
    @usableFromInline mutating func insertNew(_ key: Bytes, _ value: Value, expireAt: Int64, hash: UInt64, access: UInt32) -> Int32 {
        if count >= heads.count { resize(to: heads.count * 2) }
        let bucket = Int(truncatingIfNeeded: hash) & mask
        let entry = Entry(key: key, value: value, flags: 0, access: access, expireAt: expireAt,
                          hash: UInt32(truncatingIfNeeded: hash), next: heads[bucket])
        let slot: Int32
        if freeHead >= 0 {
            slot = freeHead
            freeHead = entries[Int(slot)].next
            entries[Int(slot)] = entry
        } else {
            slot = Int32(entries.count)
            entries.append(entry)
        }
        heads[bucket] = slot
        count += 1
        if expireAt != 0 { volatileCount += 1 }
        return slot
    }

    /// Removes `key`; returns its value and expiry if it was present.
    @discardableResult
    @usableFromInline mutating func remove(_ key: UnsafeRawBufferPointer, hash: UInt64,
                                           shrinking: Bool = true) -> (value: Value, expireAt: Int64)? {
        let bucket = Int(truncatingIfNeeded: hash) & mask
        let short = UInt32(truncatingIfNeeded: hash)
        var previous: Int32 = -1
        var index = heads[bucket]
        while index >= 0 {
            let slot = Int(index)
            if entries[slot].hash == short && entries[slot].key.equals(key) {
                if previous < 0 { heads[bucket] = entries[slot].next } else { entries[Int(previous)].next = entries[slot].next }
                let removed = (entries[slot].value, entries[slot].expireAt)
                release(slot)
                count -= 1
                if removed.1 != 0 { volatileCount -= 1 }
                if shrinking && heads.count > KeyTable.minimumBuckets && count * 10 < heads.count { resize(to: heads.count / 2) }
                return removed
            }
            previous = index
            index = entries[slot].next
        }
        return nil
    }

    /// Makes the buckets for `more` keys at once — the key count a snapshot
    /// announces, as Redis's RESIZEDB expands its dict — so loading them does not
    /// resize on the way. Only buckets (4 bytes a key): the count is the file's
    /// word, and entries grow as keys really arrive.
    mutating func reserve(_ more: Int) {
        let wanted = count + more
        guard more > 0, wanted > heads.count else { return }
        var buckets = heads.count
        while buckets < wanted { buckets *= 2 }
        resize(to: buckets)
    }

    /// Halves the buckets while under a tenth is used (the rule `remove` applies one step at a time).
    mutating func shrinkToFit() {
        var buckets = heads.count
        while buckets > KeyTable.minimumBuckets && count * 10 < buckets { buckets /= 2 }
        if buckets != heads.count { resize(to: buckets) }
    }

    mutating func setExpire(slot: Int32, _ expireAt: Int64) {
        let old = entries[Int(slot)].expireAt
        if old == 0 && expireAt != 0 { volatileCount += 1 }
        if old != 0 && expireAt == 0 { volatileCount -= 1 }
        entries[Int(slot)].expireAt = expireAt
    }

    private mutating func release(_ slot: Int) {
        // Drop the key and value now; the slot is reused by the next insert.
        entries[slot].key = .empty
        entries[slot].value = .string(.empty)
        entries[slot].expireAt = 0
        entries[slot].flags = 0
        entries[slot].next = freeHead
        freeHead = Int32(slot)
        if count == 1 {  // the table is becoming empty: give the memory back
            entries = []
            freeHead = -1
        }
    }

    /// Rebuilds the bucket chains for `bucketCount` buckets (a power of two).
    private mutating func resize(to bucketCount: Int) {
        var newHeads = [Int32](repeating: -1, count: bucketCount)
        let newMask = bucketCount - 1
        for bucket in heads.indices {
            var index = heads[bucket]
            while index >= 0 {
                let slot = Int(index)
                let next = entries[slot].next
                let target = Int(truncatingIfNeeded: UInt64(entries[slot].hash)) & newMask
                entries[slot].next = newHeads[target]
                newHeads[target] = index
                index = next
            }
        }
        heads = newHeads
    }

    // MARK: - Walking

    /// Visits the entries of the bucket `cursor` designates and returns the
    /// next cursor (0 when the walk is complete), like `dictScan`.
    public func scanStep(cursor: UInt64, _ visit: (Int32) -> Void) -> UInt64 {
        let mask = UInt64(self.mask)
        var index = heads[Int(cursor & mask)]
        while index >= 0 {
            let next = entries[Int(index)].next
            visit(index)
            index = next
        }
        // Increment the reversed cursor: higher bits first, so buckets that a
        // resize splits or merges are never skipped.
        var v = cursor | ~mask
        v = v.bitSwapped &+ 1
        return v.bitSwapped
    }

    /// Calls `body` with each slot in bucket `bucket` (eviction sampling), without building an array.
    func forEachSlot(inBucket bucket: Int, _ body: (Int32) -> Void) {
        var index = heads[bucket & mask]
        while index >= 0 {
            body(index)
            index = entries[Int(index)].next
        }
    }

    /// Slots in bucket `bucket` (for random sampling).
    func slots(inBucket bucket: Int) -> [Int32] {
        var result: [Int32] = []
        var index = heads[bucket & mask]
        while index >= 0 {
            result.append(index)
            index = entries[Int(index)].next
        }
        return result
    }
}

extension UInt64 {
    /// The bits in reverse order.
    var bitSwapped: UInt64 {
        var v = self
        v = ((v >> 1) & 0x5555_5555_5555_5555) | ((v & 0x5555_5555_5555_5555) << 1)
        v = ((v >> 2) & 0x3333_3333_3333_3333) | ((v & 0x3333_3333_3333_3333) << 2)
        v = ((v >> 4) & 0x0F0F_0F0F_0F0F_0F0F) | ((v & 0x0F0F_0F0F_0F0F_0F0F) << 4)
        return v.byteSwapped
    }
}
