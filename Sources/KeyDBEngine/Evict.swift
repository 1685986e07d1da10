import KeyDBRESP

/// Keeping the dataset under `maxmemory` (Redis's evict.c): before each command,
/// while the heap is over the limit, keys are chosen by the policy and deleted —
/// approximated by sampling, as Redis does, with a pool of the best candidates
/// kept across rounds for the LRU, LFU and TTL policies.
extension Engine {
    public enum EvictionOutcome: Sendable { case enough, running, failed }

    /// Frees memory until the heap is under `maxmemory` or nothing more can go.
    /// `.running`: the time limit (maxmemory-eviction-tenacity) cut it short; the
    /// background cycle goes on with it and the command runs meanwhile.
    @discardableResult
    public func performEvictions() -> EvictionOutcome {
        let limit = Int(configuration.maxMemory)
        guard limit > 0, !loading else { return .enough }
        // A replica's dataset is its master's to shape (replica-ignore-maxmemory, on by default).
        if isReplica && configuration.keptSettings["replica-ignore-maxmemory"] != "no" { return .enough }
        var used = usedMemory()
        guard used > limit else {
            evictionInProgress = false
            return .enough
        }
        // Paused clients (CLIENT PAUSE, SHUTDOWN waiting for replicas) see the dataset stand still:
        // no key is evicted meanwhile, as in Redis, and commands run as if under the limit.
        if checkPauseTimeout(now: clock?() ?? Clock.milliseconds()) { return .enough }
        guard let policy = EvictionPolicy(rawValue: configuration.maxMemoryPolicy), policy != .noeviction else { return .failed }
        let started = Clock.monotonicMicroseconds()
        let timeLimit = Self.evictionTimeLimit(tenacity: configuration.maxMemoryEvictionTenacity)
        var evicted = 0
        while used > limit {
            guard let (db, key) = victim(policy) else {
                evictionInProgress = false
                return waitForLazyFrees(limit: limit, until: started + min(timeLimit, 1_000_000)) ? .enough : .failed
            }
            evict(key, from: db)
            evicted += 1
            used = usedMemory()
            if evicted % 16 == 0 && Clock.monotonicMicroseconds() - started > timeLimit {
                evictionInProgress = true
                return .running
            }
        }
        evictionInProgress = false
        return .enough
    }

    /// Nothing left to evict: values deleted lazily may still be freeing on the background
    /// thread, so wait for them while the run's time lasts (a second at most), looking at
    /// memory every millisecond and stopping once it is under the limit, as Redis's
    /// performEvictions does before refusing a write.
    private func waitForLazyFrees(limit: Int, until deadline: Int64) -> Bool {
        while keyspace.lazyFree.pending > 0 && usedMemory() > limit {
            let left = deadline - Clock.monotonicMicroseconds()
            guard left > 0 else { break }
            keyspace.lazyFree.wait(microseconds: min(left, 1000))
        }
        return usedMemory() <= limit
    }

    /// The background cycle's share: an eviction run cut short goes on (Redis's evictionTimeProc),
    /// and a limit lowered below the heap is reached even without commands coming in.
    public func continueEvictions() {
        if evictionInProgress || (maxMemoryLimit > 0 && usedMemory() > maxMemoryLimit) { performEvictions() }
    }

    /// Microseconds one eviction run may take: 50 µs per tenacity step up to 10,
    /// then 15% more per step, unlimited at 100 (Redis's evictionTimeLimitUs).
    static func evictionTimeLimit(tenacity: Int) -> Int64 {
        if tenacity <= 10 { return Int64(50 * tenacity) }
        if tenacity < 100 { return Int64(500.0 * pow115(tenacity - 10)) }
        return .max
    }

    private static func pow115(_ exponent: Int) -> Double {
        var result = 1.0
        for _ in 0..<exponent { result *= 1.15 }
        return result
    }

    private func evict(_ key: Bytes, from db: Database) {
        let now = clock?() ?? Clock.milliseconds()
        guard case let (value, _)? = key.withUnsafeBytes({ db.remove($0, now: now) }) else { return }
        if configuration.lazyfreeLazyEviction { keyspace.lazyFree.release(consume value) }
        stats.evictedKeys += 1
        keyspace.dirty += 1
        propagateExpiry(db: db.index, key: key, lazily: configuration.lazyfreeLazyEviction)  // as Redis propagates an eviction
        if keyspaceEvents.contains(.evicted) { notify(.evicted, "evicted", key: key, db: db.index) }
    }

    /// The next key to delete under `policy`, or nil when none qualifies.
    private func victim(_ policy: EvictionPolicy) -> (Database, Bytes)? {
        let databases = keyspace.databases
        switch policy {
        case .allkeysRandom, .volatileRandom:
            // Databases in turn, as Redis's static next_db does.
            for _ in 0..<databases.count {
                let db = databases[nextEvictionDatabase % databases.count]
                nextEvictionDatabase += 1
                let volatileOnly = policy == .volatileRandom
                if let slot = db.sampleSlots(1, volatileOnly: volatileOnly).first { return (db, db.key(at: slot)) }
            }
            return nil
        default:
            let samples = max(1, configuration.maxMemorySamples)
            for db in databases {
                for slot in db.sampleSlots(samples, volatileOnly: policy.volatileOnly) {
                    evictionPool.offer(EvictionPool.Candidate(score: score(policy, db, slot), database: db.index, key: db.key(at: slot)))
                }
            }
            // Best first; a candidate may be gone (or no longer volatile) since it was sampled.
            while let best = evictionPool.takeBest() {
                let db = databases[best.database]
                let slot = best.key.withUnsafeBytes { db.peekSlot($0) }
                if let slot, !policy.volatileOnly || db.expireAt(at: slot) != 0 { return (db, best.key) }
            }
            return nil
        }
    }

    /// Higher is evicted first: idle time (LRU), rarity of use (LFU), nearness of expiry (TTL).
    private func score(_ policy: EvictionPolicy, _ db: Database, _ slot: Int32) -> UInt64 {
        switch policy {
        case .allkeysLRU, .volatileLRU:
            return UInt64(AccessClock.idleMilliseconds(since: db.accessRecord(at: slot), clock: db.access.lruClock))
        case .allkeysLFU, .volatileLFU:
            return 255 - UInt64(AccessClock.decayedCounter(db.accessRecord(at: slot), db.access))
        default:
            return UInt64.max - UInt64(max(0, db.expireAt(at: slot)))
        }
    }
}

/// maxmemory-policy, by its redis.conf name.
enum EvictionPolicy: String {
    case noeviction
    case allkeysLRU = "allkeys-lru", volatileLRU = "volatile-lru"
    case allkeysLFU = "allkeys-lfu", volatileLFU = "volatile-lfu"
    case allkeysRandom = "allkeys-random", volatileRandom = "volatile-random"
    case volatileTTL = "volatile-ttl"

    var volatileOnly: Bool { rawValue.hasPrefix("volatile") }
}

/// The best eviction candidates seen so far, kept across runs (Redis's
/// EvictionPoolLRU): sampling a few keys each time still converges on the
/// keys that best fit the policy.
final class EvictionPool {
    struct Candidate {
        let score: UInt64
        let database: Int
        let key: Bytes
    }

    static let capacity = 16
    /// Ascending by score.
    private var candidates: [Candidate] = []

    func offer(_ candidate: Candidate) {
        if let existing = candidates.firstIndex(where: { $0.database == candidate.database && $0.key == candidate.key }) {
            candidates.remove(at: existing)
        }
        if candidates.count == Self.capacity {
            guard candidate.score > candidates[0].score else { return }
            candidates.removeFirst()
        }
        let index = candidates.firstIndex { $0.score > candidate.score } ?? candidates.count
        candidates.insert(candidate, at: index)
    }

    func takeBest() -> Candidate? { candidates.popLast() }

    func removeAll() { candidates = [] }
}
