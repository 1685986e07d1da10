/// One command's latency distribution, bucketed as Redis's per-command
/// HdrHistogram is (1 ns to 1 s, two significant digits): each power of two
/// is split into 128 equal sub-buckets (256 below 256 ns), so LATENCY
/// HISTOGRAM and INFO latencystats read the same numbers Redis's would.
public final class LatencyHistogram: @unchecked Sendable {  // mutated under the keyspace lock
    static let lowest: Int64 = 1
    static let highest: Int64 = 1_000_000_000
    /// Sub-buckets per power of two (the first bucket uses twice as many).
    static let halfMagnitude = 7
    static let halfCount = 1 << halfMagnitude
    /// Powers of two past 256 ns needed to reach `highest`, plus the first bucket.
    static let bucketCount = 23
    static let countsLength = (bucketCount + 1) * halfCount

    private var counts = [Int64](repeating: 0, count: countsLength)
    public private(set) var total: Int64 = 0

    public init() {}

    public func record(nanoseconds: Int64) {
        counts[Self.index(of: min(max(nanoseconds, Self.lowest), Self.highest))] += 1
        total += 1
    }

    // MARK: - Bucket geometry

    /// The power-of-two bucket of `value` (values below 256 share bucket 0).
    static func bucket(of value: Int64) -> Int {
        64 - (value | Int64(2 * halfCount - 1)).leadingZeroBitCount - (halfMagnitude + 1)
    }

    static func index(of value: Int64) -> Int {
        let bucket = bucket(of: value)
        return ((bucket + 1) << halfMagnitude) + Int(value >> bucket) - halfCount
    }

    /// The lowest value counted at `index`.
    static func value(at index: Int) -> Int64 {
        let bucket = (index >> halfMagnitude) - 1
        let sub = (index & (halfCount - 1)) + halfCount
        return bucket < 0 ? Int64(sub - halfCount) : Int64(sub) << bucket
    }

    /// The highest value counted with `value` (its sub-bucket's last one): sub-buckets
    /// of bucket b are 2^b wide.
    static func highestEquivalent(_ value: Int64) -> Int64 {
        let bucket = bucket(of: value)
        return ((value >> bucket) << bucket) + (1 << bucket) - 1
    }

    // MARK: - Readings

    /// LATENCY HISTOGRAM's buckets: the count of calls at or under 1 µs, 2 µs,
    /// 4 µs... (each power of two from 1024 ns, shown as its sub-bucket's top in
    /// µs), listing only the steps where the count grew.
    public var cumulativeByPowerOfTwo: [(microseconds: Int64, calls: Int64)] {
        var steps: [(Int64, Int64)] = []
        var level: Int64 = 1024
        var index = -1
        var cumulative: Int64 = 0, previous: Int64 = 0
        while cumulative < total {
            let target = min(Self.index(of: level), Self.countsLength - 1)
            while index < target {
                index += 1
                cumulative += counts[index]
            }
            if cumulative > previous { steps.append((Self.highestEquivalent(Self.value(at: index)) / 1000, cumulative)) }
            previous = cumulative
            level *= 2
        }
        return steps
    }

    /// The latency (ns) under which `percentile` % of the calls fall, as HdrHistogram reports it.
    public func value(atPercentile percentile: Double) -> Int64 {
        let wanted = max(1, Int64((min(percentile, 100) / 100) * Double(total) + 0.5))
        var cumulative: Int64 = 0
        for index in 0..<Self.countsLength {
            cumulative += counts[index]
            guard cumulative >= wanted else { continue }
            let value = Self.value(at: index)
            return percentile == 0 ? value : Self.highestEquivalent(value)
        }
        return 0
    }
}
