import NIOCore

/// One numbered database (SELECT n): keys, their values and expiries.
///
/// Every read goes through `lookup`, which deletes a key whose time has
/// passed (lazy expiry); `activeExpireStep` finds the keys nobody reads.
public final class Database: @unchecked Sendable {  // guarded by the keyspace lock
    public let index: Int
    @usableFromInline var table = KeyTable()
    /// Where the active expiry walk resumes.
    var expireCursor: UInt64 = 0
    /// Keys deleted because their time passed (INFO expired_keys).
    public var expiredKeys = 0

    /// Keys some client is blocked on, and those of them filled since the last command.
    var waitedKeys: Set<Bytes> = []
    var readyKeys: [Bytes] = []
    unowned(unsafe) var owner: Keyspace? = nil
    /// Copies of the keyspace's switches, so the write path tests a flag of its own
    /// instead of retaining `owner` on every write.
    var watched = false
    var notifyNewKeys = false
    /// Expiry waits while the dataset loads (the log may still act on such keys).
    var expiryPaused = false
    /// Expiry waits while clients are paused: keys past their time read as
    /// absent but stay, so the dataset does not change until the pause ends.
    var expiryHeld = false
    /// A writable replica: keys given a TTL by users (not by the master, whose
    /// commands run with expiry paused) are remembered, to expire them here.
    var remembersExpires = false
    /// How lookups stamp a key's access record (AccessClock.swift).
    var access = AccessClock.Settings()
    /// `lazyfree-lazy-expire` / `lazyfree-lazy-server-del`: big values deleted by expiry,
    /// or replaced by a write, are freed in the background.
    var freeExpiredLazily = false
    var freeReplacedLazily = false

    public init(index: Int) { self.index = index }

    public var count: Int { table.count }
    public var volatileCount: Int { table.volatileCount }
    public var bucketCount: Int { table.bucketCount }
    public var tableOverheadBytes: Int { table.overheadBytes }

    // MARK: - Reads

    /// The live entry for `key`, deleting it first if it has expired; marks it accessed.
    public func lookup(_ key: UnsafeRawBufferPointer, now: Int64) -> Int32? {
        guard let slot = peek(key, now: now) else { return nil }
        touch(slot)
        return slot
    }

    /// `lookup` without marking the key accessed (EXISTS, TYPE, TTL, OBJECT: Redis's LOOKUP_NOTOUCH).
    public func peek(_ key: UnsafeRawBufferPointer, now: Int64) -> Int32? {
        let hash = KeyHash.hash(key)
        guard let slot = table.find(key, hash: hash) else { return nil }
        let expireAt = table.entries[Int(slot)].expireAt
        if isExpired(expireAt, now: now) && !expiryPaused {
            if expiryHeld { return nil }
            if case let (value, _)? = table.remove(key, hash: hash), freeExpiredLazily {
                owner?.lazyFree.release(consume value)
            }
            expired(key)
            return nil
        }
        return slot
    }

    /// Stamps the access record of a key just read or written: one store under
    /// an LRU policy; a decay and a random increment under LFU.
    @inline(__always) func touch(_ slot: Int32) {
        guard !access.suspended else { return }
        if access.policy == .lru {
            table.entries[Int(slot)].access = access.lruClock
        } else {
            table.entries[Int(slot)].access = AccessClock.lfuAccessed(table.entries[Int(slot)].access, access)
        }
    }

    /// The access record and flags of a live entry (OBJECT).
    func accessRecord(at slot: Int32) -> UInt32 { table.entries[Int(slot)].access }
    func flags(at slot: Int32) -> UInt8 { table.entries[Int(slot)].flags }

    /// Stores a string a command computed at the live entry `slot`, or as a new key,
    /// noting how Redis holds such a string (`KeyTable.rawString`: edited in place by
    /// APPEND, SETRANGE, SETBIT; `KeyTable.plainString`: never an integer, INCRBYFLOAT).
    func storeString(_ key: UnsafeRawBufferPointer, at slot: Int32?, _ value: Bytes, form: UInt8, now: Int64) {
        let stored: Int32
        if let slot {
            replaceValue(at: slot, .string(value))
            stored = slot
        } else {
            stored = set(key, .string(value), now: now)
        }
        table.entries[Int(stored)].flags = form
    }

    /// Edits the string at the live entry `slot` in place (APPEND, SETRANGE, SETBIT, BITFIELD, PFADD):
    /// the value leaves the table while `body` runs, so a buffer nobody else holds
    /// is changed without a copy. Marks it raw, as Redis's in-place edits do.
    /// Watchers are not told: the command knows whether anything changed.
    func editString<R>(at slot: Int32, _ body: (inout [UInt8]) -> R) -> R {
        var taken = Value.string(.empty)
        swap(&taken, &table.entries[Int(slot)].value)
        guard case .string(var bytes) = taken else { preconditionFailure("editString: not a string") }
        taken = .string(.empty)
        var array = bytes.takeArray()
        let result = body(&array)
        table.entries[Int(slot)].value = .string(Bytes(array: array))
        table.entries[Int(slot)].flags = KeyTable.rawString
        return result
    }

    /// The length of the string at `slot`, nil for another type. Holds no reference to
    /// the bytes afterwards, so an `editString` that follows finds them unshared.
    func stringLength(at slot: Int32) -> Int? {
        guard case .string(let bytes) = table.entries[Int(slot)].value else { return nil }
        return bytes.count
    }

    /// Tells watchers the key at `slot` changed, for an edit that is not a write
    /// command's (PFCOUNT refreshing its cached cardinality); write commands that
    /// changed data are signalled by the engine.
    func signalModified(at slot: Int32) { touched(slot: slot) }

    public func value(at slot: Int32) -> Value { table.entries[Int(slot)].value }

    /// Writes the string at `slot` to `reply` as a bulk string, read where it is
    /// stored (GET's path: `value(at:)` would copy the whole entry out first);
    /// false, writing nothing, when the key holds another type.
    func writeString(at slot: Int32, to reply: inout ByteBuffer) -> Bool {
        table.entries.withUnsafeBufferPointer { entries in
            guard case .string(let bytes) = entries[Int(slot)].value else { return false }
            bytes.withUnsafeBytes { reply.writeBulk($0) }
            return true
        }
    }

    public func expireAt(at slot: Int32) -> Int64 { table.entries[Int(slot)].expireAt }
    public func key(at slot: Int32) -> Bytes { table.entries[Int(slot)].key }

    public func get(_ key: UnsafeRawBufferPointer, now: Int64) -> Value? {
        lookup(key, now: now).map { value(at: $0) }
    }

    /// Whether `key` is live; not an access (EXISTS does not touch it).
    public func exists(_ key: UnsafeRawBufferPointer, now: Int64) -> Bool {
        peek(key, now: now) != nil
    }

    /// The slot holding `key`, live or not, and left as it is (DEBUG OBJECT's view).
    func storedSlot(_ key: UnsafeRawBufferPointer) -> Int32? { table.find(key) }

    /// Whether `key` holds a live value, without deleting it if expired (WATCH's view).
    func holdsLive(_ key: UnsafeRawBufferPointer, now: Int64) -> Bool {
        guard let slot = table.find(key) else { return false }
        return !isExpired(table.entries[Int(slot)].expireAt, now: now) || expiryPaused
    }

    // MARK: - Writes

    /// Sets `key` to `value`. `expireAt`: nil keeps the current expiry (KEEPTTL), 0 clears it.
    /// Returns the key's slot.
    @discardableResult
    public func set(_ key: UnsafeRawBufferPointer, _ value: Value, expireAt: Int64? = 0, now: Int64) -> Int32 {
        let hash = KeyHash.hash(key)
        let slot: Int32
        if let found = table.find(key, hash: hash) {
            slot = found
            let old = table.entries[Int(slot)].expireAt
            let expired = isExpired(old, now: now) && !expiryPaused
            var replaced = value
            swap(&replaced, &table.entries[Int(slot)].value)
            if expired ? freeExpiredLazily : freeReplacedLazily, let owner, !replaced.isSameCollection(as: value) {
                owner.lazyFree.release(consume replaced)
            }
            table.entries[Int(slot)].flags = 0
            table.setExpire(slot: slot, expireAt ?? (expired ? 0 : old))
            // An overwrite is an access: under LFU the counter carries over, as in Redis.
            if expired {
                table.entries[Int(slot)].access = AccessClock.initial(access)
            } else {
                touch(slot)
            }
            // Overwriting a key whose time passed is, as in Redis, its expiry and then a new key.
            if expired { self.expired(key) }
            signalKeyAdded(key)  // a group reader blocked on a stream learns it is gone
        } else {
            slot = table.insertNew(Bytes(key), value, expireAt: expireAt ?? 0, hash: hash, access: AccessClock.initial(access))
            signalKeyAdded(key)
            if notifyNewKeys { owner?.onNewKey?(index, Bytes(key)) }
        }
        if remembersExpires { rememberExpire(slot) }
        touched(key)
        return slot
    }

    /// On a writable replica: a user's key with a TTL, to expire here (`ReplicaKeyExpiry`).
    /// The master's commands run with expiry paused, and their keys are the master's to expire.
    private func rememberExpire(_ slot: Int32) {
        guard !expiryPaused, table.entries[Int(slot)].expireAt != 0 else { return }
        owner?.replicaKeyExpiry.remember(table.entries[Int(slot)].key, in: index)
    }

    /// Replaces the value of a live entry, keeping its expiry; `raw` marks a string changed in place.
    public func replaceValue(at slot: Int32, _ value: Value, raw: Bool = false) {
        if !waitedKeys.isEmpty, case .stream = table.entries[Int(slot)].value {
            table.entries[Int(slot)].key.withUnsafeBytes { signalKeyAdded($0) }
        }
        table.entries[Int(slot)].value = value
        table.entries[Int(slot)].flags = raw ? KeyTable.rawString : 0
        touched(slot: slot)
    }

    public func setExpire(at slot: Int32, _ expireAt: Int64) {
        table.setExpire(slot: slot, expireAt)
        if remembersExpires { rememberExpire(slot) }
        touched(slot: slot)
    }

    /// Inserts `key` (absent or already removed) with its value and expiry.
    public func insert(_ key: Bytes, _ value: Value, expireAt: Int64) {
        let slot = table.insertNew(key, value, expireAt: expireAt, hash: KeyHash.hash(key), access: AccessClock.initial(access))
        if remembersExpires { rememberExpire(slot) }
        key.withUnsafeBytes { signalKeyAdded($0) }
        if watched { owner?.touch(index, key) }
        if notifyNewKeys { owner?.onNewKey?(index, key) }
    }

    /// Deletes `key`; returns what it held (expired keys count as absent).
    @discardableResult
    public func remove(_ key: UnsafeRawBufferPointer, now: Int64) -> (value: Value, expireAt: Int64)? {
        guard case let (value, expireAt)? = table.remove(key, hash: KeyHash.hash(key)) else { return nil }
        if isExpired(expireAt, now: now) && !expiryPaused {
            if freeExpiredLazily { owner?.lazyFree.release(consume value) }
            expired(key)
            return nil
        }
        touched(key)
        signalKeyAdded(key)  // a group reader blocked on a stream learns it is gone
        return (value, expireAt)
    }

    /// Deletes `key` for the server's own reasons (Redis's dbDelete): a target a command
    /// replaces (RENAME, COPY, RESTORE REPLACE, a *STORE's empty result) or a set SPOP
    /// emptied. With `lazyfree-lazy-server-del`, a big value is freed in the background.
    /// Returns whether the key existed.
    @discardableResult
    public func removeForReplacement(_ key: UnsafeRawBufferPointer, now: Int64) -> Bool {
        removeFreeing(key, now: now, lazily: freeReplacedLazily)
    }

    /// Deletes `key` whose time an EXPIRE set in the past: freed as expiry frees
    /// (`lazyfree-lazy-expire`). Returns whether the key existed.
    @discardableResult
    public func removeExpiredByCommand(_ key: UnsafeRawBufferPointer, now: Int64) -> Bool {
        removeFreeing(key, now: now, lazily: freeExpiredLazily)
    }

    private func removeFreeing(_ key: UnsafeRawBufferPointer, now: Int64, lazily: Bool) -> Bool {
        guard case let (value, _)? = remove(key, now: now) else { return false }
        if lazily { owner?.lazyFree.release(consume value) }
        return true
    }

    /// Deletes every key; with `lazyFree`, they are freed in the background.
    public func removeAll(lazyFree: LazyFree? = nil) {
        owner?.replicaKeyExpiry.forget(database: index)
        var old = KeyTable()
        swap(&old, &table)
        if let lazyFree { lazyFree.release(consume old) }
        expireCursor = 0
        for key in waitedKeys { key.withUnsafeBytes { signalKeyAdded($0) } }
    }

    /// A key deleted because its time passed: counted, watchers touched, `expired` event sent.
    private func expired(_ key: UnsafeRawBufferPointer) {
        expiredKeys += 1
        if watched { owner?.touchExpired(index, Bytes(key)) }
        signalKeyAdded(key)  // a group reader blocked on a stream learns it is gone
        owner?.onExpired?(index, Bytes(key))
    }

    /// Tells watchers of `key` it changed (WATCH), when anyone watches at all.
    @inline(__always) private func touched(_ key: UnsafeRawBufferPointer) {
        guard watched else { return }
        owner?.touch(index, Bytes(key))
    }

    @inline(__always) private func touched(slot: Int32) {
        guard watched else { return }
        owner?.touch(index, table.entries[Int(slot)].key)
    }

    /// Swaps contents with `other` (SWAPDB): the numbers stay, the data moves.
    public func swapContents(with other: Database) {
        swap(&table, &other.table)
        swap(&expireCursor, &other.expireCursor)
    }

    // MARK: - Walking

    /// One SCAN step: visits the keys of one bucket, returns the next cursor.
    public func scanStep(cursor: UInt64, _ visit: (Bytes, Value, Int64) -> Void) -> UInt64 {
        table.scanStep(cursor: cursor) { slot in
            let entry = table.entries[Int(slot)]
            visit(entry.key, entry.value, entry.expireAt)
        }
    }

    /// A random live key, or nil when the database is empty (RANDOMKEY).
    public func randomKey(now: Int64) -> Bytes? {
        // Expired keys met on the way are deleted, so this ends; while expiry is
        // held they stay, and after many tries one is returned (as a Redis replica does).
        var tries = 0
        while table.count > 0 {
            let slots = table.slots(inBucket: Int.random(in: 0..<table.bucketCount))
            guard let slot = slots.randomElement() else { continue }
            let entry = table.entries[Int(slot)]
            if isExpired(entry.expireAt, now: now) && expiryHeld {
                tries += 1
                if tries < 100 { continue }
                return entry.key
            }
            if isExpired(entry.expireAt, now: now) && !expiryPaused {
                entry.key.withUnsafeBytes { _ = remove($0, now: now) }
                continue
            }
            return entry.key
        }
        return nil
    }

    /// Walks up to `buckets` buckets deleting expired keys; returns how many it deleted.
    public func activeExpireStep(buckets: Int, now: Int64) -> Int {
        guard table.volatileCount > 0 else { return 0 }
        var expired: [Bytes] = []
        var cursor = expireCursor
        for _ in 0..<buckets {
            cursor = table.scanStep(cursor: cursor) { slot in
                let entry = table.entries[Int(slot)]
                if isExpired(entry.expireAt, now: now) { expired.append(entry.key) }
            }
            if cursor == 0 { break }
        }
        expireCursor = cursor
        for key in expired {
            key.withUnsafeBytes { _ = remove($0, now: now) }
        }
        return expired.count
    }
}

/// Whether an entry with this expiry is gone at `now`. As in Redis, a key lives
/// through its expiry millisecond and is expired only once the clock passes it.
@inline(__always) func isExpired(_ expireAt: Int64, now: Int64) -> Bool {
    expireAt != 0 && expireAt < now
}
