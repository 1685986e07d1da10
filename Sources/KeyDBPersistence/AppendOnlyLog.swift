import KeyDBEngine
import NIOConcurrencyHelpers
import NIOCore
import NIOPosix

#if canImport(Glibc)
import Glibc
#endif

/// The open incremental AOF file: records queued under the keyspace lock, written
/// by the event loop after it lets go of that lock, and made durable either on
/// the event loop between turns (`appendfsync always`, one fsync shared by every
/// write of the turn) or by one background thread (everysec, and retries).
///
/// Three locks: `lock` guards the counters and the queue and is only ever held
/// briefly (it is taken under the keyspace lock); `writerLock` orders the file
/// writes and file switches, so a slow disk never holds up the keyspace;
/// `syncLock` lets one fsync run at a time, without holding up the writes
/// (taken after `writerLock` when both are).
///
/// A file begun under `always` is written in checked batches over a
/// preallocated tail (`LogPreallocation`), and stays a file of batches under
/// any policy: its loader then requires them. A file begun otherwise is
/// appended to, whatever the policy becomes (a rewrite starts a new file).
public final class AppendOnlyLog: @unchecked Sendable {  // state guarded by `lock`
    public enum FsyncPolicy: String, Sendable { case always, everysec, no }

    private let lock = NIOLock()
    private let writerLock = NIOLock()
    private let syncLock = NIOLock()
    private var fd: Int32
    private(set) var path: String
    private var queued: [UInt8] = []
    /// Byte positions in the stream of everything ever logged (they continue
    /// across file switches, and from the log this one replaced).
    private var appended: UInt64
    private var written: UInt64
    private var synced: UInt64
    private var waiters: [(offset: UInt64, body: @Sendable () -> Void)] = []
    private var syncScheduled = false
    private let syncThread: NIOThreadPool
    /// Bytes of records (and batch headers) in the current file: where the next
    /// write goes. Auto-rewrite compares it to the base.
    private var fileBytes: Int
    /// Whether the current file is written in checked batches; nil while it is empty (the
    /// policy of its first write decides).
    private var batched: Bool?
    /// The file's preallocated tail, while written under `always`.
    private var tail: PreallocatedTail? = nil
    private var writeError: String? = nil
    public var policy: FsyncPolicy {
        get { lock.withLock { policyValue } }
        set { lock.withLock { policyValue = newValue } }
    }
    private var policyValue: FsyncPolicy
    /// Told about write and fsync failures (the server log).
    let logWarning: @Sendable (String) -> Void
    /// Where slow writes and fsyncs are reported (LATENCY).
    let latency: LatencyMonitor
    /// fdatasync; tests give a slow one.
    private let dataSync: @Sendable (Int32) -> Int32

    init(path: String, policy: FsyncPolicy, startingAt offset: UInt64 = 0, latency: LatencyMonitor = LatencyMonitor(),
         dataSync: @escaping @Sendable (Int32) -> Int32 = { fdatasync($0) },
         logWarning: @escaping @Sendable (String) -> Void) throws {
        fd = try FileIO.openForWriting(path)
        self.path = path
        do {
            (fileBytes, batched) = try Self.opening(fd, path)
        } catch {
            Glibc.close(fd)
            throw error
        }
        policyValue = policy
        appended = offset
        written = offset
        synced = offset
        self.logWarning = logWarning
        self.latency = latency
        self.dataSync = dataSync
        syncThread = NIOThreadPool(numberOfThreads: 1)
        syncThread.start()
    }

    deinit {
        tail?.stop()
        Glibc.close(fd)
    }

    /// The log is turned off: syncs what it has, cuts off any tail, and stops its thread.
    func close() throws {
        defer {
            lock.withLock { tail }?.stop()
            syncThread.shutdownGracefully { _ in }
        }
        try syncCuttingTail()
    }

    /// Writes and syncs everything, and leaves the file with its records alone
    /// (shutting down, the log turned off): the file is as Redis would have written it.
    /// A later write under `always` starts a new tail.
    public func syncCuttingTail() throws {
        try writerLock.withLock {
            try writeAndSyncWriting()
            guard let current = lock.withLock({ tail }) else { return }
            let failure = cutTail(current)
            lock.withLock { tail = nil }
            if let failure { throw PersistenceError("Can't cut the preallocated tail of the AOF file: \(failure)") }
        }
    }

    /// With `writerLock` held: cuts `tail`'s file back to its records. A failed
    /// fsync there counts as any failed fsync of the log; a failed cut leaves
    /// filler, which loads. Returns what failed.
    private func cutTail(_ tail: PreallocatedTail) -> String? {
        switch tail.cut(to: lock.withLock { fileBytes }) {
        case nil: return nil
        case .truncate(let reason): return reason
        case .sync(let reason):
            syncFailed(reason)
            return reason
        }
    }

    /// Opening a file: where its records end, with any tail a crash left cut off,
    /// and whether it is a file of batches (it begins with a batch header).
    private static func opening(_ fd: Int32, _ path: String) throws -> (size: Int, batched: Bool?) {
        var info = stat()
        guard fstat(fd, &info) == 0 else { throw PersistenceError.errno("Can't stat", path) }
        let size = Int(info.st_size)
        let end = LogPreallocation.contentEnd(fd, size: size)
        // Writes go where the records end; the loader takes a batch after a gap for a lost one.
        if end < size && ftruncate(fd, off_t(end)) != 0 { throw PersistenceError.errno("Can't cut the preallocated tail of", path) }
        return (end, end == 0 ? nil : LogPreallocation.beginsWithBatch(fd))
    }

    // MARK: - Appending

    /// Takes the records in `buffer` (emptying it); returns the stream position they end at.
    func enqueue(_ buffer: inout ByteBuffer) -> UInt64 {
        lock.withLock {
            buffer.withUnsafeReadableBytes { queued.append(contentsOf: $0) }
            appended += UInt64(buffer.readableBytes)
            buffer.clear()
            if buffer.capacity > AppendOnlyFeed.keptCapacity {
                buffer = ByteBufferAllocator().buffer(capacity: AppendOnlyFeed.initialCapacity)
            }
            return appended
        }
    }

    /// The stream position everything logged so far ends at.
    public var appendedOffset: UInt64 { lock.withLock { appended } }

    /// Writes what is queued to the file (not yet durable). Replies may follow.
    public func writeQueued() {
        writerLock.withLock { _ = writeQueuedWriting() }
    }

    /// With `writerLock` held: writes the queue; false when the disk refused.
    private func writeQueuedWriting() -> Bool {
        let (chunk, descriptor, file, sizeBefore, syncing, asBatch, currentTail): ([UInt8], Int32, String, Int, Bool, Bool, PreallocatedTail?) = lock.withLock {
            defer { queued = [] }
            guard !queued.isEmpty else { return ([], fd, path, fileBytes, false, false, nil) }
            if batched == nil { batched = policyValue == .always }
            if batched == true && policyValue == .always && tail == nil { tail = PreallocatedTail(path: path, end: fileBytes) }
            return (queued, fd, path, fileBytes, syncScheduled, batched == true, tail)
        }
        guard !chunk.isEmpty else { return true }
        if asBatch {
            return writeBatch(chunk, descriptor, file, at: sizeBefore, over: currentTail, syncing: syncing)
        }
        // As Redis, a slow write counts as one of two kinds: behind a running fsync, or not.
        let (count, failure) = latency.measure(syncing ? "aof-write-pending-fsync" : "aof-write-alone", "aof-write") {
            chunk.withUnsafeBytes { FileIO.write(descriptor, $0, at: sizeBefore) }
        }
        return lock.withLock {
            guard let failure else {
                written += UInt64(count)
                fileBytes += count
                if writeError != nil {
                    writeError = nil
                    logWarning("AOF write error looks solved, the log is being written again.")
                }
                return true
            }
            // A short write must not stay in the file: the retry writes the whole
            // chunk again. Cut it off; if that fails too, keep it and retry the rest.
            var unwritten = chunk[...]
            if count > 0 {
                if ftruncate(descriptor, off_t(sizeBefore)) != 0 {
                    written += UInt64(count)
                    fileBytes += count
                    unwritten = chunk[count...]
                }
            }
            writeFailed(unwritten, file, failure)
            return false
        }
    }

    /// With `lock` held: `unwritten` goes back to the queue's front for the next try.
    private func writeFailed(_ unwritten: ArraySlice<UInt8>, _ file: String, _ failure: String) {
        queued = Array(unwritten) + queued
        if writeError == nil { logWarning("Error writing to the AOF file \(file): \(failure)") }
        writeError = failure
    }

    /// With `writerLock` held: writes `chunk` as one checked batch at `offset`.
    /// Over a tail, a `#` follows it: if that lands on the `\n` of a filler
    /// line, the line joins the next instead of leaving an empty line (which
    /// Redis would not load).
    private func writeBatch(_ chunk: [UInt8], _ descriptor: Int32, _ file: String, at offset: Int,
                            over tail: PreallocatedTail?, syncing: Bool) -> Bool {
        let header = chunk.withUnsafeBytes { LogPreallocation.header(for: $0) }
        let length = header.count + chunk.count
        let failure: String? = latency.measure(syncing ? "aof-write-pending-fsync" : "aof-write-alone", "aof-write") {
            guard let tail else { return FileIO.write(descriptor, [header, chunk], at: offset) }
            if let failure = tail.reserve(through: offset + length + 1, growingOn: syncThread) { return failure }
            return FileIO.write(descriptor, [header, chunk, [UInt8(ascii: "#")]], at: offset)
        }
        return lock.withLock {
            if let failure {
                // Nothing counts as written: the retry writes the whole batch at the same offset.
                writeFailed(chunk[...], file, failure)
                return false
            }
            written += UInt64(chunk.count)
            fileBytes += length
            if writeError != nil {
                writeError = nil
                logWarning("AOF write error looks solved, the log is being written again.")
            }
            return true
        }
    }

    // MARK: - Durability

    public func isSynced(through offset: UInt64) -> Bool { lock.withLock { synced >= offset } }

    /// Calls `body` (on the sync thread, or now) once everything up to `offset` is on disk.
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
    /// False when the disk refused the write: the sync thread retries it.
    public func syncNow(through offset: UInt64) -> Bool {
        if isSynced(through: offset) { return true }
        let outcome: Bool = writerLock.withLock {
            guard writeQueuedWriting() else { return false }
            return policy == .always ? latency.measure("aof-fsync-always") { syncWritten() } : syncWritten()
        }
        return outcome && isSynced(through: offset)
    }

    /// Fsyncs what is written and wakes whoever it covers. One at a time: the
    /// kernel reports a lost write to only one fsync of the file, so a second
    /// one running beside it could succeed and release replies past the loss.
    private func syncWritten() -> Bool {
        let (succeeded, done): (Bool, [@Sendable () -> Void]) = syncLock.withLock {
            let (descriptor, target, currentTail) = lock.withLock { (fd, written, tail) }
            guard dataSync(descriptor) == 0 else {
                syncFailed(String(cString: strerror(errno)))
                return (false, [])
            }
            if let failure = currentTail?.takeSyncFailure() {
                syncFailed(failure)
                return (false, [])
            }
            return (true, lock.withLock {
                synced = max(synced, target)
                let done = waiters.filter { $0.offset <= synced }.map(\.body)
                waiters.removeAll { $0.offset <= synced }
                return done
            })
        }
        done.forEach { $0() }
        return succeeded
    }

    /// After a failed fsync the kernel may have dropped the pages: a later fsync
    /// succeeding proves nothing. Under `always` that breaks the promise made to
    /// clients, so the server stops, as Redis does; otherwise INFO reports it.
    private func syncFailed(_ reason: String) {
        let fatal: Bool = lock.withLock {
            writeError = reason
            return policyValue == .always
        }
        if fatal {
            logWarning("Can't persist AOF for fsync error when the AOF fsync policy is 'always': \(reason). Exiting...")
            exit(1)
        }
        logWarning("Can't fsync the AOF file \(path): \(reason)")
    }

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

    /// Writes and syncs until no one waits: each round covers everything written before it.
    /// The fsync runs without `writerLock`, so the event loop's writes go on
    /// meanwhile, as Redis's main thread never waits for its background fsync.
    private func syncLoop() {
        while true {
            let succeeded = writerLock.withLock { writeQueuedWriting() } && syncWritten()
            let again: Bool = lock.withLock {
                let again = !waiters.isEmpty
                if !again { syncScheduled = false }
                return again
            }
            guard again else { return }
            if !succeeded { usleep(100_000) }  // a failing disk: retry without spinning
        }
    }

    /// Writes and syncs everything now (SHUTDOWN, switching files, turning the log off).
    public func syncNow() throws {
        try writerLock.withLock { try writeAndSyncWriting() }
    }

    /// With `writerLock` held: writes the queue and syncs the file.
    private func writeAndSyncWriting() throws {
        guard writeQueuedWriting() else { throw PersistenceError("AOF write failed: \(writeError ?? "")") }
        guard syncWritten() else { throw PersistenceError("AOF fsync failed: \(writeError ?? "")") }
    }

    // MARK: - Switching files

    /// Makes the current file durable and continues in `newPath` (a rewrite began).
    func switchFile(to newPath: String) throws {
        let newFD = try FileIO.openForWriting(newPath)
        let old: Int32 = try writerLock.withLock {
            let opened: (size: Int, batched: Bool?)
            do {
                guard writeQueuedWriting(), syncWritten() else {
                    throw PersistenceError("Can't switch AOF files: \(writeError ?? "")")
                }
                opened = try Self.opening(newFD, newPath)
            } catch {
                Glibc.close(newFD)
                throw error
            }
            let (newSize, newBatched) = opened
            // The finished file keeps only its records.
            if let oldTail = lock.withLock({ tail }), let failure = cutTail(oldTail) {
                logWarning("Can't cut the preallocated tail of the AOF file \(lock.withLock { path }): \(failure)")
            }
            // Swapped between fsyncs: none can still be using the old descriptor.
            return syncLock.withLock {
                lock.withLock {
                    let old = fd
                    fd = newFD
                    path = newPath
                    fileBytes = newSize
                    batched = newBatched
                    tail = nil
                    return old
                }
            }
        }
        Glibc.close(old)
    }

    /// The open file was renamed (a first base made it part of the log).
    func renamed(to newPath: String) { lock.withLock { path = newPath } }

    // MARK: - INFO

    var currentFileBytes: Int { lock.withLock { fileBytes + queued.count } }
    var pendingBytes: Int { lock.withLock { queued.count } }
    var hasUnwritten: Bool { lock.withLock { !queued.isEmpty } }
    var lastWriteFailed: Bool { lock.withLock { writeError != nil } }
    var lastError: String? { lock.withLock { writeError } }
    var syncPending: Bool { lock.withLock { syncScheduled } }
}
