import KeyDBEngine

#if canImport(Glibc)
import Glibc
#endif

/// The multi-part AOF: opening it, rewriting it in a child, installing the result.
extension Persistence {
    var logPrefix: String { configuration.appendFilename }

    /// Opens the log for appending after loading (or when turned on at run time). With
    /// no base yet, or `freshBase`, the current data is written as a new base first.
    func startLog(freshBase: Bool) throws {
        try FileIO.makeDirectory(logDirectory)
        if freshBase || (manifest.base == nil && manifest.incrementals.isEmpty) {
            let asSnapshot = configuration.aofUseRDBPreamble
            let temporary = logDirectory + "/temp-rewriteaof-\(getpid()).aof"
            try writeBase(to: temporary, asSnapshot: asSnapshot, functions: engine.functions.libraryCodes)
            let base = try installBase(from: temporary, asSnapshot: asSnapshot, keeping: nil)
            logNotice("Creating AOF base file \(base) on server start")
        }
        let name: String
        if freshBase || manifest.incrementals.isEmpty {
            name = manifest.addIncremental(prefix: logPrefix)
            logNotice("Creating AOF incr file \(name) on server start")
        } else {
            name = manifest.incrementals.last!.name
            logNotice("Opening AOF incr file \(name) on server start")
        }
        let policy = AppendOnlyLog.FsyncPolicy(rawValue: configuration.appendFsync) ?? .everysec
        let opened = try AppendOnlyLog(path: logDirectory + "/" + name, policy: policy, startingAt: previousLogEnd,
                                       latency: engine.latency, logWarning: logWarning)
        do { try persistManifest() } catch {
            try? opened.close()
            throw error
        }
        // Only now, with the manifest naming the file, does anything get logged.
        log = opened
        removeHistory()
        prepareFeedForLog()
    }

    /// Writes the whole dataset as a base file: an RDB image, or commands. `functions`:
    /// the libraries' codes, taken under the lock with the keyspace (before a fork).
    func writeBase(to path: String, asSnapshot: Bool, functions: [[UInt8]]) throws {
        let file = try BufferedFile(creating: path)
        if asSnapshot {
            try Snapshot.write(engine, functions: functions, to: file, aofBase: true)
        } else {
            try AOFRewriter.write(engine.keyspace, functions: functions, to: file)
        }
        try file.finish()
    }

    /// Renames a finished base into place and records it (all incremental files
    /// but `keeping` become history); returns its name.
    func installBase(from temporary: String, asSnapshot: Bool, keeping current: String?) throws -> String {
        let sequence = manifest.nextBaseSequence
        let name = "\(logPrefix).\(sequence).base.\(asSnapshot ? "rdb" : "aof")"
        try FileIO.rename(temporary, logDirectory + "/" + name)
        var updated = manifest
        updated.install(base: .init(name: name, sequence: sequence, kind: .base), keeping: current)
        let previous = manifest
        manifest = updated
        do { try persistManifest() } catch {
            manifest = previous
            FileIO.remove(logDirectory + "/" + name)
            throw error
        }
        baseSize = FileIO.size(logDirectory + "/" + name) ?? 0
        return name
    }

    func persistManifest() throws {
        try FileIO.replaceAtomically(manifestPath, directory: logDirectory, with: manifest.text)
    }

    /// Deletes files the manifest no longer needs, then forgets them.
    func removeHistory() {
        guard !manifest.history.isEmpty else { return }
        for entry in manifest.history {
            logNotice("Removing the history file \(entry.name)")
            FileIO.removeInBackground(logDirectory + "/" + entry.name)
        }
        manifest.history.removeAll()
        try? persistManifest()
    }

    /// BGREWRITEAOF: new writes go to a new incremental file (recorded in the
    /// manifest first, so a crash at any point loses nothing), while a child
    /// writes the data as of now as the next base.
    func startRewrite() -> Bool {
        guard child == nil else { return false }
        do {
            try FileIO.makeDirectory(logDirectory)
            if initialRewrite {
                try startInitialLog()
            } else if let log {
                _ = takeRecords()
                // The current file is complete on disk before a later one is named after it.
                try log.syncNow()
                let name = manifest.addIncremental(prefix: logPrefix)
                let path = logDirectory + "/" + name
                // The file exists before the manifest names it, and writes move to it only after.
                close(try FileIO.openForWriting(path))
                do {
                    try persistManifest()
                } catch {
                    manifest.incrementals.removeLast()
                    FileIO.remove(path)
                    throw error
                }
                // If this fails, writes stay in the previous file, which replay reads first.
                try log.switchFile(to: path)
                logNotice("Creating AOF incr file \(name) on background rewrite")
                engine.appendOnlyFeed?.selectedDatabase = -1
            }
        } catch {
            logWarning("Can't rewrite append only file in background: \(error)")
            rewriteFailed()
            return false
        }
        let asSnapshot = configuration.aofUseRDBPreamble
        let directory = logDirectory
        let functions = engine.functions.libraryCodes
        guard let pid = forkChild({ [self] in
            (try? writeBase(to: directory + "/temp-rewriteaof-bg-\(getpid()).aof", asSnapshot: asSnapshot,
                            functions: functions)) != nil
        }) else {
            logWarning("Can't rewrite append only file in background: fork: \(String(cString: strerror(errno)))")
            rewriteFailed()
            return false
        }
        logNotice("Background append only file rewriting started by pid \(pid)")
        child = BackgroundChild(pid: pid, kind: .rewrite, startedAt: Clock.milliseconds() / 1000,
                                temporaryPath: directory + "/temp-rewriteaof-bg-\(pid).aof", dirtyAtStart: engine.keyspace.dirty)
        rewriteAsSnapshot = asSnapshot
        rewriteScheduled = false
        rewrites += 1
        return true
    }

    func finishRewrite(_ child: BackgroundChild, succeeded: Bool) {
        lastRewriteSeconds = Int(Clock.milliseconds() / 1000 - child.startedAt)
        guard succeeded else {
            logWarning("Background AOF rewrite terminated with error")
            FileIO.remove(child.temporaryPath)
            rewriteFailed()
            // A log turned on at run time has no base without it: try again.
            if initialRewrite { rewriteScheduled = true }
            return
        }
        if initialRewrite {
            return finishInitialRewrite(base: child.temporaryPath)
        }
        do {
            let current = log.map { String($0.path.split(separator: "/").last ?? "") }
            let name = try installBase(from: child.temporaryPath, asSnapshot: rewriteAsSnapshot, keeping: current)
            logNotice("Successfully renamed the temporary AOF base file into \(name)")
            removeHistory()
            lastRewriteSucceeded = true
            rewriteFailuresInARow = 0
            logNotice("Background AOF rewrite finished successfully")
        } catch {
            logWarning("Error installing the rewritten AOF base: \(error)")
            FileIO.remove(child.temporaryPath)
            rewriteFailed()
        }
    }

    private func rewriteFailed() {
        lastRewriteSucceeded = false
        rewriteFailuresInARow += 1
    }

    // MARK: - Turning the log on at run time

    var temporaryIncrementalPath: String { logDirectory + "/temp-" + logPrefix + ".incr" }

    /// Before each fork of a first base: writes go to a fresh temporary file (on a
    /// retry the earlier one is dropped: the new base holds everything in it).
    private func startInitialLog() throws {
        let path = temporaryIncrementalPath
        FileIO.remove(path)
        if let log {
            _ = takeRecords()
            try log.switchFile(to: path)
        } else {
            let policy = AppendOnlyLog.FsyncPolicy(rawValue: configuration.appendFsync) ?? .everysec
            log = try AppendOnlyLog(path: path, policy: policy, startingAt: previousLogEnd, latency: engine.latency,
                                    logWarning: logWarning)
        }
        prepareFeedForLog()
    }

    /// The first base is written: it and the temporary file become the log the manifest names.
    private func finishInitialRewrite(base temporaryBase: String) {
        guard let log else { return }
        do {
            let name = manifest.addIncremental(prefix: logPrefix)
            try FileIO.rename(log.path, logDirectory + "/" + name)
            log.renamed(to: logDirectory + "/" + name)
            _ = try installBase(from: temporaryBase, asSnapshot: rewriteAsSnapshot, keeping: name)
            removeHistory()
            initialRewrite = false
            lastRewriteSucceeded = true
            rewriteFailuresInARow = 0
            logNotice("Background AOF rewrite finished successfully")
        } catch {
            logWarning("Error installing the first AOF base: \(error)")
            FileIO.remove(temporaryBase)
            rewriteFailed()
        }
    }

    /// SHUTDOWN while the first base is still being written: do it in place.
    func finishInitialRewriteNow() {
        _ = takeRecords()
        if let log {
            try? log.close()
            FileIO.remove(log.path)
            previousLogEnd = log.appendedOffset
        }
        log = nil
        dropFeedWithLog()
        initialRewrite = false
        rewriteScheduled = false
        do { try startLog(freshBase: true) } catch { logWarning("Error writing the AOF base on shutdown: \(error)") }
    }
}
