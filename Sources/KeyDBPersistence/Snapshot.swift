import KeyDBEngine
import KeyDBStorage

#if canImport(Glibc)
import Glibc
#endif

/// The dataset as an RDB image (Redis 7.0's format and encodings) and back.
enum Snapshot {
    /// Writes the function libraries (`functions`: their codes, taken with the keyspace)
    /// and every database; `aofBase` marks an AOF base file (the aux field Redis writes).
    static func write(_ engine: Engine, functions: [[UInt8]], to file: BufferedFile, aofBase: Bool) throws {
        let configuration = engine.configuration
        var writer = RDBWriter(compression: configuration.rdbCompression, checksum: configuration.rdbChecksum,
                               limits: configuration.rdbEncodingLimits) { bytes in try file.write(bytes) }
        do {
            // (An AOF base has no stream to follow it: no replication fields, as in Redis.)
            try writeOpening(of: &writer, functions: functions, aofBase: aofBase, engine: aofBase ? nil : engine)
            // rdb-key-save-delay: µs per key, Redis's hook for tests that need a slow snapshot.
            let delay = configuration.keptSettings["rdb-key-save-delay"].flatMap { UInt32($0) } ?? 0
            var written = 0
            for db in engine.keyspace.databases where db.count > 0 {
                try writer.selectDatabase(db.index)
                try writer.resizeDatabase(keys: db.count, expires: db.volatileCount)
                try db.forEachEntry { key, value, expireAt in
                    try write(key, value, expireAt == 0 ? nil : expireAt, to: &writer)
                    if delay > 0 { usleep(delay) }
                    written &+= 1
                    if written & 1023 == 0 { BackgroundChild.exitIfOrphaned() }
                }
            }
            try writer.finish()
        } catch let error as PersistenceError {
            throw error
        } catch {
            throw PersistenceError("Error writing the snapshot \(file.path): \(error)")
        }
    }

    /// The header, the aux fields and the function libraries: what precedes the keys.
    private static func writeOpening(of writer: inout RDBWriter, functions: [[UInt8]], aofBase: Bool, engine: Engine? = nil) throws {
        try writer.writeHeader()
        var fields = [("redis-ver", ServerIdentity.redisVersion), ("redis-bits", "64"),
                      ("ctime", String(Clock.milliseconds() / 1000)), ("used-mem", String(MemoryStatistics.allocatedBytes()))]
        // Where the replication stream stands (Redis's rdbSaveInfo): a replica loading this
        // image applies what follows it in the database the stream had selected.
        if let engine, let database = engine.replication.snapshotStreamDatabase(engine: engine) {
            fields += [("repl-stream-db", String(database)), ("repl-id", engine.replication.replid),
                       ("repl-offset", String(engine.replication.offset))]
        }
        fields.append(("aof-base", aofBase ? "1" : "0"))
        for (key, value) in fields { try writer.writeAux(Array(key.utf8), Array(value.utf8)) }
        // Before the keys, as Redis: a loader has the functions before any data.
        for code in functions { try writer.writeFunction(code) }
    }

    /// An image without keys, made in place (REPLCONF rdb-filter-only): the libraries or nothing.
    static func keyless(_ engine: Engine, functions: [[UInt8]]) -> [UInt8] {
        var image: [UInt8] = []
        var writer = RDBWriter(compression: engine.configuration.rdbCompression, checksum: engine.configuration.rdbChecksum,
                               limits: engine.configuration.rdbEncodingLimits) { image.append(contentsOf: $0) }
        // Memory cannot refuse a write: nothing here throws in practice.
        try? writeOpening(of: &writer, functions: functions, aofBase: false)
        try? writer.finish()
        return image
    }

    private static func write(_ key: Bytes, _ value: Value, _ expireAt: Int64?, to writer: inout RDBWriter) throws {
        try writer.writeEntry(key: key, expireAtMilliseconds: expireAt) { try value.writeRDB(to: &$0) }
    }

    /// Loads an RDB image into the engine's databases and function libraries; returns how
    /// many keys were skipped because their time had passed (only with `skipExpired`) and
    /// where the image ended (an old-style AOF file goes on with commands after it). A
    /// library that exists already is an error unless `replaceLibraries` (DEBUG RELOAD MERGE).
    @discardableResult
    static func load(_ image: UnsafeRawBufferPointer, name: String, into engine: Engine, skipExpired: Bool,
                     replaceLibraries: Bool = false,
                     withKeyspace: @escaping (() -> Void) -> Void) throws -> SnapshotLoad {
        var sink = Loader(engine: engine, skipExpired: skipExpired, replaceLibraries: replaceLibraries,
                          imageLength: image.count, withKeyspace: withKeyspace)
        let length: Int
        do {
            length = try RDBReader.readPrefix(Array(image), into: &sink).length
            sink.flush()
            sink.finish()
        } catch let error as RDBError {
            throw PersistenceError("Bad RDB format in \(name): \(error)")
        } catch let error as PersistenceError {
            throw PersistenceError("Can't load \(name): \(error)")
        } catch {
            throw PersistenceError("Can't load \(name): \(error)")
        }
        return SnapshotLoad(expired: sink.expired, length: length, replication: sink.replication, expiredKeys: sink.expiredKeys)
    }

    /// Receives keys from the reader and adds them in batches, one lock hold each.
    private struct Loader: RDBLoadSink {
        let engine: Engine
        let skipExpired: Bool
        let replaceLibraries: Bool
        let withKeyspace: (() -> Void) -> Void
        let now = Clock.milliseconds()
        /// Bounds what RESIZEDB hints may reserve, all databases together: a key
        /// takes at least 3 bytes of the image.
        let imageLength: Int
        var reserved = 0
        /// Read once (copying the engine's whole configuration for every key cost 5% of a load).
        let zsetLimits: SortedSetValue.ListpackLimits
        let maxIntsetEntries: Int
        var database = 0
        var pending: [(db: Int, key: Bytes, value: Value, expireAt: Int64)] = []
        var expired = 0
        /// The keys skipped, by database: a restarted master streams their DELs.
        var expiredKeys: [(database: Int, key: Bytes)] = []

        init(engine: Engine, skipExpired: Bool, replaceLibraries: Bool, imageLength: Int,
             withKeyspace: @escaping (() -> Void) -> Void) {
            self.engine = engine
            self.skipExpired = skipExpired
            self.replaceLibraries = replaceLibraries
            self.imageLength = imageLength
            self.withKeyspace = withKeyspace
            self.zsetLimits = engine.zsetListpackLimits
            self.maxIntsetEntries = engine.setMaxIntsetEntries
        }

        /// `repl-stream-db`, `repl-id`, `repl-offset`: where the replication stream stood when the snapshot was made.
        var streamDatabase: Int?
        var replicationID: String?
        var replicationOffset: Int64?

        /// Only a position whose fields all make sense (older Redis versions wrote -1s).
        var replication: ReplicationPosition? {
            guard let streamDatabase, (0..<engine.keyspace.databases.count).contains(streamDatabase) else { return nil }
            return ReplicationPosition(id: replicationID, offset: replicationOffset.flatMap { $0 >= 0 ? $0 : nil },
                                       database: streamDatabase)
        }

        mutating func auxField(_ key: [UInt8], _ value: [UInt8]) throws {
            let text = String(decoding: value, as: UTF8.self)
            if key.elementsEqual("repl-stream-db".utf8) { streamDatabase = Int(text) }
            if key.elementsEqual("repl-id".utf8) && value.count == 40 { replicationID = text }
            if key.elementsEqual("repl-offset".utf8) { replicationOffset = Int64(text) }
        }

        mutating func selectDatabase(_ index: Int) throws {
            let count = engine.keyspace.databases.count
            guard index < count else {
                throw PersistenceError("FATAL: Data file was created with a Redis server configured to handle more than \(count) databases. Exiting")
            }
            database = index
        }

        /// The keys about to load get their room at once (no resizing on the way); the
        /// hint is the file's word, so it is held to what the image can contain.
        mutating func resizeDatabase(keys: Int, expires: Int) throws {
            let room = min(keys, imageLength / 3 - reserved)
            guard room > 0 else { return }
            reserved += room
            let db = engine.keyspace.databases[database]
            withKeyspace { db.reserve(keys: room) }
        }

        /// As Redis: a library that does not load (or exists already) fails the whole load.
        mutating func function(_ code: [UInt8]) throws {
            var failure: ScriptError? = nil
            withKeyspace { [engine, replaceLibraries] in
                if case .failure(let error) = engine.functions.load(code, replace: replaceLibraries, timeLimit: false) {
                    failure = error
                }
            }
            if let failure { throw PersistenceError(ErrorReply.libraryLoadFailed(failure.message)) }
        }

        mutating func entry(key: [UInt8], value: RDBObject, expireAtMilliseconds: Int64?) throws {
            if skipExpired, let expireAt = expireAtMilliseconds, expireAt < now {
                expired += 1
                expiredKeys.append((database, Bytes(array: key)))
                return
            }
            guard let converted = Value(rdb: value, zsetLimits: zsetLimits, maxIntsetEntries: maxIntsetEntries) else { return }  // Redis skips empty collections too
            pending.append((database, Bytes(array: key), converted, expireAtMilliseconds ?? 0))
            if pending.count >= 1024 { flush() }
        }

        /// After the last key: databases whose announced keys did not all come give back the room.
        func finish() {
            guard reserved > 0 else { return }
            withKeyspace { for db in engine.keyspace.databases { db.fitAfterLoading() } }
        }

        mutating func flush() {
            guard !pending.isEmpty else { return }
            let batch = pending
            pending.removeAll(keepingCapacity: true)
            withKeyspace {
                for entry in batch {
                    engine.keyspace.databases[entry.db].load(entry.key, entry.value, expireAt: entry.expireAt)
                }
            }
        }
    }
}

/// What loading a snapshot found besides its keys.
struct SnapshotLoad {
    /// Keys skipped because their time had passed (with `skipExpired`), and which.
    var expired: Int
    /// Where the image ended (an old-style AOF file goes on with commands after it).
    var length: Int
    /// Where the replication stream stood when it was made (its `repl-*` aux fields).
    var replication: ReplicationPosition?
    var expiredKeys: [(database: Int, key: Bytes)]
}
