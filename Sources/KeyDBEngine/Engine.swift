import KeyDBRESP
import OrderedCollections

/// The state every client shares — keyspace, settings, counters, client
/// registry — and the command dispatcher.
///
/// Not thread-safe by itself: the network layer holds one lock around each
/// read batch, so a command runs to completion without interleaving, as in Redis.
public final class Engine: @unchecked Sendable {  // guarded by the server's keyspace lock
    public let keyspace: Keyspace
    public var configuration: Configuration {
        didSet {
            cacheHotSettings()
            if configuration.requirePass != oldValue.requirePass {
                acl.setDefaultPassword(configuration.requirePass)
                refreshPermissions()
            }
            onConfigurationChange?(configuration)
        }
    }
    public var stats = ServerStats()
    /// Built per engine: each engine counts its own command statistics.
    public let commands: CommandTable
    /// Users, their permissions and the ACL log.
    public let acl: AccessControl
    /// Connected clients by id (CLIENT LIST).
    public private(set) var clients: [Int64: ClientSession] = [:]
    /// Unix ms; tests inject their own to move time. nil: the real clock.
    public var clock: (@Sendable () -> Int64)? = nil
    /// Unix µs at which the next command starts, while a read batch runs:
    /// one clock read per command serves as its start time, the previous
    /// command's end time and the expiry clock.
    private var tick: Int64? = nil
    /// The heap's size (tests substitute their own measure).
    public var heapBytes: () -> Int = { MemoryStatistics.allocatedBytes() }

    /// Memory in use, as INFO used_memory reports it and maxmemory counts it: the heap,
    /// less key-table room reserved but holding no key. Small keys and values live in
    /// their table entry, so deleting one frees its entry for the next key, not the heap,
    /// much as jemalloc keeps freed memory out of Redis's used_memory.
    public func usedMemory() -> Int {
        max(0, heapBytes() - keyspace.databases.reduce(0) { $0 + $1.reservedTableBytes })
    }
    /// Eviction state kept across runs (Evict.swift).
    let evictionPool = EvictionPool()
    var evictionInProgress = false
    var nextEvictionDatabase = 0
    /// Writes a warning to the server log; set by the network layer.
    public var logWarning: (@Sendable (String) -> Void)?
    public var logNotice: (@Sendable (String) -> Void)?
    /// CONFIG SET port / bind: the network layer listens anew; nil, or why it could not.
    public var moveListeners: ((_ addresses: [String], _ port: Int) -> String?)?
    /// Opens the link to a master REPLICAOF named (the network layer's; it retries from the background cycle).
    public var connectToMaster: ((MasterLink) -> Void)?
    /// A replica's ACK caught up with a waiting FAILOVER: the network layer runs `updateFailover`
    /// once the current batch is over (its replies out), as Redis checks before it sleeps.
    public var scheduleFailoverCheck: (() -> Void)?
    /// Told when the server starts or stops following a master (the log's role letter).
    public var onRoleChange: ((_ isReplica: Bool) -> Void)?
    /// Asked to stop the server (SHUTDOWN); set by the network layer.
    public var onShutdown: (@Sendable () -> Void)?
    /// A shutdown that waited for replicas, or a signal's not yet begun, was aborted
    /// or failed: the server goes on.
    public var onShutdownCancelled: (@Sendable () -> Void)?
    /// Told about CONFIG SET (log level, limits the network layer enforces).
    public var onConfigurationChange: ((Configuration) -> Void)?
    /// Facts only the network layer knows (tcp_port, connected clients' addresses...).
    public var serverFacts = ServerFacts()
    public let startedAt = Clock.monotonicMicroseconds()
    public let startedAtUnix = Clock.milliseconds() / 1000
    /// Error replies by their first word (INFO errorstats).
    public var errorCounts: [String: Int] = [:]
    /// Highest used_memory seen (INFO used_memory_peak).
    public var peakMemory = 0
    /// used_memory once the server was up, before the dataset loaded (Redis's
    /// initial_memory_usage: MEMORY STATS startup.allocated, INFO used_memory_startup).
    public var startupMemory = 0
    /// Commands per second over the last samples (INFO instantaneous_ops_per_sec).
    public private(set) var instantaneousOpsPerSecond = 0
    private var opsSamples: [Int] = []
    private var lastSample: (time: Int64, commands: Int) = (Clock.monotonicMicroseconds(), 0)
    public let runID = Replication.newID()

    private var lastClientID: Int64 = 0
    /// Blocked clients by the key they wait on, in arrival order (Blocking.swift).
    var blockedByKey: [DatabaseKey: [ClientSession]] = [:]
    /// Subscribers per channel, in subscription order (PUBLISH delivers in that order).
    var channelSubscribers: [Bytes: [ClientSession]] = [:]
    /// Subscribers per shard channel (SSUBSCRIBE), a namespace of its own.
    var shardChannelSubscribers: [Bytes: [ClientSession]] = [:]
    /// Subscribers per pattern.
    var patternSubscribers: OrderedDictionary<Bytes, [ClientSession]> = [:]
    /// INFO blocked_clients (clients held by CLIENT PAUSE count too, as in Redis).
    public internal(set) var blockedClientCount = 0
    /// The pause in force, if any: CLIENT PAUSE's and a SHUTDOWN's waiting for
    /// replicas, combined (ClientPause.swift).
    public internal(set) var pause: ClientPause? = nil
    /// CLIENT PAUSE's own, which CLIENT UNPAUSE ends.
    var commandPause: ClientPause? = nil
    /// Writes held while SHUTDOWN waits for replicas (Shutdown.swift).
    var shutdownWait: ShutdownWait? = nil
    /// A signal asked for a shutdown that has not begun (Redis's shutdown_asap): the
    /// network layer begins it when the cron runs, unless SHUTDOWN ABORT withdraws it.
    public var shutdownRequested = false
    /// Clients whose command waits for the pause to end, in the order they stopped.
    var postponedClients: [ClientSession] = []
    /// Where writes are recorded for the append-only log; nil when the log is off (or loading).
    public var appendOnlyFeed: AppendOnlyFeed?
    /// Set once the final save is done: nothing more runs (Redis exits right there),
    /// so no write is acknowledged that the snapshot does not hold.
    public var halted = false
    /// Set while the dataset is read from disk: only commands flagged `loading` run.
    public var loading = false {
        didSet { keyspace.expiryPaused = loading }
    }
    /// Set while the disk refuses snapshots or log writes (-MISCONF): writes are turned away.
    public var writeRefusal: String?
    /// min-replicas-to-write asks for replicas a master without any never has (Redis's -NOREPLICAS).
    private(set) var replicaRefusal: String?
    /// Commands running now, nested: EXEC runs its commands inside its own call.
    var callDepth = 0
    /// The connection whose command runs now (Redis's current_client). Set only for the
    /// length of `execute`, while that client is alive: no reference counting.
    unowned(unsafe) var currentClient: ClientSession?
    /// Client-side caching's table (Tracking.swift).
    let tracking = TrackingTable()
    /// The last command found the heap over maxmemory with nothing left to evict
    /// (a script that starts then may not grow the dataset before its first write).
    public internal(set) var commandStartedOutOfMemory = false
    /// A script paused past busy-reply-threshold: other clients get -BUSY.
    public internal(set) var scriptBusy = false
    /// DEBUG SET-ACTIVE-EXPIRE 0 stops the active expiry cycle (keys then expire only when touched).
    var activeExpireEnabled = true
    /// DEBUG PAUSE-CRON 1 stops the background cycle's work (a test hook, as Redis's pause_cron).
    public internal(set) var cronPaused = false
    /// Error replies already charged to a command's failed calls (Redis's prev_err_count).
    var errorsAccounted = 0
    /// EVAL's interpreter and scripts, and the run in progress.
    public private(set) lazy var scripting = Scripting(engine: self)
    /// FUNCTION's libraries and their interpreter.
    public private(set) lazy var functions = FunctionLibraries(engine: self)
    /// A command runs inside EXEC: a snapshot taken now would hold half a transaction.
    public var isInsideTransaction: Bool { callDepth > 1 }
    /// Snapshots and the log, as the server's persistence layer provides them (SAVE, BGSAVE, INFO persistence).
    public var persistence: (any PersistenceControl)?
    /// The master side of replication: the stream, its backlog, the replicas.
    public let replication = Replication()
    /// SLOWLOG's entries.
    public internal(set) var slowLog = SlowLog()
    /// LATENCY's events; the log writer reports its own into it, from its threads.
    public let latency = LatencyMonitor()
    /// MIGRATE's connections to other servers, kept between commands.
    public let migrationLinks = MigrationLinks()
    /// Clients in MONITOR mode, in the order they asked.
    var monitors: [ClientSession] = [] {
        didSet { hasMonitors = !monitors.isEmpty }
    }
    /// Read per command instead of the array.
    private(set) var hasMonitors = false

    public init(configuration: Configuration = Configuration()) {
        self.configuration = configuration
        let commands = CommandTable.standard()
        self.commands = commands
        acl = AccessControl(table: commands, requirePass: configuration.requirePass)
        self.keyspace = Keyspace(databases: configuration.databases)
        keyspace.onExpired = { [unowned self] db, key in
            // self.: the live settings, not the ones the engine started with.
            self.propagateExpiry(db: db, key: key, lazily: self.configuration.lazyfreeLazyExpire)
            guard self.keyspaceEvents.contains(.expired) else { return }
            self.notify(.expired, "expired", key: key, db: db)
        }
        keyspace.onNewKey = { [unowned self] db, key in self.notify(.newKey, "new", key: key, db: db) }
        keyspace.onTrackedKeyChanged = { [unowned self] key, byCommand in self.invalidateTracked(key, byCommand: byCommand) }
        cacheHotSettings()
    }

    /// Settings read on every command, copied out of `configuration`: reading a
    /// field through the struct property would copy (and retain) the whole struct.
    public private(set) var keyspaceEvents: KeyspaceEventFlags = []
    public private(set) var outputLimits = OutputBufferLimits()
    public private(set) var protoMaxBulkLength = 512 * 1024 * 1024
    public private(set) var hllSparseMaxBytes = 3000
    /// maxmemory in bytes; 0: no limit (nothing is checked before commands).
    public private(set) var maxMemoryLimit = 0
    /// busy-reply-threshold in ms (0: scripts never pause and cannot be killed).
    public private(set) var busyReplyThreshold: Int64 = 5000
    public private(set) var zsetListpackLimits = SortedSetValue.ListpackLimits(maxEntries: 128, maxValue: 64)
    public private(set) var setMaxIntsetEntries = 512
    private(set) var slowlogThreshold = 10_000
    private(set) var slowlogMaxLength = 128
    private(set) var latencyThreshold: Int64 = 0
    private(set) var latencyTracking = true

    /// This server follows a master, and what that means for users' commands
    /// (`updateReplicaState`): read as one flag on the request path.
    public internal(set) var isReplica = false
    var replicaReadOnly = true
    var replicaServesStaleData = true

    private func cacheHotSettings() {
        updateReplicaState()
        keyspaceEvents = configuration.keyspaceEvents
        slowlogThreshold = configuration.slowlogLogSlowerThan
        slowlogMaxLength = configuration.slowlogMaxLen
        latencyThreshold = Int64(configuration.latencyMonitorThreshold)
        latency.threshold = configuration.latencyMonitorThreshold
        latencyTracking = configuration.latencyTracking
        outputLimits = configuration.outputLimits
        protoMaxBulkLength = configuration.protoMaxBulkLength
        hllSparseMaxBytes = configuration.hllSparseMaxBytes
        zsetListpackLimits = configuration.zsetListpackLimits
        setMaxIntsetEntries = configuration.setMaxIntsetEntries
        keyspace.notifyNewKeys = keyspaceEvents.contains(.newKey)
        keyspace.freeExpiredLazily = configuration.lazyfreeLazyExpire
        keyspace.freeReplacedLazily = configuration.lazyfreeLazyServerDel
        acl.log.maxLength = configuration.aclLogMaxLength
        acl.allChannelsByDefault = configuration.aclPubsubDefault == "allchannels"
        maxMemoryLimit = Int(configuration.maxMemory)
        replicaRefusal = configuration.minReplicasToWrite > 0 && configuration.minReplicasMaxLag > 0 ? ErrorReply.noReplicas : nil
        busyReplyThreshold = Int64(configuration.busyReplyThreshold)
        keyspace.configureAccess(policy: configuration.usesLFU ? .lfu : .lru,
                                 logFactor: configuration.lfuLogFactor, decayTime: configuration.lfuDecayTime)
    }

    func nextClientID() -> Int64 {
        lastClientID += 1
        return lastClientID
    }

    public func register(_ client: ClientSession) {
        clients[client.id] = client
        stats.connectionsReceived += 1
    }

    /// Nil when a new connection may become a client; otherwise the error it is sent
    /// before it is closed (counted as rejected). `local`: from a Unix socket or, as
    /// protected mode counts it, from this machine (`ConnectionEnd.isLoopback`).
    public func refusal(ofConnectionLocal local: Bool) -> String? {
        let refusal: String?
        if clients.count >= configuration.maxClients {
            refusal = ErrorReply.maxClientsReached
        } else if configuration.protectedMode && acl.defaultUser.noPassword && !local {
            refusal = ErrorReply.protectedMode
        } else {
            refusal = nil
        }
        if refusal != nil { stats.rejectedConnections += 1 }
        return refusal
    }

    /// Whether `client`, holding `pending` unprocessed input bytes, is past the
    /// query buffer limit; if so it is logged, as Redis does, and must be closed.
    public func queryBufferExceeded(_ client: ClientSession, pending: Int, start: some Collection<UInt8>) -> Bool {
        guard pending > configuration.clientQueryBufferLimit else { return false }
        let shown = String(decoding: start.prefix(64), as: UTF8.self).unicodeScalars.map { $0.isASCII && $0.value >= 32 && $0.value < 127 ? String($0) : "." }.joined()
        logWarning?("Closing client that reached max query buffer length: \(client.infoLine(now: Clock.milliseconds(), current: client)) (qbuf initial bytes: \"\(shown)\")")
        return true
    }

    /// Closes clients idle for more than `timeout` seconds, as Redis's clientsCron:
    /// whole seconds of the clock, and never a blocked or subscribed client.
    public func closeIdleClients(now: Int64 = Clock.milliseconds()) {
        let limit = Int64(configuration.timeout)
        guard limit > 0 else { return }
        for client in clients.values where client.blocked == nil && client.replica == nil && !client.isMaster && !client.runsScript && !client.postponed && !client.isSubscribed && !client.isMonitor && !client.killRequested
                && now / 1000 - client.lastInteraction / 1000 > limit {
            client.killRequested = true
            client.scheduleWakeup()
        }
    }

    /// Closes another client now, as Redis's freeClient: it leaves the registry (CLIENT LIST,
    /// pub/sub, blocking) at once, and the network layer closes its connection on its next turn.
    public func disconnect(_ client: ClientSession) {
        client.killRequested = true
        unregister(client)
        client.scheduleWakeup()
    }

    public func unregister(_ client: ClientSession) {
        disableTracking(client)
        unblock(client)
        forgetPostponed(client)
        unwatchAll(client)
        unsubscribeAll(client)
        removeMonitor(client)
        replication.remove(client)
        clients[client.id] = nil
    }

    // MARK: - Dispatch

    /// Looks the command up, checks arity and authentication, then runs it
    /// (or queues it, inside MULTI). CLIENT REPLY OFF/SKIP drop the reply afterwards.
    public func execute(_ args: Arguments, for client: ClientSession) {
        let previousClient = currentClient
        currentClient = client
        defer {
            currentClient = previousClient
            noteWriteOffset(of: client)
        }
        if tracking.clients > 0 { limitTrackingTable() }
        guard client.replyMode != .on else {
            // A replica's link carries the stream, never replies: one that made a reply is closed, as Redis does.
            if client.replica != nil {
                let mark = client.reply.writerIndex
                dispatch(args, for: client)
                if client.reply.writerIndex != mark { closeRogueReplica(client, replyFrom: mark) }
                return
            }
            dispatch(args, for: client)
            // CLIENT REPLY SKIP itself answers nothing; the command after it is skipped.
            if client.replyMode == .skipNext { client.replyMode = .skip }
            if client.tracking != nil || !client.pendingInvalidations.isEmpty { afterTrackedCommand(client) }
            return
        }
        let mark = client.reply.writerIndex
        let skippingThis = client.replyMode == .skip
        dispatch(args, for: client)
        // Held by CLIENT PAUSE: it answered nothing yet, and runs again later with the same mode.
        if client.postponed { return }
        if client.tracking != nil || !client.pendingInvalidations.isEmpty { afterTrackedCommand(client) }
        var dropped = false
        switch client.replyMode {
        case .on: break  // CLIENT REPLY ON answers even when it ends a skip
        case .off, .skip:
            client.reply.moveWriterIndex(to: mark)
            dropped = true
            if skippingThis && client.replyMode == .skip { client.replyMode = .on }
        case .skipNext:
            client.reply.moveWriterIndex(to: mark)
            dropped = true
            client.replyMode = .skip
        }
        // Messages pushed to it meanwhile (subscription confirmations, its own PUBLISH on RESP3)
        // were no replies: they go out.
        if !client.silencedPushes.isEmpty {
            if dropped { client.reply.writeBytes(client.silencedPushes) }
            client.silencedPushes = []
        }
    }

    /// Runs (or rejects, or queues) one command.
    private func dispatch(_ args: Arguments, for client: ClientSession) {
        guard args.count > 0 else { return }
        guard let found = commands.borrowedLookup(args) else {
            client.lookedUpCommand = nil
            client.transaction?.abort()
            if let container = commands.container(named: args[0]), args.count >= 2 {
                client.replyError(bytes: ErrorReply.unknownSubcommand(args[1], of: container.name))
                return
            }
            client.replyError(bytes: ErrorReply.unknownCommand(args))
            return
        }
        return found._withUnsafeGuaranteedRef { command in
            client.lookedUpCommand = command
            return dispatch(command, args, for: client)
        }
    }

    private func dispatch(_ command: CommandSpec, _ args: Arguments, for client: ClientSession) {
        guard command.acceptsArgumentCount(args.count) else {
            return reject(command, ErrorReply.wrongArity(command.fullName), for: client)
        }
        if command.flags.contains(.protected), let refusal = protectedRefusal(command, for: client) {
            return reject(command, refusal, for: client)
        }
        guard client.authenticated || !acl.authenticationRequired || command.flags.contains(.noAuth) else {
            return reject(command, ErrorReply.noAuth, for: client)
        }
        if !client.aclUnrestricted,
           let denial = aclDenial(command, args, for: client, context: client.transaction == nil ? .toplevel : .multi) {
            return reject(command, ErrorReply.noPermission(denial, command: command.fullName), for: client)
        }
        // Nothing is evicted under a paused script: it must find the dataset as it left it.
        if maxMemoryLimit > 0 && !scriptBusy {
            commandStartedOutOfMemory = performEvictions() == .failed
            if commandStartedOutOfMemory {
                // Within MULTI anything but EXEC/DISCARD/QUIT/RESET is refused: the queue itself grows.
                // A script that declared flags is refused here unless it allows OOM or writes nothing.
                let growsDataset = queuedFlags(command, args).contains(.denyOOM)
                    || (command.fullName == "exec" && client.transaction?.denyOOM == true)
                    || (client.transaction != nil && !["exec", "discard", "quit", "reset"].contains(command.fullName))
                if growsDataset { return reject(command, ErrorReply.outOfMemory, for: client) }
            }
        }
        guard !loading || command.flags.contains(.loading) else {
            return reject(command, ErrorReply.loading, for: client)
        }
        // As Redis, PING is refused too: monitoring notices the disk problem.
        if let refusal = writeRefusal, !client.isMaster, command.fullName == "ping" || writes(command, for: client) {
            return reject(command, refusal, for: client)
        }
        if let refusal = lackOfReplicasRefusal, writes(command, for: client) {
            return reject(command, refusal, for: client)
        }
        if isReplica, let refusal = refusalOnReplica(command, args, for: client) {
            return reject(command, refusal, for: client)
        }
        if client.transaction != nil && command.flags.contains(.noMulti) {
            return reject(command, ErrorReply.notAllowedInTransaction, for: client)
        }
        // A paused script holds the dataset: only SCRIPT KILL, SHUTDOWN NOSAVE and the like run.
        if scriptBusy && !command.flags.contains(.allowBusy) {
            return reject(command, scripting.busyError, for: client)
        }
        if client.isSubscribed && !client.resp3 && !command.flags.contains(.allowedWhileSubscribed) {
            return reject(command, ErrorReply.subscribedContext(command.fullName), for: client)
        }
        // Replicas are never paused: they must not reach the keyspace (nor may monitors).
        if client.receivesFeed && !command.flags.isDisjoint(with: [.readonly, .write, .mayReplicate]) {
            return reject(command, ErrorReply.replicaKeyspace, for: client)
        }
        if pauseCovers(command, args, for: client) {
            postpone(client)
            return
        }
        if client.transaction != nil && !command.flags.contains(.runsInsideMulti) {
            client.transaction?.queue(args, flags: queuedFlags(command, args))
            client.reply.writeSimpleString("QUEUED")
            return
        }
        call(command, args, for: client)
        // Served once a paused script ends, as its effects are not all in yet.
        if keyspace.hasReadyKeys && !scriptBusy { serveReadyKeys() }
    }

    /// DEBUG and MODULE LOAD / LOADEX / UNLOAD run only where `enable-debug-command` /
    /// `enable-module-command` allow the client.
    private func protectedRefusal(_ command: CommandSpec, for client: ClientSession) -> String? {
        let debug = command.fullName == "debug"
        let allowed = debug ? configuration.enableDebugCommand : configuration.enableModuleCommand
        guard !allowed.allows(client) else { return nil }
        return debug ? ErrorReply.debugNotAllowed : ErrorReply.moduleNotAllowed
    }

    /// A write, or EXEC of queued writes (Redis's is_write_command).
    func writes(_ command: CommandSpec, for client: ClientSession) -> Bool {
        command.flags.contains(.write) || (command.fullName == "exec" && client.transaction?.writes == true)
    }

    /// Refuses a command before it runs: a queued transaction fails at EXEC, and
    /// the command's rejected calls count it (INFO commandstats).
    private func reject(_ command: CommandSpec, _ text: String, for client: ClientSession) {
        command.statistics.rejectedCalls += 1
        // A refused EXEC discards the transaction (Redis's execCommandAbort).
        if command.fullName == "exec" {
            client.transaction = nil
            unwatchAll(client)
            client.replyError(ErrorReply.execDiscarded(because: text))
            return
        }
        client.transaction?.abort()
        client.replyError(text)
    }

    /// Runs a command that passed every check (also each command of an EXEC).
    func call(_ command: CommandSpec, _ args: Arguments, for client: ClientSession) {
        let started = tick ?? Clock.microseconds()
        // A script's commands all see the time it started.
        client.now = client.pinnedNow != 0 ? client.pinnedNow : clock?() ?? started / 1000
        keyspace.advanceAccessClock(to: client.now)
        // CLIENT NO-TOUCH: nothing this command reads counts as an access, unless it is TOUCH.
        let touchWasSuspended = keyspace.touchSuspended
        let suspendTouch = client.noTouch && command.fullName != "touch"
        if suspendTouch != touchWasSuspended { keyspace.suspendTouch(suspendTouch) }
        defer { if suspendTouch != touchWasSuspended { keyspace.suspendTouch(touchWasSuspended) } }
        client.lastCommandSpec = command
        if client.hasRedactions { client.redactedArguments = [] }
        stats.commandsProcessed += 1
        let errorsBefore = stats.errorReplies
        let dirtyBefore = keyspace.dirty
        callDepth += 1
        defer { callDepth -= 1 }
        let pausedBefore = client.runsScript
        // A script shows before the commands it runs, as Redis feeds EVAL and FCALL first (skip_monitor spares them after).
        if hasMonitors && !loading && command.flags.contains(.runsScript) { feedMonitors(client, args, at: Clock.microseconds()) }
        if let feed = appendOnlyFeed {
            feed.enterCall()
            let outer = client.propagatedExplicitly
            client.propagatedExplicitly = false
            command.handler?(client, args)
            if keyspace.dirty != dirtyBefore && command.flags.contains(.write) && !client.propagatedExplicitly {
                feed.record(db: client.db.index, args)
            }
            client.propagatedExplicitly = outer
            feed.leaveCall(framed: !command.flags.contains(.touchesArbitraryKeys))
        } else {
            command.handler?(client, args)
        }
        if keyspace.observesKeys && keyspace.dirty != dirtyBefore && command.flags.contains(.write) {
            touchCommandKeys(command, args, for: client)
        }
        if tracking.clients > 0 && command.flags.contains(.readonly) { rememberReadKeys(command, args, for: client) }
        let finished = Clock.microseconds()
        if tick != nil { tick = finished }
        // A script paused inside it: counted, measured and logged when it ends, as one call.
        if client.runsScript && !pausedBefore,
           scripting.deferAccounting(PausedCall(command: command, arguments: SlowLog.kept(args, redacting: client.redactedArguments),
                                                started: started)) {
            if hasMonitors && !loading && command.flags.isDisjoint(with: [.skipMonitor, .admin]) {
                feedMonitors(client, args, at: finished)
            }
            if client.hasRedactions { client.redactedArguments = [] }
            return
        }
        let duration = max(0, finished - started)
        let statistics = command.statistics
        statistics.calls += 1
        statistics.microseconds += Int(duration)
        // Errors already charged to a command inside this one (a script's) are not charged again.
        if stats.errorReplies > max(errorsBefore, errorsAccounted) { statistics.failedCalls += 1 }
        errorsAccounted = stats.errorReplies
        // As Redis's call(): a latency sample, the slow log, the monitors, the histogram.
        if latencyThreshold > 0 && duration / 1000 >= latencyThreshold {
            latency.record(command.flags.contains(.fast) ? "fast-command" : "command", milliseconds: duration / 1000)
        }
        if let blocked = client.blocked {
            // Logged and measured when it is served, with this run's time.
            blocked.call = (command, SlowLog.kept(args, redacting: client.redactedArguments), duration)
        } else {
            logSlow(command, args, microseconds: duration, by: client)
            if latencyTracking { statistics.recordLatency(microseconds: duration) }
        }
        // Nothing is shown while the dataset loads, as in Redis.
        if hasMonitors && !loading && command.flags.isDisjoint(with: [.skipMonitor, .admin]) {
            feedMonitors(client, args, at: finished)
        }
        // Not for the command around this one (EXEC runs commands inside its own call).
        if client.hasRedactions { client.redactedArguments = [] }
    }

    /// Marks the start of a read batch: commands until `endBatch` chain their clock reads.
    /// `client` sent the batch: it counts as its last interaction (CLIENT LIST idle=, `timeout`).
    public func beginBatch(for client: ClientSession) {
        let now = Clock.microseconds()
        tick = now
        client.lastInteraction = now / 1000
    }

    public func endBatch() {
        tick = nil
        if tracking.hasChanges { broadcastTrackedChanges() }
    }

    /// The background cycle's part of client-side caching: the table's size limit,
    /// and BCAST changes made outside any client's batch (expiry, eviction).
    public func trackingCron() {
        if tracking.clients > 0 { limitTrackingTable() }
        if tracking.hasChanges { broadcastTrackedChanges() }
    }

    /// Counts an error reply by its code (the first word), for INFO errorstats.
    public func countError(_ text: some Collection<UInt8>) {
        stats.errorReplies += 1
        let code = String(decoding: text.prefix { $0 != 32 }.prefix(64), as: UTF8.self)
        errorCounts[code, default: 0] += 1
    }

    /// Every command with calls or rejections, by full name (INFO commandstats).
    public var commandStatistics: [(String, CommandStatistics)] {
        commands.allSpecs.filter { $0.statistics.calls + $0.statistics.rejectedCalls > 0 }
            .map { ($0.fullName, $0.statistics) }
    }

    /// What WAIT waits for: the stream's end after the client's last command (inside EXEC,
    /// before it, as Redis's woff; a paused script's, once it ended).
    @inline(__always) func noteWriteOffset(of client: ClientSession) {
        if replication.isStreaming { client.writeOffset = replication.offset &+ Int64(appendOnlyFeed?.bytesForReplicas ?? 0) }
    }

    /// A replica's link made a reply (from `mark` on): it is dropped unsent and the link closed,
    /// as Redis's _addReplyToBufferOrList does; an error also gets afterErrorReply's CRITICAL line.
    private func closeRogueReplica(_ client: ClientSession, replyFrom mark: Int) {
        let name = (client.lookedUpCommand ?? client.lastCommandSpec)?.fullName ?? "<unknown>"
        logWarning?("Replica generated a reply to command '\(name)', disconnecting it: \(client.infoLine(now: Clock.milliseconds(), current: client))")
        if let reply = client.reply.getBytes(at: mark, length: min(client.reply.writerIndex - mark, 4096 + 3)), reply.first == UInt8(ascii: "-") {
            stats.unexpectedErrorReplies += 1
            var text = reply.dropFirst().prefix { $0 != 13 }
            if text.starts(with: "ERR ".utf8) { text = text.dropFirst(4) }
            logWarning?("== CRITICAL == This master is sending an error to its replica: '\(String(decoding: text, as: UTF8.self))' after processing the command '\(name)'")
        }
        client.reply.moveWriterIndex(to: client.reply.readerIndex)
        client.killRequested = true
        client.scheduleWakeup()
    }

    /// -NOREPLICAS while min-replicas-to-write asks for more good replicas than there are.
    var lackOfReplicasRefusal: String? {
        guard let refusal = replicaRefusal, !isReplica,
              replication.goodReplicas(maxLag: configuration.minReplicasMaxLag) < configuration.minReplicasToWrite else { return nil }
        return refusal
    }

    /// CONFIG RESETSTAT.
    public func resetStatistics() {
        stats = ServerStats()
        (replication.fullSyncs, replication.partialSyncsAccepted, replication.partialSyncsRefused) = (0, 0, 0)
        errorCounts = [:]
        for spec in commands.allSpecs { spec.statistics.reset() }
        for db in keyspace.databases { db.expiredKeys = 0 }
        keyspace.lazyFree.resetStatistics()
        peakMemory = 0
    }

    /// Samples the command rate; call about ten times a second.
    public func sampleOperations() {
        let now = Clock.monotonicMicroseconds()
        let elapsed = now - lastSample.time
        guard elapsed > 0 else { return }
        let rate = (stats.commandsProcessed - lastSample.commands) * 1_000_000 / Int(elapsed)
        lastSample = (now, stats.commandsProcessed)
        opsSamples.append(max(0, rate))
        if opsSamples.count > 16 { opsSamples.removeFirst() }
        instantaneousOpsPerSecond = opsSamples.reduce(0, +) / opsSamples.count
    }

    // MARK: - Background

    /// One run of the active expiry cycle: walks a slice of every database
    /// holding keys with a TTL, sized so each is walked whole about once a second.
    public func activeExpireCycle() {
        let now = clock?() ?? Clock.milliseconds()
        // A CLIENT PAUSE ends on time even with active expiry off (Redis checks from its cron);
        // while one lasts the dataset stays as it is.
        let paused = checkPauseTimeout(now: now)
        // A replica leaves expiry to its master, whose DELs come in the stream, but for the
        // keys its users gave a TTL (a writable replica's own).
        guard activeExpireEnabled, !loading, !scriptBusy, !paused else { return }
        if isReplica {
            if !keyspace.replicaKeyExpiry.isEmpty { keyspace.replicaKeyExpiry.expire(in: keyspace.databases, now: now) }
            return
        }
        let slices = max(1, configuration.hz)
        latency.measure("expire-cycle") {
            for db in keyspace.databases where db.volatileCount > 0 {
                let buckets = max(16, db.bucketCount / slices + 1)
                _ = db.activeExpireStep(buckets: buckets, now: now)  // counted by the database
            }
        }
        // A group reader whose stream expired is answered now, not at the next command.
        if keyspace.hasReadyKeys { serveReadyKeys() }
    }
}

/// What the network layer tells the engine about itself, for INFO.
public struct ServerFacts: Sendable {
    public var tcpPort = 0
    public var eventLoops = 1
    public var processID = 0
    public var executablePath = ""
    /// INFO's process_supervised: the service manager told of readiness ("systemd", "upstart"), or "no".
    public var supervisedBy = "no"
    public init() {}
}

/// All databases.
public final class Keyspace: @unchecked Sendable {  // guarded by the server's keyspace lock
    public private(set) var databases: [Database]
    /// Writes since start (INFO rdb_changes_since_last_save counts from the last save).
    public var dirty = 0
    /// While loading, keys past their time stay until the load ends (as Redis: the log may still act on them).
    public var expiryPaused = false {
        didSet { publishSwitches() }
    }
    /// Set while clients are paused (CLIENT PAUSE): keys past their time read as
    /// absent but are not deleted, so the dataset stays as it was.
    public var expiryHeld = false {
        didSet { publishSwitches() }
    }
    /// How keys' access records are stamped, and the clocks they are stamped with.
    public private(set) var access = AccessClock.Settings()

    /// Set when a key some client waits on was added; the engine serves them after the command.
    var hasReadyKeys = false
    /// Clients watching each key (WATCH).
    var watchers: [DatabaseKey: [ClientSession]] = [:] {
        didSet { if observesKeys != databases.first?.watched { publishSwitches() } }
    }
    var hasWatchers: Bool { !watchers.isEmpty }
    /// Set while client-side caching must hear of changed keys (Tracking.swift).
    var tracksKeys = false {
        didSet { publishSwitches() }
    }
    /// Changed keys are looked at: for WATCH, or for client-side caching.
    var observesKeys: Bool { hasWatchers || tracksKeys }
    /// Told of every changed key while `tracksKeys` is set, and whether a command changed
    /// it (false: it expired).
    var onTrackedKeyChanged: ((Bytes, Bool) -> Void)?
    /// Called for every key deleted on expiry (the `expired` keyspace event).
    var onExpired: ((Int, Bytes) -> Void)?
    /// Called for every key created while `new` events are on (`notify-keyspace-events n`).
    var onNewKey: ((Int, Bytes) -> Void)?
    var notifyNewKeys = false {
        didSet { publishSwitches() }
    }
    /// Frees big deleted values in the background (LazyFree.swift).
    public let lazyFree = LazyFree()
    /// `lazyfree-lazy-expire` and `lazyfree-lazy-server-del`, for the databases.
    var freeExpiredLazily = false {
        didSet { publishSwitches() }
    }
    var freeReplacedLazily = false {
        didSet { publishSwitches() }
    }
    /// On a writable replica, keys users give a TTL are remembered, to be expired here.
    var remembersReplicaExpires = false {
        didSet { publishSwitches() }
    }
    var replicaKeyExpiry = ReplicaKeyExpiry()

    /// Every database keeps its own copy of these (read on each write).
    private func publishSwitches() {
        for db in databases {
            db.watched = observesKeys
            db.notifyNewKeys = notifyNewKeys
            db.freeExpiredLazily = freeExpiredLazily
            db.freeReplacedLazily = freeReplacedLazily
            db.expiryPaused = expiryPaused
            db.expiryHeld = expiryHeld
            db.remembersExpires = remembersReplicaExpires
            db.access = access
        }
    }

    public init(databases count: Int) {
        databases = (0..<count).map { Database(index: $0) }
        access.advance(to: Clock.milliseconds())
        for db in databases {
            db.owner = self
            db.access = access
        }
    }

    /// Moves the access clocks to `now` (Unix ms) once its second differs from theirs;
    /// runs before every command, so records are stamped with the command's time.
    @inline(__always) func advanceAccessClock(to now: Int64) {
        guard now / 1000 != access.second else { return }
        access.advance(to: now)
        publishSwitches()
    }

    /// maxmemory-policy, lfu-log-factor and lfu-decay-time, as the access records use them.
    func configureAccess(policy: AccessClock.Policy, logFactor: Int, decayTime: Int) {
        access.policy = policy
        access.lfuLogFactor = logFactor
        access.lfuDecayTime = decayTime
        publishSwitches()
    }

    /// CLIENT NO-TOUCH: a command of such a client leaves access records as they are.
    func suspendTouch(_ suspended: Bool) {
        guard access.suspended != suspended else { return }
        access.suspended = suspended
        touchSuspended = suspended
        publishSwitches()
    }

    /// `access.suspended`, read per command without copying the settings.
    private(set) var touchSuspended = false

    /// Swaps the contents of two databases (SWAPDB); clients keep their numbers.
    public func swap(_ a: Int, _ b: Int) {
        guard a != b else { return }
        databases[a].swapContents(with: databases[b])
        // The keys a writable replica remembered are in other databases now (Redis forgets them too).
        replicaKeyExpiry.forgetAll()
    }

    public var keyCount: Int { databases.reduce(0) { $0 + $1.count } }
}

/// Counters INFO reports; CONFIG RESETSTAT zeroes them.
public struct ServerStats: Sendable {
    public var commandsProcessed = 0
    public var connectionsReceived = 0
    public var rejectedConnections = 0
    public var errorReplies = 0
    public var keyspaceHits = 0
    public var keyspaceMisses = 0
    public var expiredKeys = 0
    public var evictedKeys = 0
    public var netInputBytes = 0
    /// Errors this replica's master's commands met here (INFO unexpected_error_replies).
    public var unexpectedErrorReplies = 0
    /// Bytes of a master's stream read by this replica (INFO total_net_repl_input_bytes).
    public var netReplicationInputBytes = 0
    public var netOutputBytes = 0
    public var readsProcessed = 0
    public var writesProcessed = 0
    /// Forks for snapshots and rewrites, how long the last one held the server (µs),
    /// and its rate in GB of used memory a second (what LATENCY DOCTOR judges).
    public var forks = 0
    public var latestForkMicroseconds: Int64 = 0
    public var forkRate = 0.0
    public init() {}
}
