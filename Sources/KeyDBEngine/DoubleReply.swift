import KeyDBRESP

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// The "%.17g" text of `value` ("inf" / "-inf" for infinities): how Redis 7.0
/// writes a score in a reply (`addReplyDouble`), so 1.1 reads "1.1000000000000001".
func withDoubleText<R>(_ value: Double, _ body: (UnsafeRawBufferPointer) -> R) -> R {
    if value.isInfinite { return withStaticText(value > 0 ? "inf" : "-inf", body) }
    // Whole numbers below 2^53 print as their digits under "%.17g"; skip printf for them.
    if value == value.rounded(.towardZero) && abs(value) < 9_007_199_254_740_992 && !(value == 0 && value.sign == .minus) {
        return withDecimalDigits(Int64(value), body)
    }
    return withPrintf(value, body)
}

/// Redis's `d2string`: the text a small (listpack) sorted set stores for a
/// score, which ZSCAN returns. Whole numbers within ±2^62 print as integers
/// (so 1e17 reads "100000000000000000", where "%.17g" gives "1e+17").
func withStoredScoreText<R>(_ value: Double, _ body: (UnsafeRawBufferPointer) -> R) -> R {
    if value.isInfinite { return withStaticText(value > 0 ? "inf" : "-inf", body) }
    if value == 0 { return withStaticText(value.sign == .minus ? "-0" : "0", body) }
    let limit = Double(Int64.max / 2)
    if value >= -limit && value <= limit && value == value.rounded(.towardZero) {
        return withDecimalDigits(Int64(value), body)
    }
    return withPrintf(value, body)
}

private func withStaticText<R>(_ text: StaticString, _ body: (UnsafeRawBufferPointer) -> R) -> R {
    body(UnsafeRawBufferPointer(start: text.utf8Start, count: text.utf8CodeUnitCount))
}

private func withPrintf<R>(_ value: Double, _ body: (UnsafeRawBufferPointer) -> R) -> R {
    withUnsafeTemporaryAllocation(of: CChar.self, capacity: 32) { buffer in
        let length = withVaList([value]) { vsnprintf(buffer.baseAddress!, 32, "%.17g", $0) }
        return body(UnsafeRawBufferPointer(start: buffer.baseAddress!, count: Int(length)))
    }
}
