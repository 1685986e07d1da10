import NIOConcurrencyHelpers
import OrderedCollections

/// Redis's latency monitor: for each event class ("command", "expire-cycle",
/// "aof-fsync-always"...) the worst latency of each of the last 160 seconds
/// in which it reached `latency-monitor-threshold` ms, and the worst ever.
///
/// It has its own lock: the log writer reports from its event loop and its sync
/// thread without the keyspace lock.
public final class LatencyMonitor: @unchecked Sendable {  // state guarded by `lock`
    /// Seconds of history kept per event, as Redis's LATENCY_TS_LEN.
    public static let historyLength = 160

    public struct Sample: Sendable, Equatable {
        /// Unix seconds; 0 marks a slot never used.
        public var time: Int64
        public var milliseconds: Int64
    }

    /// One event's samples in a ring, one per second.
    public struct Series: Sendable {
        var ring = [Sample](repeating: Sample(time: 0, milliseconds: 0), count: LatencyMonitor.historyLength)
        /// Where the next second's sample goes.
        var next = 0
        /// The worst latency since the event was last reset.
        public internal(set) var maximum: Int64 = 0

        /// The samples, oldest first.
        public var history: [Sample] {
            (0..<ring.count).map { ring[(next + $0) % ring.count] }.filter { $0.time != 0 }
        }

        /// The newest sample.
        public var latest: Sample { ring[(next + ring.count - 1) % ring.count] }

        mutating func add(_ milliseconds: Int64, at time: Int64) {
            maximum = max(maximum, milliseconds)
            let previous = (next + ring.count - 1) % ring.count
            if ring[previous].time == time {
                ring[previous].milliseconds = max(ring[previous].milliseconds, milliseconds)
                return
            }
            ring[next] = Sample(time: time, milliseconds: milliseconds)
            next = (next + 1) % ring.count
        }
    }

    private let lock = NIOLock()
    /// In the order the events were first seen.
    private var events: OrderedDictionary<String, Series> = [:]
    private var thresholdValue = 0

    public init() {}

    /// `latency-monitor-threshold` in ms; 0 turns the monitor off.
    public var threshold: Int {
        get { lock.withLock { thresholdValue } }
        set { lock.withLock { thresholdValue = newValue } }
    }

    /// Records `milliseconds` for `event` when the monitor is on and it reaches the threshold.
    public func record(_ event: String, milliseconds: Int64, now: Int64 = Clock.milliseconds() / 1000) {
        lock.withLock {
            guard thresholdValue > 0 && milliseconds >= Int64(thresholdValue) else { return }
            events[event, default: Series()].add(milliseconds, at: now)
        }
    }

    /// Runs `body` and records how long it took under each of `events`; the clock
    /// is read only while the monitor is on.
    public func measure<R>(_ events: String..., body: () throws -> R) rethrows -> R {
        guard threshold > 0 else { return try body() }
        let start = Clock.milliseconds()
        defer {
            let elapsed = Clock.milliseconds() - start
            for event in events { record(event, milliseconds: elapsed) }
        }
        return try body()
    }

    /// Forgets `event` (any case), or every event when nil; returns how many were forgotten.
    public func reset(_ event: String? = nil) -> Int {
        lock.withLock {
            let lowered = event?.lowercased()
            let forgotten = events.keys.filter { lowered == nil || $0.lowercased() == lowered }
            for name in forgotten { events[name] = nil }
            return forgotten.count
        }
    }

    /// The series named exactly `event`.
    public func series(_ event: String) -> Series? {
        lock.withLock { events[event] }
    }

    /// Every event with its series, in the order they were first seen.
    public var all: [(event: String, series: Series)] {
        lock.withLock { events.map { ($0.key, $0.value) } }
    }
}
