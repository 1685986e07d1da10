import KeyDBEngine
import NIOCore

#if canImport(Glibc)
import Glibc
#endif

/// What a batch's replies wait for: the log written (and synced) through `offset`.
public struct LogWait: Sendable {
    public let log: AppendOnlyLog
    public let offset: UInt64
    public let sync: Bool
}

/// Snapshots and the append-only log for one engine: loading at start, the log
/// file and its fsync policy, SAVE / BGSAVE / BGREWRITEAOF, the save schedule,
/// automatic rewrites, and the INFO persistence fields.
///
/// Everything but `load` runs under the keyspace lock.
public final class Persistence: PersistenceControl, @unchecked Sendable {  // guarded by the keyspace lock
    let engine: Engine
    /// Takes the keyspace lock around `body` (loading takes it per batch).
    let withKeyspace: (() -> Void) -> Void
    let logWarning: @Sendable (String) -> Void
    let logNotice: @Sendable (String) -> Void

    public internal(set) var log: AppendOnlyLog?
    var manifest = AOFManifest()
    var child: BackgroundChild?
    var rewriteScheduled = false
    /// Where the last log's positions ended, so a new log's continue after them
    /// (replies still held for the old one must not be released by the new one's).
    var previousLogEnd: UInt64 = 0
    /// The log was turned on at run time and its first base is not written yet:
    /// writes go to a temporary file the manifest does not name.
    var initialRewrite = false
    /// Whether the running rewrite writes an RDB base (aof-use-rdb-preamble when it started).
    var rewriteAsSnapshot = true
    var snapshotScheduled = false

    // What INFO persistence reports.
    public internal(set) var lastSaveTime: Int64
    var dirtyAtLastSave = 0
    var lastSnapshotSucceeded = true
    var lastSnapshotSeconds = -1
    var lastSnapshotAttempt: Int64 = 0
    var snapshots = 0
    var lastRewriteSucceeded = true
    var lastRewriteSeconds = -1
    var rewrites = 0
    var rewriteFailuresInARow = 0
    var baseSize = 0
    var keysLoaded = 0
    var keysExpiredOnLoad = 0
    /// Where the replication stream stood when the snapshot loaded at start was made, and
    /// the keys it skipped as expired (a restarted master streams their DELs).
    public internal(set) var loadedReplicationPosition: ReplicationPosition?
    public var keysExpiredAtLoad: [(database: Int, key: Bytes)] = []
    private var lastBackgroundSync: Int64 = 0

    public init(engine: Engine, withKeyspace: @escaping (() -> Void) -> Void,
                logNotice: @escaping @Sendable (String) -> Void, logWarning: @escaping @Sendable (String) -> Void) {
        self.engine = engine
        self.withKeyspace = withKeyspace
        self.logNotice = logNotice
        self.logWarning = logWarning
        lastSaveTime = Clock.milliseconds() / 1000
    }

    var configuration: Configuration { engine.configuration }
    var directory: String { configuration.dir }
    var logDirectory: String { directory + "/" + configuration.appendDirname }
    var manifestPath: String { logDirectory + "/" + configuration.appendFilename + ".manifest" }
    var snapshotPath: String { directory + "/" + configuration.dbFilename }
    var changesSinceSave: Int { engine.keyspace.dirty - dirtyAtLastSave }

    // MARK: - After each command batch

    /// Hands the records of the batch just run to the log. Returns the log position
    /// the batch's replies must wait for (written, or synced under `always`), or nil
    /// when they need not wait: no log, or nothing of theirs or unsynced to wait for.
    public func takeRecords() -> LogWait? {
        let replication = engine.replication
        guard let log else {
            if replication.isStreaming, let feed = engine.appendOnlyFeed { forward(feed.settledBytes, of: feed) }
            return nil
        }
        let feed = engine.appendOnlyFeed
        // A paused script's unit stays buffered until it ends (it is framed as one
        // transaction); whatever finished before it is taken now.
        let settled = feed?.settledBytes ?? 0
        let wrote = settled > 0
        var end = log.appendedOffset
        if wrote {
            let (forLog, forReplicas) = feed!.takeRestricted(settled)
            if replication.isStreaming { stream(forReplicas, orThe: settled, of: feed!) }
            if var forLog {
                // Records for the replicas alone (PUBLISH) stay out of the file.
                end = log.enqueue(&forLog)
                feed!.buffer.moveReaderIndex(forwardBy: settled)
                if feed!.buffer.readableBytes == 0 { feed!.buffer.clear() }
            } else if settled == feed!.buffer.readableBytes {
                end = log.enqueue(&feed!.buffer)
            } else {
                var finished = feed!.buffer.readSlice(length: settled)!
                end = log.enqueue(&finished)
            }
        }
        if replication.isStreaming { replication.afterBatch(engine: engine) }
        // Under `always` even a read waits while what it may have seen is not on disk.
        if log.policy == .always {
            return log.isSynced(through: end) ? nil : LogWait(log: log, offset: end, sync: true)
        }
        // Otherwise a reply waits only for the file write of what it may have seen
        // (a blocked client served by another connection's push, for one).
        return wrote || log.hasUnwritten ? LogWait(log: log, offset: end, sync: false) : nil
    }

    /// The replicas' part of the first `count` bytes of `feed`: `restricted` when some were for the log alone.
    private func stream(_ restricted: ByteBuffer?, orThe count: Int, of feed: AppendOnlyFeed) {
        if let restricted {
            restricted.withUnsafeReadableBytes { engine.replication.feed($0, engine: engine) }
        } else {
            feed.buffer.withUnsafeReadableBytes { engine.replication.feed(UnsafeRawBufferPointer(rebasing: $0.prefix(count)), engine: engine) }
        }
    }

    /// With no log, the first `count` bytes of `feed` go to the replicas alone.
    private func forward(_ count: Int, of feed: AppendOnlyFeed) {
        if count > 0 {
            stream(feed.takeRestricted(count).forReplicas, orThe: count, of: feed)
            feed.buffer.moveReaderIndex(forwardBy: count)
            if feed.buffer.readableBytes == 0 {
                feed.buffer.clear()
                feed.cleared()
                if feed.buffer.capacity > AppendOnlyFeed.keptCapacity { feed.buffer = ByteBufferAllocator().buffer(capacity: AppendOnlyFeed.initialCapacity) }
            }
        }
        engine.replication.afterBatch(engine: engine)
    }

    /// A log starts: what the feed holds from before it goes to the replicas alone,
    /// and the log's reader starts with a SELECT.
    func prepareFeedForLog() {
        if let feed = engine.appendOnlyFeed {
            if engine.replication.isStreaming { forward(feed.settledBytes, of: feed) }
        } else {
            engine.appendOnlyFeed = AppendOnlyFeed()
        }
        engine.appendOnlyFeed!.selectedDatabase = -1
    }

    /// The log stops: the feed goes too, unless replicas still take the stream.
    func dropFeedWithLog() {
        if !engine.replication.isStreaming { engine.appendOnlyFeed = nil }
    }

    // MARK: - Background cycle

    /// Forks a child running `work`, counting the fork and how long the parent
    /// waited for it (it copies the page tables: the bigger the process, the
    /// longer every client waits), for INFO and LATENCY's `fork` event.
    func forkChild(_ work: () -> Bool) -> pid_t? {
        let start = Clock.monotonicMicroseconds()
        guard let pid = BackgroundChild.fork(work) else { return nil }
        let elapsed = Clock.monotonicMicroseconds() - start
        engine.stats.forks += 1
        engine.stats.latestForkMicroseconds = elapsed
        engine.stats.forkRate = Double(engine.usedMemory()) * 1e6 / Double(max(elapsed, 1)) / Double(1 << 30)
        engine.latency.record("fork", milliseconds: elapsed / 1000)
        return pid
    }

    /// Runs `hz` times a second: finishes children, starts scheduled and due
    /// snapshots or rewrites, and syncs the log once a second under everysec.
    public func tick() {
        _ = takeRecords()
        defer { updateWriteRefusal() }
        let now = Clock.milliseconds()
        if let log, log.policy == .everysec, now - lastBackgroundSync >= 1000 {
            lastBackgroundSync = now
            log.syncInBackground()
        }
        collectFinishedChild()
        guard child == nil else { return }
        // Replicas first, as Redis starts their fork as soon as a child is done.
        if let target = engine.replication.snapshotDue(engine: engine, now: now) {
            startSnapshot(for: target)
        } else if rewriteScheduled {
            _ = startRewrite()
        } else if snapshotScheduled {
            _ = startSnapshot()
        } else if snapshotDue(now: now / 1000) {
            _ = startSnapshot()
        } else if rewriteDue() {
            logNotice("Starting automatic rewriting of AOF on \(growthPercent)% growth")
            _ = startRewrite()
        }
    }

    /// Writes are refused while snapshots fail (with save points and stop-writes-on-bgsave-error)
    /// or the log cannot be written, as Redis's writeCommandsDeniedByDiskError.
    func updateWriteRefusal() {
        if configuration.stopWritesOnBgsaveError && !configuration.savePoints.isEmpty && !lastSnapshotSucceeded {
            engine.writeRefusal = ErrorReply.bgsaveFailed
        } else if let failure = log?.lastError {
            engine.writeRefusal = ErrorReply.logWriteFailed(failure)
        } else {
            engine.writeRefusal = nil
        }
    }

    /// A save point is reached; after a failed snapshot, retried no sooner than 5 s later (as Redis).
    private func snapshotDue(now: Int64) -> Bool {
        guard changesSinceSave > 0 else { return false }
        return configuration.savePoints.contains { point in
            changesSinceSave >= point.changes && now - lastSaveTime > Int64(point.seconds)
                && (lastSnapshotSucceeded || now - lastSnapshotAttempt > 5)
        }
    }

    private var growthPercent: Int {
        let base = max(baseSize, 1)
        return ((log?.currentFileBytes ?? 0) + baseSize - base) * 100 / base
    }

    private func rewriteDue() -> Bool {
        guard let log, configuration.autoAOFRewritePercentage > 0 else { return false }
        let size = baseSize + log.currentFileBytes
        guard size > configuration.autoAOFRewriteMinSize else { return false }
        return growthPercent >= configuration.autoAOFRewritePercentage
    }

    // MARK: - PersistenceControl

    public func takeBatchRecords() { _ = takeRecords() }

    public func save() -> PersistenceReply {
        if child?.kind == .snapshot { return .error(ErrorReply.saveInProgress) }
        lastSnapshotAttempt = Clock.milliseconds() / 1000
        // The writes run before it in this batch go to the stream first: the snapshot's
        // `repl-offset` must count every write it holds.
        _ = takeRecords()
        do {
            try writeSnapshot(to: snapshotPath, functions: engine.functions.libraryCodes)
            snapshotFinished(succeeded: true, dirtyAtStart: engine.keyspace.dirty, seconds: 0)
            return .status("OK")
        } catch {
            // As Redis: a failed SAVE answers an error but does not turn writes away (a failed BGSAVE does).
            logWarning("Failed saving the DB: \(error)")
            return .error(ErrorReply.generic)
        }
    }

    public func backgroundSave(schedule: Bool) -> PersistenceReply {
        if child?.kind == .snapshot { return .error(ErrorReply.saveInProgress) }
        if child != nil || engine.isInsideTransaction {
            guard schedule || engine.isInsideTransaction else { return .error(ErrorReply.childActiveForSave) }
            snapshotScheduled = true
            return .status("Background saving scheduled")
        }
        return startSnapshot() ? .status("Background saving started") : .error(ErrorReply.generic)
    }

    public func rewriteAppendOnlyFile() -> PersistenceReply {
        if child?.kind == .rewrite { return .error(ErrorReply.rewriteInProgress) }
        // Inside EXEC the fork (and the switch to a new file) waits for the transaction's end.
        if child != nil || engine.isInsideTransaction {
            rewriteScheduled = true
            rewriteFailuresInARow = 0
            return .status("Background append only file rewriting scheduled")
        }
        return startRewrite() ? .status("Background append only file rewriting started") : .error(ErrorReply.rewriteFailed)
    }

    /// Kills a running child of `kind` (any, when nil) and removes its unfinished file.
    func stopChild(_ kind: BackgroundChild.Kind? = nil) {
        guard let child, kind == nil || child.kind == kind else { return }
        logWarning("There is a child \(child.kind == .snapshot ? "saving an .rdb" : "rewriting the AOF"). Killing it!")
        child.stream?.cancel()
        child.kill()
        if child.stream == nil { FileIO.remove(child.temporaryPath) }
        self.child = nil
        // Replicas waiting for that snapshot are dropped, as Redis does; they reconnect for a new one.
        if child.kind == .snapshot { engine.replication.snapshotFinished(succeeded: false, engine: engine) }
    }

    public func keylessSnapshot(withFunctions: Bool) -> [UInt8] {
        Snapshot.keyless(engine, functions: withFunctions ? engine.functions.libraryCodes : [])
    }

    public func startReplicaSnapshot() {
        if let child {
            logNotice(child.kind == .rewrite ? "No BGSAVE in progress, but another BG operation is active. BGSAVE for replication delayed"
                      : child.stream != nil ? "Current BGSAVE has socket target. Waiting for next BGSAVE for SYNC"
                      : "Can't attach the replica to the current BGSAVE. Waiting for next BGSAVE for SYNC")
            return
        }
        if let target = engine.replication.snapshotDue(engine: engine, now: Clock.milliseconds()) {
            startSnapshot(for: target)
        } else {
            logNotice("Delay next BGSAVE for diskless SYNC")
        }
    }

    /// A snapshot for the replicas waiting for one (Redis's startBgsaveForReplication).
    private func startSnapshot(for target: Replication.SnapshotTarget) {
        logNotice("Starting BGSAVE for SYNC with target: \(target == .disk ? "disk" : "replicas sockets")")
        let started = target == .disk ? startSnapshot(forReplicas: true) : startStreamedSnapshot()
        guard !started else { return }
        logWarning("BGSAVE for replication failed")
        engine.replication.snapshotFailedToStart(engine: engine)
    }

    public func collectFinishedChild() {
        guard let child, let exit = child.finished() else { return }
        self.child = nil
        switch child.kind {
        case .snapshot where child.stream != nil: finishStreamedSnapshot(child, exit: exit)
        case .snapshot: finishSnapshot(child, exit: exit)
        case .rewrite: finishRewrite(child, succeeded: exit == .succeeded)
        }
    }

    public func prepareShutdown(save: Bool?) -> Bool {
        stopChild()
        var succeeded = true
        if initialRewrite {
            // The first base was still being written: write it now, so the log is complete.
            finishInitialRewriteNow()
        }
        if let log {
            _ = takeRecords()
            logNotice("Calling fsync() on the AOF file.")
            // As Redis: a failed sync is reported, but only a failed final save keeps the server up
            // (staying up would not get the bytes to the disk either).
            do { try log.syncCuttingTail() } catch {
                logWarning("Error syncing the AOF file on shutdown: \(error)")
            }
        }
        if save ?? !configuration.savePoints.isEmpty {
            logNotice("Saving the final RDB snapshot before exiting.")
            if self.save() == .status("OK") {
                logNotice("DB saved on disk")
            } else {
                logWarning("Error trying to save the DB, can't exit.")
                succeeded = false
            }
        }
        return succeeded
    }

    /// CONFIG SET took effect: the fsync policy applies from the next write on.
    public func configurationChanged() {
        updateWriteRefusal()
        guard let log, let policy = AppendOnlyLog.FsyncPolicy(rawValue: configuration.appendFsync) else { return }
        if log.policy != policy { log.policy = policy }
    }

    public func setAppendOnly(_ enabled: Bool) -> String? {
        // The log must start or stop between commands, never inside one's records.
        if engine.loading || engine.isInsideTransaction {
            return "Unable to turn AOF on or off while loading or inside a transaction"
        }
        // Already on (or starting): nothing to do, and a running rewrite goes on.
        if enabled && (log != nil || initialRewrite) { return nil }
        // A rewrite running now started from older data (or for the old log): its base must not be installed.
        stopChild(.rewrite)
        if !enabled {
            _ = takeRecords()
            if initialRewrite, let log { FileIO.remove(log.path) }
            initialRewrite = false
            rewriteScheduled = false
            if let log {
                do { try log.close() } catch { logWarning("Error syncing the AOF file while turning it off: \(error)") }
                previousLogEnd = log.appendedOffset
            }
            log = nil
            dropFeedWithLog()
            return nil
        }
        guard log == nil && !initialRewrite else { return nil }
        // As Redis: writes go to a temporary file while a child writes the current data
        // as the first base; both enter the manifest together when it is done.
        initialRewrite = true
        rewriteScheduled = true
        if child == nil && !startRewrite() {
            initialRewrite = false
            rewriteScheduled = false
            return "Unable to turn on AOF. Check server logs."
        }
        return nil
    }

    public var infoFields: [(String, String)] {
        let now = Clock.milliseconds() / 1000
        var fields: [(String, String)] = [
            ("async_loading", "0"), ("current_cow_peak", "0"), ("current_cow_size", "0"), ("current_cow_size_age", "0"),
            ("current_fork_perc", "0.00"), ("current_save_keys_processed", "0"), ("current_save_keys_total", "0"),
            ("rdb_changes_since_last_save", "\(changesSinceSave)"),
            ("rdb_bgsave_in_progress", child?.kind == .snapshot ? "1" : "0"),
            ("rdb_last_save_time", "\(lastSaveTime)"),
            ("rdb_last_bgsave_status", lastSnapshotSucceeded ? "ok" : "err"),
            ("rdb_last_bgsave_time_sec", "\(lastSnapshotSeconds)"),
            ("rdb_current_bgsave_time_sec", child?.kind == .snapshot ? "\(now - child!.startedAt)" : "-1"),
            ("rdb_saves", "\(snapshots)"), ("rdb_last_cow_size", "0"),
            ("rdb_last_load_keys_expired", "\(keysExpiredOnLoad)"), ("rdb_last_load_keys_loaded", "\(keysLoaded)"),
            ("aof_enabled", log != nil || initialRewrite ? "1" : "0"),
            ("aof_rewrite_in_progress", child?.kind == .rewrite ? "1" : "0"),
            ("aof_rewrite_scheduled", rewriteScheduled ? "1" : "0"),
            ("aof_last_rewrite_time_sec", "\(lastRewriteSeconds)"),
            ("aof_current_rewrite_time_sec", child?.kind == .rewrite ? "\(now - child!.startedAt)" : "-1"),
            ("aof_last_bgrewrite_status", lastRewriteSucceeded ? "ok" : "err"),
            ("aof_rewrites", "\(rewrites)"), ("aof_rewrites_consecutive_failures", "\(rewriteFailuresInARow)"),
            ("aof_last_write_status", log?.lastWriteFailed == true ? "err" : "ok"),
            ("aof_last_cow_size", "0"), ("module_fork_in_progress", "0"), ("module_fork_last_cow_size", "0"),
        ]
        if let log {
            fields += [("aof_current_size", "\(baseSize + log.currentFileBytes)"), ("aof_base_size", "\(baseSize)"),
                       ("aof_pending_rewrite", rewriteScheduled ? "1" : "0"), ("aof_buffer_length", "\(log.pendingBytes)"),
                       ("aof_pending_bio_fsync", log.syncPending ? "1" : "0"), ("aof_delayed_fsync", "0")]
        }
        return fields
    }
}
