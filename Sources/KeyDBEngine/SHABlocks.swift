/// What SHA-1 and SHA-256 share (FIPS 180-4): the message padded to 64-byte blocks
/// with its bit length, read as big-endian 32-bit words.
enum SHABlocks {
    /// Calls `body` with the sixteen words of each block, in order.
    static func forEach(_ message: some Collection<UInt8>, _ body: (UnsafeBufferPointer<UInt32>) -> Void) {
        let done: Void? = message.withContiguousStorageIfAvailable { forEach(UnsafeRawBufferPointer($0), body) }
        if done == nil { Array(message).withUnsafeBytes { forEach($0, body) } }
    }

    /// The same over bytes in place: whole blocks are read where they lie, only the
    /// last one or two (with the padding) are copied, and nothing touches the heap.
    static func forEach(_ bytes: UnsafeRawBufferPointer, _ body: (UnsafeBufferPointer<UInt32>) -> Void) {
        withUnsafeTemporaryAllocation(of: UInt32.self, capacity: 16) { words in
            func run(_ block: UnsafeRawBufferPointer) {
                for i in 0..<16 { words[i] = UInt32(bigEndian: block.loadUnaligned(fromByteOffset: i * 4, as: UInt32.self)) }
                body(UnsafeBufferPointer(words))
            }
            let whole = bytes.count / 64
            for block in 0..<whole { run(UnsafeRawBufferPointer(rebasing: bytes[block * 64 ..< block * 64 + 64])) }
            withUnsafeTemporaryAllocation(of: UInt8.self, capacity: 128) { tail in
                let rest = bytes.count - whole * 64
                let length = rest < 56 ? 64 : 128
                tail.initialize(repeating: 0)
                for index in 0..<rest { tail[index] = bytes[whole * 64 + index] }
                tail[rest] = 0x80
                let bitLength = UInt64(bytes.count) * 8
                for index in 0..<8 { tail[length - 1 - index] = UInt8(truncatingIfNeeded: bitLength >> UInt64(index * 8)) }
                let padded = UnsafeRawBufferPointer(tail)
                run(UnsafeRawBufferPointer(rebasing: padded[0..<64]))
                if length == 128 { run(UnsafeRawBufferPointer(rebasing: padded[64..<128])) }
            }
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
