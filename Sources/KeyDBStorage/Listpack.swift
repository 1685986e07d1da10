import KeyDBRESP

/// Listpack: the packed encoding of small lists, hashes, sorted sets (and sets
/// in 7.2). Layout: total bytes (u32 LE), entry count (u16 LE, 65535 =
/// unknown), entries, 0xFF. Each entry is an encoding byte, its data, and a
/// "backlen" giving the size of encoding + data for walking backwards.
public enum Listpack {
    static let headerSize = 6
    static let end: UInt8 = 0xFF
    static let unknownCount = 65535

    /// Every entry, integers as decimal ASCII. Offsets in a thrown error are
    /// into `lp`.
    public static func decode(_ lp: UnsafeRawBufferPointer) throws -> [[UInt8]] {
        guard lp.count >= headerSize + 1 else { throw RDBError("listpack shorter than its header", offset: 0) }
        let total = Int(lp.loadUnaligned(as: UInt32.self).littleEndian)
        guard total == lp.count else {
            throw RDBError("listpack header says \(total) bytes, blob has \(lp.count)", offset: 0)
        }
        guard lp[lp.count - 1] == end else { throw RDBError("listpack does not end with 0xFF", offset: lp.count - 1) }
        let declared = Int(lp.loadUnaligned(fromByteOffset: 4, as: UInt16.self).littleEndian)
        let last = lp.count - 1
        var entries: [[UInt8]] = []
        // An entry takes at least 2 bytes.
        if declared != unknownCount {
            guard declared <= (last - headerSize) / 2 else {
                throw RDBError("listpack claims \(declared) entries in \(lp.count) bytes", offset: 4)
            }
            entries.reserveCapacity(declared)
        }
        var p = headerSize
        while p < last {
            let start = p
            let first = lp[p]
            func need(_ n: Int) throws {
                guard n <= last - p else { throw RDBError("listpack entry runs past the end", offset: start) }
            }
            func int(_ width: Int) throws -> Int64 {
                try need(1 + width)
                var v: UInt64 = 0
                for k in 0..<width { v |= UInt64(lp[p + 1 + k]) << (8 * k) }
                p += 1 + width
                // Sign-extend from `width` bytes.
                let shift = UInt64(64 - 8 * width)
                return Int64(bitPattern: v << shift) >> shift
            }
            func string(_ headerLength: Int, _ length: Int) throws -> [UInt8] {
                try need(headerLength + length)
                defer { p += headerLength + length }
                return Array(lp[(p + headerLength)..<(p + headerLength + length)])
            }
            let entry: [UInt8]
            if first & 0x80 == 0 {
                entry = IntegerText.bytes(Int64(first))
                p += 1
            } else if first & 0xC0 == 0x80 {
                entry = try string(1, Int(first & 0x3F))
            } else if first & 0xE0 == 0xC0 {
                try need(2)
                let raw = Int64(first & 0x1F) << 8 | Int64(lp[p + 1])
                entry = IntegerText.bytes(raw >= 4096 ? raw - 8192 : raw)
                p += 2
            } else if first & 0xF0 == 0xE0 {
                try need(2)
                entry = try string(2, Int(first & 0x0F) << 8 | Int(lp[p + 1]))
            } else {
                switch first {
                case 0xF0:
                    try need(5)
                    let length = Int(lp.loadUnaligned(fromByteOffset: p + 1, as: UInt32.self).littleEndian)
                    entry = try string(5, length)
                case 0xF1: entry = IntegerText.bytes(try int(2))
                case 0xF2: entry = IntegerText.bytes(try int(3))
                case 0xF3: entry = IntegerText.bytes(try int(4))
                case 0xF4: entry = IntegerText.bytes(try int(8))
                default: throw RDBError("bad listpack entry encoding 0x\(String(first, radix: 16))", offset: start)
                }
            }
            let backlen = encodeBacklen(p - start)
            try need(backlen.count)
            for k in 0..<backlen.count where lp[p + k] != backlen[k] {
                throw RDBError("listpack entry has a wrong backlen", offset: p)
            }
            p += backlen.count
            entries.append(entry)
        }
        guard declared == unknownCount || declared == entries.count else {
            throw RDBError("listpack header says \(declared) entries, found \(entries.count)", offset: 4)
        }
        return entries
    }

    public static func decode(_ lp: [UInt8]) throws -> [[UInt8]] {
        try lp.withUnsafeBytes { try decode($0) }
    }

    /// The backlen of an entry whose encoding + data take `length` bytes:
    /// 7 bits per byte, most significant first, every byte after the first
    /// with its top bit set so it reads unambiguously from the right. The byte
    /// count follows Redis's thresholds exactly (16383 takes 3 bytes, not 2).
    static func encodeBacklen(_ length: Int) -> [UInt8] {
        let size = length <= 127 ? 1 : length < 16383 ? 2 : length < 2_097_151 ? 3 : length < 268_435_455 ? 4 : 5
        var out = [UInt8](repeating: 0, count: size)
        for i in 0..<size {
            let group = UInt8((length >> (7 * (size - 1 - i))) & 0x7F)
            out[i] = i == 0 ? group : group | 0x80
        }
        return out
    }
}

/// Builds a listpack, choosing the smallest encoding for each entry; strings
/// that are canonical integers are stored as integers, as Redis does.
public struct ListpackBuilder {
    public private(set) var bytes: [UInt8]
    public private(set) var count = 0

    public init() {
        bytes = [UInt8](repeating: 0, count: Listpack.headerSize)
    }

    /// The size of the finished listpack so far, header and terminator included.
    public var byteCount: Int { bytes.count + 1 }

    public mutating func append(_ element: UnsafeRawBufferPointer) {
        if let v = Int64(redisDecimal: element) {
            append(integer: v)
        } else {
            let n = element.count
            if n < 64 {
                bytes.append(0x80 | UInt8(n))
            } else if n < 4096 {
                bytes.append(0xE0 | UInt8(n >> 8))
                bytes.append(UInt8(n & 0xFF))
            } else {
                bytes.append(0xF0)
                appendLittleEndian(UInt64(n), 4)
            }
            bytes.append(contentsOf: element)
            finishEntry(headerAndData: n + Self.stringHeaderSize(n))
        }
    }

    public mutating func append(_ element: [UInt8]) {
        element.withUnsafeBytes { append($0) }
    }

    public mutating func append(integer v: Int64) {
        let size: Int
        switch v {
        case 0...127:
            bytes.append(UInt8(v))
            size = 1
        case -4096...4095:
            let raw = UInt16(bitPattern: Int16(v)) & 0x1FFF
            bytes.append(0xC0 | UInt8(raw >> 8))
            bytes.append(UInt8(raw & 0xFF))
            size = 2
        case Int64(Int16.min)...Int64(Int16.max):
            bytes.append(0xF1)
            appendLittleEndian(UInt64(bitPattern: v), 2)
            size = 3
        case -(1 << 23)...((1 << 23) - 1):
            bytes.append(0xF2)
            appendLittleEndian(UInt64(bitPattern: v), 3)
            size = 4
        case Int64(Int32.min)...Int64(Int32.max):
            bytes.append(0xF3)
            appendLittleEndian(UInt64(bitPattern: v), 4)
            size = 5
        default:
            bytes.append(0xF4)
            appendLittleEndian(UInt64(bitPattern: v), 8)
            size = 9
        }
        finishEntry(headerAndData: size)
    }

    /// The bytes `append` would add for `element`, backlen included.
    static func entrySize(_ element: UnsafeRawBufferPointer) -> Int {
        if let v = Int64(redisDecimal: element) { return integerEntrySize(v) }
        let size = element.count + stringHeaderSize(element.count)
        return size + Listpack.encodeBacklen(size).count
    }

    /// The bytes `append(integer:)` adds for `v`, backlen included (always one byte here).
    static func integerEntrySize(_ v: Int64) -> Int {
        switch v {
        case 0...127: return 2
        case -4096...4095: return 3
        case Int64(Int16.min)...Int64(Int16.max): return 4
        case -(1 << 23)...((1 << 23) - 1): return 5
        case Int64(Int32.min)...Int64(Int32.max): return 6
        default: return 10
        }
    }

    public func finish() -> [UInt8] {
        var out = bytes
        out.append(Listpack.end)
        let total = UInt32(out.count)
        for k in 0..<4 { out[k] = UInt8(truncatingIfNeeded: total >> (8 * k)) }
        let storedCount = UInt16(min(count, Listpack.unknownCount))
        out[4] = UInt8(storedCount & 0xFF)
        out[5] = UInt8(storedCount >> 8)
        return out
    }

    private static func stringHeaderSize(_ n: Int) -> Int { n < 64 ? 1 : n < 4096 ? 2 : 5 }

    private mutating func appendLittleEndian(_ v: UInt64, _ width: Int) {
        for k in 0..<width { bytes.append(UInt8(truncatingIfNeeded: v >> (8 * k))) }
    }

    private mutating func finishEntry(headerAndData size: Int) {
        bytes.append(contentsOf: Listpack.encodeBacklen(size))
        count += 1
    }
}
