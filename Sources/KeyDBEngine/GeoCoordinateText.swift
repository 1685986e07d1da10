/// Coordinates as Redis prints them (`addReplyHumanLongDouble`): C's "%.17Lf",
/// then trailing zeros and a bare point cut, "-0" shown as "0".
///
/// printf is exact: it rounds the double's exact binary value to 17 decimals,
/// half to even. For coordinates (within ±180) that is done here in integers,
/// value × 10^17 fitting 64 bits, without printf's cost on every GEOPOS.
func withCoordinateText<R>(_ value: Double, _ body: (UnsafeRawBufferPointer) -> R) -> R {
    guard value.isFinite, value.magnitude < 184 else {
        return formatLongDouble(Float80(value)).withUnsafeBytes(body)
    }
    let scaled = scaledBy1e17(value.magnitude)
    // 3 integer digits, the point and 17 decimals, and a sign.
    return withBackwardText(capacity: 24, { text in
        var fraction = scaled % 100_000_000_000_000_000
        if fraction != 0 {
            var digits = 17
            while fraction % 10 == 0 {
                fraction /= 10
                digits -= 1
            }
            text.putDigits(fraction, count: digits)
            text.put(UInt8(ascii: "."))
        }
        text.putDigits(scaled / 100_000_000_000_000_000)
        if value < 0 && scaled != 0 { text.put(UInt8(ascii: "-")) }
    }, body)
}

/// `magnitude` × 10^17 rounded half to even, computed exactly; `magnitude` below 184.
func scaledBy1e17(_ magnitude: Double) -> UInt64 {
    guard magnitude != 0 else { return 0 }
    // magnitude = significand × 2^-shift, the significand an integer below 2^53.
    let significand = magnitude.isSubnormal ? magnitude.significandBitPattern : magnitude.significandBitPattern | (1 << 52)
    let shift = magnitude.isSubnormal ? 1074 : 52 - Int(magnitude.exponent)
    // Below 2^8, so the shift is at least 45: the product (under 2^110) loses bits.
    let product = significand.multipliedFullWidth(by: 100_000_000_000_000_000)
    let (high, low) = (product.high, product.low)
    guard shift < 128 else { return 0 }  // under half a unit: rounds to 0
    var quotient: UInt64
    var remainder: (high: UInt64, low: UInt64)
    let half: (high: UInt64, low: UInt64)
    if shift < 64 {
        quotient = (low >> UInt64(shift)) | (high << UInt64(64 - shift))
        remainder = (0, low & ((1 << UInt64(shift)) - 1))
        half = (0, 1 << UInt64(shift - 1))
    } else if shift == 64 {
        quotient = high
        remainder = (0, low)
        half = (0, 1 << 63)
    } else {
        quotient = high >> UInt64(shift - 64)
        remainder = (high & ((1 << UInt64(shift - 64)) - 1), low)
        half = (1 << UInt64(shift - 65), 0)
    }
    let aboveHalf = remainder.high > half.high || (remainder.high == half.high && remainder.low > half.low)
    let atHalf = remainder.high == half.high && remainder.low == half.low
    if aboveHalf || (atHalf && quotient & 1 == 1) { quotient += 1 }
    return quotient
}
