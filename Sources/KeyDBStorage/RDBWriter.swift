/// Writes an RDB image (version 10) as a stream of chunks handed to `output`,
/// keeping the CRC64 as it goes. Call `writeHeader()`, then aux fields,
/// functions, databases and their keys, then `finish()`. If any call throws,
/// the image is incomplete and must be discarded.
public struct RDBWriter {
    private var output: RDBOutput
    private let checksum: Bool
    public let limits: RDBEncodingLimits

    /// - Parameters:
    ///   - compression: LZF-compress strings over 20 bytes when that pays (rdbcompression).
    ///   - checksum: write the CRC64 trailer; zero when off (rdbchecksum).
    ///   - chunkSize: roughly how many bytes `output` receives per call.
    ///   - output: receives the image in order; the buffer is only valid during the call.
    public init(
        compression: Bool = true, checksum: Bool = true, limits: RDBEncodingLimits = RDBEncodingLimits(),
        chunkSize: Int = 64 * 1024, output: @escaping (UnsafeRawBufferPointer) throws -> Void
    ) {
        self.output = RDBOutput(compression: compression, chunkSize: max(chunkSize, 1), drain: output)
        self.checksum = checksum
        self.limits = limits
    }

    /// Bytes produced so far.
    public var bytesWritten: Int { output.position }

    /// "REDIS0010".
    public mutating func writeHeader() throws {
        try Array("REDIS00\(rdbVersion)".utf8).withUnsafeBytes { try output.raw($0) }
    }

    /// Redis writes redis-ver, redis-bits, ctime, used-mem and aof-base.
    public mutating func writeAux(_ key: some RDBBytes, _ value: some RDBBytes) throws {
        output.byte(RDBOpcode.aux)
        try output.string(key)
        try output.string(value)
        try output.flushIfFull()
    }

    /// One function library's source (RDB_OPCODE_FUNCTION2).
    public mutating func writeFunction(_ code: some RDBBytes) throws {
        output.byte(RDBOpcode.function2)
        try output.string(code)
        try output.flushIfFull()
    }

    public mutating func selectDatabase(_ index: Int) throws {
        output.byte(RDBOpcode.selectDB)
        output.length(index)
    }

    /// Sizing hint for the loader: the database's key count and how many have a TTL.
    public mutating func resizeDatabase(keys: Int, expires: Int) throws {
        output.byte(RDBOpcode.resizeDB)
        output.length(keys)
        output.length(expires)
    }

    // MARK: - Keys

    public mutating func writeString(key: some RDBBytes, value: some RDBBytes, expireAtMilliseconds: Int64? = nil) throws {
        try entry(key, expireAtMilliseconds) { o, k in try o.stringValue(key: k, value) }
    }

    public mutating func writeList<C: Collection>(key: some RDBBytes, elements: C, expireAtMilliseconds: Int64? = nil)
        throws where C.Element: RDBBytes
    {
        let limits = limits
        try entry(key, expireAtMilliseconds) { o, k in try o.listValue(key: k, elements, limits: limits) }
    }

    public mutating func writeSet<C: Collection>(key: some RDBBytes, members: C, expireAtMilliseconds: Int64? = nil)
        throws where C.Element: RDBBytes
    {
        let limits = limits
        try entry(key, expireAtMilliseconds) { o, k in try o.setValue(key: k, members, limits: limits) }
    }

    public mutating func writeHash<C: Collection, F: RDBBytes, V: RDBBytes>(
        key: some RDBBytes, fields: C, expireAtMilliseconds: Int64? = nil
    ) throws where C.Element == (F, V) {
        let limits = limits
        try entry(key, expireAtMilliseconds) { o, k in try o.hashValue(key: k, fields, limits: limits) }
    }

    public mutating func writeSortedSet<C: Collection, M: RDBBytes>(
        key: some RDBBytes, members: C, expireAtMilliseconds: Int64? = nil
    ) throws where C.Element == (M, Double) {
        let limits = limits
        try entry(key, expireAtMilliseconds) { o, k in try o.sortedSetValue(key: k, members, limits: limits) }
    }

    public mutating func writeEntry(key: some RDBBytes, value: RDBObject, expireAtMilliseconds: Int64? = nil) throws {
        let limits = limits
        try entry(key, expireAtMilliseconds) { o, k in try o.value(key: k, value, limits: limits) }
    }

    /// EOF opcode, then the CRC64 of everything before it (or zero), then
    /// hands over whatever is still buffered.
    public mutating func finish() throws {
        output.byte(RDBOpcode.eof)
        try output.flush()
        output.littleEndian(checksum ? output.crc.value : 0)
        try output.flush()
    }

    mutating func entry(
        _ key: some RDBBytes, _ expireAtMilliseconds: Int64?,
        _ body: (inout RDBOutput, UnsafeRawBufferPointer) throws -> Void
    ) throws {
        if let expireAtMilliseconds {
            output.byte(RDBOpcode.expireTimeMilliseconds)
            output.littleEndian(expireAtMilliseconds)
        }
        try key.withRDBBytes { try body(&output, $0) }
        try output.flushIfFull()
    }
}
