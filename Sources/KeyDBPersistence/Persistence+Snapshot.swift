import KeyDBEngine

#if canImport(Glibc)
import Glibc
#endif

/// RDB snapshots: SAVE in place, BGSAVE in a child, both written to a temporary
/// file that is synced and renamed over `dbfilename`, so a crash leaves either
/// the old snapshot or the new one.
extension Persistence {
    /// `functions`: the libraries' codes, taken under the lock with the keyspace (before a fork).
    func writeSnapshot(to path: String, functions: [[UInt8]]) throws {
        let temporary = directory + "/temp-\(getpid()).rdb"
        do {
            let file = try BufferedFile(creating: temporary)
            try Snapshot.write(engine, functions: functions, to: file, aofBase: false)
            try file.finish()
            try FileIO.rename(temporary, path)
            try FileIO.syncDirectory(directory)
        } catch {
            FileIO.remove(temporary)
            throw error
        }
    }

    /// `forReplicas`: started for the replicas waiting, which all take it.
    func startSnapshot(forReplicas: Bool = false) -> Bool {
        guard child == nil else { return false }
        snapshotScheduled = false
        lastSnapshotAttempt = Clock.milliseconds() / 1000
        let path = snapshotPath
        let functions = engine.functions.libraryCodes
        // The stream so far is in the snapshot: replicas that get it take the stream from here.
        _ = takeRecords()
        guard let pid = forkChild({ [self] in (try? writeSnapshot(to: path, functions: functions)) != nil }) else {
            logWarning("Can't save in background: fork: \(String(cString: strerror(errno)))")
            lastSnapshotSucceeded = false
            return false
        }
        logNotice("Background saving started by pid \(pid)")
        // Unless a transaction's first records are still in the feed (a BGSAVE inside EXEC):
        // they are in the snapshot too, so waiting replicas wait for the next one.
        if engine.appendOnlyFeed?.buffer.readableBytes ?? 0 == 0 { engine.replication.snapshotStarted(engine: engine, forReplicas: forReplicas) }
        child = BackgroundChild(pid: pid, kind: .snapshot, startedAt: lastSnapshotAttempt,
                                temporaryPath: directory + "/temp-\(pid).rdb", dirtyAtStart: engine.keyspace.dirty)
        child?.target = path
        child?.forReplicas = forReplicas
        return true
    }

    func finishSnapshot(_ child: BackgroundChild, exit: BackgroundChild.Exit) {
        switch exit {
        case .succeeded: logNotice("Background saving terminated with success")
        case .failed: logWarning("Background saving error")
        case .signalled(let signal): logWarning("Background saving terminated by signal \(signal)")
        }
        // SIGUSR1 is how the server stops a child it no longer needs: not a failed save.
        if exit != .signalled(SIGUSR1) {
            let seconds = Int(Clock.milliseconds() / 1000 - child.startedAt)
            snapshotFinished(succeeded: exit == .succeeded, dirtyAtStart: child.dirtyAtStart, seconds: seconds)
        }
        if exit != .succeeded { FileIO.remove(child.temporaryPath) }
        // Each waiting replica gets the file as it is now: a later SAVE may replace it.
        engine.replication.snapshotFinished(succeeded: exit == .succeeded, engine: engine) { Self.openForReplica(child.target) }
    }

    /// The last replica waiting for a snapshot to disk started for replicas left: without save
    /// points nothing else wants it, and the child stops (collected by the background cycle),
    /// so the next full resync need not wait for it, as Redis's freeClient does.
    public func replicaSnapshotUnwanted() {
        guard configuration.savePoints.isEmpty, let child, child.kind == .snapshot, child.forReplicas else { return }
        Glibc.kill(child.pid, SIGUSR1)
    }

    static func openForReplica(_ path: String) -> ReadySnapshot? {
        let descriptor = open(path, O_RDONLY | O_CLOEXEC)
        guard descriptor >= 0 else { return nil }
        var status = stat()
        guard fstat(descriptor, &status) == 0 else {
            close(descriptor)
            return nil
        }
        return ReadySnapshot(descriptor: descriptor, size: Int(status.st_size)) { _ = close($0) }
    }

    func snapshotFinished(succeeded: Bool, dirtyAtStart: Int, seconds: Int) {
        lastSnapshotSucceeded = succeeded
        lastSnapshotSeconds = seconds
        updateWriteRefusal()
        guard succeeded else { return }
        snapshots += 1
        lastSaveTime = Clock.milliseconds() / 1000
        dirtyAtLastSave = dirtyAtStart
    }
}
