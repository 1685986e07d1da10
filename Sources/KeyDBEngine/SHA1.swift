/// SHA-1 (FIPS 180-4): scripts are named by the hex digest of their body, as in Redis.
enum SHA1 {
    static func hex(_ message: some Collection<UInt8>) -> String {
        let h = words(message)
        return SHABlocks.hex([h.0, h.1, h.2, h.3, h.4])
    }

    /// The digest as its five state words.
    static func words(_ message: some Collection<UInt8>) -> (UInt32, UInt32, UInt32, UInt32, UInt32) {
        var h: (UInt32, UInt32, UInt32, UInt32, UInt32) = (0x67452301, 0xEFCDAB89, 0x98BADCFE, 0x10325476, 0xC3D2E1F0)
        withUnsafeTemporaryAllocation(of: UInt32.self, capacity: 80) { w in
            SHABlocks.forEach(message) { words in
                for i in 0..<16 { w[i] = words[i] }
                for i in 16..<80 { w[i] = rotate(w[i - 3] ^ w[i - 8] ^ w[i - 14] ^ w[i - 16], 1) }
                var (a, b, c, d, e) = h
                // Four runs of 20 rounds, each with its own function and constant.
                for i in 0..<20 {
                    let t = rotate(a, 5) &+ ((b & c) | (~b & d)) &+ e &+ 0x5A827999 &+ w[i]
                    (e, d, c, b, a) = (d, c, rotate(b, 30), a, t)
                }
                for i in 20..<40 {
                    let t = rotate(a, 5) &+ (b ^ c ^ d) &+ e &+ 0x6ED9EBA1 &+ w[i]
                    (e, d, c, b, a) = (d, c, rotate(b, 30), a, t)
                }
                for i in 40..<60 {
                    let t = rotate(a, 5) &+ ((b & c) | (b & d) | (c & d)) &+ e &+ 0x8F1BBCDC &+ w[i]
                    (e, d, c, b, a) = (d, c, rotate(b, 30), a, t)
                }
                for i in 60..<80 {
                    let t = rotate(a, 5) &+ (b ^ c ^ d) &+ e &+ 0xCA62C1D6 &+ w[i]
                    (e, d, c, b, a) = (d, c, rotate(b, 30), a, t)
                }
                h = (h.0 &+ a, h.1 &+ b, h.2 &+ c, h.3 &+ d, h.4 &+ e)
            }
        }
        return h
    }

    @inline(__always) private static func rotate(_ x: UInt32, _ n: UInt32) -> UInt32 { x << n | x >> (32 - n) }
}
