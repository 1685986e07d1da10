import KeyDBRESP
import NIOCore

/// The replica side of replication (Redis's masterhost, repl_state and master
/// client): the master this server follows and how far its link has got. The
/// network layer connects, shakes hands, takes the snapshot and feeds the
/// stream (KeyDBServer's MasterConnection); this is what the engine knows of it.
public final class MasterLink: @unchecked Sendable {  // guarded by the keyspace lock
    /// Redis's repl_state, as ROLE names it.
    public enum State: String, Sendable {
        /// Waiting to connect (again, after a failure or a lost link).
        case connect
        case connecting
        /// PING, AUTH, REPLCONF and PSYNC sent one after another.
        case handshake
        /// Receiving the snapshot of a full resynchronization.
        case sync
        /// Applying the stream.
        case connected
    }

    public let host: String
    public let port: Int
    public var state = State.connect
    /// Unix seconds the link went down (INFO master_link_down_since_seconds), 0 while it never was up.
    var downSince: Int64 = 0
    /// Unix seconds of the last bytes from the master while connected.
    public var lastInteraction: Int64 = 0
    /// The snapshot being received: its size (-1 while unknown, for a diskless one), bytes so far, last read.
    public var transferSize: Int64 = -1
    public var transferRead: Int64 = 0
    public var transferLastIO: Int64 = 0
    /// The client the master's commands run as, while the stream is applied (CLIENT LIST flags=M).
    public internal(set) var session: ClientSession?
    /// The database the stream has selected, kept across reconnections (a partial resync continues in it).
    var streamDatabase = 0
    /// Closes the connection: set by the network layer while one is open.
    public var disconnect: (() -> Void)?
    /// Unix ms of the last attempt to connect, so the background cycle retries once a second.
    public var lastAttempt: Int64 = 0
    /// The master sent REPLCONF GETACK: the network layer answers after the batch.
    public var ackRequested = false
    /// Stream bytes read, applied or not (slave_read_repl_offset).
    public var readOffset: Int64 = 0
    /// Stream bytes run but not settled: a transaction whose EXEC has not come yet. They
    /// count (and go on to this server's replicas) with it, as Redis counts its replica offset.
    var unsettled: [UInt8] = []
    /// Whether the replication offset is a history this server has (it was a master, or
    /// synchronized): without one, INFO shows Redis's placeholder offsets of 1.
    public internal(set) var hasHistory: Bool

    /// The master sent what this server cannot apply: continuing from the same offset would
    /// meet it again, so the next sync is a full one (Redis drops the master's state too).
    public func forgetHistory() { hasHistory = false }

    init(host: String, port: Int, hasHistory: Bool) {
        self.host = host
        self.port = port
        self.hasHistory = hasHistory
    }

    /// INFO replication's lines for a replica, after `role:slave`.
    func infoFields(offset: Int64, engine: Engine) -> [(String, String)] {
        let now = Clock.milliseconds() / 1000
        let applied = hasHistory ? offset : 1
        let read = session != nil ? max(readOffset, offset) : applied
        var fields = [("master_host", host), ("master_port", "\(port)"),
                      ("master_link_status", state == .connected ? "up" : "down"),
                      ("master_last_io_seconds_ago", session != nil ? "\(now - lastInteraction)" : "-1"),
                      ("master_sync_in_progress", state == .sync ? "1" : "0"),
                      ("slave_read_repl_offset", "\(read)"), ("slave_repl_offset", "\(applied)")]
        if state == .sync {
            let percent = transferSize > 0 ? Double(transferRead) / Double(transferSize) * 100 : 0
            fields += [("master_sync_total_bytes", "\(transferSize)"), ("master_sync_read_bytes", "\(transferRead)"),
                       ("master_sync_left_bytes", "\(transferSize - transferRead)"),
                       ("master_sync_perc", cFixedText(percent, format: "%.2f")),
                       ("master_sync_last_io_seconds_ago", "\(now - transferLastIO)")]
        }
        if state != .connected { fields.append(("master_link_down_since_seconds", downSince != 0 ? "\(now - downSince)" : "-1")) }
        fields += [("slave_priority", engine.configuration.keptSettings["replica-priority"] ?? "100"),
                   ("slave_read_only", engine.replicaReadOnly ? "1" : "0"),
                   ("replica_announced", engine.configuration.keptSettings["replica-announced"] == "no" ? "0" : "1")]
        return fields
    }

    /// ROLE: ["slave", host, port, state, offset applied (-1 while not connected)].
    func writeRole(offset: Int64, to c: ClientSession) {
        c.reply.writeArrayHeader(5)
        c.reply.writeBulk("slave")
        c.reply.writeBulk(host)
        c.reply.writeIntegerReply(Int64(port))
        c.reply.writeBulk(state.rawValue)
        c.reply.writeIntegerReply(session != nil ? offset : -1)
    }

    /// "host:port", as Redis's logs name the master.
    public var name: String { "\(host):\(port)" }
}

/// Where a replication stream stood when a snapshot was made (its `repl-*` aux fields).
public struct ReplicationPosition: Sendable, Equatable {
    public var id: String?
    public var offset: Int64?
    public var database: Int

    public init(id: String?, offset: Int64?, database: Int) {
        self.id = id
        self.offset = offset
        self.database = database
    }
}

extension Engine {
    /// Whether this server follows a master (Redis's server.masterhost != NULL).
    public var master: MasterLink? { replication.master }

    /// `repl-timeout`, in seconds.
    public var replicationTimeout: Int64 { configuration.keptSettings["repl-timeout"].flatMap(Int64.init) ?? 60 }

    /// REPLICAOF host port: follow that master from now on. Clients blocked on keys are
    /// let go (the master's stream decides the data now); replicas of this server stay
    /// connected and are dropped only when the history changes (a full resync). At
    /// start (`replicaof` in the configuration) the history to continue is the one the
    /// snapshot loaded says (`restoring`), else there is none yet.
    public func follow(host: String, port: Int, atStart: Bool = false, restoring position: ReplicationPosition? = nil) {
        let wasMaster = replication.master == nil
        var hasHistory = !atStart && (wasMaster || replication.master?.hasHistory == true)
        if atStart, let position, let id = position.id, let offset = position.offset {
            replication.replid = id
            replication.offset = offset
            hasHistory = true
        }
        if let old = replication.master { dropLink(old) }
        disconnectBlockedClients()
        let link = MasterLink(host: host, port: port, hasHistory: hasHistory)
        if hasHistory, let position { link.streamDatabase = position.database }
        replication.master = link
        configuration.replicaOf = MasterAddress(host: host, port: port)
        if wasMaster { updateReplicaState() }
        logNotice?("Connecting to MASTER \(link.name)")
        connectToMaster?(link)
    }

    /// REPLICAOF NO ONE: a master again, keeping the data. The history so far stays
    /// valid under the second ID, so this server's replicas can continue (Redis's shiftReplicationId).
    func stopFollowing() {
        guard let link = replication.master else { return }
        dropLink(link)
        replication.master = nil
        configuration.replicaOf = nil
        replication.shiftHistory()
        replication.dropReplicas(engine: self)
        // The next write the replicas get starts with a SELECT.
        appendOnlyFeed?.selectedDatabase = -1
        updateReplicaState()
        // A failed full resync left the log off: it starts again now (Redis's restartAOFAfterSYNC).
        if configuration.appendOnly, let refusal = persistence?.setAppendOnly(true) {
            logWarning?("Failed enabling the AOF after becoming a master: \(refusal)")
        }
    }

    private func dropLink(_ link: MasterLink) {
        link.disconnect?()
        link.disconnect = nil
        endMasterSession(link)
    }

    /// The client the master's stream runs as: no replies, no checks a user's command
    /// meets, and the database the stream last selected.
    public func beginMasterSession(_ link: MasterLink, peer: ConnectionEnd, local: ConnectionEnd,
                                   fileDescriptor: (() -> Int)?) -> ClientSession {
        endMasterSession(link)
        let session = ClientSession(engine: self, peer: peer, local: local, fileDescriptor: fileDescriptor)
        session.grantFullAccess()
        session.isMaster = true
        session.replyMode = .off
        session.denyBlocking = true
        session.db = keyspace.databases[min(link.streamDatabase, keyspace.databases.count - 1)]
        link.session = session
        link.unsettled.removeAll()
        link.state = .connected
        link.hasHistory = true
        link.lastInteraction = Clock.milliseconds() / 1000
        register(session)
        return session
    }

    /// The stream stopped (the link went down or the master changed): its client goes.
    /// A transaction it had begun is dropped, as the master sends it again from its start.
    public func endMasterSession(_ link: MasterLink) {
        guard let session = link.session else { return }
        link.streamDatabase = session.db.index
        link.session = nil
        unregister(session)
    }

    /// A full resync is about to replace the dataset: as after FLUSHALL, transactions
    /// watching any key fail and clients' cached keys are invalidated (Redis's signalFlushedDb).
    public func signalDatasetReplaced() {
        for db in keyspace.databases { keyspace.touchWatchedKeys(in: db, now: Clock.milliseconds()) }
        invalidateAllTracked()
    }

    /// The link is down: its state goes back to connect, and the time is noted for INFO.
    public func masterLinkLost(_ link: MasterLink, now: Int64) {
        if link.state == .connected { link.downSince = now / 1000 }
        link.state = .connect
        link.disconnect = nil
        endMasterSession(link)
    }

    /// Sets what follows from being a replica or not: the dispatch check, and
    /// expiry (a replica waits for the master's DELs, reading such keys as absent).
    func updateReplicaState() {
        if isReplica != (replication.master != nil) {
            isReplica = replication.master != nil
            onRoleChange?(isReplica)
        }
        replicaReadOnly = keptFlag("replica-read-only", default: true)
        keyspace.remembersReplicaExpires = isReplica && !replicaReadOnly
        if !isReplica { keyspace.replicaKeyExpiry.forgetAll() }
        replicaServesStaleData = keptFlag("replica-serve-stale-data", default: true)
        updatePause(now: Clock.milliseconds())
    }

    /// Why a user's command may not run on a replica: a write on a read-only replica
    /// (-READONLY), or anything but INFO and the like while the link is down and
    /// replica-serve-stale-data is no (-MASTERDOWN). Nil for the master's own commands.
    /// A script's declared flags count instead of EVAL's or FCALL's own, as in Redis.
    func refusalOnReplica(_ command: CommandSpec, _ args: Arguments, for client: ClientSession) -> String? {
        guard !client.isMaster else { return nil }
        let flags = queuedFlags(command, args)
        if replicaReadOnly && (flags.contains(.write) || writes(command, for: client)) { return ErrorReply.readOnlyReplica }
        let deniesStale = !flags.contains(.stale) || (command.fullName == "exec" && client.transaction?.deniesStale == true)
        if !replicaServesStaleData && replication.master?.state != .connected && deniesStale {
            return ErrorReply.masterDown
        }
        return nil
    }

    private func keptFlag(_ name: String, default value: Bool) -> Bool {
        configuration.keptSettings[name].map { $0 == "yes" } ?? value
    }

    /// Clients blocked on keys when this server becomes a replica: their keys are now
    /// the master's to change (Redis's disconnectAllBlockedClients).
    private func disconnectBlockedClients() {
        for client in clients.values {
            guard let state = client.blocked, !client.isMaster else { continue }
            unblock(client)
            client.replyError(ErrorReply.unblockedByRoleChange)
            finishBlockedCall(state, for: client, serving: 0, failed: true)
            client.closeAfterReply = true
            client.wakeup?()
        }
    }
}
