import KeyDBEngine
import KeyDBRESP
import NIOCore
import Testing

/// MIGRATE's conversation with its target, played by a scripted link (the unit
/// tests open no sockets; test_migrate.py runs it between real servers).
@Suite struct MigrateTests {
    /// A target that records what it is sent and answers the lines it is given;
    /// a nil line (or running out) is a failed read, a timeout when `timesOut`.
    final class ScriptedTarget: MigrationLink {
        var sent: [UInt8] = []
        var lines: [[UInt8]?]
        var timesOut = false
        private(set) var timedOut = false
        private(set) var closed = false
        init(_ lines: [String?], timesOut: Bool = false) {
            self.lines = lines.map { $0.map { Array($0.utf8) } }
            self.timesOut = timesOut
        }
        func write(_ bytes: [UInt8], timeout: Int) -> Bool {
            sent += bytes
            return true
        }
        func readLine(timeout: Int) -> [UInt8]? {
            guard !lines.isEmpty, let line = lines.removeFirst() else {
                timedOut = timesOut
                return nil
            }
            return line
        }
        func close() { closed = true }

        /// The commands sent, as text argv lists.
        var commands: [[String]] {
            sent.withUnsafeBytes { decodeCommands($0) }.commands.map { $0.map { String(decoding: $0, as: UTF8.self) } }
        }
    }

    let harness = EngineHarness()
    let feed = AppendOnlyFeed()
    /// The links opened, in order, with the port each was opened for.
    var opened: [(target: ScriptedTarget, port: Int)] { openedBox.value }
    private let openedBox = Box()
    final class Box: @unchecked Sendable { var value: [(target: ScriptedTarget, port: Int)] = []; var next: [ScriptedTarget] = [] }

    init() {
        harness.engine.appendOnlyFeed = feed
        harness.engine.migrationLinks.open = { [openedBox] _, port, _ in
            guard !openedBox.next.isEmpty else { return nil }
            let target = openedBox.next.removeFirst()
            openedBox.value.append((target, port))
            return target
        }
    }

    func targets(_ targets: ScriptedTarget...) { openedBox.next = targets }

    /// The log's records, SELECTs left out.
    func logged() -> [[String]] {
        feed.buffer.withUnsafeReadableBytes { decodeCommands($0) }.commands
            .map { $0.map { String(decoding: $0, as: UTF8.self) } }.filter { $0.first != "SELECT" }
    }

    @Test func movedKeysAreDeletedLoggedAsDelAndTheLinkIsKeptWithItsDatabase() {
        let target = ScriptedTarget(["+OK", "+OK", "+OK", "+OK"])
        targets(target)
        harness.run("SET", "a", "1")
        harness.run("SET", "b", "2", "PX", "5000")
        feed.buffer.clear()
        #expect(harness.run("MIGRATE", "host", "7000", "", "3", "100", "KEYS", "a", "missing", "b") == "+OK\r\n")
        #expect(harness.run("DBSIZE") == ":0\r\n")
        #expect(logged() == [["DEL", "a", "b"]])
        #expect(target.commands.map { Array($0.prefix(3)) } == [["SELECT", "3"], ["RESTORE", "a", "0"], ["RESTORE", "b", "5000"]])
        // Again to the same target and database: the same link, no SELECT.
        harness.run("SET", "c", "3")
        #expect(harness.run("MIGRATE", "host", "7000", "c", "3", "100", "COPY", "REPLACE") == "+OK\r\n")
        #expect(harness.run("EXISTS", "c") == ":1\r\n")
        #expect(target.commands.last.map { $0.count } == 5)
        #expect(target.commands.last?.last == "REPLACE")
        #expect(opened.count == 1 && opened[0].port == 7000)
        #expect(harness.engine.migrationLinks.count == 1)
    }

    @Test func aLinkThatFailsBeforeAnyAnswerIsReopenedOnce() {
        let stale = ScriptedTarget([]), fresh = ScriptedTarget(["+OK", "+OK"])
        targets(stale, fresh)
        harness.run("SET", "k", "v")
        #expect(harness.run("MIGRATE", "host", "7000", "k", "0", "100") == "+OK\r\n")
        #expect(stale.closed && !fresh.closed)
        #expect(harness.run("EXISTS", "k") == ":0\r\n")
    }

    @Test func aTimeoutIsNotRetriedAndTheKeyStays() {
        let silent = ScriptedTarget([], timesOut: true)
        targets(silent, ScriptedTarget(["+OK", "+OK"]))
        harness.run("SET", "k", "v")
        #expect(harness.run("MIGRATE", "host", "7000", "k", "0", "100") == "-IOERR error or timeout reading to target instance\r\n")
        #expect(opened.count == 1 && silent.closed)
        #expect(harness.run("EXISTS", "k") == ":1\r\n")
        #expect(harness.engine.migrationLinks.count == 0)
    }

    @Test func aRefusedKeyStaysTheOthersMoveAndTheDatabaseIsSelectedAgain() {
        let target = ScriptedTarget(["+OK", "+OK", "-BUSYKEY Target key name already exists.", "+OK", "+OK", "+OK"])
        targets(target)
        harness.run("MSET", "a", "1", "b", "2", "c", "3")
        feed.buffer.clear()
        #expect(harness.run("MIGRATE", "host", "7000", "", "0", "100", "KEYS", "a", "b", "c")
                == "-ERR Target instance replied with error: BUSYKEY Target key name already exists.\r\n")
        #expect(harness.run("KEYS", "*") == "*1\r\n$1\r\nb\r\n")
        #expect(logged() == [["DEL", "a", "c"]])
        #expect(harness.run("MIGRATE", "host", "7000", "b", "0", "100") == "+OK\r\n")
        #expect(target.commands.filter { $0.first == "SELECT" }.count == 2)
    }

    @Test func anUnreachableTargetAndAPortReadAsAtoiReadsIt() {
        harness.run("SET", "k", "v")
        #expect(harness.run("MIGRATE", "host", "7000", "k", "0", "100") == "-IOERR error or timeout connecting to the client\r\n")
        targets(ScriptedTarget(["+OK", "+OK"]))
        #expect(harness.run("MIGRATE", "host", " 12abc", "k", "0", "100") == "+OK\r\n")
        #expect(opened.map(\.port) == [12])
    }

    @Test func idleLinksCloseAfterTenSeconds() {
        let target = ScriptedTarget(["+OK", "+OK"])
        targets(target)
        harness.run("SET", "k", "v")
        #expect(harness.run("MIGRATE", "host", "7000", "k", "0", "100") == "+OK\r\n")
        harness.engine.migrationLinks.closeIdle(now: harness.now + 10_000)
        #expect(!target.closed)
        harness.engine.migrationLinks.closeIdle(now: harness.now + 10_001)
        #expect(target.closed && harness.engine.migrationLinks.count == 0)
    }
}
