/// Redis's CRC-64 (Jones polynomial 0xad93d23594c935a9, reflected, init 0, no
/// final xor), used for the RDB trailer and DUMP payloads. Slicing-by-8.
public struct CRC64: Sendable {
    public private(set) var value: UInt64 = 0

    public init() {}

    public mutating func update(_ bytes: UnsafeRawBufferPointer) {
        let table = crc64Table
        var crc = value
        var i = 0
        let n = bytes.count
        table.withUnsafeBufferPointer { t in
            while n - i >= 8 {
                crc ^= bytes.loadUnaligned(fromByteOffset: i, as: UInt64.self).littleEndian
                crc = t[7 * 256 + Int(crc & 0xFF)]
                    ^ t[6 * 256 + Int((crc >> 8) & 0xFF)]
                    ^ t[5 * 256 + Int((crc >> 16) & 0xFF)]
                    ^ t[4 * 256 + Int((crc >> 24) & 0xFF)]
                    ^ t[3 * 256 + Int((crc >> 32) & 0xFF)]
                    ^ t[2 * 256 + Int((crc >> 40) & 0xFF)]
                    ^ t[1 * 256 + Int((crc >> 48) & 0xFF)]
                    ^ t[Int(crc >> 56)]
                i += 8
            }
            while i < n {
                crc = t[Int((crc ^ UInt64(bytes[i])) & 0xFF)] ^ (crc >> 8)
                i += 1
            }
        }
        value = crc
    }

    public mutating func update(_ bytes: [UInt8]) {
        bytes.withUnsafeBytes { update($0) }
    }

    public static func checksum(_ bytes: [UInt8]) -> UInt64 {
        var crc = CRC64()
        crc.update(bytes)
        return crc.value
    }
}

/// Eight 256-entry tables, back to back: table k advances a byte through k
/// further zero bytes.
private let crc64Table: [UInt64] = {
    let reflectedPolynomial: UInt64 = 0x95AC_9329_AC4B_C9B5
    var t = [UInt64](repeating: 0, count: 8 * 256)
    for i in 0..<256 {
        var crc = UInt64(i)
        for _ in 0..<8 {
            crc = crc & 1 == 1 ? (crc >> 1) ^ reflectedPolynomial : crc >> 1
        }
        t[i] = crc
    }
    for k in 1..<8 {
        for i in 0..<256 {
            let previous = t[(k - 1) * 256 + i]
            t[k * 256 + i] = t[Int(previous & 0xFF)] ^ (previous >> 8)
        }
    }
    return t
}()
