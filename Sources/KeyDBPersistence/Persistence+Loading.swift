import KeyDBEngine

#if canImport(Glibc)
import Glibc
#endif

/// Loading at start (Redis's loadDataFromDisk): the log when it is on, the
/// snapshot when it is off. Clients may connect meanwhile; they are answered
/// -LOADING, as the keyspace lock is taken per batch of keys or commands.
extension Persistence {
    /// Loads the dataset, then opens the log for appending when it is on. `whenLoaded` runs
    /// under the keyspace lock as loading ends, before any client's command can run.
    public func load(whenLoaded: @escaping () -> Void = {}) throws {
        withKeyspace { engine.loading = true }
        defer {
            withKeyspace {
                whenLoaded()
                engine.loading = false
            }
        }
        let started = Clock.monotonicMicroseconds()
        if configuration.appendOnly {
            if let text = try FileIO.read(manifestPath) { manifest = try AOFManifest(parsing: text) }
            let oldStyle = directory + "/" + configuration.appendFilename
            if manifest.replayOrder.isEmpty && FileIO.exists(oldStyle) { try upgradeOldStyleLog(oldStyle) }
            if !manifest.replayOrder.isEmpty {
                try loadLog(withKeyspace: withKeyspace)
                logNotice("DB loaded from append only file: \(elapsed(since: started)) seconds")
            } else if FileIO.exists(snapshotPath) {
                // No log yet but a snapshot (from Redis, or from before the log was on): start from it.
                try loadSnapshot(snapshotPath)
                logNotice("DB loaded from disk: \(elapsed(since: started)) seconds")
            }
            var failure: Error? = nil
            withKeyspace {
                do { try startLog(freshBase: false) } catch { failure = error }
            }
            if let failure { throw failure }
        } else if FileIO.exists(snapshotPath) {
            try loadSnapshot(snapshotPath)
            logNotice("DB loaded from disk: \(elapsed(since: started)) seconds")
        }
        withKeyspace {
            keysLoaded = engine.keyspace.keyCount
            dirtyAtLastSave = engine.keyspace.dirty
        }
        warmUpChildCode()
    }

    /// Runs the code a forked child runs (both base formats, every type) once here:
    /// any lazily created runtime state it needs then exists before a fork, instead
    /// of being created in a child where another thread's lock may never be released.
    private func warmUpChildCode() {
        let sample = Engine(configuration: configuration)
        let db = sample.keyspace.databases[0]
        let values: [Value] = [.string(Bytes("v")), .list(ListValue(Quicklist([Bytes("a")]))), .set(SetValue([Bytes("1")], maxIntsetEntries: sample.setMaxIntsetEntries)),
                               .set(SetValue([Bytes("1"), Bytes("m")], maxIntsetEntries: sample.setMaxIntsetEntries)),
                               .hash(HashValue(HashFields([Bytes("f"): Bytes("v")]))),
                               .sortedSet(SortedSetValue([Bytes("m"): 1.5]))]
        for (index, value) in values.enumerated() { db.load(Bytes("k\(index)"), value, expireAt: 0) }
        let functions = [Array("#!lua name=warmup\nredis.register_function('f', function() end)".utf8)]
        guard let file = try? BufferedFile(creating: "/dev/null") else { return }
        try? Snapshot.write(sample, functions: functions, to: file, aofBase: true)
        try? AOFRewriter.write(sample.keyspace, functions: functions, to: file)
        try? file.flush()
    }

    /// A data directory from before Redis 7 (one `appendonly.aof`, no manifest): the file
    /// moves into the log directory and becomes the base, as Redis 7 migrates it.
    private func upgradeOldStyleLog(_ path: String) throws {
        try FileIO.makeDirectory(logDirectory)
        let name = configuration.appendFilename
        try FileIO.rename(path, logDirectory + "/" + name)
        manifest.install(base: .init(name: name, sequence: manifest.nextBaseSequence, kind: .base), keeping: nil)
        try persistManifest()
        try FileIO.syncDirectory(directory)
        logNotice("Successfully migrated an old-style AOF file (\(name)) into the AOF directory (\(configuration.appendDirname)).")
    }

    private func elapsed(since start: Int64) -> String {
        let micros = Clock.monotonicMicroseconds() - start
        return "\(micros / 1_000_000).\(String(micros / 1000 % 1000 + 1000).dropFirst())"
    }

    /// `dump.rdb`: keys already past their time are skipped (and counted), as Redis does.
    /// A replica keeps them (its master deletes them). Where the replication stream stood is
    /// noted, with the keys skipped, for a restarted master's replicas to continue.
    func loadSnapshot(_ path: String) throws {
        guard let file = try MappedFile(path) else { return }
        let replica = configuration.replicaOf != nil
        let loaded = try Snapshot.load(file.bytes, name: path, into: engine, skipExpired: !replica, withKeyspace: withKeyspace)
        keysExpiredOnLoad = loaded.expired
        loadedReplicationPosition = loaded.replication
        keysExpiredAtLoad = loaded.expiredKeys
    }

    /// Replays the manifest's files in order. Only the last may end in a torn record.
    func loadLog(withKeyspace: @escaping (() -> Void) -> Void) throws {
        let files = manifest.replayOrder
        for (position, entry) in files.enumerated() {
            let path = logDirectory + "/" + entry.name
            guard let file = try MappedFile(path) else {
                throw PersistenceError("Fatal error: the AOF file \(entry.name) named in the manifest doesn't exist")
            }
            guard file.bytes.count > 0 else { continue }
            let started = Clock.monotonicMicroseconds()
            let kind = entry.kind == .base ? "base" : "incr"
            // An RDB base, or (from before Redis 7) an RDB preamble followed by commands.
            var commandsStart = 0
            if file.bytes.starts(with: Array("REDIS".utf8)) {
                guard entry.kind == .base else {
                    throw PersistenceError("Bad file format reading the append only file \(entry.name): an RDB image outside the base file")
                }
                logNotice("Reading RDB base file on AOF loading...")
                commandsStart = try Snapshot.load(file.bytes, name: entry.name, into: engine, skipExpired: false,
                                                  withKeyspace: withKeyspace).length
            }
            if commandsStart < file.bytes.count {
                var client: ClientSession!
                withKeyspace {
                    client = ClientSession(engine: engine)
                    client.grantFullAccess()
                }
                let loader = AOFLoader(withKeyspace: withKeyspace, engine: engine, client: client)
                if case .truncated(let valid) = try loader.replay(file.bytes, from: commandsStart, name: entry.name) {
                    // Last, or followed only by empty files (a crash right after a rewrite began).
                    let later = files[(position + 1)...].map { FileIO.size(logDirectory + "/" + $0.name) ?? 0 }
                    guard later.allSatisfy({ $0 == 0 }) else {
                        throw PersistenceError("Fatal error: the truncated file \(entry.name) is not the last file")
                    }
                    guard configuration.aofLoadTruncated else {
                        throw PersistenceError("Unexpected end of file reading the append only file \(entry.name) at offset \(valid). "
                            + "You can: 1) Make a backup of your AOF file, then use redis-check-aof --fix <filename.manifest>. "
                            + "2) Alternatively you can set the 'aof-load-truncated' configuration option to yes and restart the server.")
                    }
                    logWarning("!!! Warning: short read while loading the AOF file \(entry.name)!!!")
                    logWarning("!!! Truncating the AOF \(entry.name) at offset \(valid) !!!")
                    try FileIO.truncate(path, to: valid)
                    logWarning("AOF \(entry.name) loaded anyway because aof-load-truncated is enabled")
                }
            }
            if entry.kind == .base { baseSize = file.bytes.count }
            logNotice("DB loaded from \(kind) file \(entry.name): \(elapsed(since: started)) seconds")
        }
    }
}

/// FLUSHALL and DEBUG's reloads, all under the keyspace lock already.
extension Persistence {
    public func flushedAll() {
        stopChild(.snapshot)
        if !configuration.savePoints.isEmpty { _ = save() }
    }

    public func debugReload(flush: Bool, save: Bool, merge: Bool) -> PersistenceReply {
        if save, self.save() != .status("OK") { return .error(ErrorReply.generic) }
        if flush { emptyAll() }
        do {
            guard let file = try MappedFile(snapshotPath) else { return .error(ErrorReply.reloadFailed) }
            // MERGE: a library of the snapshot replaces the same-named one (Redis's RDBFLAGS_ALLOW_DUP).
            try Snapshot.load(file.bytes, name: snapshotPath, into: engine, skipExpired: true, replaceLibraries: merge,
                              withKeyspace: { $0() })
        } catch {
            logWarning("Error trying to load the RDB dump: \(error)")
            return .error(ErrorReply.reloadFailed)
        }
        logNotice("DB reloaded by DEBUG RELOAD")
        return .status("OK")
    }

    public func debugLoadLog() -> PersistenceReply {
        if engine.isInsideTransaction { return .error("ERR DEBUG LOADAOF is not allowed inside a transaction") }
        _ = takeRecords()
        try? log?.syncNow()
        emptyAll()
        // Replayed commands are not logged again, and keys wait for the end to expire.
        let feed = engine.appendOnlyFeed
        engine.appendOnlyFeed = nil
        engine.loading = true
        defer {
            engine.loading = false
            engine.appendOnlyFeed = feed
        }
        do {
            if let text = try FileIO.read(manifestPath) { manifest = try AOFManifest(parsing: text) }
            removeHistory()
            try loadLog(withKeyspace: { $0() })
        } catch {
            // As Redis: a log that cannot be read back is fatal, not something to run on without.
            logWarning("Fatal error loading the AOF by DEBUG LOADAOF: \(error)")
            exit(1)
        }
        dirtyAtLastSave = engine.keyspace.dirty
        logWarning("Append Only File loaded by DEBUG LOADAOF")
        return .status("OK")
    }

    /// Every database and, as Redis's emptyData, the function libraries too.
    func emptyAll() {
        for db in engine.keyspace.databases { db.removeAll() }
        engine.functions.flush()
    }
}
