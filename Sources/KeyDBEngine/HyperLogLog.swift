#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// Redis's HyperLogLog string, byte for byte, so one made by either server
/// counts the same on the other. Pure byte work; the commands are in
/// HyperLogLogCommands.swift.
///
/// Layout: a 16-byte header ("HYLL", the encoding byte, three unused bytes, the
/// cached cardinality as 8 little-endian bytes whose top bit marks it stale),
/// then the 16384 registers of 6 bits each:
/// - dense: packed, register n at bit 6n counting from the low bit of each byte;
/// - sparse: run-length opcodes, ZERO `00llllll` (1-64 zero registers), XZERO
///   `01llllll llllllll` (1-16384 zero registers), VAL `1vvvvvll` (1-4 registers
///   holding 1-32). A value above 32, or a sparse string longer than
///   hll-sparse-max-bytes, turns it dense.
enum HyperLogLog {
    static let precision = 14
    static let registerCount = 1 << precision
    /// Hash bits left once the register index is taken.
    static let remainingBits = 64 - precision
    static let registerBits = 6
    static let registerMax: UInt8 = (1 << registerBits) - 1
    static let headerSize = 16
    static let denseSize = headerSize + (registerCount * registerBits + 7) / 8
    static let dense: UInt8 = 0
    static let sparse: UInt8 = 1

    /// Redis's seed for MurmurHash64A in HyperLogLogs.
    static let hashSeed: UInt64 = 0xadc8_3b19

    // Sparse opcode limits.
    static let sparseValueMax = 32
    static let sparseValueRunMax = 4
    static let sparseZeroRunMax = 64

    // MARK: - Header

    /// A fresh sparse HLL: the header, then one XZERO covering every register.
    static func empty() -> [UInt8] {
        var bytes = [UInt8](repeating: 0, count: headerSize)
        bytes.replaceSubrange(0..<4, with: Array("HYLL".utf8))
        bytes[4] = sparse
        appendZeros(registerCount, to: &bytes)
        return bytes
    }

    /// Whether `bytes` can be read as an HLL: the magic, a known encoding and,
    /// when dense, the exact size. Opcodes are checked as they are read.
    static func isValid(_ bytes: UnsafeRawBufferPointer) -> Bool {
        guard bytes.count >= headerSize, bytes[0] == UInt8(ascii: "H"), bytes[1] == UInt8(ascii: "Y"),
              bytes[2] == UInt8(ascii: "L"), bytes[3] == UInt8(ascii: "L"), bytes[4] <= sparse else { return false }
        return bytes[4] != dense || bytes.count == denseSize
    }

    static func encoding(_ bytes: [UInt8]) -> UInt8 { bytes[4] }

    /// The cached cardinality, when it is not marked stale.
    static func cachedCardinality(_ bytes: [UInt8]) -> UInt64? {
        guard bytes[15] & 0x80 == 0 else { return nil }
        var value: UInt64 = 0
        for index in 0..<8 { value |= UInt64(bytes[8 + index]) << (8 * UInt64(index)) }
        return value
    }

    static func setCachedCardinality(_ bytes: inout [UInt8], _ value: UInt64) {
        for index in 0..<8 { bytes[8 + index] = UInt8(truncatingIfNeeded: value >> (8 * UInt64(index))) }
    }

    static func invalidateCache(_ bytes: inout [UInt8]) { bytes[15] |= 0x80 }

    // MARK: - Hashing

    /// Austin Appleby's MurmurHash64A, reading 8-byte blocks little-endian on any host.
    static func murmurHash64A(_ data: UnsafeRawBufferPointer, seed: UInt64) -> UInt64 {
        let m: UInt64 = 0xc6a4_a793_5bd1_e995
        let r: UInt64 = 47
        var h = seed ^ (UInt64(data.count) &* m)
        let blocks = data.count / 8
        for block in 0..<blocks {
            var k = UInt64(littleEndian: data.loadUnaligned(fromByteOffset: block * 8, as: UInt64.self))
            k = k &* m
            k ^= k >> r
            k = k &* m
            h ^= k
            h = h &* m
        }
        let tail = blocks * 8
        let left = data.count & 7
        if left > 0 {
            for index in (0..<left).reversed() { h ^= UInt64(data[tail + index]) << (8 * UInt64(index)) }
            h = h &* m
        }
        h ^= h >> r
        h = h &* m
        h ^= h >> r
        return h
    }

    /// The register an element falls in, and the value it offers it: the position
    /// of the first 1 bit in the hash bits above the index (at most 51).
    static func pattern(_ element: UnsafeRawBufferPointer) -> (index: Int, count: UInt8) {
        let hash = murmurHash64A(element, seed: hashSeed)
        let index = Int(hash & UInt64(registerCount - 1))
        let rest = hash >> UInt64(precision) | 1 << UInt64(remainingBits)
        return (index, UInt8(rest.trailingZeroBitCount + 1))
    }

    // MARK: - Dense registers

    @inline(__always) static func denseRegister(_ bytes: UnsafeRawBufferPointer, _ index: Int) -> UInt8 {
        let bit = index * registerBits
        let byte = headerSize + bit >> 3
        let shift = bit & 7
        let low = UInt16(bytes[byte])
        let high = byte + 1 < bytes.count ? UInt16(bytes[byte + 1]) : 0
        return UInt8(truncatingIfNeeded: (low | high << 8) >> UInt16(shift)) & registerMax
    }

    @inline(__always) static func setDenseRegister(_ bytes: UnsafeMutableRawBufferPointer, _ index: Int, _ value: UInt8) {
        let bit = index * registerBits
        let byte = headerSize + bit >> 3
        let shift = UInt16(bit & 7)
        let field = UInt16(value & registerMax) << shift
        let mask = UInt16(registerMax) << shift
        bytes[byte] = bytes[byte] & ~UInt8(truncatingIfNeeded: mask) | UInt8(truncatingIfNeeded: field)
        // The last register ends inside its first byte: nothing spills past the string.
        if byte + 1 < bytes.count {
            bytes[byte + 1] = bytes[byte + 1] & ~UInt8(truncatingIfNeeded: mask >> 8) | UInt8(truncatingIfNeeded: field >> 8)
        }
    }

    /// Raises register `index` of a dense HLL to `count`; true when it changed.
    @inline(__always) static func denseSet(_ bytes: UnsafeMutableRawBufferPointer, _ index: Int, _ count: UInt8) -> Bool {
        guard count > denseRegister(UnsafeRawBufferPointer(bytes), index) else { return false }
        setDenseRegister(bytes, index, count)
        return true
    }

    // MARK: - Sparse opcodes

    /// One sparse opcode: how many registers it covers, their value, and its size in bytes.
    struct Opcode {
        var run: Int
        var value: UInt8
        var size: Int
        var isZero: Bool { value == 0 }
    }

    /// The opcode at `position` (a truncated XZERO reads its missing byte as 0, as Redis's
    /// string terminator makes it).
    @inline(__always) static func opcode(_ bytes: UnsafeRawBufferPointer, at position: Int) -> Opcode {
        let byte = bytes[position]
        if byte & 0x80 != 0 { return Opcode(run: Int(byte & 0x03) + 1, value: (byte >> 2 & 0x1f) + 1, size: 1) }
        if byte & 0x40 == 0 { return Opcode(run: Int(byte & 0x3f) + 1, value: 0, size: 1) }
        let low = position + 1 < bytes.count ? Int(bytes[position + 1]) : 0
        return Opcode(run: (Int(byte & 0x3f) << 8 | low) + 1, value: 0, size: 2)
    }

    static func valueOpcode(_ value: Int, run: Int) -> UInt8 { 0x80 | UInt8((value - 1) << 2 | (run - 1)) }

    /// ZERO or XZERO opcodes for `run` zero registers (1...16384).
    static func zeroOpcodes(_ run: Int) -> [UInt8] {
        if run <= sparseZeroRunMax { return [UInt8(run - 1)] }
        return [0x40 | UInt8((run - 1) >> 8), UInt8((run - 1) & 0xff)]
    }

    private static func appendZeros(_ count: Int, to bytes: inout [UInt8]) {
        var left = count
        while left > 0 {
            let run = min(left, registerCount)
            bytes += [0x40 | UInt8((run - 1) >> 8), UInt8((run - 1) & 0xff)]
            left -= run
        }
    }

    /// Walks the sparse opcodes: `body` gets each run's first register and opcode,
    /// and stops the walk by returning false. Returns the registers covered before that.
    @discardableResult
    static func forEachRun(_ bytes: UnsafeRawBufferPointer, _ body: (_ first: Int, _ opcode: Opcode) -> Bool) -> Int {
        var position = headerSize
        var register = 0
        while position < bytes.count {
            let op = opcode(bytes, at: position)
            guard body(register, op) else { break }
            register += op.run
            position += op.size
        }
        return register
    }

    /// Calls `body` for each register a sparse HLL holds a value in. False (the
    /// HLL is corrupt) when its opcodes do not cover exactly the 16384 registers,
    /// whatever the walk visited before finding out.
    static func forEachValue(_ bytes: UnsafeRawBufferPointer, _ body: (_ register: Int, _ value: UInt8) -> Void) -> Bool {
        var fits = true
        let covered = forEachRun(bytes) { first, op in
            guard !op.isZero else { return true }
            guard first + op.run <= registerCount else {
                fits = false
                return false
            }
            for register in first..<(first + op.run) { body(register, op.value) }
            return true
        }
        return fits && covered == registerCount
    }

    // MARK: - Adding

    /// PFADD of one element: 1 if a register grew, 0 if not, -1 if the HLL is corrupt.
    static func add(_ hll: inout [UInt8], _ element: UnsafeRawBufferPointer, sparseMaxBytes: Int) -> Int {
        let (index, count) = pattern(element)
        return set(&hll, index, count, sparseMaxBytes: sparseMaxBytes)
    }

    /// Raises register `index` to `count` in either encoding: 1 changed, 0 not, -1 corrupt.
    static func set(_ hll: inout [UInt8], _ index: Int, _ count: UInt8, sparseMaxBytes: Int) -> Int {
        if hll[4] == dense {
            return hll.withUnsafeMutableBytes { denseSet($0, index, count) } ? 1 : 0
        }
        return sparseSet(&hll, index, count, sparseMaxBytes: sparseMaxBytes)
    }

    /// Redis's `hllSparseSet`: the run holding `index` is split around it and adjacent
    /// equal values are merged back, exactly as Redis does, so the bytes stay equal.
    static func sparseSet(_ hll: inout [UInt8], _ index: Int, _ count: UInt8, sparseMaxBytes: Int) -> Int {
        if Int(count) > sparseValueMax { return promote(&hll, index, count) }
        // Find the opcode covering `index`, and the one before it.
        var position = headerSize
        var first = 0
        var previous: Int? = nil
        var found: Opcode? = nil
        while position < hll.count {
            let op = hll.withUnsafeBytes { opcode($0, at: position) }
            if index <= first + op.run - 1 {
                found = op
                break
            }
            previous = position
            position += op.size
            first += op.run
        }
        guard let op = found else { return -1 }

        if !op.isZero {
            if op.value >= count { return 0 }
            if op.run == 1 {
                hll[position] = valueOpcode(Int(count), run: 1)
                return mergeValues(&hll, from: previous ?? headerSize)
            }
        } else if op.size == 1 && op.run == 1 {
            hll[position] = valueOpcode(Int(count), run: 1)
            return mergeValues(&hll, from: previous ?? headerSize)
        }

        // Split the run: what precedes `index`, the new value, what follows.
        let last = first + op.run - 1
        var replacement: [UInt8] = []
        if op.isZero {
            if index != first { replacement += zeroOpcodes(index - first) }
            replacement.append(valueOpcode(Int(count), run: 1))
            if index != last { replacement += zeroOpcodes(last - index) }
        } else {
            if index != first { replacement.append(valueOpcode(Int(op.value), run: index - first)) }
            replacement.append(valueOpcode(Int(count), run: 1))
            if index != last { replacement.append(valueOpcode(Int(op.value), run: last - index)) }
        }
        let growth = replacement.count - op.size
        if growth > 0 && hll.count + growth > sparseMaxBytes { return promote(&hll, index, count) }
        // A cut-off XZERO at the very end (a string set by hand) has one byte, not two.
        // Redis reads its terminating NUL as the second and sizes the string as if that
        // byte were there, so the replacement's last byte falls outside: so here too.
        let overrun = max(0, position + op.size - hll.count)
        hll.replaceSubrange(position..<(position + op.size - overrun), with: replacement.dropLast(overrun))
        return mergeValues(&hll, from: previous ?? headerSize)
    }

    /// Merges adjacent VAL opcodes of equal value (up to 4 registers) among the five
    /// opcodes from `start`, then marks the cached cardinality stale. Returns 1.
    private static func mergeValues(_ hll: inout [UInt8], from start: Int) -> Int {
        var position = start
        var budget = 5
        while position < hll.count && budget > 0 {
            budget -= 1
            let byte = hll[position]
            if byte & 0xc0 == 0x40 { position += 2; continue }
            if byte & 0xc0 == 0 { position += 1; continue }
            if position + 1 < hll.count && hll[position + 1] & 0x80 != 0 {
                let value = byte >> 2 & 0x1f
                let next = hll[position + 1]
                let run = Int(byte & 3) + Int(next & 3) + 2
                if next >> 2 & 0x1f == value && run <= sparseValueRunMax {
                    hll[position + 1] = valueOpcode(Int(value) + 1, run: run)
                    hll.remove(at: position)
                    // Stay: the merged opcode may merge with the next one too.
                    continue
                }
            }
            position += 1
        }
        invalidateCache(&hll)
        return 1
    }

    /// Turns a sparse HLL dense, then sets the register that did not fit.
    private static func promote(_ hll: inout [UInt8], _ index: Int, _ count: UInt8) -> Int {
        guard let converted = sparseToDense(hll) else { return -1 }
        hll = converted
        _ = hll.withUnsafeMutableBytes { denseSet($0, index, count) }
        return 1
    }

    /// The dense form of a sparse HLL (header kept, encoding changed), or nil when
    /// its opcodes do not cover exactly 16384 registers.
    static func sparseToDense(_ hll: [UInt8]) -> [UInt8]? {
        if hll[4] == dense { return hll }
        var result = [UInt8](repeating: 0, count: denseSize)
        result.replaceSubrange(0..<headerSize, with: hll[0..<headerSize])
        result[4] = dense
        let valid = hll.withUnsafeBytes { bytes in
            result.withUnsafeMutableBytes { out in
                forEachValue(bytes) { register, value in setDenseRegister(out, register, value) }
            }
        }
        return valid ? result : nil
    }

    // MARK: - Reading registers

    /// Every register's value, one byte each, raised into `maxima` (PFMERGE, multi-key
    /// PFCOUNT). False when a sparse HLL is corrupt.
    static func merge(_ hll: UnsafeRawBufferPointer, into maxima: inout [UInt8]) -> Bool {
        if hll[4] == dense {
            for register in 0..<registerCount {
                let value = denseRegister(hll, register)
                if value > maxima[register] { maxima[register] = value }
            }
            return true
        }
        return forEachValue(hll) { register, value in
            if value > maxima[register] { maxima[register] = value }
        }
    }

    /// How many registers hold each value (0...63); nil for a corrupt sparse HLL.
    static func histogram(_ hll: UnsafeRawBufferPointer) -> [Int]? {
        var counts = [Int](repeating: 0, count: 64)
        if hll[4] == dense {
            for register in 0..<registerCount { counts[Int(denseRegister(hll, register))] += 1 }
            return counts
        }
        let covered = forEachRun(hll) { _, op in
            counts[Int(op.value)] += op.run
            return true
        }
        return covered == registerCount ? counts : nil
    }

    /// The histogram of registers held one per byte.
    static func histogram(registers: [UInt8]) -> [Int] {
        var counts = [Int](repeating: 0, count: 64)
        for value in registers { counts[Int(value & 63)] += 1 }
        return counts
    }

    // MARK: - Estimating

    /// Otmar Ertl's improved estimator ("New cardinality estimation algorithms for
    /// HyperLogLog sketches", 2017), computed in the same order as Redis so the
    /// rounding, and so the answer, is the same.
    static func estimate(_ histogram: [Int]) -> UInt64 {
        let m = Double(registerCount)
        var z = m * tau((m - Double(histogram[remainingBits + 1])) / m)
        for value in stride(from: remainingBits, through: 1, by: -1) {
            z += Double(histogram[value])
            z *= 0.5
        }
        z += m * sigma(Double(histogram[0]) / m)
        let alphaInfinity = 0.721347520444481703680  // 1 / (2 ln 2)
        let estimate = (alphaInfinity * m * m / z).rounded()
        // Registers all at their top make z 0: Redis's llroundl(inf) gives LLONG_MIN.
        guard estimate.isFinite, estimate < 0x1p64 else { return UInt64(bitPattern: Int64.min) }
        return UInt64(estimate)
    }

    private static func sigma(_ x: Double) -> Double {
        if x == 1 { return .infinity }
        var x = x
        var y = 1.0
        var z = x
        var previous: Double
        repeat {
            x *= x
            previous = z
            z += x * y
            y += y
        } while previous != z
        return z
    }

    private static func tau(_ x: Double) -> Double {
        if x == 0 || x == 1 { return 0 }
        var x = x
        var y = 1.0
        var z = 1 - x
        var previous: Double
        repeat {
            x = x.squareRoot()
            previous = z
            y *= 0.5
            z -= (1 - x) * (1 - x) * y
        } while previous != z
        return z / 3
    }

    /// The cardinality of a valid HLL, or nil when its sparse opcodes are corrupt.
    static func count(_ hll: UnsafeRawBufferPointer) -> UInt64? {
        histogram(hll).map(estimate)
    }

    // MARK: - Debugging

    /// PFDEBUG DECODE: "z:run", "Z:run" and "v:value,run" for each opcode.
    static func decode(_ hll: UnsafeRawBufferPointer) -> String {
        var words: [String] = []
        var position = headerSize
        while position < hll.count {
            let op = opcode(hll, at: position)
            if !op.isZero { words.append("v:\(op.value),\(op.run)") }
            else if op.size == 1 { words.append("z:\(op.run)") }
            else { words.append("Z:\(op.run)") }
            position += op.size
        }
        return words.joined(separator: " ")
    }
}
