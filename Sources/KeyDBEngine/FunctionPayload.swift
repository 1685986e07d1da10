import KeyDBStorage

/// FUNCTION DUMP's payload, in Redis's format: each library as an RDB function
/// record (opcode 245 and the code as an RDB string), then the RDB version (2 bytes)
/// and a CRC64 of everything before it (8 bytes), both little-endian.
enum FunctionPayload {
    static let functionOpcode: UInt8 = 245
    static let rdbVersion: UInt16 = 10

    static func dump(_ codes: [[UInt8]]) -> [UInt8] {
        var payload: [UInt8] = []
        for code in codes {
            payload.append(functionOpcode)
            appendLength(code.count, to: &payload)
            payload.append(contentsOf: code)
        }
        payload.append(UInt8(rdbVersion & 0xFF))
        payload.append(UInt8(rdbVersion >> 8))
        var crc = CRC64()
        crc.update(payload)
        for shift in stride(from: 0, to: 64, by: 8) { payload.append(UInt8(truncatingIfNeeded: crc.value >> UInt64(shift))) }
        return payload
    }

    /// An RDB length: 6, 14, 32 or 64 bits, by size.
    private static func appendLength(_ length: Int, to payload: inout [UInt8]) {
        switch length {
        case ..<64: payload.append(UInt8(length))
        case ..<16384: payload.append(contentsOf: [0x40 | UInt8(length >> 8), UInt8(length & 0xFF)])
        case ..<(1 << 32):
            payload.append(0x80)
            for shift in stride(from: 24, through: 0, by: -8) { payload.append(UInt8(truncatingIfNeeded: length >> shift)) }
        default:
            payload.append(0x81)
            for shift in stride(from: 56, through: 0, by: -8) { payload.append(UInt8(truncatingIfNeeded: length >> shift)) }
        }
    }

    /// The libraries' code in a payload, after its version and checksum are verified.
    static func restore(_ payload: [UInt8]) -> Result<[[UInt8]], ScriptError> {
        let wrong = ScriptError("ERR DUMP payload version or checksum are wrong")
        guard payload.count >= 10 else { return .failure(wrong) }
        let footer = payload.count - 10
        let version = UInt16(payload[footer]) | UInt16(payload[footer + 1]) << 8
        guard version <= rdbVersion else { return .failure(wrong) }
        var expected: UInt64 = 0
        for index in 0..<8 { expected |= UInt64(payload[footer + 2 + index]) << UInt64(index * 8) }
        var crc = CRC64()
        crc.update(Array(payload[..<(footer + 2)]))
        // Redis accepts a zero checksum (a server with rdbchecksum off wrote it).
        guard expected == 0 || crc.value == expected else { return .failure(wrong) }
        var cursor = RDBCursor(Array(payload[..<footer]))
        var codes: [[UInt8]] = []
        while cursor.remaining > 0 {
            guard let type = try? cursor.readByte(), type == functionOpcode else {
                return .failure(ScriptError("ERR given type is not a function"))
            }
            guard let code = try? cursor.readString("function library") else {
                return .failure(ScriptError("ERR failed loading the given functions payload"))
            }
            codes.append(code)
        }
        return .success(codes)
    }
}
