@testable import KeyDBEngine
import KeyDBTestSupport
import Testing

/// HyperLogLog strings must be Redis's byte for byte: expected bytes and
/// decodings below were taken from redis-server 7.0.15, and one test builds
/// HLLs on a real redis-server (when installed) and swaps them both ways.
@Suite("hyperloglog")
struct HyperLogLogTests {
    static func bytes(_ h: EngineHarness, _ key: String) -> [UInt8] {
        guard case .bulk(let data?) = h.value("GET", key) else { return [] }
        return data
    }

    @Test("a new HLL is the header and one XZERO run over all 16384 registers")
    func emptyLayout() {
        let empty = HyperLogLog.empty()
        #expect(empty == Array("HYLL".utf8) + [1, 0, 0, 0] + [UInt8](repeating: 0, count: 8) + [0x7f, 0xff])
        #expect(empty.withUnsafeBytes(HyperLogLog.count) == 0)
        #expect(HyperLogLog.cachedCardinality(empty) == 0)
    }

    @Test("MurmurHash64A with Redis's seed puts elements in Redis's registers")
    func hashPattern() {
        let a = Array("a".utf8).withUnsafeBytes { HyperLogLog.pattern($0) }
        #expect(a.index == 12711 && a.count == 2)
        let h = EngineHarness()
        h.script([("PFADD h a", int(1)), ("PFDEBUG DECODE h", bulk("Z:12711 v:2,1 Z:3672"))])
    }

    @Test("sparse runs are split and merged into Redis's exact bytes; the cache is marked stale")
    func sparseBytes() {
        let h = EngineHarness()
        h.script([
            ("PFADD h a b c hello", int(1)),
            ("PFDEBUG DECODE h", bulk("Z:8436 v:1,1 Z:779 v:1,1 Z:3494 v:2,1 Z:3068 v:1,1 Z:603")),
        ])
        let expected: [UInt8] = [0x48, 0x59, 0x4c, 0x4c, 0x01, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x80,
                                 0x60, 0xf3, 0x80, 0x43, 0x0a, 0x80, 0x4d, 0xa5, 0x84, 0x4b, 0xfb, 0x80, 0x42, 0x5a]
        #expect(Self.bytes(h, "h") == expected)
        // PFCOUNT fills the little-endian cache and clears the stale bit.
        h.script([("PFCOUNT h", int(4))])
        #expect(Array(Self.bytes(h, "h")[8..<16]) == [4, 0, 0, 0, 0, 0, 0, 0])
        h.script([("PFADD h a", int(0)), ("PFADD h new", int(1))])
        #expect(Self.bytes(h, "h")[15] & 0x80 != 0)
    }

    @Test("dense registers: six bits each, the last one inside the string")
    func denseRegisters() {
        var dense = [UInt8](repeating: 0, count: HyperLogLog.denseSize)
        dense.withUnsafeMutableBytes { registers in
            for index in 0..<HyperLogLog.registerCount { HyperLogLog.setDenseRegister(registers, index, UInt8(index % 64)) }
        }
        dense.withUnsafeBytes { registers in
            for index in [0, 1, 2, 3, 4, 5000, HyperLogLog.registerCount - 1] {
                #expect(HyperLogLog.denseRegister(registers, index) == UInt8(index % 64))
            }
        }
        #expect(dense.count == 12304)
    }

    @Test("promotion: past hll-sparse-max-bytes, or a value above 32, the HLL turns dense")
    func promotion() {
        let h = EngineHarness()
        h.script([("CONFIG SET hll-sparse-max-bytes 40", ok), ("CONFIG GET hll-sparse-max-bytes", "*2\r\n$20\r\nhll-sparse-max-bytes\r\n$2\r\n40\r\n")])
        h.run("PFADD", "h", "a", "b", "c")
        #expect(h.run("PFDEBUG", "ENCODING", "h") == "+sparse\r\n")
        for index in 0..<20 { h.run("PFADD", "h", "element\(index)") }
        #expect(h.run("PFDEBUG", "ENCODING", "h") == "+dense\r\n")
        #expect(Self.bytes(h, "h").count == HyperLogLog.denseSize)
        var hll = HyperLogLog.empty()
        #expect(HyperLogLog.set(&hll, 100, 33, sparseMaxBytes: 3000) == 1)
        #expect(HyperLogLog.encoding(hll) == HyperLogLog.dense)
        #expect(hll.withUnsafeBytes { HyperLogLog.denseRegister($0, 100) } == 33)
    }

    @Test("corrupt and foreign strings get Redis's two errors")
    func invalidStrings() {
        let h = EngineHarness()
        h.script([
            ("SET plain hello", ok), ("PFADD plain a", "-WRONGTYPE Key is not a valid HyperLogLog string value.\r\n"),
            ("SET few \"HYLL\\x01\\x00\\x00\\x00\\x00\\x00\\x00\\x00\\x00\\x00\\x00\\x80\\x7f\\xfe\"", ok),
            ("PFCOUNT few", "-INVALIDOBJ Corrupted HLL object detected\r\n"),
            ("PFMERGE m few", "-INVALIDOBJ Corrupted HLL object detected\r\n"),
            ("SET tail \"HYLL\\x01\\x00\\x00\\x00\\x00\\x00\\x00\\x00\\x00\\x00\\x00\\x80\\x7f\\xff\\x80\"", ok),
            ("PFCOUNT tail other", "-INVALIDOBJ Corrupted HLL object detected\r\n"),
            ("LPUSH l x", int(1)), ("PFCOUNT l", wrongType),
            ("PFDEBUG ENCODING nokey", "-ERR The specified key does not exist\r\n"),
            ("PFDEBUG FOO plain", "-WRONGTYPE Key is not a valid HyperLogLog string value.\r\n"),
            ("PFADD d x", int(1)), ("PFDEBUG FOO d", "-ERR Unknown PFDEBUG subcommand 'FOO'\r\n"),
            ("PFDEBUG TODENSE d", int(1)), ("PFDEBUG DECODE d", "-ERR HLL encoding is not sparse\r\n"),
        ])
    }

    @Test("PFSELFTEST's checks pass (on fewer elements here)")
    func selfTest() {
        #expect(HyperLogLogSelfTest.run(sparseMaxBytes: 3000, cycles: 3, elements: 100_000) == nil)
    }

    /// PFADD on a real redis-server and here, with the same elements: the same bytes,
    /// and each server counts the other's HLL the same.
    @Test("HLLs built by redis-server count the same here, and ours there",
          .enabled(if: ServerProcess.locateReferenceBinary() != nil, "redis-server is not installed"))
    func interchangeWithRedis() throws {
        guard let redis = try ServerProcess.startReference() else { return }
        defer { redis.stop() }
        let client = try RawClient(port: redis.port)
        let h = EngineHarness()
        for (key, count) in [("small", 10), ("medium", 400), ("large", 20_000)] {
            let elements = (0..<count).map { "\(key)-\($0 * 7919)" }
            for chunk in stride(from: 0, to: count, by: 500) {
                let part = Array(elements[chunk..<min(chunk + 500, count)])
                let theirs = try client.command(["PFADD", key] + part)
                #expect(h.client.execute(([ "PFADD", key] + part).map { Array($0.utf8) }) == theirs)
            }
            let redisBytes = try client.command(["GET", key])
            #expect(h.client.execute([Array("GET".utf8), Array(key.utf8)]) == redisBytes, "\(key): bytes differ")
            let redisCount = try client.command(["PFCOUNT", key])
            // Redis's bytes, copied here, count the same.
            let value = Array(redisBytes.split(separator: 10, maxSplits: 1)[1].dropLast(2))
            _ = h.client.execute([Array("SET".utf8), Array("copy-\(key)".utf8), value])
            #expect(h.client.execute([Array("PFCOUNT".utf8), Array("copy-\(key)".utf8)]) == redisCount)
        }
        // A union counted on both sides, and a merge's bytes.
        let keys = ["small", "medium", "large"]
        #expect(h.client.execute((["PFCOUNT"] + keys).map { Array($0.utf8) }) == (try client.command(["PFCOUNT"] + keys)))
        _ = try client.command(["PFMERGE", "merged"] + keys)
        _ = h.client.execute((["PFMERGE", "merged"] + keys).map { Array($0.utf8) })
        #expect(h.client.execute([Array("GET".utf8), Array("merged".utf8)]) == (try client.command(["GET", "merged"])))
        // Our bytes, copied to Redis, count the same there.
        h.run("PFADD", "ours", "x", "y", "z")
        let ours = Self.bytes(h, "ours")
        _ = try client.command([Array("SET".utf8), Array("ours".utf8), ours])
        #expect(try client.command(["PFCOUNT", "ours"]) == h.client.execute([Array("PFCOUNT".utf8), Array("ours".utf8)]))
    }
}
