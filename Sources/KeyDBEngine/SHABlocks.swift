/// What SHA-1 and SHA-256 share (FIPS 180-4): the message padded to 64-byte blocks
/// with its bit length, read as big-endian 32-bit words.
enum SHABlocks {
    /// Calls `body` with the sixteen words of each block, in order.
    static func forEach(_ message: some Collection<UInt8>, _ body: ([UInt32]) -> Void) {
        var padded = Array(message)
        let bitLength = UInt64(padded.count) * 8
        padded.append(0x80)
        while padded.count % 64 != 56 { padded.append(0) }
        for shift in stride(from: 56, through: 0, by: -8) { padded.append(UInt8(truncatingIfNeeded: bitLength >> UInt64(shift))) }
        var words = [UInt32](repeating: 0, count: 16)
        for block in stride(from: 0, to: padded.count, by: 64) {
            for i in 0..<16 {
                let at = block + i * 4
                words[i] = UInt32(padded[at]) << 24 | UInt32(padded[at + 1]) << 16 | UInt32(padded[at + 2]) << 8 | UInt32(padded[at + 3])
            }
            body(words)
        }
    }

    /// Lowercase hex of the state words, most significant byte first.
    static func hex(_ words: [UInt32]) -> String {
        String(unsafeUninitializedCapacity: words.count * 8) { text in
            let digits: StaticString = "0123456789abcdef"
            var at = 0
            for word in words {
                for shift in stride(from: 28, through: 0, by: -4) {
                    text[at] = digits.utf8Start[Int((word >> UInt32(shift)) & 0xF)]
                    at += 1
                }
            }
            return at
        }
    }
}
