/// LZF, the compression Redis applies to strings in RDB images.
///
/// A stream is a series of runs: a control byte below 32 starts a literal run
/// of `ctrl + 1` bytes; otherwise its top 3 bits are a match length (7 means
/// "add the next byte") and its low 5 bits with the following byte are the
/// distance back, minus one, of bytes to copy.
public enum LZF {
    static let maxLiteral = 32
    static let maxDistance = 1 << 13
    static let maxMatch = 7 + 255 + 2
    /// liblzf's HLOG as Redis builds it: the match table has 2^16 slots.
    static let hashLog = 16

    /// Decompresses `input`, which must expand to exactly `outputCount` bytes.
    /// Offsets in a thrown error are into `input`.
    public static func decompress(_ input: UnsafeRawBufferPointer, outputCount: Int) throws -> [UInt8] {
        guard outputCount >= 0 else { throw RDBError("LZF: negative length", offset: 0) }
        // One 3-byte back reference expands to at most 264 bytes.
        guard outputCount <= input.count * 88 else {
            throw RDBError("LZF: claimed length \(outputCount) is impossible for \(input.count) input bytes", offset: 0)
        }
        var out = [UInt8](repeating: 0, count: outputCount)
        try out.withUnsafeMutableBufferPointer { o in
            var ip = 0
            var op = 0
            let n = input.count
            while ip < n {
                let ctrlOffset = ip
                let ctrl = Int(input[ip])
                ip += 1
                if ctrl < 32 {
                    let length = ctrl + 1
                    guard ip + length <= n else { throw RDBError("LZF: literal run past the end", offset: ctrlOffset) }
                    guard op + length <= outputCount else {
                        throw RDBError("LZF: output longer than \(outputCount)", offset: ctrlOffset)
                    }
                    for k in 0..<length { o[op + k] = input[ip + k] }
                    ip += length
                    op += length
                } else {
                    var length = ctrl >> 5
                    if length == 7 {
                        guard ip < n else { throw RDBError("LZF: truncated match length", offset: ctrlOffset) }
                        length += Int(input[ip])
                        ip += 1
                    }
                    guard ip < n else { throw RDBError("LZF: truncated match distance", offset: ctrlOffset) }
                    let from = op - ((ctrl & 0x1F) << 8) - Int(input[ip]) - 1
                    ip += 1
                    length += 2
                    guard from >= 0 else { throw RDBError("LZF: match before the start", offset: ctrlOffset) }
                    guard op + length <= outputCount else {
                        throw RDBError("LZF: output longer than \(outputCount)", offset: ctrlOffset)
                    }
                    // Byte by byte: the source may overlap what is being written.
                    for k in 0..<length { o[op + k] = o[from + k] }
                    op += length
                }
            }
            guard op == outputCount else {
                throw RDBError("LZF: expanded to \(op) bytes, expected \(outputCount)", offset: n)
            }
        }
        return out
    }

    /// Compresses `input`; nil unless the result fits in `maxOutputCount` bytes
    /// (by default, unless it is shorter than the input).
    ///
    /// The choices are liblzf's as Redis builds it (a 2^16-slot table of the last
    /// position of each hashed 3-byte prefix, the "very fast" re-hashing after a
    /// match, position 0 never used as a match), so the output is the bytes Redis
    /// writes for the same input, and so are DUMP payloads and snapshots.
    public static func compress(_ input: UnsafeRawBufferPointer, maxOutputCount: Int? = nil,
                                using table: MatchTable = MatchTable()) -> [UInt8]? {
        let inputCount = input.count
        let limit = maxOutputCount ?? inputCount - 1
        guard inputCount > 0, limit > 0 else { return nil }
        // Room past the limit for the run header liblzf writes ahead of its checks.
        var out = [UInt8](repeating: 0, count: limit + 4)
        table.begin()
        @inline(__always) func slot(_ hash: UInt32) -> Int {
            Int(((hash >> UInt32(24 - hashLog)) &- hash &* 5) & UInt32((1 << hashLog) - 1))
        }
        @inline(__always) func byte(_ index: Int) -> UInt32 { UInt32(input[index]) }

        var ip = 0
        var op = 1  // a literal run's header goes at op - literals - 1
        var literals = 0
        var hash = inputCount > 1 ? byte(0) << 8 | byte(1) : 0
        /// One more byte in the open literal run; a full run is closed and a new one opened.
        func copyLiteral() {
            out[op] = input[ip]
            op += 1
            ip += 1
            literals += 1
            if literals == maxLiteral {
                out[op - literals - 1] = UInt8(literals - 1)
                literals = 0
                op += 1
            }
        }
        while ip < inputCount - 2 {
            hash = hash << 8 | byte(ip + 2)
            let h = slot(hash)
            let ref = table.swap(h, ip)
            let distance = ip - ref - 1
            if ref > 0, distance < maxDistance, input[ref + 2] == input[ip + 2],
               input[ref] == input[ip], input[ref + 1] == input[ip + 1] {
                let maxLength = min(inputCount - ip - 2, maxMatch)
                if op + 3 + 1 >= limit && op - (literals == 0 ? 1 : 0) + 3 + 1 >= limit { return nil }
                out[op - literals - 1] = UInt8(truncatingIfNeeded: literals - 1)  // close the run
                if literals == 0 { op -= 1 }  // an empty run is dropped
                var length = 2
                var compared = false
                if maxLength > 16 {
                    // liblzf looks at up to 16 bytes before it checks the bound.
                    for _ in 0..<16 {
                        length += 1
                        if input[ref + length] != input[ip + length] { compared = true; break }
                    }
                }
                if !compared {
                    repeat { length += 1 } while length < maxLength && input[ref + length] == input[ip + length]
                }
                length -= 2
                ip += 1
                if length < 7 {
                    out[op] = UInt8(truncatingIfNeeded: (distance >> 8) + (length << 5))
                    op += 1
                } else {
                    out[op] = UInt8(truncatingIfNeeded: (distance >> 8) + (7 << 5))
                    out[op + 1] = UInt8(truncatingIfNeeded: length - 7)
                    op += 2
                }
                out[op] = UInt8(truncatingIfNeeded: distance)
                op += 2  // and a new run starts
                literals = 0
                ip += length + 1
                if ip >= inputCount - 2 { break }
                // Hash the match's last two positions, so later data can refer to them.
                ip -= 2
                hash = byte(ip) << 8 | byte(ip + 1)
                hash = hash << 8 | byte(ip + 2)
                table.set(slot(hash), ip)
                ip += 1
                hash = hash << 8 | byte(ip + 2)
                table.set(slot(hash), ip)
                ip += 1
            } else {
                if op >= limit { return nil }
                copyLiteral()
            }
        }
        if op + 3 > limit { return nil }
        while ip < inputCount { copyLiteral() }
        out[op - literals - 1] = UInt8(truncatingIfNeeded: literals - 1)
        if literals == 0 { op -= 1 }
        return Array(out[..<op])
    }

    /// liblzf's match table: the last position each hash was seen at, 0 for
    /// none. Kept between calls, and emptied for each by a new generation in
    /// the high half of every slot, rather than by zeroing 2^16 slots (512 KB)
    /// per string, which was a fifth of saving a long list.
    public final class MatchTable {
        private let slots: UnsafeMutablePointer<UInt64>
        private var generation: UInt64 = 0

        public init() {
            slots = .allocate(capacity: 1 << LZF.hashLog)
            slots.initialize(repeating: 0, count: 1 << LZF.hashLog)
        }

        deinit { slots.deallocate() }

        /// Starts a string: every slot reads as empty.
        func begin() {
            generation += 1
            if generation == 1 << 32 {
                slots.update(repeating: 0, count: 1 << LZF.hashLog)
                generation = 1
            }
        }

        /// Records `position` in `slot`, returning what the slot held this generation.
        @inline(__always) func swap(_ slot: Int, _ position: Int) -> Int {
            let entry = slots[slot]
            set(slot, position)
            return entry >> 32 == generation ? Int(entry & 0xffff_ffff) : 0
        }

        @inline(__always) func set(_ slot: Int, _ position: Int) {
            slots[slot] = generation << 32 | UInt64(position)
        }
    }
}
