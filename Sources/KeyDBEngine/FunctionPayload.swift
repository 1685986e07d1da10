import KeyDBStorage

/// FUNCTION DUMP's payload, in Redis's format: each library as an RDB function
/// record (opcode 245 and the code as an RDB string), then the RDB version (2 bytes)
/// and a CRC64 of everything before it (8 bytes), both little-endian.
enum FunctionPayload {
    static let functionOpcode: UInt8 = 245
    static let rdbVersion: UInt16 = 10

    /// Each record's code is an RDB string, LZF-compressed when that pays and
    /// `compression` (rdbcompression) is on, as Redis's dump.
    static func dump(_ codes: [[UInt8]], compression: Bool) -> [UInt8] {
        var encoder = RDBObjectEncoder(compression: compression)
        for code in codes { try! encoder.encodeFunction(code) }  // in memory: nothing to fail
        var payload = encoder.bytes
        payload.append(UInt8(rdbVersion & 0xFF))
        payload.append(UInt8(rdbVersion >> 8))
        var crc = CRC64()
        crc.update(payload)
        for shift in stride(from: 0, to: 64, by: 8) { payload.append(UInt8(truncatingIfNeeded: crc.value >> UInt64(shift))) }
        return payload
    }

    /// The libraries' code in a payload, after its version and checksum are verified. As
    /// Redis reads it record by record, a record it cannot read fails the restore only after
    /// the libraries before it were loaded: such a failure comes back next to their codes.
    static func restore(_ payload: [UInt8]) -> Result<(codes: [[UInt8]], failure: ScriptError?), ScriptError> {
        let wrong = ScriptError("ERR DUMP payload version or checksum are wrong")
        guard payload.count >= 10 else { return .failure(wrong) }
        let footer = payload.count - 10
        let version = UInt16(payload[footer]) | UInt16(payload[footer + 1]) << 8
        guard version <= rdbVersion else { return .failure(wrong) }
        var expected: UInt64 = 0
        for index in 0..<8 { expected |= UInt64(payload[footer + 2 + index]) << UInt64(index * 8) }
        var crc = CRC64()
        crc.update(Array(payload[..<(footer + 2)]))
        // Always checked: FUNCTION DUMP writes a checksum whatever rdbchecksum says.
        guard crc.value == expected else { return .failure(wrong) }
        // Records are read while more than the footer is left, and may run into it (as Redis's reader).
        var cursor = RDBCursor(payload)
        var codes: [[UInt8]] = []
        while cursor.remaining > 10 {
            guard let type = try? cursor.readByte(), type == functionOpcode else {
                return .success((codes, ScriptError(ErrorReply.notAFunction)))
            }
            guard let code = try? cursor.readString("function library") else {
                return .success((codes, ScriptError(ErrorReply.functionPayloadUnreadable)))
            }
            codes.append(code)
        }
        return .success((codes, nil))
    }
}
