import KeyDBStorage
import Testing

@Suite("CRC64 and LZF")
struct ChecksumAndLZFTests {
    @Test("CRC64 of \"123456789\" is Redis's test vector")
    func crcVector() {
        #expect(CRC64.checksum(bytes("123456789")) == 0xE9C6_D914_C4B8_D9CA)
        #expect(CRC64.checksum([]) == 0)
    }

    @Test("incremental updates at every split equal one pass (slicing and byte paths agree)")
    func crcIncremental() {
        var rng = SeededGenerator(seed: 1)
        let data = rng.bytes(300)
        let whole = CRC64.checksum(data)
        for split in 0...data.count {
            var crc = CRC64()
            crc.update(Array(data[..<split]))
            crc.update(Array(data[split...]))
            #expect(crc.value == whole)
        }
        // Byte-at-a-time uses only the single-table path.
        var bytewise = CRC64()
        for b in data { bytewise.update([b]) }
        #expect(bytewise.value == whole)
    }

    @Test("LZF round-trips random, repetitive and mixed data", arguments: [0, 1, 2, 3, 4, 5, 6, 7])
    func lzfRoundTrip(seed: UInt64) throws {
        var rng = SeededGenerator(seed: seed)
        for _ in 0..<40 {
            let n = Int.random(in: 1...20_000, using: &rng)
            var data: [UInt8] = []
            // Runs of random bytes, repeats of earlier data and single-byte runs.
            while data.count < n {
                switch Int.random(in: 0..<3, using: &rng) {
                case 0: data += rng.bytes(Int.random(in: 1...50, using: &rng))
                case 1 where !data.isEmpty:
                    let from = Int.random(in: 0..<data.count, using: &rng)
                    let len = Int.random(in: 1...400, using: &rng)
                    for k in 0..<len { data.append(data[from + k % (data.count - from)]) }
                default: data += [UInt8](repeating: UInt8.random(in: 0...255, using: &rng), count: Int.random(in: 1...300, using: &rng))
                }
            }
            data = Array(data.prefix(n))
            guard let packed = data.withUnsafeBytes({ LZF.compress($0) }) else {
                continue
            }
            #expect(packed.count < data.count)
            let back = try packed.withUnsafeBytes { try LZF.decompress($0, outputCount: data.count) }
            #expect(back == data)
        }
    }

    @Test("LZF compresses repetitive data well and gives up on random data")
    func lzfCompressibility() throws {
        let text = [UInt8](repeating: UInt8(ascii: "a"), count: 10_000)
        let packed = try #require(text.withUnsafeBytes { LZF.compress($0) })
        #expect(packed.count < 200)
        #expect(try packed.withUnsafeBytes { try LZF.decompress($0, outputCount: text.count) } == text)
        var rng = SeededGenerator(seed: 9)
        let noise = rng.bytes(4096)
        #expect(noise.withUnsafeBytes { LZF.compress($0) } == nil)
        #expect(noise.withUnsafeBytes { LZF.compress($0, maxOutputCount: 10) } == nil)
    }

    @Test("A match table kept between strings starts each one empty")
    func lzfTableReuse() throws {
        var rng = SeededGenerator(seed: 11)
        let shared = rng.bytes(300)
        let text = shared + shared
        let table = LZF.MatchTable()
        // The same string again: a slot left from the first pass would offer a
        // position at or after the current one as a match.
        let once = text.withUnsafeBytes { LZF.compress($0, using: table) }
        let twice = text.withUnsafeBytes { LZF.compress($0, using: table) }
        #expect(once != nil && twice == once)
        let back = try #require(twice).withUnsafeBytes { try LZF.decompress($0, outputCount: text.count) }
        #expect(back == text)
    }

    /// Outputs taken from Redis 7.0's DUMP of the same strings: position 0 is never a
    /// match source, and a match re-hashes only its last two positions.
    @Test("LZF output is Redis's, byte for byte")
    func lzfMatchesRedis() {
        let cases: [(String, [UInt8])] = [
            (String(repeating: "x", count: 100), [0x01, 0x78, 0x78, 0xE0, 0x57, 0x00, 0x01, 0x78, 0x78]),
            (String(repeating: "ab", count: 100), [0x02, 0x61, 0x62, 0x61, 0xE0, 0xBA, 0x01, 0x01, 0x61, 0x62]),
        ]
        for (text, expected) in cases {
            let input = Array(text.utf8)
            #expect(input.withUnsafeBytes { LZF.compress($0, maxOutputCount: input.count - 4) } == expected)
        }
    }

    @Test("LZF decompression refuses malformed input instead of trapping")
    func lzfMalformed() {
        let cases: [([UInt8], Int)] = [
            ([0x05, 1, 2], 6),  // literal run past the end of input
            ([0x00, 7], 2),  // expands to fewer bytes than claimed
            ([0x01, 1, 2], 1),  // literal run longer than the output
            ([0x00, 1, 0x20, 0x05], 4),  // back reference before the start
            ([0x00, 1, 0xE0], 10),  // long match without its length byte
            ([0x00, 1, 0x20], 4),  // match without its distance byte
            ([0x00, 1, 0x20, 0x00], 3),  // match past the end of output
            ([0x00, 1], 1000),  // impossible expansion ratio
        ]
        for (input, n) in cases {
            #expect(throws: RDBError.self) { try input.withUnsafeBytes { try LZF.decompress($0, outputCount: n) } }
        }
        // Every truncation and byte flip of a valid stream throws or decodes; never traps.
        let data = Array("the quick brown fox jumps over the lazy dog, the quick brown fox again and again".utf8)
        let packed = data.withUnsafeBytes { LZF.compress($0) }!
        for cut in 0..<packed.count {
            #expect(throws: RDBError.self) { try Array(packed[..<cut]).withUnsafeBytes { try LZF.decompress($0, outputCount: data.count) } }
        }
        for i in 0..<packed.count {
            var bad = packed
            bad[i] ^= 0x5A
            _ = try? bad.withUnsafeBytes { try LZF.decompress($0, outputCount: data.count) }
        }
    }
}
