import Foundation
import NIOConcurrencyHelpers
import NIOCore
@testable import KeyDBPersistence
import Testing

/// `appendfsync everysec`: the fsync runs on the log's own thread, and the
/// event loop's writes must not wait for it (a slow disk stalled every client
/// once a second when they did).
@Suite struct BackgroundSyncTests {
    let path = NSTemporaryDirectory() + "swiftkeydb-bgsync-\(UUID().uuidString).aof"

    /// An fdatasync that blocks until `release` is signalled, and says when it starts.
    final class HeldSync: Sendable {
        let started = DispatchSemaphore(value: 0)
        let release = DispatchSemaphore(value: 0)
        let calls = NIOLockedValueBox(0)

        func sync(_ fd: Int32) -> Int32 {
            calls.withLockedValue { $0 += 1 }
            started.signal()
            release.wait()
            return fdatasync(fd)
        }
    }

    @Test func writesGoOnWhileTheBackgroundFsyncRuns() throws {
        let held = HeldSync()
        let log = try AppendOnlyLog(path: path, policy: .everysec, dataSync: { held.sync($0) }, logWarning: { _ in })
        defer { try? FileManager.default.removeItem(atPath: path) }

        var first = ByteBuffer(string: "*1\r\n$4\r\nPING\r\n")
        let firstEnd = log.enqueue(&first)
        log.writeQueued()
        log.syncInBackground()
        #expect(held.started.wait(timeout: .now() + 10) == .success, "the background fsync began")

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
}
