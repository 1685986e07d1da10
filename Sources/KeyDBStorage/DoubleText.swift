#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Scores as text: parsing what Redis wrote, and formatting them the way
/// Redis 7.0 stores them in a sorted-set listpack (zzlInsertAt).
enum DoubleText {
    /// strtod-style parsing, including "inf", "-inf" and "nan".
    static func parse(_ text: [UInt8]) -> Double? {
        Double(String(decoding: text, as: UTF8.self))
    }

    /// A listpack score: an integer entry when the double is integral and within
    /// ±2^62 (double2ll), else the "%.17g" text (or "inf" / "-inf"), which strtod
    /// turns back into the same double.
    enum Score {
        case integer(Int64)
        case text([UInt8])
    }

    static func listpackScore(_ d: Double) -> Score {
        let bound = 4_611_686_018_427_387_904.0  // (double)(LLONG_MAX / 2)
        if d >= -bound && d <= bound, let i = Int64(exactly: d) { return .integer(i) }
        if d.isInfinite { return .text(Array((d < 0 ? "-inf" : "inf").utf8)) }
        return .text(g17(d))
    }

    /// printf's "%.17g".
    static func g17(_ d: Double) -> [UInt8] {
        var buffer = [CChar](repeating: 0, count: 32)
        let n = withVaList([d]) { vsnprintf(&buffer, buffer.count, "%.17g", $0) }
        return buffer[0..<Int(n)].map { UInt8(bitPattern: $0) }
    }
}
