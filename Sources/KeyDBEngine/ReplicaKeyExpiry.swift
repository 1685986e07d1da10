/// Keys a user gave a TTL on a writable replica (`replica-read-only no`): the master
/// knows nothing of them and will never send their DEL, so the replica expires them
/// itself (Redis's rememberSlaveKeyWithExpire and expireSlaveKeys). Every other key's
/// expiry is the master's.
struct ReplicaKeyExpiry {
    /// By database: the keys to look at.
    private var keys: [Int: Set<Bytes>] = [:]

    var isEmpty: Bool { keys.isEmpty }
    /// INFO's slave_expires_tracked_keys.
    var count: Int { keys.values.reduce(0) { $0 + $1.count } }

    mutating func remember(_ key: Bytes, in database: Int) {
        keys[database, default: []].insert(key)
    }

    /// A flushed database's keys (or every key: a full resync, SWAPDB) are not this replica's any more.
    mutating func forget(database: Int) { keys[database] = nil }
    mutating func forgetAll() { keys = [:] }

    /// Looks at up to `budget` remembered keys, picked at random as Redis samples them:
    /// deletes those whose time has passed, forgets those gone or without a TTL.
    mutating func expire(in databases: [Database], now: Int64, budget: Int = 200) {
        var left = budget
        for index in Array(keys.keys) where left > 0 {
            guard var set = keys[index] else { continue }
            for _ in 0..<min(left, set.count) {
                guard let key = set.randomElement() else { break }
                left -= 1
                switch key.withUnsafeBytes({ databases[index].expireOwnKey($0, now: now) }) {
                case .deleted, .gone: set.remove(key)
                case .waiting: break
                }
            }
            keys[index] = set.isEmpty ? nil : set
        }
    }
}

extension Database {
    enum OwnKeyExpiry { case deleted, gone, waiting }

    /// A writable replica's own key: deleted once its time has passed, although the
    /// replica otherwise leaves expiry to its master.
    func expireOwnKey(_ key: UnsafeRawBufferPointer, now: Int64) -> OwnKeyExpiry {
        guard let slot = table.find(key, hash: KeyHash.hash(key)) else { return .gone }
        let expireAt = table.entries[Int(slot)].expireAt
        guard expireAt != 0 else { return .gone }
        guard isExpired(expireAt, now: now) else { return .waiting }
        let held = expiryHeld
        expiryHeld = false
        _ = peek(key, now: now)
        expiryHeld = held
        return .deleted
    }
}
