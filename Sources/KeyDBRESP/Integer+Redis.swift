extension Int64 {
    /// Parses bytes the way Redis's `string2ll` does: an optional '-', then
    /// digits with no leading zero (except "0" itself), no spaces, no '+',
    /// and no overflow. Anything else is not an integer.
    @inlinable public init?(redisDecimal bytes: UnsafeRawBufferPointer) {
        let count = bytes.count
        guard count > 0, count <= 20 else { return nil }
        var index = 0
        let negative = bytes[0] == UInt8(ascii: "-")
        if negative {
            index = 1
            guard count > 1 else { return nil }
        }
        let first = bytes[index]
        if first == UInt8(ascii: "0") {
            guard count == 1 else { return nil }
            self = 0
            return
        }
        guard first &- 49 < 9 else { return nil }  // 1...9
        // Accumulate as a negative number so Int64.min parses too.
        var value: Int64 = 0
        while index < count {
            let digit = bytes[index] &- 48
            guard digit < 10 else { return nil }
            let (shifted, overflow1) = value.multipliedReportingOverflow(by: 10)
            let (next, overflow2) = shifted.subtractingReportingOverflow(Int64(digit))
            guard !overflow1, !overflow2 else { return nil }
            value = next
            index += 1
        }
        if negative {
            self = value
        } else {
            guard value != .min else { return nil }
            self = -value
        }
    }
}
