import Foundation
import NIOConcurrencyHelpers
import NIOCore
@testable import KeyDBPersistence
import Testing

/// `appendfsync everysec`: the fsync runs on the log's own thread, and the
/// event loop's writes must not wait for it (a slow disk stalled every client
/// once a second when they did).
@Suite(.serialized) struct BackgroundSyncTests {
    let path = NSTemporaryDirectory() + "swiftkeydb-bgsync-\(UUID().uuidString).aof"

    /// An fdatasync that blocks until `release` is signalled, and says when it starts.
    final class HeldSync: Sendable {
        let started = DispatchSemaphore(value: 0)
        let release = DispatchSemaphore(value: 0)
        let calls = NIOLockedValueBox(0)

        func sync(_ fd: Int32) -> Int32 {
            calls.withLockedValue { $0 += 1 }
            started.signal()
            _ = release.wait(timeout: .now() + 30)  // (a test gone wrong does not hang)
            return fdatasync(fd)
        }
    }

    /// An everysec log with one record written and its background fsync begun and held.
    func logWithAFsyncHeld() throws -> (AppendOnlyLog, HeldSync, UInt64) {
        let held = HeldSync()
        let log = try AppendOnlyLog(path: path, policy: .everysec, dataSync: { held.sync($0) }, logWarning: { _ in })
        var first = ByteBuffer(string: "*1\r\n$4\r\nPING\r\n")
        let end = log.enqueue(&first)
        log.writeQueued()
        log.syncInBackground()
        #expect(held.started.wait(timeout: .now() + 10) == .success, "the background fsync began")
        return (log, held, end)
    }

    @Test func writesGoOnWhileTheBackgroundFsyncRuns() throws {
        let (log, held, firstEnd) = try logWithAFsyncHeld()
        defer { try? FileManager.default.removeItem(atPath: path) }

        // The loop writes the next turn's records while that fsync is still running.
        var second = ByteBuffer(string: "*1\r\n$4\r\nPING\r\n")
        let secondEnd = log.enqueue(&second)
        let wrote = DispatchSemaphore(value: 0)
        DispatchQueue.global().async {
            log.writeQueued()
            wrote.signal()
        }
        let notBlocked = wrote.wait(timeout: .now() + 5) == .success
        held.release.signal()
        if !notBlocked { _ = wrote.wait(timeout: .now() + 10) }
        #expect(notBlocked, "a write waited for the background fsync")
        #expect(log.currentFileBytes == Int(secondEnd))

        // The fsync covers what was written before it began, not what came during it.
        let deadline = Date().addingTimeInterval(10)
        while !log.isSynced(through: firstEnd) && Date() < deadline { usleep(1000) }
        #expect(log.isSynced(through: firstEnd))
        #expect(!log.isSynced(through: secondEnd))
        held.release.signal()  // for the close's own fsync
        try log.close()
        #expect(log.isSynced(through: secondEnd))
    }

    /// The kernel reports a lost write to one fsync of a file only: a second fsync
    /// running beside the first could succeed and release replies past the loss.
    @Test func fsyncsNeverOverlap() throws {
        let (log, held, _) = try logWithAFsyncHeld()
        defer { try? FileManager.default.removeItem(atPath: path) }

        // Now the loop must sync a write of its own (CONFIG SET appendfsync always, say).
        log.policy = .always
        var second = ByteBuffer(string: "*1\r\n$4\r\nPING\r\n")
        let secondEnd = log.enqueue(&second)
        let synced = DispatchSemaphore(value: 0)
        let outcome = NIOLockedValueBox(false)
        DispatchQueue.global().async {
            outcome.withLockedValue { $0 = log.syncNow(through: secondEnd) }
            synced.signal()
        }
        // Given two seconds, the loop's fsync must not begin while the first is held.
        let deadline = Date().addingTimeInterval(2)
        while held.calls.withLockedValue({ $0 }) == 1 && Date() < deadline { usleep(1000) }
        #expect(held.calls.withLockedValue { $0 } == 1, "a second fsync began while the first ran")
        held.release.signal()
        #expect(held.started.wait(timeout: .now() + 10) == .success, "the second fsync began after the first")
        held.release.signal()
        #expect(synced.wait(timeout: .now() + 10) == .success)
        #expect(outcome.withLockedValue { $0 } && log.isSynced(through: secondEnd))
        held.release.signal()  // for the close's own fsync
        try log.close()
    }
}
