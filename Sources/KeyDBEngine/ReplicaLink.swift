import NIOCore

/// A connection that asked for the replication stream with SYNC or PSYNC
/// (Redis's client with CLIENT_SLAVE): its place in the full resync, and what
/// it has acknowledged.
public final class ReplicaLink: @unchecked Sendable {  // guarded by the keyspace lock
    public enum State: Equatable {
        /// Waits for a snapshot to start (another child is running).
        case waitSnapshotStart
        /// Its snapshot is being written (to disk, or streamed to it: `stream`); the stream
        /// since the fork waits in `pending`.
        case waitSnapshotEnd
        /// The snapshot is ready, opened when it was finished: the network layer sends it, then `pending`.
        case snapshotReady(ReadySnapshot)
        /// The snapshot is on its way; the stream goes out behind it.
        case sendingSnapshot
        /// Online. After a streamed snapshot the stream waits in `pending` until the replica's
        /// first ACK (`streamsOnAck`): nothing may follow the snapshot's end mark before the
        /// replica has found it, as Redis's repl_start_cmd_stream_on_ack.
        case online
    }

    unowned let session: ClientSession
    public internal(set) var state: State
    /// SYNC, the protocol before PSYNC: no +FULLRESYNC line, and no acknowledgements expected.
    let prePSYNC: Bool
    /// REPLCONF rdb-only 1 (redis-cli --rdb): the snapshot only, then the connection closes.
    public let snapshotOnly: Bool
    /// The stream written while the snapshot was made, sent right after it.
    var pending: ByteBuffer
    /// The offset the replica's snapshot stands for (+FULLRESYNC's).
    var snapshotOffset: Int64 = 0
    var ackOffset: Int64 = 0
    /// Unix seconds of the last acknowledgement (or of the link's start).
    var ackTime: Int64
    /// Unix seconds when it asked for the stream (a diskless sync waits `repl-diskless-sync-delay` from there).
    let since: Int64
    /// The diskless transfer it takes its snapshot from, nil for one from disk.
    var stream: SnapshotStream?
    /// The chunk of `stream` waiting for the network layer to take it.
    var streamChunk: ByteBuffer?
    /// Unix seconds since a chunk of `stream` waits to be written (0: none does): repl-timeout applies.
    var partialWriteSince: Int64 = 0
    /// Online after a streamed snapshot, its stream held until its first ACK.
    var streamsOnAck = false
    /// That ACK came: the stream held goes out (`takeTransfer`), and what follows goes behind it.
    var streamReady = false

    init(session: ClientSession, state: State, prePSYNC: Bool, snapshotOnly: Bool, now: Int64) {
        self.session = session
        self.state = state
        self.prePSYNC = prePSYNC
        self.snapshotOnly = snapshotOnly
        self.ackTime = now
        since = now
        pending = ByteBuffer()
    }

    /// INFO replication's `state=`.
    var stateName: String {
        switch state {
        case .waitSnapshotStart, .waitSnapshotEnd: "wait_bgsave"
        case .snapshotReady, .sendingSnapshot: "send_bulk"
        case .online: "online"
        }
    }

    /// What the network layer sends a replica besides its replies.
    public enum Transfer {
        /// The snapshot file, then the stream written while it was made.
        case file(ReadySnapshot, after: ByteBuffer)
        /// A chunk of a streamed snapshot; `chunkWritten` once the socket has it (or the connection failed).
        case chunk(ByteBuffer)
        /// The stream held after a streamed snapshot, until the replica's first ACK.
        case stream(ByteBuffer)
    }

    /// Takes what is ready to send, if anything (under the keyspace lock).
    public func takeTransfer() -> Transfer? {
        if case .snapshotReady(let file) = state {
            state = .sendingSnapshot
            defer { pending = ByteBuffer() }
            return .file(file, after: pending)
        }
        if let chunk = takeStreamChunk() { return .chunk(chunk) }
        guard streamReady else { return nil }
        streamReady = false
        defer { pending = ByteBuffer() }
        return .stream(pending)
    }

    func takeStreamChunk() -> ByteBuffer? {
        defer { streamChunk = nil }
        return streamChunk
    }

    /// `failure`: why the write failed (the connection then closes).
    public func chunkWritten(failure: String? = nil) {
        partialWriteSince = 0
        stream?.settled()
        if let failure, !session.killRequested {
            session.engine.logWarning?("Diskless rdb transfer, write error sending DB to replica: \(failure)")
        }
    }

    /// The snapshot left: the replica is online (a snapshot-only one is done, and closes).
    public func snapshotSent() {
        guard state == .sendingSnapshot else { return }
        putOnline(engine: session.engine)
    }

    /// Redis's replicaPutOnline: a snapshot-only link closes instead.
    func putOnline(engine: Engine) {
        if snapshotOnly {
            engine.logNotice?("RDB transfer completed, rdb only replica (\(session.replicaName)) should be disconnected asap")
            state = .sendingSnapshot
            session.killRequested = true
            session.scheduleWakeup()
            return
        }
        state = .online
        ackTime = Clock.milliseconds() / 1000
        engine.logNotice?("Synchronization with replica \(session.replicaName) succeeded")
    }
}

/// A snapshot file opened for one replica when it was finished (so a newer `dump.rdb`
/// cannot take its place), with its size. Closed when let go, unless the network layer
/// took the descriptor to send it.
public final class ReadySnapshot: Equatable, @unchecked Sendable {  // guarded by the keyspace lock
    public let size: Int
    private var descriptor: CInt?
    private let close: (CInt) -> Void

    public init(descriptor: CInt, size: Int, close: @escaping (CInt) -> Void) {
        self.descriptor = descriptor
        self.size = size
        self.close = close
    }

    /// The descriptor, now the caller's to close.
    public func take() -> CInt? {
        defer { descriptor = nil }
        return descriptor
    }

    deinit { if let descriptor { close(descriptor) } }

    public static func == (a: ReadySnapshot, b: ReadySnapshot) -> Bool { a === b }
}

/// What a connection told with REPLCONF before it asked for the stream.
struct ReplicaSettings {
    /// `listening-port`: the port INFO and ROLE show for it.
    var listeningPort = 0
    /// `ip-address`: the address to show instead of the connection's.
    var address: String?
    /// `capa psync2`: +CONTINUE names the replication ID.
    var psync2 = false
    /// `rdb-only 1`.
    var snapshotOnly = false
    /// `capa eof`: it reads a snapshot of unknown length (needed for a filtered one, as in Redis).
    var eof = false
    /// `rdb-filter-only`: the snapshot holds no keys, and the function libraries when true.
    var filterKeepsFunctions: Bool?
}

extension ClientSession {
    /// The replica's address as INFO and ROLE show it: the one it announced, else its connection's IP.
    var replicaAddress: String {
        if let announced = replicaSettings.address { return announced }
        var host = address
        if let colon = host.lastIndex(of: ":") { host = String(host[..<colon]) }
        if host.hasPrefix("[") && host.hasSuffix("]") { host = String(host.dropFirst().dropLast()) }
        return host
    }

    /// As Redis's logs name a replica (replicationGetSlaveName): `ip:port`, `[ip]:port` for IPv6,
    /// `ip:<unknown-replica-port>` before it told its port.
    var replicaName: String {
        let port = replicaSettings.listeningPort
        guard port != 0 else { return "\(replicaAddress):<unknown-replica-port>" }
        return replicaAddress.contains(":") ? "[\(replicaAddress)]:\(port)" : "\(replicaAddress):\(port)"
    }
}
