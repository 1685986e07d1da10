import KeyDBStorage

/// The frame around DUMP and FUNCTION DUMP payloads, as Redis writes it: the RDB
/// records, then the RDB version (2 bytes) and a CRC64 of everything before the
/// checksum (8 bytes), both little-endian.
enum DumpPayload {
    static let version = UInt16(rdbVersion)
    static let footerSize = 10

    /// `body` with its footer.
    static func seal(_ body: [UInt8]) -> [UInt8] {
        var payload = body
        payload.append(UInt8(version & 0xFF))
        payload.append(UInt8(version >> 8))
        let crc = CRC64.checksum(payload)
        for shift in stride(from: 0, to: 64, by: 8) { payload.append(UInt8(truncatingIfNeeded: crc >> UInt64(shift))) }
        return payload
    }

    /// Whether the footer is whole, names a version this server reads (this one or an
    /// older one) and the checksum matches. Always checked: DUMP writes one whatever
    /// rdbchecksum says.
    static func verify(_ payload: UnsafeRawBufferPointer) -> Bool {
        guard payload.count >= footerSize else { return false }
        let footer = payload.count - footerSize
        let written = UInt16(payload[footer]) | UInt16(payload[footer + 1]) << 8
        guard written <= version else { return false }
        var expected: UInt64 = 0
        for index in 0..<8 { expected |= UInt64(payload[footer + 2 + index]) << UInt64(index * 8) }
        var crc = CRC64()
        crc.update(UnsafeRawBufferPointer(rebasing: payload[..<(footer + 2)]))
        return crc.value == expected
    }
}
