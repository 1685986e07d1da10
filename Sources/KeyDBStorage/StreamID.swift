/// A stream entry ID: a millisecond time and a sequence number, ordered as a pair.
public struct StreamID: Comparable, Hashable, Sendable, CustomStringConvertible {
    public var ms: UInt64
    public var seq: UInt64

    public init(ms: UInt64, seq: UInt64) {
        self.ms = ms
        self.seq = seq
    }

    public static let zero = StreamID(ms: 0, seq: 0)
    public static let max = StreamID(ms: .max, seq: .max)

    public static func < (a: StreamID, b: StreamID) -> Bool {
        a.ms < b.ms || (a.ms == b.ms && a.seq < b.seq)
    }

    /// The smallest ID after this one; nil after the largest.
    public var successor: StreamID? {
        if seq < .max { return StreamID(ms: ms, seq: seq + 1) }
        if ms < .max { return StreamID(ms: ms + 1, seq: 0) }
        return nil
    }

    /// The largest ID before this one; nil before 0-0.
    public var predecessor: StreamID? {
        if seq > 0 { return StreamID(ms: ms, seq: seq - 1) }
        if ms > 0 { return StreamID(ms: ms - 1, seq: .max) }
        return nil
    }

    public var description: String { "\(ms)-\(seq)" }

    /// The 16-byte big-endian form Redis keys its radix trees with (and writes raw in a PEL).
    public var keyBytes: [UInt8] {
        var out = [UInt8](repeating: 0, count: 16)
        for k in 0..<8 {
            out[k] = UInt8(truncatingIfNeeded: ms >> (56 - 8 * k))
            out[8 + k] = UInt8(truncatingIfNeeded: seq >> (56 - 8 * k))
        }
        return out
    }

    public init?(keyBytes b: UnsafeRawBufferPointer) {
        guard b.count == 16 else { return nil }
        var ms: UInt64 = 0, seq: UInt64 = 0
        for k in 0..<8 {
            ms = ms << 8 | UInt64(b[k])
            seq = seq << 8 | UInt64(b[8 + k])
        }
        self.init(ms: ms, seq: seq)
    }
}
