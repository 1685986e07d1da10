// KeyDBServer — the network side.
//
// - `Server`: binds the listeners, runs the background cycle (active expiry,
//   INFO samples) and shuts down on SIGINT/SIGTERM.
// - `ConnectionHandler`: one per client; decode → execute → encode in one place.
// - `StartupOptions`: redis.conf and `--option value` parsing.
// - `RedisLogHandler`: log lines in redis-server's format.
import Dispatch
import KeyDBEngine
import KeyDBPersistence
import KeyDBRESP
import Logging
import NIOConcurrencyHelpers
import NIOCore
import NIOPosix

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// A running SwiftKeyDB server.
public final class Server: @unchecked Sendable {  // mutable state is touched under `lock` or before start
    public let engine: Engine
    /// The one lock around the keyspace: a command never interleaves with another.
    let lock = NIOLock()
    let group: MultiThreadedEventLoopGroup
    /// The listening channels; replaced by CONFIG SET port / bind (under `listenersLock`).
    private var channels: [Channel] = []
    /// The `unixsocket` listener and its file, if any (removed at shutdown).
    private var unixListener: (channel: Channel, location: String)?
    private let listenersLock = NIOLock()
    private var bootstrap: ServerBootstrap?
    /// `tcp-backlog` (fixed at start), for listeners that CONFIG SET port / bind opens.
    private var backlog = 511
    /// Under `listenersLock`: the `bind` addresses listened on; a count of the moves by
    /// CONFIG SET, so that a listener SwiftNIO finishes taking over after a later move
    /// is closed rather than kept; and the `tcp-keepalive` the listeners have.
    private var listening: [String] = []
    private var moves = 0
    private var keepalive = 0
    var logger: Logger
    /// Snapshots and the append-only log.
    let persistence: Persistence
    /// SHUTDOWN already synced the log and saved (a signal has not).
    private var shutdownPrepared = false
    /// The service manager told when the server is ready and when it stops (`supervised`).
    private var manager: Supervision?
    private var stoppingNotified = false
    /// SIGINT / SIGTERM caught since start, for `runUntilSignalled`, which `stopRequested` wakes.
    private let signalsReceived = NIOLockedValueBox<[CInt]>([])
    private let stopRequested = DispatchSemaphore(value: 0)
    /// Set from a signal until its shutdown fails: a second SIGINT meanwhile exits at once.
    private let signalled = NIOLockedValueBox(false)
    private var signalSources: [DispatchSourceSignal] = []
    /// The final save's temporary file, removed by that second SIGINT (read without the keyspace lock,
    /// which the save holds).
    private let snapshotTemporary = NIOLockedValueBox("")

    public init(configuration: Configuration) {
        engine = Engine(configuration: configuration)
        // One event loop by default: measured faster than two on 2 cores (lock
        // contention, and redis-benchmark needs the other core).
        group = MultiThreadedEventLoopGroup(numberOfThreads: configuration.ioThreads)
        var logger = Logger(label: "swiftkeydb") { _ in
            RedisLogHandler(logLevel: RedisLogHandler.level(named: configuration.logLevel), file: configuration.logFile)
        }
        logger.logLevel = RedisLogHandler.level(named: configuration.logLevel)
        self.logger = logger
        let lock = self.lock
        persistence = Persistence(engine: engine, withKeyspace: { body in lock.withLock(body) },
                                  logNotice: { [logger] text in logger.notice("\(text)") },
                                  logWarning: { [logger] text in logger.warning("\(text)") })
    }

    /// Binds every `bind` address (throws if none can be bound), then loads the
    /// dataset from disk; clients connecting meanwhile are answered -LOADING.
    public func start() throws {
        catchSignals()
        let logger = self.logger
        let started = engine.configuration
        logger.notice("oO0OoO0OoO0Oo SwiftKeyDB is starting oO0OoO0OoO0Oo")
        logger.notice("SwiftKeyDB version=\(ServerIdentity.version), Redis compatibility=\(ServerIdentity.redisVersion), bits=\(Int.bitWidth), pid=\(getpid()), just started")
        if started.configFile.isEmpty {
            logger.warning("Warning: no config file specified, using the default config. In order to specify a config file use swiftkeydb-server /path/to/redis.conf")
        } else {
            logger.notice("Configuration loaded from \(started.configFile)")
        }
        let maxClients = try OpenFilesLimit.fit(maxClients: engine.configuration.maxClients) { warning, text in
            if warning { logger.warning("\(text)") } else { logger.notice("\(text)") }
        }
        lock.withLock { self.engine.configuration.maxClients = maxClients }
        if let failure = lock.withLock({ self.engine.loadUsersAtStartup() }) {
            logger.warning("\(failure)")
            throw StartupError(failure)
        }
        let configuration = engine.configuration
        if !configuration.pidFile.isEmpty && !Daemon.writePidFile(configuration.pidFile) {
            logger.warning("Failed to write PID file \(configuration.pidFile): \(errorText(errno))")
        }
        try prepareDataDirectory(configuration.dir)
        let engine = self.engine
        let lock = self.lock
        let persistence = self.persistence
        // Loading from the first accepted client on: none may see (or write to) the
        // keyspace before the data is read back and the log is open.
        lock.withLock {
            engine.persistence = persistence
            engine.loading = true
        }
        let limits = ProtocolLimits(maxBulkLength: configuration.protoMaxBulkLength)
        var loopTurns: [ObjectIdentifier: BeforeSleep] = [:]
        for loop in group.makeIterator() { loopTurns[ObjectIdentifier(loop)] = BeforeSleep(loop: loop, engine: engine, lock: lock) }
        let beforeSleeps = loopTurns
        // For every listener, TCP's and the Unix socket's. TCP_NODELAY is not set on each
        // connection: SwiftNIO sets it on a TCP listener, whose connections inherit it
        // (test_socket_options).
        let bootstrap = ServerBootstrap(group: group)
            // Accepts up to 1000 waiting connections a turn, as Redis does (SwiftNIO's default
            // is 4: under a burst of connections each then waited several turns to be served).
            .serverChannelOption(.maxMessagesPerRead, value: 1000)
            // The connection's options are set here rather than as child channel options,
            // which SwiftNIO applies one future at a time: a connection per request
            // (redis-benchmark -k 0) spent 3% of the server's CPU on that.
            .childChannelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    guard let options = channel.syncOptions else { throw ChannelError.operationUnsupported }
                    try options.setOption(.maxMessagesPerRead, value: 16)
                    // A client that sends and then closes its side (nc, shell scripts) still gets
                    // its replies, even those waiting for the log: the handler closes once they are out.
                    try options.setOption(.allowRemoteHalfClosure, value: true)
                    try channel.pipeline.syncOperations.addHandler(ConnectionHandler(engine: engine, lock: lock, persistence: persistence,
                                                                                    beforeSleep: beforeSleeps[ObjectIdentifier(channel.eventLoop)]!, limits: limits))
                }
            }
        // Port 0 with a Unix socket: that socket alone, as in Redis.
        let addresses = configuration.port == 0 && !configuration.unixSocket.isEmpty ? [] : configuration.bind
        var warnings: [String] = []
        backlog = configuration.tcpBacklog
        keepalive = configuration.tcpKeepalive
        listening = addresses
        let opened = TCPListeners.open(addresses, port: configuration.port, backlog: backlog, keepalive: keepalive, warnings: &warnings)
        for warning in warnings { logger.warning("\(warning)") }
        guard case .success(let sockets) = opened else {
            throw StartupError("Failed listening on port \(configuration.port) (TCP), aborting.")
        }
        for (index, fd) in sockets.enumerated() {
            do {
                channels.append(try bootstrap.serve(listening: fd, backlog: backlog).wait())
            } catch {
                for unserved in sockets[(index + 1)...] { close(unserved) }
                throw error
            }
        }
        self.bootstrap = bootstrap
        guard !channels.isEmpty || !configuration.unixSocket.isEmpty else {
            throw StartupError("Configured to not listen anywhere, exiting.")
        }
        if !configuration.unixSocket.isEmpty {
            let location = UnixSocketListener.location(of: configuration.unixSocket, in: configuration.dir)
            unixListener = (try UnixSocketListener.listen(bootstrap, at: location, permissions: configuration.unixSocketPerm,
                                                          backlog: configuration.tcpBacklog), location)
        }
        let boundPort = channels.first?.localAddress?.port ?? configuration.port
        snapshotTemporary.withLockedValue { $0 = Self.temporarySnapshot(configuration) }
        lock.withLock {
            engine.serverFacts.tcpPort = boundPort
            engine.serverFacts.eventLoops = configuration.ioThreads
            engine.serverFacts.processID = Int(getpid())
            engine.serverFacts.executablePath = CommandLine.arguments.first.map(StartupOptions.absolutePath) ?? ""
            engine.logWarning = { [logger] text in logger.warning("\(text)") }
            engine.logNotice = { [logger] text in logger.notice("\(text)") }
            engine.moveListeners = { [weak self] addresses, port in self?.moveListeners(to: addresses, port: port) }
            engine.migrationLinks.open = { host, port, timeout in MigrationSocket.open(host: host, port: port, timeout: timeout) }
            engine.connectToMaster = { [weak self] link in self?.connect(to: link) }
            engine.scheduleFailoverCheck = { [engine, lock, group = self.group] in
                group.next().execute {
                    lock.withLock { engine.updateFailover(now: Clock.milliseconds()) }
                }
            }
            engine.onRoleChange = { isReplica in RedisLogHandler.isReplica.store(isReplica, ordering: .relaxed) }
            engine.onConfigurationChange = { [weak self] configuration in
                self?.keepaliveChanged(to: configuration.tcpKeepalive)
                self?.logger.logLevel = RedisLogHandler.level(named: configuration.logLevel)
                self?.persistence.configurationChanged()
                self?.snapshotTemporary.withLockedValue { $0 = Self.temporarySnapshot(configuration) }
            }
        }
        if configuration.keptSettings["always-show-logo"] == "yes" {
            // Where Redis draws its logo: the same facts, in the words tools look for (`Port:`, `PID:`).
            logger.notice("SwiftKeyDB \(ServerIdentity.version) (Redis \(ServerIdentity.redisVersion) compatible) \(Int.bitWidth) bit, Running in standalone mode, Port: \(boundPort), PID: \(getpid())")
        }
        logger.notice("Running mode=standalone, port=\(boundPort), data directory \(StartupOptions.absolutePath(configuration.dir)).")
        manager = Supervisor.begin(configuration.supervised, logger: logger)
        // As Redis, `auto` shows the manager it found.
        if let manager {
            lock.withLock {
                engine.configuration.supervised = manager
                engine.serverFacts.supervisedBy = manager.rawValue
            }
        }
        for warning in StartupChecks.warnings(dataDirectory: configuration.dir, tcpBacklog: configuration.tcpBacklog) { logger.warning("\(warning)") }
        lock.withLock { engine.recordStartupMemory() }
        do {
            // The replication state the snapshot recorded is set up before any client runs a command.
            try persistence.load(whenLoaded: { [engine, persistence] in
                if let master = engine.configuration.replicaOf {
                    engine.follow(host: master.host, port: master.port, atStart: true, restoring: persistence.loadedReplicationPosition)
                } else if let position = persistence.loadedReplicationPosition {
                    engine.replication.resumeAfterRestart(position, expiredKeys: persistence.keysExpiredAtLoad, engine: engine)
                }
                persistence.keysExpiredAtLoad = []
            })
        } catch {
            throw StartupError("\(error)")
        }
        scheduleBackgroundCycle(on: group.next())
        if !channels.isEmpty { logger.notice("Ready to accept connections") }
        if unixListener != nil { logger.notice("The server is now ready to accept connections at \(configuration.unixSocket)") }
    }

    /// The port the first listener is bound to (useful with --port 0).
    public var port: Int? { listenersLock.withLock { channels.first?.localAddress?.port } }

    /// CONFIG SET port / bind: listens on the new addresses, then closes the old
    /// listeners (connected clients stay). Nil, or why the new ones could not listen.
    /// Runs on an event loop: the sockets are bound here, SwiftNIO takes them over
    /// without waiting.
    private func moveListeners(to addresses: [String], port: Int) -> String? {
        guard let bootstrap else { return "the server is not listening yet" }
        let (old, previous, keepalive) = listenersLock.withLock { (channels, listening, self.keepalive) }
        // Other addresses on the same port: the old listeners close first, as Redis's
        // changeBindAddr does (a socket cannot bind a port another of ours listens on),
        // and come back if the new ones fail. A new port listens before the old one
        // closes, as changeListenPort does, so a taken port changes nothing. (Closing
        // is immediate for a listener on this event loop, as all are with one loop.)
        let closeFirst = port != 0 && old.first?.localAddress?.port == port
        if closeFirst { takeOver([], listening: [], bootstrap: bootstrap, keepalive: keepalive) }
        var warnings: [String] = []
        // Port 0 set at run time turns TCP off, as in Redis (only at start does it pick a free port).
        let opened = TCPListeners.open(port == 0 ? [] : addresses, port: port, backlog: backlog, keepalive: keepalive, warnings: &warnings)
        for warning in warnings { logger.warning("\(warning)") }
        switch opened {
        case .success(let sockets):
            takeOver(sockets, listening: addresses, bootstrap: bootstrap, keepalive: keepalive)
            logger.notice("Listening on \(addresses.joined(separator: " ")) port \(port)")
            return nil
        case .failure(let error):
            if closeFirst {
                var ignored: [String] = []
                if case .success(let sockets) = TCPListeners.open(previous, port: port, backlog: backlog, keepalive: keepalive, warnings: &ignored) {
                    takeOver(sockets, listening: previous, bootstrap: bootstrap, keepalive: keepalive)
                } else {
                    logger.warning("Failed to restore old listening sockets.")
                }
            }
            return error.text
        }
    }

    /// The listeners become `sockets` (on `listening`), and those they replace close.
    /// SwiftNIO takes the sockets over after this turn: one whose move was overtaken by
    /// another is closed then, and one the keepalive changed for meanwhile gets the new value.
    private func takeOver(_ sockets: [CInt], listening addresses: [String], bootstrap: ServerBootstrap, keepalive: Int) {
        let (move, replaced) = listenersLock.withLock { () -> (Int, [Channel]) in
            defer { channels = [] }
            listening = addresses
            moves += 1
            return (moves, channels)
        }
        for channel in replaced { channel.close(promise: nil) }
        for fd in sockets {
            bootstrap.serve(listening: fd, backlog: backlog).whenComplete { [weak self] result in
                guard let self else { return }
                switch result {
                case .success(let channel):
                    let current = self.listenersLock.withLock { () -> Int? in
                        guard self.moves == move else { return nil }
                        self.channels.append(channel)
                        return self.keepalive
                    }
                    guard let current else { return channel.close(promise: nil) }
                    if current != keepalive { TCPListeners.setKeepalive(channel, idleSeconds: current) }
                case .failure(let error):
                    self.logger.warning("Could not serve the new listening socket: \(error)")
                }
            }
        }
    }

    /// CONFIG SET tcp-keepalive: connections accepted from now on have the new value
    /// (those connected keep theirs, as in Redis).
    private func keepaliveChanged(to seconds: Int) {
        let listeners = listenersLock.withLock { () -> [Channel] in
            guard seconds != keepalive else { return [] }
            keepalive = seconds
            return channels
        }
        for channel in listeners { TCPListeners.setKeepalive(channel, idleSeconds: seconds) }
    }

    /// From the start on, SIGINT and SIGTERM queue a graceful shutdown instead of ending
    /// the process (one that comes while the data loads is served once it has).
    private func catchSignals() {
        let (logger, received, signalled, stopRequested, temporary) = (logger, signalsReceived, signalled, stopRequested, snapshotTemporary)
        signalSources = [SIGINT, SIGTERM].map { signalNumber -> DispatchSourceSignal in
            signal(signalNumber, SIG_IGN)
            let source = DispatchSource.makeSignalSource(signal: signalNumber, queue: .global())
            source.setEventHandler {
                if signalNumber == SIGINT && signalled.withLockedValue({ $0 }) {
                    logger.warning("You insist... exiting now.")
                    unlink(temporary.withLockedValue { $0 })
                    _exit(1)  // not a clean shutdown, as Redis's; other threads are mid-save
                }
                logger.warning("Received \(signalNumber == SIGINT ? "SIGINT" : "SIGTERM") scheduling shutdown...")
                signalled.withLockedValue { $0 = true }
                received.withLockedValue { $0.append(signalNumber) }
                stopRequested.signal()
            }
            source.resume()
            return source
        }
    }

    /// Where the final save writes before its rename (FileIO.writeAtomically).
    private static func temporarySnapshot(_ configuration: Configuration) -> String {
        configuration.dir + "/" + configuration.dbFilename + ".tmp-\(getpid())"
    }

    /// Blocks until SHUTDOWN, or SIGINT or SIGTERM, then shuts down gracefully.
    /// A signal shuts down as shutdown-on-sigint / -sigterm say; when that fails
    /// (the final save, say) without `force`, the server goes on, as Redis's does.
    public func runUntilSignalled() {
        let stopRequested = self.stopRequested
        lock.withLock {
            engine.onShutdown = { [weak self] in
                self?.shutdownPrepared = true
                stopRequested.signal()
            }
            // A signal's shutdown that waited for replicas and failed: a second SIGINT is an ordinary one again.
            engine.onShutdownCancelled = { [signalled] in signalled.withLockedValue { $0 = false } }
        }
        // Ready once the signals are caught: a manager may stop the server right after.
        Supervisor.ready(manager)
        while true {
            stopRequested.wait()
            if lock.withLock({ shutdownPrepared }) { break }
            // (None left: an earlier request took this wake-up's signal in.)
            guard let signalNumber = takeSignal() else { continue }
            if beginSignalledShutdown(signalNumber) { break }
            // Waiting for replicas, a second SIGINT still exits at once, as in Redis.
            if !lock.withLock({ engine.shutdownPending }) { signalled.withLockedValue { $0 = false } }
        }
        signalSources.forEach { $0.cancel() }
        shutdown()
    }

    /// The latest signal not yet taken, the ones before it dropped: signals that come
    /// while a request is pending join it, as Redis's single shutdown_asap flag.
    private func takeSignal() -> CInt? {
        signalsReceived.withLockedValue { queue in
            defer { queue.removeAll() }
            return queue.last
        }
    }

    /// A signal's shutdown, as shutdown-on-sigint / -sigterm say (the last signal's). It
    /// begins when the cron runs, as Redis's serverCron takes up shutdown_asap: not while
    /// DEBUG PAUSE-CRON holds the cron or a script is busy (a snapshot taken then would
    /// hold half of it), and SHUTDOWN ABORT can withdraw it meanwhile. True once the log
    /// is synced and the final save made; false when withdrawn, while it waits for
    /// replicas (the background cycle finishes it, or SHUTDOWN ABORT ends it), or when
    /// it failed and the server goes on.
    private func beginSignalledShutdown(_ first: CInt) -> Bool {
        var signalNumber = first
        lock.withLock { engine.shutdownRequested = true }
        // SHUTDOWN (NOSAVE, say, allowed during a busy script) ends the wait too.
        while lock.withLock({ !shutdownPrepared && engine.shutdownRequested && (engine.cronPaused || engine.scriptBusy) }) {
            usleep(10_000)
            if let later = takeSignal() { signalNumber = later }
        }
        if let later = takeSignal() { signalNumber = later }
        return lock.withLock {
            guard !shutdownPrepared else { return true }
            guard engine.shutdownRequested else { return false }  // withdrawn by SHUTDOWN ABORT
            engine.shutdownRequested = false
            notifyStopping()
            let options = signalNumber == SIGINT ? engine.configuration.shutdownOnSigint : engine.configuration.shutdownOnSigterm
            _ = engine.prepareForShutdown(options)  // (finished: onShutdown has set shutdownPrepared)
            return shutdownPrepared
        }
    }

    /// A script paused mid-run is waited for, as Redis's shutdown does: a snapshot taken now would
    /// hold half of it (SHUTDOWN NOSAVE, allowed meanwhile, ends the wait).
    private func waitForPausedScript() {
        while lock.withLock({ !shutdownPrepared && engine.scriptBusy }) { usleep(10_000) }
    }

    /// The final save is done (or given up): nothing more runs until the process exits. Under `lock`.
    private func halt() {
        shutdownPrepared = true
        engine.halted = true
    }

    /// Tells systemd, once, that the server is stopping.
    private func notifyStopping() {
        guard manager == .systemd, !stoppingNotified else { return }
        stoppingNotified = true
        Supervisor.notifySystemd("STOPPING=1\n")
    }

    public func shutdown() {
        notifyStopping()
        // Without SHUTDOWN or a signal (a caller stopping the server), as a signal would, but exiting whatever happens.
        waitForPausedScript()
        lock.withLock {
            // A signal: sync the log and save as SHUTDOWN would (it already did, if it ran).
            if !shutdownPrepared && !persistence.prepareShutdown(save: nil) {
                logger.warning("Errors trying to shut down cleanly; exiting anyway (the log was synced as far as possible).")
            }
            halt()
        }
        logger.warning("Shutting down: closing listeners and client connections.")
        // (A listener still being taken over is closed when it is: the count of moves changes.)
        let listeners = listenersLock.withLock { () -> [Channel] in
            moves += 1
            defer { channels = [] }
            return channels
        }
        for channel in listeners { try? channel.close().wait() }
        if let unixListener {
            try? unixListener.channel.close().wait()
            logger.notice("Removing the unix socket file.")
            UnixSocketListener.remove(unixListener.location)
        }
        let pidFile = lock.withLock { engine.configuration.pidFile }
        if !pidFile.isEmpty { Daemon.removePidFile(pidFile) }
        try? group.syncShutdownGracefully()
        logger.warning("SwiftKeyDB is now ready to exit, bye bye...")
    }

    /// Runs `hz` times a second: active expiry, the INFO ops/sec sample and the memory peak.
    private func scheduleBackgroundCycle(on loop: EventLoop) {
        let hz = lock.withLock { engine.configuration.hz }
        loop.scheduleTask(in: .milliseconds(Int64(1000 / max(1, hz)))) { [weak self] in
            guard let self else { return }
            let log = self.lock.withLock { () -> AppendOnlyLog? in
                if self.engine.cronPaused { return nil }
                // A paused script holds the dataset mid-change: no expiry, eviction or snapshot until it ends.
                if !self.engine.scriptBusy {
                    self.engine.activeExpireCycle()
                    self.engine.continueEvictions()
                    self.persistence.tick()
                }
                self.engine.trackingCron()
                self.engine.closeIdleClients()
                self.engine.migrationLinks.closeIdle(now: Clock.milliseconds())
                self.engine.sampleOperations()
                self.engine.updateFailover(now: Clock.milliseconds())
                self.engine.replication.cron(engine: self.engine)
                self.reconnectToMaster()
                self.engine.shutdownCron()
                self.engine.recordMemoryPeak()
                return self.persistence.log
            }
            // Expired keys' DELs go to the file now, not with the next client's batch.
            log?.writeQueued()
            self.scheduleBackgroundCycle(on: loop)
        }
    }

    /// Connects to the master REPLICAOF named; under the keyspace lock.
    private func connect(to link: MasterLink) {
        MasterConnection.connect(link, engine: engine, lock: lock, persistence: persistence, group: group)
    }

    /// A replica whose link is down tries again each period of Redis's replicationCron; under the keyspace lock.
    private func reconnectToMaster() {
        guard let link = engine.master, link.state == .connect,
              Clock.milliseconds() - link.lastAttempt >= engine.replication.cronPeriod else { return }
        engine.logNotice?("Connecting to MASTER \(link.name)")
        connect(to: link)
    }

    private func prepareDataDirectory(_ path: String) throws {
        var info = stat()
        if stat(path, &info) == 0 {
            guard (info.st_mode & S_IFMT) == S_IFDIR else { throw StartupError("dir '\(path)' is not a directory") }
            return
        }
        // mkdir -p
        var built = path.hasPrefix("/") ? "" : "."
        for component in path.split(separator: "/") {
            built += "/" + component
            if mkdir(built, 0o755) != 0 && errno != EEXIST {
                throw StartupError("Can't create the data directory '\(path)': \(errorText(errno))")
            }
        }
    }
}

public struct StartupError: Error, CustomStringConvertible {
    public let description: String
    init(_ description: String) { self.description = description }
}
