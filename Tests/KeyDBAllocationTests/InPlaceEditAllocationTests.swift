import CMemoryAccounting
import KeyDBEngine
import KeyDBRESP
import NIOCore
import Testing

/// APPEND, SETRANGE, SETBIT, BITFIELD, PFADD and PFCOUNT edit a long string where it lies:
/// a command that copied the value would allocate its whole size each call.
/// Measured in bytes, not allocations (small ones vary with the build); the
/// values are 100 KB and 12 KB, the bound 8 KB.
@Suite struct InPlaceEditAllocationTests {
    @Test(arguments: [
        ["SETBIT", "bits", "%d", "1"],
        ["BITFIELD", "bits", "SET", "u8", "#%d", "7", "INCRBY", "i5", "%d", "3"],
        ["PFADD", "hll", "element-%d"],
        ["PFCOUNT", "hll"],
        ["APPEND", "bits", "tail-%d"],
        ["SETRANGE", "bits", "%d", "patch"],
    ])
    func editsDoNotCopyTheValue(template: [String]) {
        let (engine, session) = HotPathAllocationTests.session(logging: true)
        defer { withExtendedLifetime(engine) {} }
        // A 100 KB string, and a dense HLL (12 KB, so no promotion happens on the way).
        let setup = [["SET", "bits", String(repeating: "x", count: 100_000)], ["CONFIG", "SET", "hll-sparse-max-bytes", "0"], ["PFADD", "hll", "first"]]
        _ = HotPathAllocationTests.allocations(running: Self.requests(setup), on: session)
        let batch = HotPathAllocationTests.batch { index in template.map { $0.hasSuffix("%d") ? $0.dropLast(2) + String(index * 8) : $0 } }
        _ = HotPathAllocationTests.allocations(running: batch, on: session)
        _ = HotPathAllocationTests.allocations(running: batch, on: session)
        let bytes = allocation_counter_bytes()
        let perCommand = Int(bytes) / HotPathAllocationTests.commands
        #expect(perCommand < 8192, "\(template[0]): \(perCommand) bytes allocated per command")
    }

    static func requests(_ commands: [[String]]) -> [UInt8] {
        var bytes: [UInt8] = []
        for words in commands {
            bytes += Array("*\(words.count)\r\n".utf8)
            for word in words { bytes += Array("$\(word.utf8.count)\r\n\(word)\r\n".utf8) }
        }
        return bytes
    }
}
