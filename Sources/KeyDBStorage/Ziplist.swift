/// Ziplist: the packed encoding of small lists, hashes and sorted sets before
/// Redis 7.0, and of quicklist nodes in RDB_TYPE_LIST_QUICKLIST. Layout: total
/// bytes (u32 LE), offset of the last entry (u32 LE), entry count (u16 LE,
/// 65535 = unknown), entries, 0xFF. An entry is the previous entry's size (1
/// byte, or 0xFE + u32 LE), an encoding, and its data.
public enum Ziplist {
    static let headerSize = 10

    /// Every entry, integers as decimal ASCII. Offsets in a thrown error are
    /// into `zl`.
    public static func decode(_ zl: UnsafeRawBufferPointer) throws -> [[UInt8]] {
        guard zl.count >= headerSize + 1 else { throw RDBError("ziplist shorter than its header", offset: 0) }
        let total = Int(zl.loadUnaligned(as: UInt32.self).littleEndian)
        guard total == zl.count else {
            throw RDBError("ziplist header says \(total) bytes, blob has \(zl.count)", offset: 0)
        }
        let tail = Int(zl.loadUnaligned(fromByteOffset: 4, as: UInt32.self).littleEndian)
        let declared = Int(zl.loadUnaligned(fromByteOffset: 8, as: UInt16.self).littleEndian)
        let last = zl.count - 1
        guard zl[last] == 0xFF else { throw RDBError("ziplist does not end with 0xFF", offset: last) }
        var entries: [[UInt8]] = []
        if declared != 65535 {
            // An entry takes at least 2 bytes.
            guard declared <= (last - headerSize) / 2 else {
                throw RDBError("ziplist claims \(declared) entries in \(zl.count) bytes", offset: 8)
            }
            entries.reserveCapacity(declared)
        }
        var p = headerSize
        var previousSize = 0
        var lastEntry = headerSize
        while p < last {
            let start = p
            func need(_ n: Int) throws {
                guard n <= last - p else { throw RDBError("ziplist entry runs past the end", offset: start) }
            }
            func int(_ width: Int) throws -> Int64 {
                try need(width)
                var v: UInt64 = 0
                for k in 0..<width { v |= UInt64(zl[p + k]) << (8 * k) }
                p += width
                let shift = UInt64(64 - 8 * width)
                return Int64(bitPattern: v << shift) >> shift
            }
            func string(_ length: Int) throws -> [UInt8] {
                try need(length)
                defer { p += length }
                return Array(zl[p..<(p + length)])
            }
            // Previous entry size.
            let prevlen: Int
            if zl[p] < 0xFE {
                prevlen = Int(zl[p])
                p += 1
            } else {
                guard zl[p] == 0xFE else { throw RDBError("bad ziplist prevlen", offset: start) }
                try need(5)
                prevlen = Int(zl.loadUnaligned(fromByteOffset: p + 1, as: UInt32.self).littleEndian)
                p += 5
            }
            guard prevlen == previousSize else {
                throw RDBError("ziplist prevlen \(prevlen) does not match the previous entry's \(previousSize)", offset: start)
            }
            try need(1)
            let encoding = zl[p]
            p += 1
            let entry: [UInt8]
            switch encoding >> 6 {
            case 0:
                entry = try string(Int(encoding & 0x3F))
            case 1:
                try need(1)
                let length = Int(encoding & 0x3F) << 8 | Int(zl[p])
                p += 1
                entry = try string(length)
            case 2:
                try need(4)
                let length = Int(zl.loadUnaligned(fromByteOffset: p, as: UInt32.self).bigEndian)
                p += 4
                entry = try string(length)
            default:
                switch encoding {
                case 0xC0: entry = IntegerText.bytes(try int(2))
                case 0xD0: entry = IntegerText.bytes(try int(4))
                case 0xE0: entry = IntegerText.bytes(try int(8))
                case 0xF0: entry = IntegerText.bytes(try int(3))
                case 0xFE: entry = IntegerText.bytes(try int(1))
                case 0xF1...0xFD: entry = IntegerText.bytes(Int64(encoding & 0x0F) - 1)
                default: throw RDBError("bad ziplist entry encoding 0x\(String(encoding, radix: 16))", offset: start)
                }
            }
            previousSize = p - start
            lastEntry = start
            entries.append(entry)
        }
        guard tail == lastEntry else {
            throw RDBError("ziplist tail offset \(tail) does not point at the last entry (\(lastEntry))", offset: 4)
        }
        guard declared == 65535 || declared == entries.count else {
            throw RDBError("ziplist header says \(declared) entries, found \(entries.count)", offset: 8)
        }
        return entries
    }

    public static func decode(_ zl: [UInt8]) throws -> [[UInt8]] {
        try zl.withUnsafeBytes { try decode($0) }
    }
}
