/// Redis's protocol limits (networking.c / server.h defaults).
public struct ProtocolLimits: Sendable {
    /// Longest inline request, and longest `*N` / `$N` header line (PROTO_INLINE_MAX_SIZE).
    public static let inlineMax = 64 * 1024
    /// Largest multibulk count accepted (Redis rejects counts above INT_MAX).
    public static let multibulkMax = Int(Int32.max)
    /// Before authentication, Redis refuses more than 10 arguments...
    public static let unauthenticatedMultibulkMax = 10
    /// ...and arguments longer than 16 KiB.
    public static let unauthenticatedBulkMax = 16384

    /// `proto-max-bulk-len`: the longest single argument.
    public var maxBulkLength: Int

    public init(maxBulkLength: Int = 512 * 1024 * 1024) {
        self.maxBulkLength = maxBulkLength
    }
}
