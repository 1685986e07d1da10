import KeyDBEngine
import KeyDBPersistence
import KeyDBRESP
import NIOConcurrencyHelpers
import NIOCore
import NIOPosix

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif

/// The connection to the master this server follows (Redis's syncWithMaster,
/// readSyncBulkPayload and master client, in one handler):
/// 1. the handshake: PING, then AUTH (masterauth), REPLCONF listening-port,
///    ip-address and capa eof psync2, then PSYNC with this server's history;
/// 2. on +FULLRESYNC the snapshot, `$<size>` or `$EOF:<mark>` (a diskless
///    master's), written to a file in the data directory and loaded in place
///    of the dataset; on +CONTINUE nothing: the stream resumes;
/// 3. the stream, run as the master's client with no replies, passed on
///    unchanged to this server's own replicas, acknowledged each second
///    (REPLCONF ACK <offset>) and whenever the master asks (GETACK).
final class MasterConnection: ChannelInboundHandler {
    typealias InboundIn = ByteBuffer
    typealias OutboundOut = ByteBuffer

    /// What the next bytes from the master are.
    private enum Step {
        case pingReply, authReply, portReply, addressReply, capabilitiesReply, psyncReply
        /// Newlines (the master's keepalives while it makes the snapshot), then `$<size>` or `$EOF:<mark>`.
        case snapshotHeader
        case snapshot
        case stream
    }

    private let engine: Engine
    private let lock: NIOLock
    private let persistence: Persistence
    private let link: MasterLink
    private var step = Step.pingReply
    /// Replies still due for the commands sent together after PING.
    private var handshakeReplies: [Step] = []
    private var pending: ByteBuffer?
    private var context: ChannelHandlerContext?
    private var timer: RepeatedTask?
    /// The full resynchronization announced: the history the snapshot stands for.
    private var fullSync: (id: String, offset: Int64)?
    private var transfer: SnapshotTransfer?
    private var parser: RequestParser
    /// A retry is due (the stream waits for a busy script): one timer at a time.
    private var retryScheduled = false
    private var closed = false
    /// Closed by this side's repl-timeout, not by the master.
    private var timedOut = false

    init(engine: Engine, lock: NIOLock, persistence: Persistence, link: MasterLink) {
        self.engine = engine
        self.lock = lock
        self.persistence = persistence
        self.link = link
        // As Redis, no proto-max-bulk-len for the master: what it stored, it may send.
        parser = RequestParser(limits: ProtocolLimits(maxBulkLength: Int.max >> 1))
    }

    // MARK: - Connecting

    /// Connects to `link`'s master; called under the keyspace lock (REPLICAOF, the
    /// background cycle's retry), so nothing here waits for the lock.
    static func connect(_ link: MasterLink, engine: Engine, lock: NIOLock, persistence: Persistence, group: EventLoopGroup) {
        link.lastAttempt = Clock.milliseconds()
        link.state = .connecting
        engine.logNotice?("MASTER <-> REPLICA sync started")
        let timeout = engine.replicationTimeout
        // Not here, under the lock: on the calling loop SwiftNIO may connect (and call
        // channelActive, which takes the lock) or fail before `connect` returns.
        let loop = group.next()
        loop.execute {
            ClientBootstrap(group: loop)
                .connectTimeout(.seconds(timeout))
                .channelOption(.socketOption(.tcp_nodelay), value: 1)
                .channelInitializer { channel in
                    channel.eventLoop.makeCompletedFuture {
                        try channel.pipeline.syncOperations.addHandler(MasterConnection(engine: engine, lock: lock, persistence: persistence, link: link))
                    }
                }
                .connect(host: link.host, port: link.port)
                .whenFailure { error in
                    lock.withLock {
                        guard engine.master === link, link.state == .connecting else { return }
                        engine.logWarning?("Error condition on socket for SYNC: \(Self.describe(error))")
                        link.state = .connect
                    }
                }
        }
    }

    private static func describe(_ error: Error) -> String {
        if let error = error as? NIOConnectionError {
            if let first = error.connectionErrors.first { return describe(first.error) }
            return "Name or service not known"
        }
        if let error = error as? IOError { return String(cString: strerror(error.errnoCode)) }
        if error is ChannelError { return "Connection timed out" }
        return "\(error)"
    }

    func channelActive(context: ChannelHandlerContext) {
        self.context = context
        let channel = context.channel
        let current = lock.withLock { () -> Bool in
            guard engine.master === link, link.state == .connecting else { return false }
            link.state = .handshake
            link.lastInteraction = Clock.milliseconds() / 1000
            // Called under the keyspace lock (REPLICAOF), which closing takes again: later, on the loop.
            link.disconnect = { channel.eventLoop.execute { channel.close(promise: nil) } }
            engine.logNotice?("Non blocking connect for SYNC fired the event.")
            return true
        }
        guard current else { return context.close(promise: nil) }
        let bound = NIOLoopBound(self, eventLoop: context.eventLoop)
        timer = context.eventLoop.scheduleRepeatedTask(initialDelay: .seconds(1), delay: .seconds(1)) { _ in bound.value.cron() }
        send(["PING"])
    }

    func channelInactive(context: ChannelHandlerContext) {
        closed = true
        timer?.cancel()
        transfer?.abandon()
        transfer = nil
        let awaitedPSYNC = step == .psyncReply && !timedOut
        lock.withLock {
            guard engine.master === link else { return }
            // A failover's target gone before it answered: this server is the master again, as in
            // Redis (which retries one that is only slow: repl-timeout ran out).
            if awaitedPSYNC && engine.failoverInProgress {
                engine.logWarning?("Master did not reply to PSYNC, will try later")
                return engine.abortFailover("Failover target rejected psync request")
            }
            if link.state == .connected { engine.logNotice?("Connection with master lost.") }
            engine.masterLinkLost(link, now: Clock.milliseconds())
        }
        self.context = nil
    }

    func errorCaught(context: ChannelHandlerContext, error: Error) {
        context.close(promise: nil)
    }

    /// Gives up on this connection: the background cycle connects again within a second.
    private func fail(_ warning: String) {
        lock.withLock { engine.logWarning?(warning) }
        context?.close(promise: nil)
    }

    // MARK: - Reading

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        guard !closed else { return }
        var incoming = unwrapInboundIn(data)
        if pending == nil || pending!.readableBytes == 0 {
            pending = incoming
        } else {
            // A stream whose reads never end on a command's end would otherwise grow for ever.
            if pending!.readerIndex > 1 << 16 { pending!.discardReadBytes() }
            pending!.writeBuffer(&incoming)
        }
        // (The stream's batches note it themselves, under the lock they take anyway.)
        if step != .stream { lock.withLock { link.lastInteraction = Clock.milliseconds() / 1000 } }
        while !closed && advance() {}
    }

    /// Takes the next piece of input for the current step; false when more must arrive first.
    private func advance() -> Bool {
        switch step {
        case .snapshot: return receiveSnapshot()
        case .stream: return applyStream()
        case .snapshotHeader:
            // The master's keepalives while it makes the snapshot.
            var keepalives = 0
            while pending?.readableBytesView.first == UInt8(ascii: "\n") {
                pending!.moveReaderIndex(forwardBy: 1)
                keepalives += 1
            }
            if keepalives > 0 { lock.withLock { link.transferLastIO = Clock.milliseconds() / 1000 } }
            guard let line = readLine() else { return false }
            return startSnapshot(line)
        default:
            guard let line = readLine() else { return false }
            return handshake(line)
        }
    }

    /// A line up to `\n`, without it or a `\r` before it (Redis's connSyncReadLine).
    private func readLine() -> String? {
        guard let buffer = pending, let end = buffer.readableBytesView.firstIndex(of: UInt8(ascii: "\n")) else { return nil }
        var line = pending!.readSlice(length: end - buffer.readerIndex + 1)!
        line.moveWriterIndex(to: line.writerIndex - 1)
        if line.readableBytesView.last == UInt8(ascii: "\r") { line.moveWriterIndex(to: line.writerIndex - 1) }
        return String(buffer: line)
    }

    // MARK: - Handshake

    private func handshake(_ line: String) -> Bool {
        switch step {
        case .pingReply:
            // An error that only means AUTH is needed first is fine: AUTH comes next.
            if line.hasPrefix("-") && !line.hasPrefix("-NOAUTH") && !line.hasPrefix("-NOPERM") && !line.hasPrefix("-ERR operation not permitted") {
                fail("Error reply to PING from master: '\(line.dropFirst())'")
                return false
            }
            lock.withLock { engine.logNotice?("Master replied to PING, replication can continue...") }
            sendHandshake()
            return true
        case .authReply:
            if line.hasPrefix("-") {
                fail("Unable to AUTH to MASTER: \(line)")
                return false
            }
        case .portReply, .addressReply, .capabilitiesReply:
            if line.hasPrefix("-") {
                let what = step == .portReply ? "listening-port" : step == .addressReply ? "ip-address" : "capa"
                lock.withLock { engine.logNotice?("(Non critical) Master does not understand REPLCONF \(what): \(line)") }
            }
        case .psyncReply:
            if line.isEmpty { return true }  // a keepalive before the reply
            return psyncReplied(line)
        default:
            return false
        }
        if handshakeReplies.isEmpty { sendPSYNC() } else { step = handshakeReplies.removeFirst() }
        return true
    }

    /// AUTH, REPLCONF listening-port, ip-address and capa, sent together as Redis does;
    /// their replies are read in order, then PSYNC goes.
    private func sendHandshake() {
        let settings = lock.withLock { () -> (auth: [String]?, port: Int, address: String?) in
            let kept = engine.configuration.keptSettings
            let password = kept["masterauth"].flatMap { $0.isEmpty ? nil : $0 }
            let user = kept["masteruser"].flatMap { $0.isEmpty ? nil : $0 }
            let announcedPort = kept["replica-announce-port"].flatMap(Int.init) ?? 0
            let address = kept["replica-announce-ip"].flatMap { $0.isEmpty ? nil : $0 }
            return (password.map { password in user.map { [$0, password] } ?? [password] },
                    announcedPort != 0 ? announcedPort : engine.serverFacts.tcpPort, address)
        }
        handshakeReplies = []
        if let auth = settings.auth {
            send(["AUTH"] + auth)
            handshakeReplies.append(.authReply)
        }
        send(["REPLCONF", "listening-port", String(settings.port)])
        handshakeReplies.append(.portReply)
        if let address = settings.address {
            send(["REPLCONF", "ip-address", address])
            handshakeReplies.append(.addressReply)
        }
        send(["REPLCONF", "capa", "eof", "capa", "psync2"])
        handshakeReplies.append(.capabilitiesReply)
        step = handshakeReplies.removeFirst()
    }

    /// PSYNC with this server's history (a former master's own, or the last master's),
    /// or `? -1` when it has none; with FAILOVER when this server hands over to the master (`Failover`).
    private func sendPSYNC() {
        let (request, failover) = lock.withLock { () -> ((String, Int64)?, Bool) in
            let failover = engine.master === link && engine.failoverInProgress
            guard link.hasHistory else {
                engine.logNotice?("Partial resynchronization not possible (no cached master)")
                return (nil, failover)
            }
            let request = engine.replication.psyncRequest
            engine.logNotice?("Trying a partial resynchronization (request \(request.id):\(request.offset)).")
            return (request, failover)
        }
        send(["PSYNC", request?.0 ?? "?", String(request?.1 ?? -1)] + (failover ? ["FAILOVER"] : []))
        step = .psyncReply
    }

    private func psyncReplied(_ line: String) -> Bool {
        let words = line.split(separator: " ")
        if line.hasPrefix("+FULLRESYNC"), words.count == 3, words[1].count == 40, let offset = Int64(words[2]) {
            fullSync = (String(words[1]), offset)
            let current = lock.withLock { () -> Bool in
                guard engine.master === link else { return false }
                if engine.failoverInProgress { engine.finishFailover() }
                engine.logNotice?("Full resync from master: \(words[1]):\(offset)")
                link.state = .sync
                // repl-timeout counts from here: the master may take a while to start sending.
                (link.transferSize, link.transferRead, link.transferLastIO) = (-1, 0, Clock.milliseconds() / 1000)
                return true
            }
            guard current else { return abandon() }
            step = .snapshotHeader
            return true
        }
        if line.hasPrefix("+CONTINUE") {
            let newID = words.count > 1 && words[1].count == 40 ? String(words[1]) : nil
            let current = lock.withLock { () -> Bool in
                guard engine.master === link else { return false }
                if engine.failoverInProgress { engine.finishFailover() }
                engine.logNotice?("Successful partial resynchronization with master.")
                if let newID, newID != engine.replication.replid { engine.logNotice?("Master replication ID changed to \(newID)") }
                engine.replication.continueMasterHistory(id: newID, engine: engine)
                beginStream()
                engine.logNotice?("MASTER <-> REPLICA sync: Master accepted a Partial Resynchronization.")
                return true
            }
            guard current else { return abandon() }
            step = .stream
            return true
        }
        let warning = line.hasPrefix("-NOMASTERLINK") || line.hasPrefix("-LOADING")
            ? "Master is currently unable to PSYNC but should be in the future: \(line)"
            : "Unexpected reply to PSYNC from master: \(line)"
        lock.withLock {
            engine.logWarning?(warning)
            // A failover's target that refuses to take over: this server is the master again.
            if engine.master === link && engine.failoverInProgress { engine.abortFailover("Failover target rejected psync request") }
        }
        context?.close(promise: nil)
        return false
    }

    /// This link was dropped meanwhile (REPLICAOF NO ONE, FAILOVER ABORT), its close still on its
    /// way: what the master answers no longer concerns the server.
    private func abandon() -> Bool {
        context?.close(promise: nil)
        return false
    }

    // MARK: - Full resynchronization

    private func startSnapshot(_ line: String) -> Bool {
        if line.hasPrefix("-") {
            fail("MASTER aborted replication with an error: \(line.dropFirst())")
            return false
        }
        guard line.hasPrefix("$") else {
            fail("Bad protocol from MASTER, the first byte is not '$' (we received '\(line)'), are you sure the host and port are right?")
            return false
        }
        let body = line.dropFirst()
        let size: Int64?
        let mark: [UInt8]?
        if body.hasPrefix("EOF:") && body.utf8.count == 4 + SnapshotTransfer.markLength {
            (size, mark) = (nil, Array(body.utf8.dropFirst(4)))
        } else if let length = Int64(body), length >= 0 {
            (size, mark) = (length, nil)
        } else {
            fail("Bad protocol from MASTER, the bulk length is not a number: '\(line)'")
            return false
        }
        let path = lock.withLock { () -> String in
            link.transferSize = size ?? -1
            link.transferRead = 0
            link.transferLastIO = Clock.milliseconds() / 1000
            engine.logNotice?(size.map { "MASTER <-> REPLICA sync: receiving \($0) bytes from master to disk" }
                              ?? "MASTER <-> REPLICA sync: receiving streamed RDB from master with EOF to disk")
            return persistence.temporaryTransferPath()
        }
        guard let opened = SnapshotTransfer(path: path, size: size, mark: mark) else {
            fail("Opening the temp file needed for MASTER <-> REPLICA synchronization: \(String(cString: strerror(errno)))")
            return false
        }
        transfer = opened
        step = .snapshot
        return true
    }

    private func receiveSnapshot() -> Bool {
        guard let transfer, var buffer = pending, buffer.readableBytes > 0 || transfer.isComplete else { return false }
        let taken: Int
        do {
            taken = try buffer.withUnsafeReadableBytes { try transfer.write($0) }
        } catch {
            fail("Write error or short write writing to the DB dump file needed for MASTER <-> REPLICA synchronization: \(error)")
            return false
        }
        buffer.moveReaderIndex(forwardBy: taken)
        pending = buffer
        lock.withLock {
            link.transferRead = transfer.received
            link.transferLastIO = Clock.milliseconds() / 1000
            engine.stats.netReplicationInputBytes += taken
        }
        guard transfer.isComplete else { return false }
        return finishSnapshot(transfer)
    }

    /// The whole snapshot is in: it replaces the dataset, and the stream follows.
    private func finishSnapshot(_ transfer: SnapshotTransfer) -> Bool {
        self.transfer = nil
        do {
            try transfer.finish()
        } catch {
            transfer.abandon()
            fail("Failed trying to sync the temp DB to disk in MASTER <-> REPLICA synchronization: \(error)")
            return false
        }
        guard let fullSync else { return false }
        // While the load holds the keyspace, a newline now and then tells the master we are
        // alive (Redis's replicationSendNewlineToMaster), or its repl-timeout would drop us.
        // Written to the socket itself: through the channel a failed write would close it, and
        // channelInactive would take the lock the load holds. (Nothing else is being written now.)
        var lastKeepalive = Clock.milliseconds()
        let socket = context.flatMap { ConnectionSocket.descriptor(of: $0.channel) }
        let keepalive = {
            let now = Clock.milliseconds()
            guard now - lastKeepalive >= 1000, let socket else { return }
            lastKeepalive = now
            _ = [UInt8(ascii: "\n")].withUnsafeBytes { ConnectionSocket.sendNow(socket, $0) }
        }
        let loaded = lock.withLock { () -> Bool? in
            // REPLICAOF named another master meanwhile: this snapshot is not for us any more.
            guard engine.master === link else { return nil }
            engine.logNotice?("MASTER <-> REPLICA sync: Discarding previously cached master state.")
            guard let streamDatabase = persistence.loadFromMaster(transfer.path, keepalive: keepalive) else { return false }
            engine.replication.adoptMasterHistory(id: fullSync.id, offset: fullSync.offset, streamDatabase: streamDatabase, engine: engine)
            beginStream()
            engine.logNotice?("MASTER <-> REPLICA sync: Finished with success")
            return true
        }
        guard let loaded else {
            transfer.abandon()
            context?.close(promise: nil)
            return false
        }
        guard loaded else {
            fail("Failed trying to load the MASTER synchronization DB from disk, check server logs.")
            return false
        }
        step = .stream
        // A diskless master starts the stream once it hears from us (Redis's repl_start_cmd_stream_on_ack).
        sendAcknowledgement()
        return true
    }

    // MARK: - The stream

    /// Under the keyspace lock: the link is up and the master's client exists.
    private func beginStream() {
        let channel = context!.channel
        let session = engine.beginMasterSession(link, peer: channel.remoteAddress.map(ConnectionEnd.socket) ?? .text(link.name),
                                                local: channel.localAddress.map(ConnectionEnd.socket) ?? .text(""),
                                                fileDescriptor: { ConnectionSocket.descriptor(of: channel).map(Int.init) ?? -1 })
        let bound = NIOLoopBound(self, eventLoop: context!.eventLoop)
        // Woken when a CLIENT PAUSE that held its command ends.
        session.wakeup = { [eventLoop = context!.eventLoop] in eventLoop.execute { bound.value.resume() } }
    }

    /// Woken by the engine (a pause ended, CLIENT KILL TYPE master) or a retry's timer.
    private func resume() {
        guard !closed, step == .stream else { return }
        let killed = lock.withLock { () -> Bool in
            guard let session = link.session else { return true }
            session.wakeupScheduled = false
            return session.killRequested
        }
        if killed { return context?.close(promise: nil) ?? () }
        while !closed && advance() {}
    }

    /// Runs the complete commands pending (`Engine.applyMasterStream`); true when it should be called again at once.
    private func applyStream() -> Bool {
        guard var buffer = pending, buffer.readableBytes > 0 else { return false }
        let (batch, logWait) = lock.withLock { () -> (MasterStreamBatch, LogWait?) in
            let batch = buffer.withUnsafeReadableBytes { engine.applyMasterStream($0, link: link, parser: &parser) }
            return (batch, batch.consumed > 0 ? persistence.takeRecords() : nil)
        }
        buffer.moveReaderIndex(forwardBy: batch.consumed)
        pending = buffer
        // The replica's log has what it applied before it says so (under `always`, on disk).
        if let logWait {
            logWait.log.writeQueued()
            if logWait.sync { _ = logWait.log.syncNow(through: logWait.offset) }
        }
        if let offset = batch.acknowledge { send(["REPLCONF", "ACK", String(offset)]) }
        if let failure = batch.failure {
            // Continuing from here would meet the same bytes again: the next sync is a full one.
            lock.withLock { link.forgetHistory() }
            fail("Protocol error from MASTER: \(failure)")
        } else if batch.close {
            context?.close(promise: nil)
        } else if batch.retryLater, !retryScheduled, let context {
            retryScheduled = true
            let bound = NIOLoopBound(self, eventLoop: context.eventLoop)
            context.eventLoop.scheduleTask(in: .milliseconds(10)) {
                bound.value.retryScheduled = false
                bound.value.resume()
            }
        }
        return false
    }

    // MARK: - Writing

    private func send(_ words: [String]) {
        guard let context else { return }
        var buffer = context.channel.allocator.buffer(capacity: 64)
        buffer.writeString("*\(words.count)\r\n")
        for word in words { buffer.writeString("$\(word.utf8.count)\r\n\(word)\r\n") }
        context.writeAndFlush(wrapOutboundOut(buffer), promise: nil)
    }

    private func sendAcknowledgement() {
        let offset = lock.withLock { engine.replication.offset }
        send(["REPLCONF", "ACK", String(offset)])
    }

    /// Once a second (Redis's replicationCron, replica side): an acknowledgement while
    /// the stream runs, and the link dropped once the master has been silent for repl-timeout.
    private func cron() {
        guard !closed else { return }
        let (silent, timeout) = lock.withLock { () -> (Int64, Int64) in
            let now = Clock.milliseconds() / 1000
            let last = link.state == .sync ? link.transferLastIO : link.lastInteraction
            return (now - last, engine.replicationTimeout)
        }
        if silent > timeout {
            timedOut = true
            switch step {
            case .snapshotHeader, .snapshot: fail("Timeout receiving bulk data from MASTER... If the problem persists try to set the 'repl-timeout' parameter in redis.conf to a larger value.")
            case .stream: fail("MASTER timeout: no data nor PING received...")
            default: fail("Timeout connecting to the MASTER...")
            }
            return
        }
        if step == .stream { sendAcknowledgement() }
    }
}
