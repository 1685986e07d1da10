import KeyDBEngine

#if canImport(Glibc)
import Glibc
#endif

/// A replica's full resynchronization (Redis's readSyncBulkPayload, loading from
/// disk): the master's snapshot, received into a temporary file, becomes
/// `dump.rdb` and the whole dataset. Under the keyspace lock.
extension Persistence {
    /// Where the snapshot being received is written, in the data directory.
    public func temporaryTransferPath() -> String {
        directory + "/temp-\(Clock.milliseconds() / 1000).\(getpid()).rdb"
    }

    /// Replaces the dataset with the snapshot at `temporary`. The log stops for the
    /// load and starts again with a rewrite of the new data, as Redis's does. Returns the
    /// database the master's stream goes on in (the snapshot's `repl-stream-db`, else 0); nil
    /// when the file could not be loaded: the dataset is then empty, and the caller syncs again.
    /// `keepalive` is called between batches of keys (the master must hear from a replica that loads).
    public func loadFromMaster(_ temporary: String, keepalive: @escaping () -> Void) -> Int? {
        // A child writing the old data would only waste the work (and its copy-on-write memory).
        stopChild()
        if log != nil { _ = setAppendOnly(false) }
        logNotice("MASTER <-> REPLICA sync: Flushing old data")
        engine.signalDatasetReplaced()
        emptyAll()
        do {
            try FileIO.rename(temporary, snapshotPath)
        } catch {
            logWarning("Failed trying to rename the temp DB into \(configuration.dbFilename) in MASTER <-> REPLICA synchronization: \(error)")
            FileIO.remove(temporary)
            return nil
        }
        logNotice("MASTER <-> REPLICA sync: Loading DB in memory")
        engine.loading = true
        let streamDatabase: Int?
        do {
            guard let file = try MappedFile(snapshotPath) else {
                engine.loading = false
                return nil
            }
            // Keys past their time stay: the master deletes them, and says so in the stream.
            streamDatabase = try Snapshot.load(file.bytes, name: snapshotPath, into: engine, skipExpired: false,
                                               withKeyspace: { batch in
                                                   batch()
                                                   keepalive()
                                               }).replication?.database
        } catch {
            engine.loading = false
            logWarning("Failed trying to load the MASTER synchronization DB from disk: \(error)")
            emptyAll()
            return nil
        }
        engine.loading = false
        // The file holds the data as it is now: nothing to save until it changes.
        dirtyAtLastSave = engine.keyspace.dirty
        lastSaveTime = Clock.milliseconds() / 1000
        // The log starts again, with the new data as its base. Not after a failed load, as
        // Redis: a rewrite of the empty dataset would replace the files that still hold the old one.
        if configuration.appendOnly, let refusal = setAppendOnly(true) {
            logWarning("Failed enabling the AOF after successful master synchronization! \(refusal)")
        }
        return streamDatabase ?? 0
    }
}
