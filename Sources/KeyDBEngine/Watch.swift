import KeyDBRESP

/// WATCH / UNWATCH (Redis's multi.c): optimistic locking for MULTI/EXEC.
/// Any change to a watched key — by any client, by expiry, by FLUSHDB,
/// SWAPDB or a served blocking pop — makes the watcher's next EXEC answer `*-1`.
struct WatchedKey {
    let db: Database
    let key: Bytes
    /// Whether the key existed (unexpired) when watched: only then does its expiry count as a change.
    let existed: Bool
}

extension Keyspace {
    /// Marks every client watching `key` in database `db`: its EXEC will fail.
    /// Client-side caching hears of the change too.
    func touch(_ db: Int, _ key: Bytes) {
        if tracksKeys { onTrackedKeyChanged?(key, true) }
        guard let watching = watchers[DatabaseKey(db: db, key: key)] else { return }
        for client in watching { client.watchTouched = true }
    }

    /// `key` was deleted because its time passed: a change only for clients that
    /// watched it while it was live (one stale already when watched sees no change, as in Redis).
    func touchExpired(_ db: Int, _ key: Bytes) {
        if tracksKeys { onTrackedKeyChanged?(key, false) }
        guard let watching = watchers[DatabaseKey(db: db, key: key)] else { return }
        for client in watching where client.watchedKeys.contains(where: { $0.db.index == db && $0.key == key && $0.existed }) {
            client.watchTouched = true
        }
    }

    /// FLUSHDB / FLUSHALL / SWAPDB: touch watched keys of `db` that exist in it (or in `other`).
    func touchWatchedKeys(in db: Database, orIn other: Database? = nil, now: Int64) {
        guard !watchers.isEmpty else { return }
        for (databaseKey, clients) in watchers where databaseKey.db == db.index {
            let present = databaseKey.key.withUnsafeBytes { db.holdsLive($0, now: now) || (other?.holdsLive($0, now: now) ?? false) }
            if present { for client in clients { client.watchTouched = true } }
        }
    }
}

extension Engine {
    func watch(_ client: ClientSession, _ key: Bytes) {
        guard !client.watchedKeys.contains(where: { $0.db === client.db && $0.key == key }) else { return }
        let existed = key.withUnsafeBytes { client.db.holdsLive($0, now: client.now) }
        client.watchedKeys.append(WatchedKey(db: client.db, key: key, existed: existed))
        keyspace.watchers[DatabaseKey(db: client.db.index, key: key), default: []].append(client)
    }

    /// Forgets every watched key (EXEC, DISCARD, UNWATCH, RESET, disconnect).
    func unwatchAll(_ client: ClientSession) {
        for watched in client.watchedKeys {
            let databaseKey = DatabaseKey(db: watched.db.index, key: watched.key)
            keyspace.watchers[databaseKey]?.removeAll { $0 === client }
            if keyspace.watchers[databaseKey]?.isEmpty == true { keyspace.watchers[databaseKey] = nil }
        }
        client.watchedKeys = []
        client.watchTouched = false
    }

    /// Whether EXEC must fail: a watched key changed, or expired since WATCH.
    func watchBroken(_ client: ClientSession) -> Bool {
        if client.watchTouched { return true }
        return client.watchedKeys.contains { watched in
            watched.existed && !watched.key.withUnsafeBytes { watched.db.holdsLive($0, now: client.now) }
        }
    }

    /// After a write command changed the keyspace: touch the keys its key specs may
    /// change, not those it only reads (SINTERSTORE's sources, COPY's source); commands
    /// flagged `touchesOwnKeys` say precisely which keys changed instead.
    func touchCommandKeys(_ command: CommandSpec, _ args: Arguments, for client: ClientSession) {
        guard !command.flags.contains(.touchesOwnKeys) else { return }
        for key in command.keyReferences(args) where !key.flags.contains(.ro) && key.index < args.count {
            keyspace.touch(client.db.index, Bytes(args[key.index]))
        }
    }
}

enum WatchCommands {
    static func watch(_ c: ClientSession, _ args: Arguments) {
        guard c.transaction == nil else { return c.replyError(ErrorReply.watchInsideMulti) }
        // Already doomed: watching more changes nothing.
        if !c.watchTouched {
            for index in 1..<args.count { c.engine.watch(c, Bytes(args[index])) }
        }
        c.replyOK()
    }

    static func unwatch(_ c: ClientSession, _ args: Arguments) {
        c.engine.unwatchAll(c)
        c.replyOK()
    }
}

extension ClientSession {
    /// Tells watchers of `key` (in the selected database) that it changed.
    func touch(_ key: UnsafeRawBufferPointer) {
        guard engine.keyspace.observesKeys else { return }
        engine.keyspace.touch(db.index, Bytes(key))
    }
}
