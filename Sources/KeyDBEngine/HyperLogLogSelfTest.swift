#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// PFSELFTEST's checks, as Redis runs them: register packing round-trips, and
/// dense and sparse HLLs fed the same ten million elements agree, stay sparse
/// while small, and estimate within six standard errors at each power of ten.
enum HyperLogLogSelfTest {
    /// nil when every check passed, else the TESTFAILED error text.
    static func run(sparseMaxBytes: Int, cycles: Int = 1000, elements: Int = 10_000_000) -> String? {
        // Millions of draws: a seeded generator, not a system call per number.
        var random = SplitMix64(seed: UInt64.random(in: .min ... .max))
        var dense = [UInt8](repeating: 0, count: HyperLogLog.denseSize)
        var expected = [UInt8](repeating: 0, count: HyperLogLog.registerCount)
        for _ in 0..<cycles {
            let failure: String? = dense.withUnsafeMutableBytes { registers in
                for index in 0..<HyperLogLog.registerCount {
                    let value = UInt8.random(in: 0...HyperLogLog.registerMax, using: &random)
                    expected[index] = value
                    HyperLogLog.setDenseRegister(registers, index, value)
                }
                for index in 0..<HyperLogLog.registerCount {
                    let value = HyperLogLog.denseRegister(UnsafeRawBufferPointer(registers), index)
                    if value != expected[index] {
                        return "TESTFAILED Register \(index) should be \(expected[index]) but is \(value)"
                    }
                }
                return nil
            }
            if let failure { return failure }
        }

        dense.replaceSubrange(HyperLogLog.headerSize..., with: repeatElement(0, count: HyperLogLog.denseSize - HyperLogLog.headerSize))
        dense[4] = HyperLogLog.dense
        var sparse = HyperLogLog.empty()
        let relativeError = 1.04 / Double(HyperLogLog.registerCount).squareRoot()
        let seed = UInt64.random(in: .min ... .max, using: &random)
        var checkpoint = 1
        for j in 1...max(elements, 1) {
            var element = (UInt64(j) ^ seed).littleEndian
            withUnsafeBytes(of: &element) { bytes in
                let (index, count) = HyperLogLog.pattern(bytes)
                _ = dense.withUnsafeMutableBytes { HyperLogLog.denseSet($0, index, count) }
                _ = HyperLogLog.set(&sparse, index, count, sparseMaxBytes: sparseMaxBytes)
            }
            guard j == checkpoint else { continue }
            if j < sparseMaxBytes / 2 && HyperLogLog.encoding(sparse) != HyperLogLog.sparse {
                return "TESTFAILED sparse encoding not used"
            }
            let denseCount = dense.withUnsafeBytes(HyperLogLog.count) ?? 0
            if denseCount != sparse.withUnsafeBytes(HyperLogLog.count) {
                return "TESTFAILED dense/sparse disagree"
            }
            // Collisions make cardinality 10 err more often than the bound allows.
            let allowed = j == 10 ? 1 : Int64((relativeError * 6 * Double(checkpoint)).rounded(.up))
            let error = abs(Int64(checkpoint) - Int64(bitPattern: denseCount))
            if error > allowed {
                return "TESTFAILED Too big error. card:\(checkpoint) abserr:\(error)"
            }
            checkpoint *= 10
        }
        return nil
    }
}

/// SplitMix64 (Steele, Lea and Flood): a fast, well-mixed 64-bit generator.
struct SplitMix64: RandomNumberGenerator {
    private var state: UInt64

    init(seed: UInt64) { state = seed }

    mutating func next() -> UInt64 {
        state &+= 0x9e37_79b9_7f4a_7c15
        var z = state
        z = (z ^ (z >> 30)) &* 0xbf58_476d_1ce4_e5b9
        z = (z ^ (z >> 27)) &* 0x94d0_49bb_1331_11eb
        return z ^ (z >> 31)
    }
}
