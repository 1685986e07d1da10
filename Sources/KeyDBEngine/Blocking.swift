import KeyDBRESP

/// A client waiting in a blocking command (BLPOP, BLMOVE, BZPOPMIN...).
public final class BlockedState: @unchecked Sendable {  // guarded by the keyspace lock
    /// What a client that times out receives: `*-1` for pops, `$-1` for moves, and
    /// for WAIT the count of replicas that acknowledged its writes.
    enum TimeoutReply { case nullArray, nullBulk, acknowledgedReplicas, shutdownFailed }

    let db: Database
    let keys: [Bytes]
    /// Unix ms after which the client gets the timeout reply; 0 waits forever.
    public let deadline: Int64
    let timeoutReply: TimeoutReply
    /// Tries to serve the client from the key that just filled; writes its reply and
    /// returns true when it did.
    let attempt: (ClientSession, Bytes) -> Bool
    /// A group reader (XREADGROUP) is answered with an error when its stream goes, so it
    /// is tried even when the key no longer exists.
    var servesDeletedKeys = false
    /// The blocking command's first run: its arguments as the slow log keeps them and
    /// its time, logged and counted once it is served (not when it times out), as in Redis.
    var call: (command: CommandSpec, arguments: [Bytes], microseconds: Int64)?

    init(db: Database, keys: [Bytes], deadline: Int64, timeoutReply: TimeoutReply, attempt: @escaping (ClientSession, Bytes) -> Bool) {
        self.db = db
        self.keys = keys
        self.deadline = deadline
        self.timeoutReply = timeoutReply
        self.attempt = attempt
    }
}

/// A key in a numbered database: where blocked clients wait and watchers watch.
struct DatabaseKey: Hashable {
    let db: Int
    let key: Bytes
}

extension Engine {
    /// Parks `client` until one of `keys` can serve it or `deadline` passes.
    /// Inside EXEC (or wherever blocking is denied) it gets `deniedReply` at once.
    func block(_ client: ClientSession, keys: [Bytes], deadline: Int64, timeoutReply: BlockedState.TimeoutReply = .nullArray,
               deniedReply: BlockedState.TimeoutReply = .nullArray, servesDeletedKeys: Bool = false,
               attempt: @escaping (ClientSession, Bytes) -> Bool) {
        guard !client.denyBlocking else { return writeTimeoutReply(deniedReply, to: client) }
        let state = BlockedState(db: client.db, keys: keys, deadline: deadline, timeoutReply: timeoutReply, attempt: attempt)
        state.servesDeletedKeys = servesDeletedKeys
        client.blocked = state
        blockedClientCount += 1
        for key in Set(keys) {
            blockedByKey[DatabaseKey(db: client.db.index, key: key), default: []].append(client)
            client.db.waitedKeys.insert(key)
        }
    }

    /// Takes `client` out of every wait queue (served, timed out, unblocked or gone).
    func unblock(_ client: ClientSession) {
        guard let state = client.blocked else { return }
        client.blocked = nil
        blockedClientCount -= 1
        if state.timeoutReply == .acknowledgedReplicas { replication.waiters.removeAll { $0.state === state } }
        for key in Set(state.keys) {
            let blockKey = DatabaseKey(db: state.db.index, key: key)
            blockedByKey[blockKey]?.removeAll { $0 === client }
            if blockedByKey[blockKey]?.isEmpty == true {
                blockedByKey[blockKey] = nil
                state.db.waitedKeys.remove(key)
            }
        }
    }

    /// Serves clients waiting on keys that commands just filled, in the order
    /// they blocked, until no ready key is left (a served BLMOVE can fill another).
    func serveReadyKeys() {
        while keyspace.hasReadyKeys {
            keyspace.hasReadyKeys = false
            for db in keyspace.databases where !db.readyKeys.isEmpty {
                let ready = db.readyKeys
                db.readyKeys = []
                for key in ready {
                    serve(DatabaseKey(db: db.index, key: key))
                }
            }
        }
    }

    private func serve(_ blockKey: DatabaseKey) {
        guard let waiting = blockedByKey[blockKey] else { return }
        for client in waiting where client.blocked != nil {
            let present = blockKey.key.withUnsafeBytes { client.db.exists($0, now: clock?() ?? Clock.milliseconds()) }
            guard present || client.blocked?.servesDeletedKeys == true else { continue }
            client.now = clock?() ?? Clock.milliseconds()
            let started = Clock.microseconds()
            let errorsBefore = stats.errorReplies
            guard let state = client.blocked else { continue }
            // What serving writes (a group read: its XCLAIM and SETID records) is one unit in the log.
            appendOnlyFeed?.enterCall()
            let served = servingAsCurrent(client) { state.attempt(client, blockKey.key) }
            appendOnlyFeed?.leaveCall()
            guard served else { continue }
            let serving = max(0, Clock.microseconds() - started)
            unblock(client)
            finishBlockedCall(state, for: client, serving: serving, failed: stats.errorReplies != errorsBefore)
            client.wakeup?()
        }
    }

    /// A blocked command got its reply from another client's command (or CLIENT
    /// UNBLOCK): counted, measured and logged now, as Redis's updateStatsOnUnblock,
    /// with its first run's time plus the `serving` time.
    func finishBlockedCall(_ state: BlockedState, for client: ClientSession, serving: Int64, failed: Bool) {
        guard let call = state.call else { return }
        let total = call.microseconds + serving
        let statistics = call.command.statistics
        statistics.microseconds += Int(total)
        if failed { statistics.failedCalls += 1 }
        if latencyTracking { statistics.recordLatency(microseconds: total) }
        logSlow(call.command, kept: call.arguments, microseconds: total, by: client)
        if latencyThreshold > 0 { latency.record("command-unblocking", milliseconds: serving / 1000) }
    }

    /// A command a script paused in ended (Scripting.continueScript): counted, measured
    /// and logged now with its whole time, as Redis's call() counts a script that ran long.
    func finishPausedCall(_ call: PausedCall, for client: ClientSession, failed: Bool) {
        let duration = max(0, Clock.microseconds() - call.started)
        let statistics = call.command.statistics
        statistics.calls += 1
        statistics.microseconds += Int(duration)
        if failed { statistics.failedCalls += 1 }
        if latencyThreshold > 0 && duration / 1000 >= latencyThreshold {
            latency.record(call.command.flags.contains(.fast) ? "fast-command" : "command", milliseconds: duration / 1000)
        }
        if latencyTracking { statistics.recordLatency(microseconds: duration) }
        logSlow(call.command, kept: call.arguments, microseconds: duration, by: client)
    }

    /// The server's timer for a blocked client fired: give it the timeout reply if still waiting.
    public func blockTimedOut(_ client: ClientSession, deadline: Int64) {
        guard let state = client.blocked, state.deadline == deadline else { return }
        unblock(client)
        writeTimeoutReply(state.timeoutReply, to: client)
        client.wakeup?()
    }

    /// CLIENT UNBLOCK: ends `client`'s wait with the timeout reply or an UNBLOCKED error.
    func forceUnblock(_ client: ClientSession, withError: Bool) -> Bool {
        guard let state = client.blocked else { return false }
        unblock(client)
        if withError { client.replyError(ErrorReply.unblocked) } else { writeTimeoutReply(state.timeoutReply, to: client) }
        finishBlockedCall(state, for: client, serving: 0, failed: true)
        client.wakeup?()
        return true
    }

    private func writeTimeoutReply(_ reply: BlockedState.TimeoutReply, to client: ClientSession) {
        switch reply {
        case .nullArray: client.replyNullArray()
        case .nullBulk: client.replyNull()
        case .acknowledgedReplicas: client.reply.writeIntegerReply(replication.acknowledged(through: client.writeOffset))
        case .shutdownFailed: client.replyError(ErrorReply.shutdownFailed)
        }
    }
}

extension Database {
    /// A key was added: if clients wait on it, queue it for serving after the command.
    /// (Also called when a stream gets entries or loses a group: its readers may be served.)
    func signalKeyAdded(_ key: UnsafeRawBufferPointer) {
        guard !waitedKeys.isEmpty else { return }
        let bytes = Bytes(key)
        guard waitedKeys.contains(bytes) else { return }
        readyKeys.append(bytes)
        owner?.hasReadyKeys = true
    }

    /// After SWAPDB: every waited key may have appeared, or (a group reader's stream) gone.
    func signalAllWaitedKeys() {
        for key in waitedKeys {
            readyKeys.append(key)
            owner?.hasReadyKeys = true
        }
    }
}
