/// Zipmap: the small-hash encoding of Redis before 2.6 (RDB_TYPE_HASH_ZIPMAP).
/// Layout: count (1 byte, 254+ = unknown), then per pair: key length, key,
/// value length, a "free" byte, value, free padding; 0xFF ends it. Lengths are
/// one byte below 254, else 254 followed by a u32 LE.
public enum Zipmap {
    /// The field/value pairs. Offsets in a thrown error are into `zm`.
    public static func decode(_ zm: UnsafeRawBufferPointer) throws -> [([UInt8], [UInt8])] {
        guard zm.count >= 2 else { throw RDBError("zipmap too short", offset: 0) }
        var p = 1
        var pairs: [([UInt8], [UInt8])] = []
        func need(_ n: Int) throws {
            guard n >= 0, n <= zm.count - p else { throw RDBError("zipmap entry runs past the end", offset: p) }
        }
        func length() throws -> Int? {
            try need(1)
            let first = zm[p]
            p += 1
            switch first {
            case 0xFF: return nil
            case 0xFE:
                try need(4)
                defer { p += 4 }
                return Int(zm.loadUnaligned(fromByteOffset: p, as: UInt32.self).littleEndian)
            default: return Int(first)
            }
        }
        func bytes(_ n: Int) throws -> [UInt8] {
            try need(n)
            defer { p += n }
            return Array(zm[p..<(p + n)])
        }
        while let keyLength = try length() {
            let key = try bytes(keyLength)
            let valueAt = p
            guard let valueLength = try length() else { throw RDBError("zipmap key without a value", offset: valueAt) }
            try need(1)
            let free = Int(zm[p])
            p += 1
            let value = try bytes(valueLength)
            try need(free)
            p += free
            pairs.append((key, value))
        }
        guard p == zm.count else { throw RDBError("bytes after the zipmap end", offset: p) }
        let declared = Int(zm[0])
        guard declared >= 254 || declared == pairs.count else {
            throw RDBError("zipmap header says \(declared) pairs, found \(pairs.count)", offset: 0)
        }
        return pairs
    }
}
