import Foundation
import KeyDBEngine
import NIOCore
@testable import KeyDBPersistence
import Testing

/// The incremental file written under `appendfsync always` over a preallocated
/// tail: what it holds, that it replays, and what a torn last batch does.
@Suite final class PreallocatedLogTests {
    let directory: String

    init() throws {
        directory = NSTemporaryDirectory() + "swiftkeydb-prealloc-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
    }

    // Each test gets its own instance, so each removes its own directory.
    deinit { try? FileManager.default.removeItem(atPath: directory) }

    var path: String { directory + "/test.incr.aof" }

    func openLog(_ policy: AppendOnlyLog.FsyncPolicy = .always) throws -> AppendOnlyLog {
        try AppendOnlyLog(path: path, policy: policy, logWarning: { _ in })
    }

    /// Queues `records` as one batch and makes it durable, as a turn of the loop does.
    func write(_ log: AppendOnlyLog, _ records: String) {
        var buffer = ByteBuffer(string: records)
        let end = log.enqueue(&buffer)
        #expect(log.syncNow(through: end))
    }

    func file() throws -> [UInt8] { Array(try Data(contentsOf: URL(fileURLWithPath: path))) }

    func replay(_ bytes: [UInt8], into engine: Engine = Engine()) throws -> AOFLoader.Outcome {
        let client = ClientSession(engine: engine)
        client.grantFullAccess()
        let loader = AOFLoader(withKeyspace: { $0() }, engine: engine, client: client)
        return try bytes.withUnsafeBytes { try loader.replay($0, name: "test.aof") }
    }

    static func set(_ key: String, _ value: String) -> String { AOFReplayTests.record("SET", key, value) }

    @Test func recordsGoOverATailOfAnnotationLinesAndReplay() throws {
        let log = try openLog()
        for i in 0..<20 { write(log, Self.set("k\(i)", String(repeating: "v", count: i * 7))) }
        let bytes = try file()
        let end = log.currentFileBytes
        #expect(bytes.count > end, "the file has a tail")
        // Everything past the records is `#` lines (one `#` may join two of them).
        let tail = bytes[end...]
        #expect(tail.allSatisfy { $0 == UInt8(ascii: "#") || $0 == UInt8(ascii: "\n") })
        #expect(tail.first == UInt8(ascii: "#") && tail.last == UInt8(ascii: "\n"))
        let engine = Engine()
        #expect(try replay(bytes, into: engine) == .complete)
        #expect(engine.keyspace.databases[0].count == 20)
        try log.close()
        #expect(try file().count == end, "a clean close leaves only the records")
        #expect(try replay(try file()) == .complete)
    }

    /// Redis reads a file line by line and refuses an empty line: whatever a
    /// batch's length, the byte after it must start an annotation.
    @Test func noBatchLengthLeavesAnEmptyLineBehindIt() throws {
        let log = try openLog()
        for length in 1...140 {
            write(log, Self.set("k", String(repeating: "x", count: length)))
            let bytes = try file()
            #expect(bytes[log.currentFileBytes] == UInt8(ascii: "#"), "value of \(length) bytes")
        }
        // No line of the file is empty, none is longer than Redis's 1024-byte annotation
        // buffer, and the file ends with a newline (in a multiple of 64, where a
        // write cut short at a page boundary would end too).
        let bytes = try file()
        let lines = bytes.split(separator: UInt8(ascii: "\n"), omittingEmptySubsequences: false).dropLast()
        #expect(lines.allSatisfy { !$0.isEmpty && $0.count < 1023 })
        #expect(bytes.last == UInt8(ascii: "\n") && bytes.count % 64 == 0)
        let tailNewlines = bytes.indices.dropFirst(log.currentFileBytes).filter { bytes[$0] == UInt8(ascii: "\n") }
        #expect(tailNewlines.allSatisfy { $0 % 64 == 63 })
        try log.close()
    }

    @Test func theTailGrowsAsRecordsReachIt() throws {
        let log = try openLog()
        let big = String(repeating: "b", count: LogPreallocation.extent / 3)
        for i in 0..<5 {
            write(log, Self.set("k\(i)", big))
            let size = try file().count
            #expect(size > log.currentFileBytes && size % 64 == 0, "after write \(i): \(size) bytes for \(log.currentFileBytes)")
        }
        let engine = Engine()
        #expect(try replay(try file(), into: engine) == .complete)
        #expect(engine.keyspace.databases[0].count == 5)
        try log.close()
    }

    /// The tail grows on the sync thread while the writer goes on below it: no
    /// filler may land on records, across several growths and a switch of files.
    @Test func backgroundGrowthNeverOverwritesRecords() throws {
        let log = try openLog()
        let value = String(repeating: "r", count: 1500)
        let batches = 3 * LogPreallocation.extent / 1500
        for i in 0..<batches {
            write(log, Self.set("k\(i)", value))
            if i == batches / 2 {
                try log.switchFile(to: directory + "/second.incr.aof")
            }
        }
        let second = try Data(contentsOf: URL(fileURLWithPath: directory + "/second.incr.aof"))
        try log.close()
        let engine = Engine()
        #expect(try replay(Array(try Data(contentsOf: URL(fileURLWithPath: path))), into: engine) == .complete)
        #expect(try replay(Array(second), into: engine) == .complete)
        #expect(engine.keyspace.databases[0].count == batches)
        #expect(try file().suffix(2) == Array("\r\n".utf8), "the first file was cut to its records")
    }

    @Test func aFileOpenedAfterACrashContinuesAfterItsRecords() throws {
        let log = try openLog()
        write(log, Self.set("a", "1"))
        let end = log.currentFileBytes
        // The file as a crash leaves it: records, then the tail.
        let crashed = try file()
        try log.close()
        try Data(crashed).write(to: URL(fileURLWithPath: path))
        #expect(crashed.count > end)
        let reopened = try openLog(.everysec)
        #expect(reopened.currentFileBytes == end)
        #expect(try file().count == end, "the tail is cut off when the file is opened")
        var buffer = ByteBuffer(string: Self.set("b", "2"))
        _ = reopened.enqueue(&buffer)
        try reopened.syncNow()
        let engine = Engine()
        #expect(try replay(try file(), into: engine) == .complete)
        #expect(engine.keyspace.databases[0].count == 2)
        try reopened.close()
    }

    /// The loader requires batches in a file that begins with one, so a file keeps
    /// the layout it was begun with, whatever the policy becomes.
    @Test func aFileKeepsTheLayoutItBeganWith() throws {
        let appended = try openLog(.everysec)
        write(appended, Self.set("a", "1"))
        appended.policy = .always
        write(appended, Self.set("b", "2"))
        #expect(try file().count == appended.currentFileBytes, "begun under everysec: appended to")
        #expect(try file().first == UInt8(ascii: "*"))
        try appended.close()

        try FileManager.default.removeItem(atPath: path)
        let batches = try openLog(.always)
        write(batches, Self.set("a", "1"))
        batches.policy = .everysec
        write(batches, Self.set("b", "2"))
        try batches.close()
        // Opened again (a restart) under everysec: still batches.
        let reopened = try openLog(.everysec)
        write(reopened, Self.set("c", "3"))
        try reopened.close()
        let bytes = try file()
        #expect(bytes.count(where: { $0 == UInt8(ascii: "#") }) == 3, "three batch headers, no tail")
        let engine = Engine()
        #expect(try replay(bytes, into: engine) == .complete)
        #expect(engine.keyspace.databases[0].count == 3)
    }

    // MARK: - Torn batches

    /// Two batches, as `always` writes them, then the tail.
    func twoBatches() throws -> (bytes: [UInt8], second: Int) {
        let log = try openLog()
        write(log, Self.set("a", "1") + Self.set("b", "2"))
        let second = log.currentFileBytes
        write(log, Self.set("c", "3") + Self.set("d", String(repeating: "4", count: 3000)))
        let bytes = try file()
        try log.close()
        return (bytes, second)
    }

    @Test func aTornLastBatchIsDroppedWhole() throws {
        var (bytes, second) = try twoBatches()
        // A sector of the last batch never reached the disk: it still holds filler.
        let value = bytes.indices.last { bytes[$0] == UInt8(ascii: "4") }!
        bytes[value - 600] = UInt8(ascii: "#")
        let engine = Engine()
        #expect(try replay(bytes, into: engine) == .truncated(validLength: second))
        #expect(engine.keyspace.databases[0].count == 2, "c, in the torn batch, is not applied either")
    }

    @Test func aLostHeaderLeavesItsRecordsOutOfAnyBatch() throws {
        var (bytes, second) = try twoBatches()
        for i in second..<(second + 10) { bytes[i] = UInt8(ascii: "#") }
        // The damaged header reads as an annotation; the records after it belong to no batch.
        let engine = Engine()
        #expect(try replay(bytes, into: engine) == .truncated(validLength: second))
        #expect(engine.keyspace.databases[0].count == 2)
    }

    @Test func aBatchCutShortIsTorn() throws {
        let (bytes, second) = try twoBatches()
        // The header whole, its records not.
        let end = bytes[second...].firstIndex(of: UInt8(ascii: "4"))! + 100
        #expect(try replay(Array(bytes[..<end])) == .truncated(validLength: second))
    }

    /// Several batches can wait for one fsync (a cron's writes, `everysec`), and
    /// the disk may keep a later one and not an earlier: the log ends at the bad one.
    @Test func theLogEndsAtTheFirstBadBatchWhateverFollows() throws {
        let log = try openLog()
        write(log, Self.set("a", "1"))
        let first = log.currentFileBytes
        write(log, Self.set("b", "2"))
        write(log, Self.set("c", "3"))
        var bytes = try file()
        try log.close()
        bytes[first + 30] ^= 0x01
        let engine = Engine()
        #expect(try replay(bytes, into: engine) == .truncated(validLength: first))
        #expect(engine.keyspace.databases[0].count == 1)
    }

    @Test func fillerCutShortAtTheEndLoads() throws {
        let records = Self.set("a", "1")
        let engine = Engine()
        #expect(try replay(Array((records + "#####\n######").utf8), into: engine) == .complete)
        #expect(engine.keyspace.databases[0].count == 1)
    }

    /// Redis, given the directory, appends plain records: right after the last
    /// batch (after a clean shutdown), or after the tail a crash left, beginning
    /// with the SELECT it always writes first (and a `#TS` line if it stamps). They load.
    @Test func recordsAnotherWriterAppendedLoad() throws {
        let log = try openLog()
        write(log, Self.set("a", "1"))
        let crashed = try file()
        try log.close()
        let redis = AOFReplayTests.record("SELECT", "0") + Self.set("b", "2") + Self.set("c", "3")
        for (start, appended) in [(try file(), Self.set("b", "2") + Self.set("c", "3")), (crashed, redis),
                                  (crashed, "#TS:1700000000\r\n" + redis)] {
            let engine = Engine()
            #expect(try replay(start + Array(appended.utf8), into: engine) == .complete, "\(appended.debugDescription)")
            #expect(engine.keyspace.databases[0].count == 3)
        }
        // After filler, a record that is not Redis's SELECT is the rest of a torn batch.
        let engine = Engine()
        #expect(try replay(crashed + Array(Self.set("b", "2").utf8), into: engine) == .truncated(validLength: try file().count))
        #expect(engine.keyspace.databases[0].count == 1)

        // A batch after appended records is checked again.
        var more = try file() + Array(Self.set("b", "2").utf8)
        try Data(more).write(to: URL(fileURLWithPath: path))
        let reopened = try openLog()
        write(reopened, Self.set("c", "3"))
        try reopened.close()
        more = try file()
        #expect(try replay(more) == .complete)
        more[more.count - 3] ^= 0x01
        #expect(try replay(more) != .complete)
    }

    /// A batch that follows filler instead of the last batch's end means one in
    /// between was lost whole: the log ends there.
    @Test func aBatchAfterAGapEndsTheLog() throws {
        let log = try openLog()
        write(log, Self.set("a", "1"))
        let first = log.currentFileBytes
        write(log, Self.set("b", "2"))
        let second = log.currentFileBytes
        write(log, Self.set("c", "3"))
        var bytes = try file()
        try log.close()
        // The second batch never reached the disk: its bytes are still filler.
        for i in first..<second { bytes[i] = i % 64 == 63 ? UInt8(ascii: "\n") : UInt8(ascii: "#") }
        bytes[first] = UInt8(ascii: "#")
        let engine = Engine()
        #expect(try replay(bytes, into: engine) == .truncated(validLength: first))
        #expect(engine.keyspace.databases[0].count == 1)
    }

    @Test func headersAreParsedStrictly() {
        let good = "#CRC:12:00000000000000ff\r"
        for (line, valid) in [(good, true), ("#CRC:12:ff\r", false), ("#CRC:-1:00000000000000ff\r", false),
                              ("#CRC:12:00000000000000ff", false), ("#TS:1700000000\r", false), ("#CRC:x:00000000000000ff\r", false),
            ("#CRC:+12:00000000000000ff\r", false), ("#CRC::00000000000000ff\r", false)] {
            let bytes = Array(line.utf8)
            let batch = bytes.withUnsafeBytes { LogPreallocation.batch(in: $0, line: 0..<bytes.count) }
            #expect((batch != nil) == valid, "\(line)")
        }
    }

    @Test func contentEndsAfterTheLastRecordsLineEnd() throws {
        let cases: [(String, Int)] = [
            ("", 0),
            (Self.set("a", "1"), Self.set("a", "1").utf8.count),
            (Self.set("a", "1") + "######\n###\n#", Self.set("a", "1").utf8.count),
            ("#####\n", 0),
            (Self.set("a", "1") + "x\r#\n", (Self.set("a", "1") + "x\r#\n").utf8.count),  // a `\r` without its `\n` is no record's end
            ("*1\r\n$4\r\nPI", 10),  // a torn record: nothing to cut (the loader handles it)
        ]
        for (text, expected) in cases {
            try Data(text.utf8).write(to: URL(fileURLWithPath: path))
            let fd = open(path, O_RDONLY)
            defer { close(fd) }
            #expect(LogPreallocation.contentEnd(fd, size: text.utf8.count) == expected, "\(text.debugDescription)")
        }
    }
}
