import KeyDBStorage
import Testing

/// Damaged images must fail with an RDBError: never a trap, never an out-of-bounds read.
@Suite("RDB reader on damaged images")
struct RDBCorruptionTests {
    /// A small image with one key of each encoding the writer produces.
    static func sample(checksum: Bool = true) throws -> [UInt8] {
        var limits = RDBEncodingLimits()
        limits.listPlainThreshold = 30
        return try writeImage(checksum: checksum, limits: limits) {
            try $0.writeAux(bytes("redis-ver"), bytes("7.0.15"))
            try $0.writeFunction(bytes("#!lua name=l\nredis.register_function('f', function() return 1 end)"))
            try $0.selectDatabase(0)
            try $0.resizeDatabase(keys: 8, expires: 1)
            try $0.writeString(key: bytes("s"), value: bytes("-1234"), expireAtMilliseconds: 99)
            try $0.writeString(key: bytes("z"), value: [UInt8](repeating: 0x7A, count: 40))
            try $0.writeList(key: bytes("l"), elements: [bytes("a"), bytes("17"), [UInt8](repeating: 1, count: 31)])
            try $0.writeSet(key: bytes("i"), members: [bytes("1"), bytes("70000")])
            try $0.writeSet(key: bytes("t"), members: [bytes("x"), bytes("y")])
            try $0.writeHash(key: bytes("h"), fields: [(bytes("f"), bytes("v"))])
            try $0.writeHash(key: bytes("H"), fields: [(bytes("f"), [UInt8](repeating: 2, count: 65))])
            try $0.writeSortedSet(key: bytes("q"), members: [(bytes("m"), 1.25), (bytes("n"), 3)])
            try $0.writeSortedSet(key: bytes("Q"), members: [([UInt8](repeating: 3, count: 65), -2.5)])
        }
    }

    @Test("every truncation throws")
    func truncation() throws {
        for checksum in [true, false] {
            let image = try Self.sample(checksum: checksum)
            #expect(try read(image).entries.count == 9)
            for cut in 0..<image.count {
                #expect(throws: RDBError.self, "cut at \(cut)") { try read(Array(image[..<cut])) }
            }
        }
    }

    @Test("every single-byte change throws when the checksum is on")
    func flipsWithChecksum() throws {
        let image = try Self.sample()
        for i in 0..<image.count {
            for mask in [0x01, 0x80, 0xFF] as [UInt8] {
                var bad = image
                bad[i] ^= mask
                #expect(throws: RDBError.self, "byte \(i) ^ \(mask)") { try read(bad) }
            }
        }
    }

    @Test("random damage without a checksum throws or decodes, never traps")
    func randomDamage() throws {
        let image = try Self.sample(checksum: false)
        var rng = SeededGenerator(seed: 42)
        for _ in 0..<3000 {
            var bad = image
            for _ in 0..<Int.random(in: 1...3, using: &rng) {
                bad[Int.random(in: 9..<bad.count, using: &rng)] = UInt8.random(in: 0...255, using: &rng)
            }
            do {
                _ = try read(bad)
            } catch is RDBError {
            } catch {
                Issue.record("unexpected error \(error)")
            }
        }
    }
}
