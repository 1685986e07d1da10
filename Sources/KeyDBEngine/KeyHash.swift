/// The keyspace's hash function: fast on short keys, seeded per process so
/// clients cannot choose colliding keys in advance.
public enum KeyHash {
    /// Per-process seed.
    public static let seed: UInt64 = UInt64.random(in: .min ... .max)

    @inlinable @inline(__always)
    static func mix(_ x: UInt64, _ y: UInt64) -> UInt64 {
        let product = x.multipliedFullWidth(by: y)
        return product.high ^ product.low
    }

    @inlinable public static func hash(_ bytes: UnsafeRawBufferPointer) -> UInt64 {
        let count = bytes.count
        var h = seed ^ (UInt64(truncatingIfNeeded: count) &* 0x9E37_79B9_7F4A_7C15)
        var index = 0
        if let base = bytes.baseAddress {
            while index + 8 <= count {
                let word = base.loadUnaligned(fromByteOffset: index, as: UInt64.self)
                h = mix(h ^ word, 0xA076_1D64_78BD_642F)
                index += 8
            }
            if index < count {
                var tail: UInt64 = 0
                var shift: UInt64 = 0
                while index < count {
                    tail |= UInt64(base.load(fromByteOffset: index, as: UInt8.self)) << shift
                    shift += 8
                    index += 1
                }
                h = mix(h ^ tail, 0xE703_7ED1_A0B4_28DB)
            }
        }
        return mix(h, 0x8EBC_6AF0_9C88_C6E3)
    }

    @inlinable public static func hash(_ key: Bytes) -> UInt64 {
        key.withUnsafeBytes { hash($0) }
    }
}
