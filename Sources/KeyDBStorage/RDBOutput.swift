import KeyDBRESP

/// Buffered output of RDB primitives. With a `drain`, full chunks leave as
/// they fill (at points the caller chooses) and the CRC64 runs over them;
/// without one, everything stays in `buffer`.
struct RDBOutput {
    private(set) var buffer: [UInt8] = []
    private(set) var crc = CRC64()
    /// Bytes already handed to `drain`.
    private(set) var drained = 0
    let compression: Bool
    let chunkSize: Int
    let drain: ((UnsafeRawBufferPointer) throws -> Void)?
    /// Made on first use: short strings are never compressed.
    private var lzfTableStorage: LZF.MatchTable? = nil
    private var lzfTable: LZF.MatchTable {
        mutating get {
            if let table = lzfTableStorage { return table }
            let table = LZF.MatchTable()
            lzfTableStorage = table
            return table
        }
    }

    init(compression: Bool, chunkSize: Int = 64 * 1024, drain: ((UnsafeRawBufferPointer) throws -> Void)? = nil) {
        self.compression = compression
        self.chunkSize = chunkSize
        self.drain = drain
        buffer.reserveCapacity(drain == nil ? 256 : chunkSize + 1024)
    }

    var position: Int { drained + buffer.count }

    mutating func byte(_ b: UInt8) {
        buffer.append(b)
    }

    mutating func littleEndian<T: FixedWidthInteger>(_ v: T) {
        for k in 0..<MemoryLayout<T>.size { buffer.append(UInt8(truncatingIfNeeded: v >> (8 * k))) }
    }

    /// Large runs go straight to `drain` instead of through the buffer.
    mutating func raw(_ p: UnsafeRawBufferPointer) throws {
        if let drain, p.count >= chunkSize {
            try flush()
            crc.update(p)
            try drain(p)
            drained += p.count
        } else {
            buffer.append(contentsOf: p)
        }
    }

    /// An RDB length: 6 bits, 14 bits, or a marker and a big-endian u32 / u64.
    mutating func length(_ n: Int) {
        if n < 1 << 6 {
            byte(UInt8(n))
        } else if n < 1 << 14 {
            byte(0x40 | UInt8(n >> 8))
            byte(UInt8(n & 0xFF))
        } else if n <= Int(UInt32.max) {
            byte(0x80)
            littleEndian(UInt32(n).byteSwapped)
        } else {
            byte(0x81)
            littleEndian(UInt64(n).byteSwapped)
        }
    }

    /// An RDB string the way rdbSaveRawString picks its form: a canonical
    /// integer of up to 11 characters that fits in 32 bits as an integer; else
    /// LZF when compression is on, the string is over 20 bytes and it saves
    /// at least 4 bytes; else raw.
    mutating func string(_ s: UnsafeRawBufferPointer) throws {
        let n = s.count
        if n <= 11, let v = Int64(redisDecimal: s), let i = Int32(exactly: v) {
            if let i8 = Int8(exactly: i) {
                byte(0xC0)
                byte(UInt8(bitPattern: i8))
            } else if let i16 = Int16(exactly: i) {
                byte(0xC1)
                littleEndian(i16)
            } else {
                byte(0xC2)
                littleEndian(i)
            }
            return
        }
        if compression && n > 20, let packed = LZF.compress(s, maxOutputCount: n - 4, using: lzfTable) {
            byte(0xC3)
            length(packed.count)
            length(n)
            try packed.withUnsafeBytes { try raw($0) }
            return
        }
        length(n)
        try raw(s)
    }

    mutating func string(_ s: some RDBBytes) throws {
        try s.withRDBBytes { try string($0) }
    }

    mutating func flushIfFull() throws {
        if drain != nil && buffer.count >= chunkSize { try flush() }
    }

    mutating func flush() throws {
        guard let drain, !buffer.isEmpty else { return }
        try buffer.withUnsafeBytes { b in
            crc.update(b)
            try drain(b)
        }
        drained += buffer.count
        buffer.removeAll(keepingCapacity: true)
    }
}
