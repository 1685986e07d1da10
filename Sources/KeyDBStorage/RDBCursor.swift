/// Bounds-checked reading of an RDB image (or a DUMP payload): fixed-width
/// integers, RDB lengths and RDB strings.
public struct RDBCursor {
    public let bytes: [UInt8]
    public internal(set) var offset: Int

    public init(_ bytes: [UInt8], offset: Int = 0) {
        self.bytes = bytes
        self.offset = offset
    }

    public var remaining: Int { bytes.count - offset }

    func error(_ message: String, at offset: Int? = nil) -> RDBError {
        RDBError(message, offset: offset ?? self.offset)
    }

    /// Fails unless `count` more bytes are available.
    func require(_ count: Int, _ what: String) throws {
        guard count >= 0, count <= remaining else {
            throw error("unexpected end of data reading \(what) (\(count) bytes needed, \(remaining) left)")
        }
    }

    public mutating func readByte(_ what: String = "a byte") throws -> UInt8 {
        try require(1, what)
        defer { offset += 1 }
        return bytes[offset]
    }

    mutating func readLittleEndian<T: FixedWidthInteger>(_: T.Type, _ what: String) throws -> T {
        let size = MemoryLayout<T>.size
        try require(size, what)
        var v: T = 0
        for k in 0..<size { v |= T(truncatingIfNeeded: bytes[offset + k]) << (8 * k) }
        offset += size
        return v
    }

    mutating func readBigEndian<T: FixedWidthInteger>(_: T.Type, _ what: String) throws -> T {
        let size = MemoryLayout<T>.size
        try require(size, what)
        var v: T = 0
        for k in 0..<size { v = v << 8 | T(truncatingIfNeeded: bytes[offset + k]) }
        offset += size
        return v
    }

    mutating func skip(_ count: Int, _ what: String) throws {
        try require(count, what)
        offset += count
    }

    // MARK: - Lengths

    /// A length or, when the top two bits of the first byte are 11, the kind
    /// of a specially encoded string (0-2: int8/16/32, 3: LZF).
    enum LengthOrEncoding {
        case length(Int)
        case encoded(UInt8)
    }

    mutating func readLengthOrEncoding(_ what: String) throws -> LengthOrEncoding {
        let first = try readByte(what)
        switch first >> 6 {
        case 0: return .length(Int(first & 0x3F))
        case 1: return .length(Int(first & 0x3F) << 8 | Int(try readByte(what)))
        case 2:
            if first == 0x80 { return .length(Int(try readBigEndian(UInt32.self, what))) }
            if first == 0x81 {
                let start = offset
                let v = try readBigEndian(UInt64.self, what)
                guard v <= UInt64(Int.max) else { throw error("\(what) \(v) is too large", at: start) }
                return .length(Int(v))
            }
            throw error("bad length prefix 0x\(String(first, radix: 16)) in \(what)", at: offset - 1)
        default: return .encoded(first & 0x3F)
        }
    }

    public mutating func readLength(_ what: String = "length") throws -> Int {
        let start = offset
        guard case .length(let n) = try readLengthOrEncoding(what) else {
            throw error("\(what) is string-encoded", at: start)
        }
        return n
    }

    /// A count of items that each take at least `minimumItemSize` bytes: a
    /// lying count fails here, before anything is allocated for it.
    mutating func readCount(_ what: String, minimumItemSize: Int = 1) throws -> Int {
        let start = offset
        let n = try readLength(what)
        guard n <= remaining / minimumItemSize else {
            throw error("\(what) \(n) exceeds the remaining \(remaining) bytes", at: start)
        }
        return n
    }

    // MARK: - Strings

    public mutating func readString(_ what: String = "string") throws -> [UInt8] {
        try withString(what) { Array($0) }
    }

    /// Calls `body` with the bytes of the next RDB string: in place when stored
    /// raw, decompressed or formatted otherwise.
    mutating func withString<R>(_ what: String, _ body: (UnsafeRawBufferPointer) throws -> R) throws -> R {
        let start = offset
        switch try readLengthOrEncoding(what) {
        case .length(let n):
            try require(n, what)
            let s = offset
            offset += n
            return try bytes.withUnsafeBytes { try body(UnsafeRawBufferPointer(rebasing: $0[s..<s + n])) }
        case .encoded(0):
            return try IntegerText.bytes(Int64(Int8(bitPattern: try readByte(what)))).withUnsafeBytes(body)
        case .encoded(1):
            return try IntegerText.bytes(Int64(try readLittleEndian(Int16.self, what))).withUnsafeBytes(body)
        case .encoded(2):
            return try IntegerText.bytes(Int64(try readLittleEndian(Int32.self, what))).withUnsafeBytes(body)
        case .encoded(3):
            let compressed = try readLength("\(what) (compressed length)")
            let expanded = try readLength("\(what) (uncompressed length)")
            try require(compressed, what)
            let s = offset
            let plain: [UInt8]
            do {
                plain = try bytes.withUnsafeBytes {
                    try LZF.decompress(UnsafeRawBufferPointer(rebasing: $0[s..<s + compressed]), outputCount: expanded)
                }
            } catch let e as RDBError {
                throw error("\(what): \(e.message)", at: s + e.offset)
            }
            offset += compressed
            return try plain.withUnsafeBytes(body)
        case .encoded(let kind):
            throw error("unknown string encoding \(kind) in \(what)", at: start)
        }
    }

    /// Like `withString`, for a packed blob (listpack, ziplist, ...) whose own
    /// decoder reports offsets relative to the blob.
    mutating func withBlob<R>(_ what: String, _ body: (UnsafeRawBufferPointer) throws -> R) throws -> R {
        let start = offset
        return try withString(what) { blob in
            do {
                return try body(blob)
            } catch let e as RDBError {
                throw RDBError("\(what): \(e.message) at byte \(e.offset) of the blob", offset: start)
            }
        }
    }

    // MARK: - Scores

    mutating func readBinaryDouble(_ what: String) throws -> Double {
        Double(bitPattern: try readLittleEndian(UInt64.self, what))
    }

    /// The text form used by ZSET (type 3): a one-byte length, where 253, 254
    /// and 255 stand for nan, +inf and -inf.
    mutating func readTextDouble(_ what: String) throws -> Double {
        let start = offset
        let length = try readByte(what)
        switch length {
        case 253: return .nan
        case 254: return .infinity
        case 255: return -.infinity
        default:
            try require(Int(length), what)
            let text = Array(bytes[offset..<offset + Int(length)])
            offset += Int(length)
            guard let d = DoubleText.parse(text) else { throw error("\(what) is not a number", at: start) }
            return d
        }
    }
}
