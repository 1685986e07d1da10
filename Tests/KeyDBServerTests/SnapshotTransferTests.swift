import Foundation
@testable import KeyDBServer
import Testing

/// A full resynchronization's snapshot as it arrives in pieces: of known size
/// (what follows it is the stream, left for the caller) or ended by a diskless
/// master's 40-byte mark, which is cut off the file.
@Suite("snapshot transfer")
struct SnapshotTransferTests {
    private func temporaryPath() -> String {
        NSTemporaryDirectory() + "snapshot-transfer-\(UUID().uuidString).rdb"
    }

    private func feed(_ transfer: SnapshotTransfer, _ text: String) throws -> Int {
        try Array(text.utf8).withUnsafeBytes { try transfer.write($0) }
    }

    @Test("a known size: the bytes after it are not taken")
    func knownSize() throws {
        let path = temporaryPath()
        let transfer = try #require(SnapshotTransfer(path: path, size: 10, mark: nil))
        #expect(try feed(transfer, "REDIS") == 5 && !transfer.isComplete)
        #expect(try feed(transfer, "00111*1\r\n$4\r\nPING\r\n") == 5 && transfer.isComplete)
        try transfer.finish()
        #expect(try String(contentsOfFile: path, encoding: .utf8) == "REDIS00111")
        try FileManager.default.removeItem(atPath: path)
    }

    @Test("the EOF mark, split across reads, ends the snapshot and is cut off")
    func eofMark() throws {
        let path = temporaryPath()
        let mark = String(repeating: "0123456789", count: 4)
        let transfer = try #require(SnapshotTransfer(path: path, size: nil, mark: Array(mark.utf8)))
        #expect(try feed(transfer, "REDIS0011" + mark.prefix(15)) == 24 && !transfer.isComplete)
        // The mark's bytes inside the data do not end it: only at the end of what was read.
        #expect(try feed(transfer, String(mark.dropFirst(15)) + "x") == 26 && !transfer.isComplete)
        #expect(try feed(transfer, mark) == 40 && transfer.isComplete)
        try transfer.finish()
        #expect(try String(contentsOfFile: path, encoding: .utf8) == "REDIS0011" + mark + "x")
        try FileManager.default.removeItem(atPath: path)
    }

    @Test("an abandoned transfer leaves no file; an empty snapshot is complete at once")
    func abandonAndEmpty() throws {
        let path = temporaryPath()
        let transfer = try #require(SnapshotTransfer(path: path, size: 0, mark: nil))
        #expect(transfer.isComplete)
        transfer.abandon()
        #expect(!FileManager.default.fileExists(atPath: path))
        #expect(SnapshotTransfer(path: "/nonexistent-dir/x.rdb", size: 1, mark: nil) == nil)
    }
}
