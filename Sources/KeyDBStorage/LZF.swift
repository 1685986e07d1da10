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
    public static func compress(_ input: UnsafeRawBufferPointer, maxOutputCount: Int? = nil) -> [UInt8]? {
        let n = input.count
        let limit = maxOutputCount ?? n - 1
        guard n > 0, limit > 0 else { return nil }
        var out = [UInt8]()
        out.reserveCapacity(limit)
        // Last position + 1 of each hashed 3-byte prefix; 0 means none. Full-width
        // positions: a string may pass 2 GB (proto-max-bulk-len can allow 4 GB and more).
        let hashBits = 14
        var table = [Int](repeating: 0, count: 1 << hashBits)
        func hash(_ i: Int) -> Int {
            let v = UInt32(input[i]) << 16 | UInt32(input[i + 1]) << 8 | UInt32(input[i + 2])
            return Int((v &* 2_654_435_761) >> UInt32(32 - hashBits))
        }
        var literalStart = 0
        var ip = 0

        func emitLiterals(upTo end: Int) -> Bool {
            var start = literalStart
            while start < end {
                let run = min(maxLiteral, end - start)
                guard out.count + 1 + run <= limit else { return false }
                out.append(UInt8(run - 1))
                for k in 0..<run { out.append(input[start + k]) }
                start += run
            }
            return true
        }

        while ip + 2 < n {
            let h = hash(ip)
            let candidate = table[h] - 1
            table[h] = ip + 1
            let distance = ip - candidate - 1
            if candidate >= 0, distance < maxDistance,
                input[candidate] == input[ip], input[candidate + 1] == input[ip + 1],
                input[candidate + 2] == input[ip + 2]
            {
                let longest = min(maxMatch, n - ip)
                var length = 3
                while length < longest && input[candidate + length] == input[ip + length] { length += 1 }
                guard emitLiterals(upTo: ip) else { return nil }
                let code = length - 2
                let header = min(code, 7)
                guard out.count + (header == 7 ? 3 : 2) <= limit else { return nil }
                out.append(UInt8(header << 5 | distance >> 8))
                if header == 7 { out.append(UInt8(code - 7)) }
                out.append(UInt8(distance & 0xFF))
                // Index the positions inside the match so later data can refer to them.
                var k = ip + 1
                ip += length
                while k < ip && k + 2 < n {
                    table[hash(k)] = k + 1
                    k += 1
                }
                literalStart = ip
            } else {
                ip += 1
            }
        }
        guard emitLiterals(upTo: n) else { return nil }
        return out
    }
}
