import KeyDBRESP
import NIOCore

#if canImport(Glibc)
import Glibc
#endif

/// The master side of Redis replication (replication.c): the replication ID and
/// offset, the backlog, and the replicas that asked for the stream.
///
/// The stream is the write-ahead log's records (`AppendOnlyFeed`), which are
/// already Redis's propagation form, plus the master's own PINGs and GETACKs.
/// A replica gets a snapshot first (streamed from a child, `SnapshotStream`, or
/// `dump.rdb` from disk), then the stream from the moment that snapshot was forked.
public final class Replication: @unchecked Sendable {  // guarded by the keyspace lock
    public internal(set) var replid = Replication.newID()
    var replid2 = String(repeating: "0", count: 40)
    /// The last offset valid under `replid2` (second_repl_offset), -1 when none.
    var secondOffset: Int64 = -1
    /// master_repl_offset: bytes of stream made so far.
    public internal(set) var offset: Int64 = 0
    /// Made when the first replica comes, as in Redis; kept once made.
    var backlog: ReplicationBacklog?
    public internal(set) var replicas: [ReplicaLink] = []
    /// The master this server follows (REPLICAOF host port), nil for a master.
    public internal(set) var master: MasterLink?
    /// A FAILOVER under way, nil when none.
    public internal(set) var failover: Failover?
    /// Clients in WAIT, each with the replicas it needs and the offset they must reach.
    var waiters: [(client: ClientSession, state: BlockedState, count: Int, offset: Int64)] = []
    /// A WAIT is waiting: ask the replicas for an acknowledgement after this batch.
    var ackRequested = false
    /// The once-a-second part of the background cycle: when it last ran, and how many times.
    /// Its first run is the server's start, as Redis's first serverCron is: no replica is
    /// there yet, so the first PING (every `repl-ping-replica-period` loops) is a period away.
    var lastCron = Clock.milliseconds()
    var cronLoops = 1
    // INFO stats
    var fullSyncs = 0
    var partialSyncsAccepted = 0
    var partialSyncsRefused = 0

    /// 40 random hex digits, as Redis's run ID and replication IDs.
    static func newID() -> String { (0..<40).map { _ in String("0123456789abcdef".randomElement()!) }.joined() }

    /// The backlog's memory (INFO's mem_replication_backlog).
    var backlogBytes: Int { backlog?.size ?? 0 }

    /// Whether the stream is kept (a backlog exists): the feed must then exist whether
    /// or not the log does. Stored, as the request path reads it once per command.
    public private(set) var isStreaming = false

    // MARK: - The stream

    /// Appends this server's own stream bytes: to the backlog, to online replicas, and
    /// to those whose snapshot is being made (sent after it). A replica's own writes
    /// are not streamed: its replicas get its master's stream (`proxy`).
    public func feed(_ bytes: UnsafeRawBufferPointer, engine: Engine) {
        guard master == nil else { return }
        append(bytes, engine: engine)
    }

    /// The master's stream, as this replica applied it, goes on to its own replicas
    /// and backlog unchanged, so offsets mean the same on every server of the chain.
    public func proxy(_ bytes: UnsafeRawBufferPointer, engine: Engine) {
        append(bytes, engine: engine)
    }

    private func append(_ bytes: UnsafeRawBufferPointer, engine: Engine) {
        guard backlog != nil, !bytes.isEmpty else { return }
        offset += Int64(bytes.count)
        backlog!.append(bytes)
        for link in replicas where !link.snapshotOnly {
            switch link.state {
            case .waitSnapshotStart: continue
            case .waitSnapshotEnd, .snapshotReady: link.pending.writeBytes(bytes)
            case .online where link.streamsOnAck || link.streamReady: link.pending.writeBytes(bytes)
            case .sendingSnapshot, .online:
                link.session.reply.writeBytes(bytes)
                link.session.scheduleWakeup()
            }
            if !link.session.killRequested && engine.outputLimitExceeded(link.session) {
                engine.logWarning?("Client \(link.session.infoLine(now: Clock.milliseconds(), current: link.session)) scheduled to be closed ASAP for overcoming of output buffer limits.")
                link.session.killRequested = true
                link.session.scheduleWakeup()
            }
        }
    }

    func feed(_ record: StaticString, engine: Engine) {
        record.withUTF8Buffer { feed(UnsafeRawBufferPointer($0), engine: engine) }
    }

    /// After a batch's records went out: a GETACK if a WAIT asked for one. None while CLIENT
    /// PAUSE or a FAILOVER holds writes, as in Redis: it would move the end the replicas are
    /// to reach. The request waits for the hold to end.
    public func afterBatch(engine: Engine) {
        guard ackRequested, master == nil, failover == nil, engine.commandPause == nil else { return }
        ackRequested = false
        feed("*3\r\n$8\r\nREPLCONF\r\n$6\r\nGETACK\r\n$1\r\n*\r\n", engine: engine)
    }

    // MARK: - Replicas

    /// A new history (Redis's changeReplicationId and clearReplicationId2): a new ID, and
    /// none before it, so no replica can continue from the old one.
    func startNewHistory() {
        replid = Self.newID()
        replid2 = String(repeating: "0", count: 40)
        secondOffset = -1
    }

    /// REPLICAOF NO ONE: the history so far stays valid under the second ID up to this
    /// offset, so replicas that followed the same master can continue (Redis's shiftReplicationId).
    func shiftHistory() {
        replid2 = replid
        secondOffset = offset + 1
        replid = Self.newID()
    }

    /// The replicas' history changed under them: they reconnect and ask again (Redis's disconnectSlaves).
    func dropReplicas(engine: Engine) {
        for link in replicas {
            link.session.killRequested = true
            link.session.scheduleWakeup()
        }
    }

    // MARK: - Following a master

    /// A full resynchronization loaded the master's snapshot: its history is this server's
    /// now, from `offset` on, with a new backlog (the old one held another history).
    public func adoptMasterHistory(id: String, offset: Int64, streamDatabase: Int, engine: Engine) {
        dropReplicas(engine: engine)
        replid = id
        replid2 = String(repeating: "0", count: 40)
        secondOffset = -1
        self.offset = offset
        backlog = ReplicationBacklog(size: backlogSize(engine), end: offset)
        isStreaming = true
        if engine.appendOnlyFeed == nil { engine.appendOnlyFeed = AppendOnlyFeed() }
        // Where the master's stream goes on (a replica's snapshot says; a master's stream starts with a SELECT).
        master?.streamDatabase = streamDatabase
    }

    /// A partial resynchronization: the stream continues from this server's offset. A master
    /// that now has another ID (it was promoted) makes the old one the second, as Redis does.
    public func continueMasterHistory(id: String?, engine: Engine) {
        if backlog == nil {
            backlog = ReplicationBacklog(size: backlogSize(engine), end: offset)
            isStreaming = true
            if engine.appendOnlyFeed == nil { engine.appendOnlyFeed = AppendOnlyFeed() }
        }
        guard let id, id != replid else { return }
        replid2 = replid
        secondOffset = offset + 1
        replid = id
        dropReplicas(engine: engine)
    }

    /// A master restarted from a snapshot that says where its stream stood: that history stays
    /// valid under the second ID and the stream goes on from its offset, so the replicas
    /// continue instead of resyncing in full (Redis 7's restart with RDB aux fields). The keys
    /// the load skipped as expired go to the stream as DELs, as Redis feeds them.
    public func resumeAfterRestart(_ position: ReplicationPosition, expiredKeys: [(database: Int, key: Bytes)], engine: Engine) {
        guard master == nil, let id = position.id, let restoredOffset = position.offset else { return }
        replid2 = id
        secondOffset = restoredOffset + 1
        offset = restoredOffset
        backlog = ReplicationBacklog(size: backlogSize(engine), end: offset)
        isStreaming = true
        if engine.appendOnlyFeed == nil { engine.appendOnlyFeed = AppendOnlyFeed() }
        var selected = -1
        for (database, key) in expiredKeys {
            if database != selected {
                feed(Array("*2\r\n$6\r\nSELECT\r\n$\(String(database).utf8.count)\r\n\(database)\r\n".utf8), engine: engine)
                selected = database
            }
            var record = Array("*2\r\n$3\r\nDEL\r\n$\(key.count)\r\n".utf8)
            key.withUnsafeBytes { record.append(contentsOf: $0) }
            record.append(contentsOf: [13, 10])
            feed(record, engine: engine)
        }
        // The next record names its database again (the log, if any, saw none of these).
        engine.appendOnlyFeed?.selectedDatabase = -1
    }

    private func feed(_ record: [UInt8], engine: Engine) {
        record.withUnsafeBytes { feed($0, engine: engine) }
    }

    /// The stream's database for a snapshot's `repl-stream-db` (Redis's rdbPopulateSaveInfo): a
    /// replica's master's selected one; a master's with a backlog, whose stream restarts with a
    /// SELECT (0 then); nil when there is no stream to follow the snapshot.
    public func snapshotStreamDatabase(engine: Engine) -> Int? {
        if let master {
            guard master.hasHistory else { return nil }
            return master.session?.db.index ?? master.streamDatabase
        }
        guard backlog != nil else { return nil }
        return max(0, engine.appendOnlyFeed?.selectedDatabase ?? 0)
    }

    /// The last `count` bytes of the stream the backlog holds (a failed command's log line shows them).
    func latestStreamBytes(_ count: Int) -> [UInt8]? {
        guard let backlog, backlog.length > 0 else { return nil }
        var buffer = ByteBuffer()
        backlog.bytes(from: backlog.end - Int64(min(count, backlog.length)) + 1, into: &buffer)
        return Array(buffer.readableBytesView)
    }

    /// The ID and offset a PSYNC to the master names: the first byte not yet had.
    public var psyncRequest: (id: String, offset: Int64) { (replid, offset + 1) }

    /// A PSYNC that can continue from `requested` under `id`: the link, online, with the backlog
    /// from there. Else false, the reason logged (Redis's masterTryPartialResynchronization).
    func continueSync(of client: ClientSession, id: some Collection<UInt8>, from requested: Int64, psync2: Bool, engine: Engine) -> Bool {
        let asked = String(decoding: id, as: UTF8.self)
        let idText = asked.lowercased()
        guard idText == replid || (idText == replid2 && requested <= secondOffset) else {
            if asked.hasPrefix("?") {
                engine.logNotice?("Full resync requested by replica \(client.replicaName)")
            } else if idText != replid2 {
                engine.logNotice?("Partial resynchronization not accepted: Replication ID mismatch (Replica asked for '\(asked)', my replication IDs are '\(replid)' and '\(replid2)')")
            } else {
                engine.logNotice?("Partial resynchronization not accepted: Requested offset for second ID was \(requested), but I can reply up to \(secondOffset)")
            }
            return false
        }
        guard let backlog, backlog.holds(from: requested) else {
            engine.logNotice?("Unable to partial resync with replica \(client.replicaName) for lack of backlog (Replica request was: \(requested)).")
            if requested > offset {
                engine.logWarning?("Warning: replica \(client.replicaName) tried to PSYNC with an offset that is greater than the master replication offset.")
            }
            return false
        }
        let link = ReplicaLink(session: client, state: .online, prePSYNC: false, snapshotOnly: false, now: Clock.milliseconds() / 1000)
        replicas.append(link)
        client.replica = link
        client.reply.writeStaticString(psync2 ? "+CONTINUE " : "+CONTINUE")
        if psync2 { client.reply.writeString(replid) }
        client.reply.writeStaticString("\r\n")
        let start = client.reply.writerIndex
        backlog.bytes(from: requested, into: &client.reply)
        partialSyncsAccepted += 1
        engine.logNotice?("Partial resynchronization request from \(client.replicaName) accepted. Sending \(client.reply.writerIndex - start) bytes of backlog starting from offset \(requested).")
        return true
    }

    /// A replica that needs a snapshot: it waits for the next one to start.
    func addForFullSync(_ client: ClientSession, prePSYNC: Bool, snapshotOnly: Bool, engine: Engine) -> ReplicaLink {
        fullSyncs += 1
        let link = ReplicaLink(session: client, state: .waitSnapshotStart, prePSYNC: prePSYNC, snapshotOnly: snapshotOnly,
                               now: Clock.milliseconds() / 1000)
        replicas.append(link)
        client.replica = link
        if backlog == nil {
            startNewHistory()
            backlog = ReplicationBacklog(size: backlogSize(engine), end: offset)
            isStreaming = true
            engine.logNotice?("Replication backlog created, my new replication IDs are '\(replid)' and '\(replid2)'")
            if engine.appendOnlyFeed == nil { engine.appendOnlyFeed = AppendOnlyFeed() }
        }
        return link
    }

    /// A snapshot is being written of the data as it is now (the feed's records all
    /// taken): the replicas waiting for one get it, and the stream from here. With
    /// `stream`, it is streamed to them, and only to them (no later one joins it). One
    /// written to disk for some other reason (a BGSAVE) serves only those that cannot
    /// take a streamed one; one written for replicas serves every replica waiting.
    public func snapshotStarted(engine: Engine, stream: SnapshotStream? = nil, forReplicas: Bool = false) {
        var any = false
        for link in replicas where link.state == .waitSnapshotStart && (stream != nil || forReplicas || !streams(link, engine: engine)) {
            attach(link, offset: offset)
            link.stream = stream
            any = true
        }
        // Their stream starts with a SELECT, whatever the log's reader has selected.
        if any { engine.appendOnlyFeed?.selectedDatabase = -1 }
    }

    /// Whether the replicas waiting for a snapshot should get one now, when no child runs,
    /// and how (Redis's shouldStartChildReplication): streamed when `repl-diskless-sync`
    /// is on and all of them read a snapshot of unknown length, and then only once
    /// `repl-diskless-sync-delay` seconds passed since the first asked, or
    /// `repl-diskless-sync-max-replicas` of them are waiting, so that more can share it.
    /// Nil: not yet. While one that needs the disk waits, they all get one from disk, at
    /// once (Redis ANDs their capabilities).
    public func snapshotDue(engine: Engine, now: Int64) -> SnapshotTarget? {
        let waiting = replicas.filter { $0.state == .waitSnapshotStart }
        guard !waiting.isEmpty else { return nil }
        guard waiting.allSatisfy({ streams($0, engine: engine) }) else { return .disk }
        let most = setting("repl-diskless-sync-max-replicas", default: 0, engine)
        let delay = setting("repl-diskless-sync-delay", default: 5, engine)
        let longest = waiting.map { now / 1000 - $0.since }.max()!
        return most > 0 && waiting.count >= most || longest >= delay ? .replicas : nil
    }

    /// Where a snapshot for replicas is written: `dump.rdb`, or a pipe to their connections.
    public enum SnapshotTarget { case disk, replicas }

    /// Whether a replica's snapshot is streamed to it rather than written to disk first.
    private func streams(_ link: ReplicaLink, engine: Engine) -> Bool {
        link.session.replicaSettings.eof && (engine.configuration.keptSettings["repl-diskless-sync"] ?? "yes") == "yes"
    }

    /// A replica joins a snapshot already being written for another, from the same point.
    func joinRunningSnapshot(_ link: ReplicaLink) -> Bool {
        // Not one taking the snapshot alone (redis-cli --rdb): it keeps no stream to copy;
        // nor one streamed, which has begun.
        // A killed one may be left from a snapshot that failed: no child writes for it any more.
        guard let donor = replicas.first(where: { $0 !== link && $0.state == .waitSnapshotEnd && !$0.snapshotOnly && $0.stream == nil
                                                  && !$0.session.killRequested })
        else { return false }
        attach(link, offset: donor.snapshotOffset)
        if !link.snapshotOnly { link.pending = donor.pending }
        return true
    }

    private func attach(_ link: ReplicaLink, offset: Int64) {
        link.state = .waitSnapshotEnd
        link.snapshotOffset = offset
        link.pending.clear()
        guard !link.prePSYNC else { return }
        link.session.reply.writeString("+FULLRESYNC \(replid) \(offset)\r\n")
        link.session.scheduleWakeup()
    }

    /// A snapshot without keys (REPLCONF rdb-filter-only), made in place: it goes out at once,
    /// and the stream right after it; a snapshot-only link closes once it is out.
    func sendKeyless(_ image: [UInt8], to link: ReplicaLink, engine: Engine) {
        attach(link, offset: offset)
        engine.appendOnlyFeed?.selectedDatabase = -1
        link.session.reply.writeString("$\(image.count)\r\n")
        link.session.reply.writeBytes(image)
        // A snapshot-only link is never online (ROLE, WAIT): it closes once the image is out.
        link.state = link.snapshotOnly ? .sendingSnapshot : .online
        if link.snapshotOnly { link.session.closeAfterReply = true }
    }

    /// The snapshot is written (or failed): the replicas waiting for it get it, each its own
    /// descriptor from `open` (nil: it could not be opened, and the replica is dropped). The
    /// replicas a streamed one went to are online, their stream starting at their first ACK.
    public func snapshotFinished(succeeded: Bool, engine: Engine, open: () -> ReadySnapshot? = { nil }) {
        for link in replicas where link.state == .waitSnapshotEnd {
            if !succeeded {
                engine.logWarning?("SYNC failed. BGSAVE child returned an error")
                link.session.killRequested = true
            } else if link.stream != nil {
                streamTransferred(to: link, engine: engine)
            } else if let file = open() {
                link.state = .snapshotReady(file)
            } else {
                engine.logWarning?("SYNC failed. Can't open/stat DB after BGSAVE: \(String(cString: strerror(errno)))")
                link.session.killRequested = true
            }
            link.session.scheduleWakeup()
        }
    }

    /// A streamed snapshot reached `link`: online, its stream held until its first ACK.
    private func streamTransferred(to link: ReplicaLink, engine: Engine) {
        engine.logNotice?("Streamed RDB transfer with replica \(link.session.replicaName) succeeded (socket). Waiting for REPLCONF ACK from slave to enable streaming")
        link.stream = nil
        link.streamsOnAck = true
        link.putOnline(engine: engine)
    }

    /// No snapshot could be started for the replicas waiting for one: they are told, and
    /// closed (Redis's startBgsaveForReplication failing).
    public func snapshotFailedToStart(engine: Engine) {
        for link in replicas where link.state == .waitSnapshotStart {
            replicas.removeAll { $0 === link }
            link.session.replica = nil
            link.session.reply.writeError(ErrorReply.replicationSnapshotFailed)
            link.session.closeAfterReply = true
            link.session.scheduleWakeup()
        }
    }

    /// A streamed snapshot failed: every replica it went to is dropped (they reconnect).
    public func dropStreamReplicas(of stream: SnapshotStream) {
        for link in replicas where link.stream === stream {
            link.session.killRequested = true
            link.session.scheduleWakeup()
        }
    }

    /// The connection closed (or was closed).
    func remove(_ client: ClientSession) {
        waiters.removeAll { $0.client === client }
        guard let link = client.replica else { return }
        // A chunk of a streamed snapshot it never took: the transfer stops waiting for it.
        if link.takeStreamChunk() != nil { link.chunkWritten() }
        client.replica = nil
        replicas.removeAll { $0 === link }
        if link.state == .waitSnapshotEnd && link.stream == nil && !replicas.contains(where: { $0.state == .waitSnapshotEnd }) {
            client.engine.persistence?.replicaSnapshotUnwanted()
        }
        serveWaiters(engine: client.engine)
    }

    // MARK: - Acknowledgements and WAIT

    /// A replica's newline, sent while it loads its snapshot: it is alive (Redis's repl_ack_time).
    public func keptAlive(_ client: ClientSession) {
        client.replica?.ackTime = Clock.milliseconds() / 1000
    }

    func acknowledge(_ link: ReplicaLink, offset: Int64, engine: Engine) {
        if offset > link.ackOffset { link.ackOffset = offset }
        link.ackTime = Clock.milliseconds() / 1000
        // The replica loaded a streamed snapshot. Its ACK may come before the child's end was
        // seen (that is the background cycle's): look now, as Redis's checkChildrenDone. Before
        // the child has even exited, an ACK once the whole pipe was read says the replica found
        // the snapshot's end mark: it is online.
        if link.stream != nil { engine.persistence?.collectFinishedChild() }
        if let stream = link.stream, stream.delivered, link.state == .waitSnapshotEnd { streamTransferred(to: link, engine: engine) }
        if link.streamsOnAck && link.state == .online {
            // Not into the reply buffer: the network layer sends it (`takeTransfer`) after this ACK's batch.
            link.streamsOnAck = false
            link.streamReady = true
            link.session.scheduleWakeup()
        }
        serveWaiters(engine: engine)
        // Not here, inside this batch: the hand-over lets blocked clients go, and one blocked in
        // this very batch would lose its error (Redis too checks before it sleeps, not here).
        if failover?.state == .waitingForSync && link.ackOffset == self.offset { engine.scheduleFailoverCheck?() }
    }

    /// Online replicas heard from within `maxLag` seconds (min-replicas-to-write's good ones).
    func goodReplicas(maxLag: Int) -> Int {
        let now = Clock.milliseconds() / 1000
        return replicas.reduce(0) { $0 + ($1.state == .online && now - $1.ackTime <= Int64(maxLag) ? 1 : 0) }
    }

    /// Whether every replica acknowledged the whole stream (SHUTDOWN waits for it).
    var allAcknowledged: Bool { replicas.allSatisfy { $0.ackOffset == offset } }

    /// Replicas that acknowledged at least `offset`.
    func acknowledged(through offset: Int64) -> Int {
        replicas.reduce(0) { $0 + ($1.state == .online && $1.ackOffset >= offset ? 1 : 0) }
    }

    private func serveWaiters(engine: Engine) {
        guard !waiters.isEmpty else { return }
        for waiter in waiters where waiter.client.blocked === waiter.state {
            let count = acknowledged(through: waiter.offset)
            guard count >= waiter.count else { continue }
            engine.unblock(waiter.client)  // (which drops it from `waiters`)
            waiter.client.reply.writeIntegerReply(count)
            engine.finishBlockedCall(waiter.state, for: waiter.client, serving: 0, failed: false)
            waiter.client.wakeup?()
        }
    }

    // MARK: - Background cycle

    /// Milliseconds between runs of the replication cron (and a replica's reconnections): ten
    /// times shorter while a failover lasts, as Redis's, so that its hand-over goes faster.
    public var cronPeriod: Int64 { failover == nil ? 1000 : 100 }

    /// Once each `cronPeriod` (the background cycle calls it more often; Redis's replicationCron):
    /// a PING into the stream every repl-ping-replica-period seconds, a newline to the
    /// replicas waiting for their snapshot, and the replicas silent past repl-timeout dropped.
    public func cron(engine: Engine) {
        let now = Clock.milliseconds()
        guard now - lastCron >= cronPeriod else { return }
        lastCron = now
        defer { cronLoops &+= 1 }
        guard backlog != nil else { return }
        backlog!.resize(to: backlogSize(engine))  // (nothing to do when the size is unchanged)
        guard !replicas.isEmpty else { return }
        // Counted in loops, as Redis: a period set to an hour sends no PING for an hour. None
        // while SHUTDOWN waits for the replicas to acknowledge the stream: it would move the end
        // they are to reach (the wait's GETACKs keep the link alive meanwhile), or while a
        // FAILOVER with a TIMEOUT holds writes (Redis's exception; without one, PINGs go on).
        let period = max(1, setting("repl-ping-replica-period", default: 10, engine))
        let failoverHolds = failover.map { $0.deadline != 0 && $0.state == .waitingForSync } ?? false
        if Int64(cronLoops) % period == 0 && !engine.shutdownPending && !failoverHolds { feed("*1\r\n$4\r\nPING\r\n", engine: engine) }
        // They read it as a keepalive, so their repl-timeout does not run out while the snapshot
        // is made (not inside a streamed one: its bytes keep them alive).
        for link in replicas where link.state == .waitSnapshotStart || link.state == .waitSnapshotEnd && link.stream == nil {
            link.session.reply.writeStaticString("\n")
            link.session.scheduleWakeup()
        }
        let timeout = setting("repl-timeout", default: 60, engine)
        for link in replicas where !link.session.killRequested {
            let kind: String
            if link.state == .online && !link.prePSYNC && now / 1000 - link.ackTime > timeout {
                kind = "streaming sync"
            } else if link.stream != nil && link.partialWriteSince != 0 && now / 1000 - link.partialWriteSince > timeout {
                // A replica that stopped reading holds up the child, and every other replica with it.
                kind = "full sync"
            } else {
                continue
            }
            engine.logWarning?("Disconnecting timedout replica (\(kind)): \(link.session.replicaName)")
            link.session.killRequested = true
            link.session.scheduleWakeup()
        }
    }

    private func backlogSize(_ engine: Engine) -> Int { Int(setting("repl-backlog-size", default: 1 << 20, engine)) }

    private func setting(_ name: String, default value: Int64, _ engine: Engine) -> Int64 {
        engine.configuration.keptSettings[name].flatMap { Int64($0) } ?? value
    }

    // MARK: - INFO and ROLE

    func infoFields(engine: Engine) -> [(String, String)] {
        var fields = [("role", master == nil ? "master" : "slave")]
        if let master { fields += master.infoFields(offset: offset, engine: engine) }
        fields.append(("connected_slaves", "\(replicas.count)"))
        if engine.replicaRefusal != nil {
            fields.append(("min_slaves_good_slaves", "\(goodReplicas(maxLag: engine.configuration.minReplicasMaxLag))"))
        }
        for (index, link) in replicas.enumerated() {
            let lag = Clock.milliseconds() / 1000 - link.ackTime
            fields.append(("slave\(index)", "ip=\(link.session.replicaAddress),port=\(link.session.replicaSettings.listeningPort),state=\(link.stateName),offset=\(link.ackOffset),lag=\(lag)"))
        }
        fields += [("master_failover_state", failover?.stateName ?? "no-failover"), ("master_replid", replid), ("master_replid2", replid2),
                   ("master_repl_offset", "\(offset)"), ("second_repl_offset", "\(secondOffset)"),
                   ("repl_backlog_active", backlog == nil ? "0" : "1"),
                   ("repl_backlog_size", "\(backlog?.size ?? backlogSize(engine))"),
                   ("repl_backlog_first_byte_offset", "\(backlog?.firstOffset ?? 0)"),
                   ("repl_backlog_histlen", "\(backlog?.length ?? 0)")]
        return fields
    }
}
