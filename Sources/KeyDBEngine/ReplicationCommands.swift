import KeyDBRESP

/// The replication commands (Redis's replication.c): replicas connect with SYNC
/// or PSYNC and get the stream (`Replication`); REPLICAOF makes this server
/// follow a master (`MasterLink`).
enum ReplicationCommands {
    /// ROLE: ["master", offset, [[ip, port, acknowledged offset] for each online replica]].
    static func role(_ c: ClientSession, _ args: Arguments) {
        let replication = c.engine.replication
        if let master = replication.master { return master.writeRole(offset: replication.offset, to: c) }
        c.reply.writeArrayHeader(3)
        c.reply.writeBulk("master")
        c.reply.writeIntegerReply(replication.offset)
        let online = replication.replicas.filter { $0.state == .online }
        c.reply.writeArrayHeader(online.count)
        for link in online {
            c.reply.writeArrayHeader(3)
            c.reply.writeBulk(link.session.replicaAddress)
            c.reply.writeBulk(String(link.session.replicaSettings.listeningPort))
            c.reply.writeBulk(String(link.ackOffset))
        }
    }

    /// SYNC: the old protocol (redis-cli --rdb and --replica use it): a snapshot, then the stream.
    static func sync(_ c: ClientSession, _ args: Arguments) {
        guard c.replica == nil && !c.isMonitor else { return }  // already streaming: ignored, as Redis does
        guard c.engine.replication.failover == nil else { return c.replyError(ErrorReply.syncWhileFailingOver) }
        guard c.engine.master.map({ $0.state == .connected }) ?? true else { return c.replyError(ErrorReply.noMasterLink) }
        guard c.reply.readableBytes == 0 else { return c.replyError(ErrorReply.syncWithPendingOutput) }
        guard c.replicaSettings.filterKeepsFunctions == nil || c.replicaSettings.eof else { return c.replyError(ErrorReply.filteredNeedsEOF) }
        c.engine.logNotice?("Replica \(c.replicaName) asks for synchronization")
        startFullSync(c, prePSYNC: true)
    }

    /// PSYNC replicationid offset: continues from the backlog when it can (+CONTINUE),
    /// else a full resynchronization (+FULLRESYNC id offset, the snapshot, the stream).
    static func psync(_ c: ClientSession, _ args: Arguments) {
        guard c.replica == nil && !c.isMonitor else { return }
        // A master handing over to this replica (FAILOVER): it becomes the master, then serves the PSYNC.
        if args.count > 3 && args.matches(3, "failover") {
            c.engine.logWarning?("Failover request received for replid \(String(decoding: args[1], as: UTF8.self)).")
            guard c.engine.master != nil else { return c.replyError(ErrorReply.psyncFailoverToMaster) }
            guard String(decoding: args[1], as: UTF8.self).lowercased() == c.engine.replication.replid else {
                return c.replyError(ErrorReply.psyncFailoverReplid)
            }
            c.engine.stopFollowing()
            c.engine.logNotice?("MASTER MODE enabled (failover request from '\(c.infoLine(now: Clock.milliseconds(), current: c))')")
        }
        guard c.engine.replication.failover == nil else { return c.replyError(ErrorReply.syncWhileFailingOver) }
        guard c.engine.master.map({ $0.state == .connected }) ?? true else { return c.replyError(ErrorReply.noMasterLink) }
        guard c.reply.readableBytes == 0 else { return c.replyError(ErrorReply.syncWithPendingOutput) }
        guard c.replicaSettings.filterKeepsFunctions == nil || c.replicaSettings.eof else { return c.replyError(ErrorReply.filteredNeedsEOF) }
        c.engine.logNotice?("Replica \(c.replicaName) asks for synchronization")
        guard let requested = args.int64(2) else {
            c.engine.logWarning?("Replica \(c.replicaName) asks for synchronization but with a wrong offset")
            return c.replyError(ErrorReply.notInteger)
        }
        let replication = c.engine.replication
        if replication.continueSync(of: c, id: args[1], from: requested, psync2: c.replicaSettings.psync2, engine: c.engine) { return }
        // "?" asks for a full resync on purpose: not a refused partial one.
        if args[1].first != UInt8(ascii: "?") { replication.partialSyncsRefused += 1 }
        startFullSync(c, prePSYNC: false)
    }

    private static func startFullSync(_ c: ClientSession, prePSYNC: Bool) {
        let engine = c.engine
        let link = engine.replication.addForFullSync(c, prePSYNC: prePSYNC, snapshotOnly: c.replicaSettings.snapshotOnly, engine: engine)
        // A snapshot without keys is made here and now: no child, nothing to wait for.
        if let keepsFunctions = c.replicaSettings.filterKeepsFunctions, let persistence = engine.persistence {
            return engine.replication.sendKeyless(persistence.keylessSnapshot(withFunctions: keepsFunctions), to: link, engine: engine)
        }
        // A snapshot being written to disk for another replica serves this one too; else one
        // starts now, or as soon as the running child (a rewrite, a user's BGSAVE) is done, or
        // (streamed) after repl-diskless-sync-delay.
        if engine.replication.joinRunningSnapshot(link) {
            engine.logNotice?("Waiting for end of BGSAVE for SYNC")
            return
        }
        engine.persistence?.startReplicaSnapshot()
    }

    /// REPLCONF option value ...: what a replica says about itself before PSYNC, and its ACKs after.
    static func replconf(_ c: ClientSession, _ args: Arguments) {
        guard args.count % 2 == 1 else { return c.replyError(ErrorReply.syntax) }
        var settings = c.replicaSettings
        for index in stride(from: 1, to: args.count, by: 2) {
            if args.matches(index, "listening-port") {
                guard let port = args.int64(index + 1) else { return c.replyError(ErrorReply.notInteger) }
                settings.listeningPort = Int(port)
            } else if args.matches(index, "ip-address") {
                guard args[index + 1].count < 256 else { return c.replyError(ErrorReply.replconfAddressTooLong(args[index + 1].count)) }
                settings.address = String(decoding: args[index + 1], as: UTF8.self)
            } else if args.matches(index, "capa") {
                // Capabilities this master does not know are ignored, as Redis does.
                if args.matches(index + 1, "psync2") { settings.psync2 = true }
                if args.matches(index + 1, "eof") { settings.eof = true }
            } else if args.matches(index, "ack") {
                // No reply, ever: the replica reads none.
                guard let link = c.replica, let offset = args.int64(index + 1) else { return }
                return c.engine.replication.acknowledge(link, offset: offset, engine: c.engine)
            } else if args.matches(index, "getack") {
                // From this replica's master: the network layer answers with the offset applied.
                if c.isMaster { c.engine.master?.ackRequested = true }
                return
            } else if args.matches(index, "rdb-only") {
                guard let value = args.int64(index + 1) else { return c.replyError(ErrorReply.notInteger) }
                guard value == 0 || value == 1 else { return c.replyError(ErrorReply.rdbOnlyRange) }
                settings.snapshotOnly = value == 1
            } else if args.matches(index, "rdb-filter-only") {
                // Only "functions" may be kept; an empty list keeps nothing.
                var keepsFunctions = false
                for word in args[index + 1].split(separator: UInt8(ascii: " ")) {
                    guard word.count == 9 && word.elementsEqual("functions".utf8, by: { $0 | 0x20 == $1 }) else {
                        return c.replyError(bytes: ErrorReply.rdbFilterUnsupported(word))
                    }
                    keepsFunctions = true
                }
                settings.filterKeepsFunctions = keepsFunctions
            } else {
                return c.replyError(bytes: ErrorReply.replconfUnknown(args[index]))
            }
        }
        c.replicaSettings = settings
        c.replyOK()
    }

    /// REPLICAOF / SLAVEOF host port: follow that master (connecting in the background,
    /// OK at once); NO ONE: be a master again, keeping the data.
    static func replicaof(_ c: ClientSession, _ args: Arguments) {
        let engine = c.engine
        guard engine.replication.failover == nil else { return c.replyError(ErrorReply.replicaofWhileFailingOver) }
        if args.matches(1, "no") && args.matches(2, "one") {
            if engine.master != nil {
                engine.stopFollowing()
                engine.logNotice?("MASTER MODE enabled (user request from '\(c.infoLine(now: Clock.milliseconds(), current: c))')")
            }
            return c.replyOK()
        }
        // It would have to drop every replica, itself among them.
        guard c.replica == nil else { return c.replyError(ErrorReply.replicaofFromReplica) }
        guard let port = args.int64(2), (0...65535).contains(port) else { return c.replyError(ErrorReply.invalidMasterPort) }
        let host = String(decoding: args[1], as: UTF8.self)
        if let master = engine.master, master.host.lowercased() == host.lowercased() && master.port == Int(port) {
            engine.logNotice?("REPLICAOF would result into synchronization with the master we are already connected with. No operation performed.")
            return c.reply.writeSimpleString("OK Already connected to specified master")
        }
        engine.follow(host: host, port: Int(port))
        engine.logNotice?("REPLICAOF \(host):\(port) enabled (user request from '\(c.infoLine(now: Clock.milliseconds(), current: c))')")
        c.replyOK()
    }

    /// WAIT numreplicas timeout: how many replicas acknowledged this connection's
    /// writes. Answers at once when enough have (or inside MULTI, or asked for none);
    /// else asks them for an acknowledgement and waits up to the timeout (ms, 0: for ever).
    static func wait(_ c: ClientSession, _ args: Arguments) {
        guard c.engine.master == nil else { return c.replyError(ErrorReply.waitOnReplica) }
        guard let wanted = args.int64(1) else { return c.replyError(ErrorReply.notInteger) }
        guard let timeout = args.int64(2) else { return c.replyError(ErrorReply.timeoutNotInteger) }
        guard timeout >= 0 else { return c.replyError(ErrorReply.timeoutNegative) }
        let replication = c.engine.replication
        let acknowledged = replication.acknowledged(through: c.writeOffset)
        guard Int64(acknowledged) < wanted, !c.denyBlocking else { return c.reply.writeIntegerReply(acknowledged) }
        c.engine.block(c, keys: [], deadline: timeout == 0 ? 0 : timeout &+ c.now,
                       timeoutReply: .acknowledgedReplicas, deniedReply: .acknowledgedReplicas) { _, _ in false }
        guard let state = c.blocked else { return }
        replication.waiters.append((c, state, Int(clamping: wanted), c.writeOffset))
        replication.ackRequested = true
    }

    /// FAILOVER [TO host port [FORCE]] [ABORT] [TIMEOUT ms]: hands the master role to a
    /// replica (`Failover`); ABORT calls off one under way.
    static func failover(_ c: ClientSession, _ args: Arguments) {
        if args.count == 2 && args.matches(1, "abort") {
            guard c.engine.replication.failover != nil else { return c.replyError(ErrorReply.noFailoverInProgress) }
            c.engine.abortFailover("Failover manually aborted")
            return c.replyOK()
        }
        var timeout: Int64 = 0
        var target: (host: String, port: Int)?
        var force = false
        var index = 1
        while index < args.count {
            if args.matches(index, "timeout") && index + 1 < args.count && timeout == 0 {
                guard let value = args.int64(index + 1) else { return c.replyError(ErrorReply.notInteger) }
                guard value > 0 else { return c.replyError(ErrorReply.failoverTimeout) }
                timeout = value
                index += 2
            } else if args.matches(index, "to") && index + 2 < args.count && target == nil {
                guard let port = args.int64(index + 2) else { return c.replyError(ErrorReply.notInteger) }
                // Any number: one no replica listens on is "not a replica", as in Redis.
                target = (String(decoding: args[index + 1], as: UTF8.self), Int(truncatingIfNeeded: port))
                index += 3
            } else if args.matches(index, "force") && !force {
                force = true
                index += 1
            } else {
                return c.replyError(ErrorReply.syntax)
            }
        }
        if let refusal = c.engine.startFailover(to: target, timeout: timeout, force: force, now: c.now) { return c.replyError(refusal) }
        c.replyOK()
    }
}
