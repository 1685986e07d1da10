/// Decimal text of integers, with Redis's notion of a canonical integer
/// (string2ll): no sign other than a leading '-', no leading zeros, no "-0",
/// fits in 64 bits. Only such strings may be stored as integers, so that they
/// read back as the same bytes.
enum IntegerText {
    static func parseCanonical(_ s: UnsafeRawBufferPointer) -> Int64? {
        let n = s.count
        guard n > 0, n <= 20 else { return nil }
        if n == 1 && s[0] == UInt8(ascii: "0") { return 0 }
        var i = 0
        let negative = s[0] == UInt8(ascii: "-")
        if negative { i = 1 }
        guard i < n, s[i] >= UInt8(ascii: "1"), s[i] <= UInt8(ascii: "9") else { return nil }
        var magnitude: UInt64 = 0
        while i < n {
            let d = s[i] &- UInt8(ascii: "0")
            guard d <= 9 else { return nil }
            let (times10, o1) = magnitude.multipliedReportingOverflow(by: 10)
            let (sum, o2) = times10.addingReportingOverflow(UInt64(d))
            guard !o1, !o2 else { return nil }
            magnitude = sum
            i += 1
        }
        if negative {
            guard magnitude <= UInt64(Int64.max) + 1 else { return nil }
            return magnitude == UInt64(Int64.max) + 1 ? Int64.min : -Int64(magnitude)
        }
        guard magnitude <= UInt64(Int64.max) else { return nil }
        return Int64(magnitude)
    }

    static func bytes(_ value: Int64) -> [UInt8] {
        Array(String(value).utf8)
    }
}
