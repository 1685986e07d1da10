/// Keys a user gave a TTL on a writable replica (`replica-read-only no`): the master
/// knows nothing of them and will never send their DEL, so the replica expires them
/// itself (Redis's rememberSlaveKeyWithExpire and expireSlaveKeys). Every other key's
/// expiry is the master's.
struct ReplicaKeyExpiry {
    /// By database: the keys to look at.
    private(set) var keys: [Int: Set<Bytes>] = [:]

    var isEmpty: Bool { keys.isEmpty }

    mutating func remember(_ key: Bytes, in database: Int) {
        keys[database, default: []].insert(key)
    }

    mutating func forgetAll() { keys = [:] }

    /// Deletes the remembered keys whose time has passed; forgets those gone or without a TTL.
    mutating func expire(in databases: [Database], now: Int64) {
        for (index, set) in keys {
            var kept = set
            for key in set {
                switch key.withUnsafeBytes({ databases[index].expireOwnKey($0, now: now) }) {
                case .deleted, .gone: kept.remove(key)
                case .waiting: break
                }
            }
            keys[index] = kept.isEmpty ? nil : kept
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
