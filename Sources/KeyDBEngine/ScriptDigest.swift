/// A script's SHA-1 as its 40 lowercase hex characters packed into five words: the
/// script cache's key, hashed and compared without building a string.
struct ScriptDigest: Hashable {
    private let a, b, c, d, e: UInt64

    /// From the hex text a client sent (EVALSHA, SCRIPT EXISTS), any case; nil unless 40 bytes.
    init?(hex: UnsafeRawBufferPointer) {
        guard hex.count == 40 else { return nil }
        func word(_ at: Int) -> UInt64 {
            var value: UInt64 = 0
            for index in at..<at + 8 {
                let byte = hex[index]
                value = value << 8 | UInt64(byte >= 65 && byte <= 90 ? byte | 0x20 : byte)
            }
            return value
        }
        (a, b, c, d, e) = (word(0), word(8), word(16), word(24), word(32))
    }

    /// From the digest of a script's body.
    init(sha1 h: (UInt32, UInt32, UInt32, UInt32, UInt32)) {
        (a, b, c, d, e) = (Self.hexWord(h.0), Self.hexWord(h.1), Self.hexWord(h.2), Self.hexWord(h.3), Self.hexWord(h.4))
    }

    /// The eight hex characters of `word`, most significant first, as one packed word.
    private static func hexWord(_ word: UInt32) -> UInt64 {
        var value: UInt64 = 0
        for shift in stride(from: 28, through: 0, by: -4) {
            let nibble = UInt8((word >> UInt32(shift)) & 0xF)
            value = value << 8 | UInt64(nibble < 10 ? 48 + nibble : 87 + nibble)
        }
        return value
    }

    /// The 40-character lowercase hex text.
    var text: String {
        String(unsafeUninitializedCapacity: 40) { buffer in
            for (slot, word) in [a, b, c, d, e].enumerated() {
                for index in 0..<8 { buffer[slot * 8 + index] = UInt8(truncatingIfNeeded: word >> UInt64(56 - index * 8)) }
            }
            return 40
        }
    }
}
