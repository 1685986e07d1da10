/// Redis's per-key access record (its object `lru` field, evict.c): 24 bits
/// holding either the LRU clock — Unix seconds modulo 2^24 — at the last
/// access, or, under an LFU maxmemory-policy, the minute of the last counter
/// decay (16 bits) above a logarithmic access counter (8 bits).
public enum AccessClock {
    static let lruMax: UInt32 = (1 << 24) - 1
    /// The counter a new key starts with, so it is not evicted before it had a chance to be used.
    static let lfuInitial: UInt32 = 5

    /// How lookups stamp a key's record.
    public enum Policy: Sendable { case lru, lfu }

    /// The LRU clock at `now` (Unix ms).
    @inline(__always) static func lru(now: Int64) -> UInt32 {
        UInt32(truncatingIfNeeded: now / 1000) & lruMax
    }

    /// The LFU clock at `now`: minutes, modulo 2^16.
    @inline(__always) static func minutes(now: Int64) -> UInt32 {
        UInt32(truncatingIfNeeded: now / 60_000) & 0xFFFF
    }

    /// Milliseconds since an LRU stamp; the clock may have wrapped once since.
    static func idleMilliseconds(since stamp: UInt32, clock: UInt32) -> Int64 {
        let stamp = stamp & lruMax
        let elapsed = clock >= stamp ? clock - stamp : clock + (lruMax - stamp)
        return Int64(elapsed) * 1000
    }

    /// A new key's record.
    @inline(__always) static func initial(_ settings: Settings) -> UInt32 {
        switch settings.policy {
        case .lru: return settings.lruClock
        case .lfu: return settings.minutes << 8 | lfuInitial
        }
    }

    /// The counter after the decay due since its last decay: one step per
    /// `decayTime` minutes (none when `decayTime` is 0).
    static func decayedCounter(_ record: UInt32, _ settings: Settings) -> UInt32 {
        let counter = record & 0xFF
        guard settings.lfuDecayTime > 0 else { return counter }
        let last = (record >> 8) & 0xFFFF
        let elapsed = settings.minutes >= last ? settings.minutes - last : 0xFFFF - last + settings.minutes
        let periods = Int(elapsed) / settings.lfuDecayTime
        return periods >= Int(counter) ? 0 : counter - UInt32(periods)
    }

    /// The record after an access: decayed, then incremented with a probability
    /// that falls as the counter grows (1 / ((counter - 5) * lfu-log-factor + 1)).
    static func lfuAccessed(_ record: UInt32, _ settings: Settings) -> UInt32 {
        var counter = decayedCounter(record, settings)
        if counter < 255 {
            let base = max(0, Int(counter) - Int(lfuInitial))
            let probability = 1.0 / Double(base * settings.lfuLogFactor + 1)
            if Double.random(in: 0..<1) < probability { counter += 1 }
        }
        return settings.minutes << 8 | counter
    }

    /// What a database needs to stamp records: the policy and the clocks of the
    /// command running now. Each database holds a copy, refreshed when the second changes.
    public struct Settings: Sendable {
        public var policy = Policy.lru
        /// Set while a CLIENT NO-TOUCH client runs a command other than TOUCH.
        public var suspended = false
        var lruClock: UInt32 = 0
        var minutes: UInt32 = 0
        var lfuLogFactor = 10
        var lfuDecayTime = 1
        /// The second the clocks were computed for.
        var second: Int64 = -1

        public init() {}

        mutating func advance(to now: Int64) {
            second = now / 1000
            lruClock = AccessClock.lru(now: now)
            minutes = AccessClock.minutes(now: now)
        }
    }
}
