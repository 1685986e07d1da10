import KeyDBRESP
import OrderedCollections
import NIOCore

/// One connection's state, as the engine sees it: selected database, name,
/// authentication, and the reply buffer commands write into.
public final class ClientSession: @unchecked Sendable {  // used under the keyspace lock
    public let id: Int64
    /// A strong `let`: the compiler reads it without retaining (an unowned reference is
    /// retained on every use). Unregistering a session breaks the engine ↔ session cycle.
    public let engine: Engine
    /// The selected database.
    /// Databases live as long as the keyspace, which outlives every session: no reference counting.
    public unowned(unsafe) var db: Database
    /// Replies for the current read batch; the server sends and replaces it.
    public var reply: ByteBuffer
    /// HELLO 3 chose RESP3: replies use its nulls, maps, sets, doubles and pushes (ReplyFrames.swift).
    public internal(set) var resp3 = false
    /// CLIENT TRACKING's settings while it is on (Tracking.swift).
    public internal(set) var tracking: TrackingMode? = nil
    /// Invalidations its own running command caused, sent after the reply (nil: a flush).
    var pendingInvalidations: [Bytes?] = []
    /// Messages pushed to it while its own command's replies are silenced (CLIENT REPLY
    /// OFF / SKIP): kept aside and sent anyway, as Redis's CLIENT_PUSHING does.
    var silencedPushes: [UInt8] = []

    /// Writes a pushed message (pub/sub, an invalidation) with `write`.
    func push(_ write: () -> Void) {
        guard replyMode != .on, self === engine.currentClient else { return write() }
        let mark = reply.writerIndex
        write()
        silencedPushes += reply.getBytes(at: mark, length: reply.writerIndex - mark) ?? []
    }
    /// The time a command is running at (Unix ms), read once per command.
    public var now: Int64 = 0

    public var name: Bytes? = nil
    public var libraryName: String = ""
    public var libraryVersion: String = ""
    /// Logged in (or never needed to): once true it stays, even if a password is set later, as in Redis.
    public var authenticated: Bool
    /// The ACL user this connection runs commands as.
    public internal(set) var user: ACLUser
    /// The user may run everything: the dispatcher skips ACL checks (kept fresh on every ACL change).
    public internal(set) var aclUnrestricted: Bool
    /// Set while the client waits in a blocking command; it runs nothing else meanwhile.
    public internal(set) var blocked: BlockedState? = nil
    /// Called (under the keyspace lock) when a blocked client got its reply:
    /// the network layer sends it and resumes reading.
    public var wakeup: (@Sendable () -> Void)? = nil
    /// Blocking commands answer at once instead of waiting (inside EXEC).
    public var denyBlocking = false
    /// CLIENT REPLY: whether this client's own command replies are sent (pushed messages always are).
    public enum ReplyMode: Sendable { case on, off, skipNext, skip }
    public var replyMode = ReplyMode.on
    /// Keys watched since WATCH, and whether one changed since.
    var watchedKeys: [WatchedKey] = []
    public internal(set) var watchTouched = false
    /// Pub/sub subscriptions.
    public internal(set) var subscribedChannels: OrderedSet<Bytes> = []
    public internal(set) var subscribedPatterns: OrderedSet<Bytes> = []
    public internal(set) var subscribedShardChannels: OrderedSet<Bytes> = []
    /// Set by SYNC / PSYNC: this connection gets the replication stream.
    public internal(set) var replica: ReplicaLink? { didSet { receivesFeed = replica != nil || isMonitor } }
    /// A replica or a monitor (Redis's CLIENT_SLAVE): it may not reach the keyspace. Stored,
    /// as every command reads it.
    private(set) var receivesFeed = false
    /// What REPLCONF said before SYNC / PSYNC.
    var replicaSettings = ReplicaSettings()
    /// master_repl_offset once this client's last command is in the stream (what WAIT waits for).
    var writeOffset: Int64 = 0
    /// A wakeup is already on its way to the network layer.
    public var wakeupScheduled = false

    /// Has the connection come back for this client once (its buffered replies, a kill).
    func scheduleWakeup() {
        guard !wakeupScheduled else { return }
        wakeupScheduled = true
        wakeup?()
    }
    /// The network layer must close this client (output buffer limit, idle `timeout`, CLIENT KILL).
    public var killRequested = false
    /// CLIENT NO-EVICT: exempt from client eviction (shown as flag `e`; nothing evicts clients yet).
    public var noEvict = false
    /// CLIENT NO-TOUCH (Redis 7.2): this client's commands, except TOUCH, leave keys' access times alone.
    public var noTouch = false
    /// Held by CLIENT PAUSE: the command at the head of its input has not run and
    /// waits there, with everything sent after it, until the pause lets it run.
    public internal(set) var postponed = false
    /// Bytes received and not yet consumed (CLIENT LIST qbuf=); set by the network layer.
    public var queryBufferLength = 0
    /// Bytes handed to the network layer and not yet written to the socket.
    public var unsentBytes = 0
    /// When the client first went over its soft output limit (Unix ms), or 0.
    var softLimitSince: Int64 = 0
    /// Redis's per-client reply buffer (PROTO_REPLY_CHUNK_BYTES): output limits count what overflows it.
    static let replyBufferBytes = 16 * 1024
    /// Commands queued since MULTI; nil outside a transaction.
    public var transaction: Transaction? = nil
    /// Set by QUIT and protocol errors: close once the replies are written.
    public var closeAfterReply = false
    /// The running command logged its own records (Propagation.swift).
    public internal(set) var propagatedExplicitly = false
    /// In MONITOR mode: sees every command the server runs (MonitorFeed.swift).
    public internal(set) var isMonitor = false { didSet { receivesFeed = replica != nil || isMonitor } }
    /// Arguments of the running command that the slow log and monitors must not
    /// show (passwords); reset after each command.
    var redactedArguments: [Int] = [] {
        didSet { hasRedactions = !redactedArguments.isEmpty }
    }
    /// `redactedArguments` is not empty: read per command without touching the array.
    private(set) var hasRedactions = false

    /// Hides argument `index` of the running command from the slow log and monitors.
    func redact(_ index: Int) { redactedArguments.append(index) }

    // Shown by CLIENT LIST / CLIENT INFO, made into text when first shown (so read
    // under the engine lock, as everything here).
    public var address: String { peerEnd.keptText() }
    public var localAddress: String { localEnd.keptText() }
    private var peerEnd: ConnectionEnd
    private var localEnd: ConnectionEnd
    /// The connection's socket, looked up the first time CLIENT LIST / INFO asks
    /// (finding it costs more than the rest of a one-request connection); -1 for none.
    public var fileDescriptor: Int {
        if foundDescriptor == nil { foundDescriptor = findDescriptor?() ?? -1 }
        return foundDescriptor ?? -1
    }
    private var foundDescriptor: Int?
    private let findDescriptor: (() -> Int)?
    public let createdAt: Int64
    public var lastInteraction: Int64
    /// The command running now, or the last one run (its error texts name it).
    public unowned(unsafe) var lastCommandSpec: CommandSpec? = nil
    public var lastCommand: String { lastCommandSpec?.fullName ?? "NULL" }
    /// CLIENT LIST cmd=: the command last looked up for this client, whether it ran, was
    /// queued or was refused, and nil after an unknown one (Redis's `lastcmd`).
    public unowned(unsafe) var lookedUpCommand: CommandSpec? = nil

    /// Connected through the Unix socket (`unixsocket`): local, flag U in CLIENT LIST.
    public let isUnixSocket: Bool

    public convenience init(engine: Engine, address: String = "", localAddress: String = "") {
        self.init(engine: engine, peer: .text(address), local: .text(localAddress))
    }

    public init(engine: Engine, peer: ConnectionEnd, local: ConnectionEnd, fileDescriptor: (() -> Int)? = nil,
                unixSocket: Bool = false, allocator: ByteBufferAllocator = ByteBufferAllocator()) {
        self.engine = engine
        self.id = engine.nextClientID()
        self.db = engine.keyspace.databases[0]
        self.reply = allocator.buffer(capacity: 1024)
        self.user = engine.acl.defaultUser
        self.authenticated = !engine.acl.authenticationRequired
        self.aclUnrestricted = engine.acl.defaultUser.isUnrestricted
        self.peerEnd = peer
        self.localEnd = local
        self.findDescriptor = fileDescriptor
        self.isUnixSocket = unixSocket
        let now = Clock.milliseconds()
        self.createdAt = now
        self.lastInteraction = now
    }

    /// Runs scripts' commands (Redis's lua client): not registered, never closed.
    public internal(set) var isScriptClient = false
    /// Unix ms every command of the running script sees (0: the clock).
    var pinnedNow: Int64 = 0
    /// Its script paused past busy-reply-threshold: the connection continues it and runs nothing else.
    public internal(set) var runsScript = false
    /// It disconnected while its script was paused: forgotten once the script ends.
    public var unregisterAfterScript = false

    /// Takes the caller's user for a script's commands (ACL checks, ACL LOG).
    func adopt(user: ACLUser, unrestricted: Bool) {
        self.user = user
        aclUnrestricted = unrestricted
        authenticated = true
    }

    /// The client this replica's master's stream runs as (Redis's CLIENT_MASTER): no
    /// replies, and none of the checks a user's command meets on a replica.
    public internal(set) var isMaster = false

    /// The server's own client (replaying the log): no password, no ACL checks, as Redis's user-less clients.
    public private(set) var isInternal = false

    public func grantFullAccess() {
        isInternal = true
        authenticated = true
        aclUnrestricted = true
    }

    /// Commands other than AUTH, HELLO and the like are refused until AUTH (the parser limits
    /// arguments meanwhile, as Redis does for unauthenticated clients).
    public var mustAuthenticate: Bool { !authenticated && engine.acl.authenticationRequired }

    /// Writes an error reply and counts it (INFO total_error_replies).
    public func replyError(_ text: String) {
        engine.countError(text.utf8)
        reply.writeError(text)
        if isMaster { engine.masterCommandFailed(self, error: Array(text.utf8)) }
    }

    public func replyError(bytes text: [UInt8]) {
        engine.countError(text)
        reply.writeError(bytes: text)
        if isMaster { engine.masterCommandFailed(self, error: text) }
    }

    public func replyOK() { reply.writeSimpleString("OK") }

    /// Writes a reply for an optional string: the bulk, or the null.
    public func replyBulk(_ value: Bytes?) {
        guard let value else { return replyNull() }
        value.withUnsafeBytes { reply.writeBulk($0) }
    }

    /// Runs one command: the single entry point from the network layer (and from tests).
    public func execute(_ args: Arguments) {
        engine.execute(args, for: self)
    }
}
