/// A malformed request. Redis answers it with `-ERR Protocol error: ...` and
/// closes the connection once the reply is written.
public struct ProtocolError: Error, Equatable, Sendable {
    /// The error reply without the leading `-` and trailing CRLF, as bytes:
    /// "expected '$', got 'X'" echoes a raw client byte.
    public let message: [UInt8]

    private init(_ detail: String) { message = Array("ERR Protocol error: \(detail)".utf8) }

    public static let tooBigInlineRequest = ProtocolError("too big inline request")
    public static let unbalancedQuotes = ProtocolError("unbalanced quotes in request")
    public static let tooBigMultibulkCount = ProtocolError("too big mbulk count string")
    public static let invalidMultibulkLength = ProtocolError("invalid multibulk length")
    public static let unauthenticatedMultibulkLength = ProtocolError("unauthenticated multibulk length")
    public static let tooBigBulkCount = ProtocolError("too big bulk count string")
    public static let invalidBulkLength = ProtocolError("invalid bulk length")
    public static let unauthenticatedBulkLength = ProtocolError("unauthenticated bulk length")

    public static func expectedDollar(got byte: UInt8) -> ProtocolError {
        // Redis replaces CR and LF with spaces so the reply stays one line.
        let shown: UInt8 = (byte == 13 || byte == 10) ? 32 : byte
        var error = ProtocolError("expected '$', got '")
        error = ProtocolError(bytes: error.message + [shown, 39])
        return error
    }

    private init(bytes: [UInt8]) { message = bytes }
}
