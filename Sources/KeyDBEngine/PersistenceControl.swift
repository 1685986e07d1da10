/// What the engine asks of the persistence layer (snapshots and the append-only
/// log live outside the engine, which touches no files). Called under the keyspace lock.
public protocol PersistenceControl: AnyObject {
    /// Hands the records of the batch so far to the log and the replicas now (mid-batch).
    func takeBatchRecords()
    /// SAVE: writes a snapshot now, blocking every client.
    func save() -> PersistenceReply
    /// BGSAVE [SCHEDULE].
    func backgroundSave(schedule: Bool) -> PersistenceReply
    /// BGREWRITEAOF.
    func rewriteAppendOnlyFile() -> PersistenceReply
    /// LASTSAVE: Unix seconds of the last successful snapshot.
    var lastSaveTime: Int64 { get }
    /// INFO persistence, after `loading`.
    var infoFields: [(String, String)] { get }
    /// SHUTDOWN / SIGTERM: flush and sync the log and, when `save` says so (nil: when
    /// save points are configured), write a snapshot. False when that failed.
    func prepareShutdown(save: Bool?) -> Bool
    /// CONFIG SET appendonly yes|no; an error text when it cannot start.
    func setAppendOnly(_ enabled: Bool) -> String?
    /// FLUSHALL emptied every database: a running snapshot is stopped and, with save
    /// points set, an empty snapshot replaces the old one (so a restart cannot bring the data back).
    func flushedAll()
    /// DEBUG RELOAD: save (unless not `save`), empty (unless not `flush`), load the snapshot
    /// (with `merge`, its libraries replace same-named ones).
    func debugReload(flush: Bool, save: Bool, merge: Bool) -> PersistenceReply
    /// DEBUG LOADAOF: sync the log, empty the data, replay the log.
    func debugLoadLog() -> PersistenceReply
    /// A replica waits for a snapshot: one starts now, or once the running child is done,
    /// or (streamed) once `repl-diskless-sync-delay` has passed.
    func startReplicaSnapshot()
    /// Takes note of a child that has exited (the background cycle does it too).
    func collectFinishedChild()
    /// No replica waits for the snapshot to disk being written for replicas any more.
    func replicaSnapshotUnwanted()
    /// A snapshot without keys, with the function libraries or without (REPLCONF rdb-filter-only).
    func keylessSnapshot(withFunctions: Bool) -> [UInt8]
}

/// A background job's answer: a status line or an error text.
public enum PersistenceReply: Equatable, Sendable {
    case status(String)
    case error(String)
}
