import NIOConcurrencyHelpers
import NIOCore
import NIOPosix

#if canImport(Glibc)
import Glibc
#endif

/// The open incremental AOF file: records queued under the keyspace lock, written
/// by the event loop after it lets go of that lock, and made durable by one
/// background thread. Under `appendfsync always` callers wait for `whenSynced`:
/// every write that reached the file before an fsync starts shares that fsync
/// (group commit), and nothing holds the keyspace while the disk works.
public final class AppendOnlyLog: @unchecked Sendable {  // state guarded by `lock`
    public enum FsyncPolicy: String, Sendable { case always, everysec, no }

    private let lock = NIOLock()
    private var fd: Int32
    private(set) var path: String
    private var queued: [UInt8] = []
    /// Byte positions in the stream of everything ever logged (across file switches).
    private var appended: UInt64 = 0
    private var written: UInt64 = 0
    private var synced: UInt64 = 0
    private var waiters: [(offset: UInt64, body: @Sendable () -> Void)] = []
    private var syncScheduled = false
    private let syncThread: NIOThreadPool
    /// Bytes in the current file (auto-rewrite compares it to the base).
    private var fileBytes: Int
    private var writeError: String? = nil
    public var policy: FsyncPolicy {
        get { lock.withLock { policyValue } }
        set { lock.withLock { policyValue = newValue } }
    }
    private var policyValue: FsyncPolicy
    /// Told about write and fsync failures (the server log).
    let logWarning: @Sendable (String) -> Void

    init(path: String, policy: FsyncPolicy, logWarning: @escaping @Sendable (String) -> Void) throws {
        fd = try FileIO.openForAppend(path)
        self.path = path
        fileBytes = FileIO.size(path) ?? 0
        policyValue = policy
        self.logWarning = logWarning
        syncThread = NIOThreadPool(numberOfThreads: 1)
        syncThread.start()
    }

    deinit {
        close(fd)
        try? syncThread.syncShutdownGracefully()
    }

    // MARK: - Appending

    /// Takes the records in `buffer` (emptying it); returns the stream position they end at.
    func enqueue(_ buffer: inout ByteBuffer) -> UInt64 {
        lock.withLock {
            buffer.withUnsafeReadableBytes { queued.append(contentsOf: $0) }
            appended += UInt64(buffer.readableBytes)
            buffer.clear()
            return appended
        }
    }

    /// The stream position everything logged so far ends at.
    public var appendedOffset: UInt64 { lock.withLock { appended } }

    /// Writes what is queued to the file (not yet durable). Replies may follow.
    public func writeQueued() {
        lock.withLock { writeQueuedLocked() }
    }

    private func writeQueuedLocked() {
        guard !queued.isEmpty else { return }
        do {
            try queued.withUnsafeBytes { bytes in try FileIO.writeAll(fd, bytes, path: path) }
            written += UInt64(queued.count)
            fileBytes += queued.count
            queued.removeAll(keepingCapacity: queued.capacity <= 1 << 20)
            if writeError != nil {
                writeError = nil
                logWarning("AOF write error looks solved, Redis can write again.")
            }
        } catch {
            // Kept queued: the next attempt writes it again, in order.
            if writeError == nil { logWarning("Error writing to the AOF file: \(error)") }
            writeError = "\(error)"
        }
    }

    // MARK: - Durability

    /// Whether everything up to `offset` is on disk already.
    public func isSynced(through offset: UInt64) -> Bool { synced(through: offset) }

    /// Calls `body` (on the sync thread) once everything up to `offset` is on disk.
    public func whenSynced(_ offset: UInt64, _ body: @escaping @Sendable () -> Void) {
        let now: Bool = lock.withLock {
            if synced >= offset { return true }
            waiters.append((offset, body))
            scheduleSyncLocked()
            return false
        }
        if now { body() }
    }

    /// Writes and syncs through at least `offset` on the calling thread (an event
    /// loop between turns, as Redis's beforeSleep); the keyspace lock is not held.
    /// False when the disk refused: the caller keeps waiting on `whenSynced`.
    public func syncNow(through offset: UInt64) -> Bool {
        let (descriptor, target): (Int32, UInt64) = lock.withLock {
            writeQueuedLocked()
            return (fd, written)
        }
        if lock.withLock({ synced >= offset }) { return true }
        guard fdatasync(descriptor) == 0 else { return false }
        let done: [@Sendable () -> Void] = lock.withLock {
            synced = max(synced, target)
            let done = waiters.filter { $0.offset <= synced }.map(\.body)
            waiters.removeAll { $0.offset <= synced }
            return done
        }
        done.forEach { $0() }
        return synced(through: offset)
    }

    private func synced(through offset: UInt64) -> Bool { lock.withLock { synced >= offset } }

    /// everysec: one background fsync when something was written since the last.
    public func syncInBackground() {
        lock.withLock {
            if written > synced || !queued.isEmpty { scheduleSyncLocked() }
        }
    }

    private func scheduleSyncLocked() {
        guard !syncScheduled else { return }
        syncScheduled = true
        syncThread.submit { [self] _ in syncLoop() }
    }

    /// Syncs until no one waits: each round covers everything written before it started.
    private func syncLoop() {
        while true {
            let (descriptor, target): (Int32, UInt64) = lock.withLock {
                writeQueuedLocked()
                return (fd, written)
            }
            let succeeded = fdatasync(descriptor) == 0
            let (done, again): ([@Sendable () -> Void], Bool) = lock.withLock {
                // A file switched away from meanwhile was synced whole by the switch.
                if succeeded || descriptor != fd {
                    synced = max(synced, target)
                } else {
                    let reason = String(cString: strerror(errno))
                    if writeError == nil { logWarning("Can't fsync the AOF file \(path): \(reason)") }
                    writeError = "fsync: \(reason)"
                }
                let done = waiters.filter { $0.offset <= synced }.map(\.body)
                waiters.removeAll { $0.offset <= synced }
                let again = !waiters.isEmpty
                if !again { syncScheduled = false }
                return (done, again)
            }
            done.forEach { $0() }
            guard again else { return }
            if !succeeded { usleep(100_000) }  // a failing disk: retry without spinning
        }
    }

    /// Writes and syncs everything now (SHUTDOWN, switching files).
    public func syncNow() throws {
        try lock.withLock { () throws in try syncLocked() }
    }

    private func syncLocked() throws {
        writeQueuedLocked()
        if let writeError { throw PersistenceError("AOF write failed: \(writeError)") }
        try FileIO.sync(fd, path: path)
        synced = written
    }

    // MARK: - Switching files

    /// Makes the current file durable and continues in `newPath` (a rewrite began).
    func switchFile(to newPath: String) throws {
        let newFD = try FileIO.openForAppend(newPath)
        let old: Int32 = try lock.withLock { () throws -> Int32 in
            do { try syncLocked() } catch { close(newFD); throw error }
            let old = fd
            fd = newFD
            path = newPath
            fileBytes = FileIO.size(newPath) ?? 0
            return old
        }
        // Closed on the sync thread, after any fsync of it still running there.
        syncThread.submit { _ in close(old) }
    }

    // MARK: - INFO

    var currentFileBytes: Int { lock.withLock { fileBytes + queued.count } }
    var pendingBytes: Int { lock.withLock { queued.count } }
    var hasUnwritten: Bool { lock.withLock { !queued.isEmpty } }
    var lastWriteFailed: Bool { lock.withLock { writeError != nil } }
    var syncPending: Bool { lock.withLock { syncScheduled } }
}
