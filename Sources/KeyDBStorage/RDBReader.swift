/// Parses a whole RDB image and feeds it to a sink.
public enum RDBReader {
    /// Reads `image` into `sink` and returns its RDB version. Verifies the
    /// CRC64 trailer (version 5 and later) unless it is zero, which Redis
    /// writes when `rdbchecksum` is off. Bytes after the trailer are ignored.
    @discardableResult
    public static func read(_ image: [UInt8], into sink: inout some RDBLoadSink) throws -> Int {
        try readPrefix(image, into: &sink).version
    }

    /// As `read`, also telling where the image ends: an old-style AOF file is an
    /// RDB image followed by commands.
    public static func readPrefix(_ image: [UInt8], into sink: inout some RDBLoadSink) throws -> (version: Int, length: Int) {
        var cursor = RDBCursor(image)
        let version = try readHeader(&cursor)
        var expireAt: Int64? = nil
        while true {
            let opcodeAt = cursor.offset
            let opcode = try cursor.readByte("opcode")
            switch opcode {
            case RDBOpcode.eof:
                try verifyChecksum(image, eofAt: opcodeAt, version: version)
                return (version, opcodeAt + 1 + (version >= 5 ? 8 : 0))
            case RDBOpcode.selectDB:
                try sink.selectDatabase(try cursor.readLength("database number"))
            case RDBOpcode.resizeDB:
                let keys = try cursor.readLength("resizedb key count")
                let expires = try cursor.readLength("resizedb expire count")
                try sink.resizeDatabase(keys: keys, expires: expires)
            case RDBOpcode.aux:
                let key = try cursor.readString("aux key")
                try sink.auxField(key, try cursor.readString("aux value"))
            case RDBOpcode.expireTimeMilliseconds:
                expireAt = try cursor.readLittleEndian(Int64.self, "expire time")
            case RDBOpcode.expireTimeSeconds:
                expireAt = Int64(try cursor.readLittleEndian(Int32.self, "expire time")) * 1000
            case RDBOpcode.idle:
                _ = try cursor.readLength("idle time")
            case RDBOpcode.freq:
                _ = try cursor.readByte("LFU frequency")
            case RDBOpcode.function2:
                try sink.function(try cursor.readString("function library"))
            case RDBOpcode.function:
                throw RDBError("functions in the Redis 7.0 release-candidate format are not supported", offset: opcodeAt)
            case RDBOpcode.moduleAux:
                throw RDBError("module data not supported", offset: opcodeAt)
            default:
                let key = try cursor.readString("key")
                let value = try RDBObjectDecoder.decode(type: opcode, from: &cursor)
                try sink.entry(key: key, value: value, expireAtMilliseconds: expireAt)
                expireAt = nil
            }
        }
    }

    /// "REDIS" and a four-digit version.
    static func readHeader(_ cursor: inout RDBCursor) throws -> Int {
        guard cursor.remaining >= 9, Array(cursor.bytes[0..<5]) == Array("REDIS".utf8) else {
            throw RDBError("not an RDB file (no REDIS magic)", offset: 0)
        }
        var version = 0
        for i in 5..<9 {
            let d = cursor.bytes[i] &- UInt8(ascii: "0")
            guard d <= 9 else { throw RDBError("bad RDB version digits", offset: i) }
            version = version * 10 + Int(d)
        }
        guard version >= 1 else { throw RDBError("bad RDB version \(version)", offset: 5) }
        guard version <= rdbVersion else {
            throw RDBError("RDB version \(version) is newer than the newest supported (\(rdbVersion))", offset: 5)
        }
        try cursor.skip(9, "header")
        return version
    }

    static func verifyChecksum(_ image: [UInt8], eofAt: Int, version: Int) throws {
        guard version >= 5 else { return }
        var cursor = RDBCursor(image, offset: eofAt + 1)
        let stored = try cursor.readLittleEndian(UInt64.self, "checksum")
        guard stored != 0 else { return }
        var crc = CRC64()
        image.withUnsafeBytes { crc.update(UnsafeRawBufferPointer(rebasing: $0[0...eofAt])) }
        guard crc.value == stored else {
            throw RDBError(
                "checksum mismatch: file says 0x\(String(stored, radix: 16)), content is 0x\(String(crc.value, radix: 16))",
                offset: eofAt + 1)
        }
    }
}
