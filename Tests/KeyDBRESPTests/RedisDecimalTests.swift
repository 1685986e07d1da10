import KeyDBRESP
import Testing

private func parse(_ text: String) -> Int64? {
    Array(text.utf8).withUnsafeBytes { Int64(redisDecimal: $0) }
}

/// `string2ll`: what Redis accepts as an integer, and what it refuses.
@Suite("Int64(redisDecimal:)")
struct RedisDecimalTests {
    @Test("accepted", arguments: [
        ("0", Int64(0)), ("1", 1), ("-1", -1), ("10", 10), ("123456789", 123456789),
        ("9223372036854775807", Int64.max), ("-9223372036854775808", Int64.min),
        ("-9223372036854775807", -Int64.max), ("1000000000000000000", 1_000_000_000_000_000_000),
    ])
    func accepted(_ text: String, _ value: Int64) {
        #expect(parse(text) == value)
    }

    @Test("rejected", arguments: [
        "", "-", "-0", "007", "00", "01", "-01", "+1", " 1", "1 ", "1a", "a1", "1.0", "1e3", "0x10",
        "9223372036854775808", "-9223372036854775809", "18446744073709551616", "99999999999999999999",
        "123456789012345678901", "--1", "1-", "\t1",
    ])
    func rejected(_ text: String) {
        #expect(parse(text) == nil)
    }

    @Test("a NUL byte is not a digit")
    func nul() {
        #expect([49, 0].withUnsafeBytes { Int64(redisDecimal: $0) } == nil)
        #expect([0].withUnsafeBytes { Int64(redisDecimal: $0) } == nil)
    }
}
