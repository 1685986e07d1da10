import KeyDBStorage

/// FUNCTION DUMP's payload, in Redis's format: each library as an RDB function
/// record (opcode 245 and the code as an RDB string) in DUMP's frame (DumpPayload).
enum FunctionPayload {
    static let functionOpcode: UInt8 = 245

    /// Each record's code is an RDB string, LZF-compressed when that pays and
    /// `compression` (rdbcompression) is on, as Redis's dump.
    static func dump(_ codes: [[UInt8]], compression: Bool) -> [UInt8] {
        var encoder = RDBObjectEncoder(compression: compression)
        for code in codes { try! encoder.encodeFunction(code) }  // in memory: nothing to fail
        return DumpPayload.seal(encoder.bytes)
    }

    /// The libraries' code in a payload, after its version and checksum are verified. As
    /// Redis reads it record by record, a record it cannot read fails the restore only after
    /// the libraries before it were loaded: such a failure comes back next to their codes.
    static func restore(_ payload: [UInt8]) -> Result<(codes: [[UInt8]], failure: ScriptError?), ScriptError> {
        guard payload.withUnsafeBytes(DumpPayload.verify) else { return .failure(ScriptError(ErrorReply.dumpPayloadWrong)) }
        // Records are read while more than the footer is left, and may run into it (as Redis's reader).
        var cursor = RDBCursor(payload)
        var codes: [[UInt8]] = []
        while cursor.remaining > DumpPayload.footerSize {
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
