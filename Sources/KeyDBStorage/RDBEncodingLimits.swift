/// When the writer picks a packed encoding; the defaults are Redis 7.0's.
public struct RDBEncodingLimits: Sendable {
    /// list-max-listpack-size -2: a quicklist node's listpack stays within 8 KB.
    public var listNodeBytes = 8192
    /// Elements at least this long get a PLAIN quicklist node of their own
    /// (Redis's quicklist packed threshold, 1 GB unless changed with DEBUG).
    public var listPlainThreshold = 1 << 30
    /// set-max-intset-entries.
    public var setMaxIntsetEntries = 512
    /// hash-max-listpack-entries (512 in Redis 7.0's config.c and redis.conf)
    /// and hash-max-listpack-value.
    public var hashMaxListpackEntries = 512
    public var hashMaxListpackValue = 64
    /// zset-max-listpack-entries / zset-max-listpack-value.
    public var sortedSetMaxListpackEntries = 128
    public var sortedSetMaxListpackValue = 64

    public init() {}
}
