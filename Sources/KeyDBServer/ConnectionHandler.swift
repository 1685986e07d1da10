import KeyDBEngine
import KeyDBPersistence
import KeyDBRESP
import NIOConcurrencyHelpers
import NIOCore

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// One client connection: decodes requests straight from the receive
/// buffer, runs them, and writes the replies — all in one handler, with the
/// keyspace lock taken once per read; replies are sent at the end of the
/// event-loop turn (`BeforeSleep`), straight to the socket when it can be
/// (`ConnectionSocket`), else through the channel pipeline.
final class ConnectionHandler: ChannelInboundHandler {
    typealias InboundIn = ByteBuffer
    typealias OutboundOut = ByteBuffer

    private let engine: Engine
    private let lock: NIOLock
    private let persistence: Persistence
    private let beforeSleep: BeforeSleep
    /// Replies waiting for their writes to reach the disk (appendfsync always), in
    /// order, each with the log position that must be synced first.
    private var held: [(offset: UInt64, replies: ByteBuffer, tracked: Bool)] = []
    /// Close once the held replies are out (QUIT or a protocol error behind a durable write).
    private var closeWhenReleased = false
    private var session: ClientSession?
    private var parser: RequestParser
    private var splitter = InlineSplitter()
    /// Bytes received and not yet run.
    private var pending: ByteBuffer?
    /// Do not parse again until this many bytes are pending (a large argument is arriving).
    private var neededBytes = 0
    private var closing = false
    /// The context, kept to send the replies of a blocked client served by someone else.
    private var context: ChannelHandlerContext?
    /// The deadline a timeout timer is already set for.
    private var timerDeadline: Int64 = 0
    /// Queued with `BeforeSleep` to be flushed at the end of this turn.
    private var flushQueued = false
    /// Replies not yet sent, in order; `flushReplies` sends them.
    private var outgoing: ByteBuffer?
    /// The connection's socket when replies can be sent straight to it, else -1.
    private var socket: CInt = -1
    /// Flushes left before `socket` is looked up (-1 once it has been). Not when the
    /// connection opens: SwiftNIO names the descriptor only in the channel's
    /// description, and making that costs more than everything else a connection
    /// that sends one request does (`redis-benchmark -k 0`). Its first replies go
    /// through the pipeline instead.
    private var flushesBeforeSocketLookup = 1
    /// Replies handed to the pipeline and not yet written (a partial send, output
    /// counted for a limit): while any are, later ones go behind them there.
    private var pipelineWrites = 0
    /// Replies handed to the pipeline since its last flush.
    private var pipelineUnflushed = false
    /// The channel as CLIENT LIST / INFO reach it to show `fd=`, until it closes.
    private var listed: ListedChannel?

    /// Held strongly and let go when the channel closes, not captured `weak`: a
    /// weak reference gives the channel a side table, and every retain and release
    /// of it (several per read) then takes Swift's slow path, 2% of the CPU at -P 16.
    private final class ListedChannel: @unchecked Sendable {  // read and cleared under the engine lock
        var channel: Channel?
        init(_ channel: Channel) { self.channel = channel }
    }

    init(engine: Engine, lock: NIOLock, persistence: Persistence, beforeSleep: BeforeSleep, limits: ProtocolLimits) {
        self.engine = engine
        self.lock = lock
        self.persistence = persistence
        self.beforeSleep = beforeSleep
        self.parser = RequestParser(limits: limits)
    }

    func channelActive(context: ChannelHandlerContext) {
        let channel = context.channel
        self.context = context
        // A served or unblocked client is woken from whichever thread served it.
        let bound = NIOLoopBound(self, eventLoop: context.eventLoop)
        // Read once: each read of a channel address checks the calling thread first.
        let (localAddress, remoteAddress) = (channel.localAddress, channel.remoteAddress)
        let unixSocket = if case .unixDomainSocket = localAddress { true } else { false }
        // (TCP keepalive is the listener's, which the connection inherits: `TCPListeners`.)
        let local = unixSocket || remoteAddress.map(ConnectionEnd.isLoopback) ?? false
        let refusal = lock.withLock { engine.refusal(ofConnectionLocal: local) }
        if let refusal {
            // As Redis: the error, then the connection closes (no client was created).
            closing = true
            var reply = channel.allocator.buffer(capacity: refusal.utf8.count + 3)
            reply.writeError(refusal)
            return close(after: reply, context: context)
        }
        let listed = ListedChannel(channel)
        self.listed = listed
        let session = lock.withLock {
            // A Unix socket client's two ends are both the socket's path as configured, as Redis shows them.
            let unixEnd = unixSocket ? ConnectionEnd.text("\(engine.configuration.unixSocket):0") : nil
            let session = ClientSession(engine: engine,
                                        peer: unixEnd ?? remoteAddress.map(ConnectionEnd.socket) ?? .text(""),
                                        local: unixEnd ?? localAddress.map(ConnectionEnd.socket) ?? .text(""),
                                        fileDescriptor: { listed.channel.flatMap(ConnectionSocket.descriptor(of:)).map(Int.init) ?? -1 },
                                        unixSocket: unixSocket,
                                        allocator: channel.allocator)
            session.wakeup = { [beforeSleep] in beforeSleep.execute { bound.value.resume() } }
            engine.register(session)
            return session
        }
        self.session = session
        context.fireChannelActive()
    }

    func channelInactive(context: ChannelHandlerContext) {
        if let session {
            let scriptPaused = lock.withLock { () -> Bool in
                listed?.channel = nil
                // A paused script runs to its end even without its caller (it may have written).
                guard !session.runsScript else {
                    session.unregisterAfterScript = true
                    return true
                }
                engine.unregister(session)
                return false
            }
            if scriptPaused { Self.finishScript(of: session, engine: engine, lock: lock, loop: context.eventLoop) }
        }
        session = nil
        listed = nil
        self.context = nil
        socket = -1
        flushesBeforeSocketLookup = -1
        outgoing = nil
        context.fireChannelInactive()
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        guard !closing else { return }
        var incoming = unwrapInboundIn(data)
        if pending == nil || pending!.readableBytes == 0 {
            pending = incoming
        } else {
            pending!.writeBuffer(&incoming)
        }
        if let session, pending!.readableBytes > Self.queryBufferCheckFloor,
           lock.withLock({ engine.queryBufferExceeded(session, pending: pending!.readableBytes, start: pending!.readableBytesView) }) {
            closing = true
            pending = nil
            context.close(promise: nil)
            return
        }
        guard pending!.readableBytes >= neededBytes else { return }
        process(context: context)
    }

    /// A blocked client got its reply from another command (or timed out): send it and
    /// go on with whatever the client pipelined after the blocking command.
    private func resume() {
        guard let context else { return }
        guard !closing else {
            // Half-closed, its last replies still going out: a kill (a replica that stopped
            // reading, timed out; an output limit; CLIENT KILL) does not wait for them. The
            // wakeup is taken, so that the next one (the kill's) comes too.
            if let session, lock.withLock({ () -> Bool in
                session.wakeupScheduled = false
                return session.killRequested
            }) { context.close(promise: nil) }
            return
        }
        process(context: context)
        flushReplies(context)
    }

    func channelReadComplete(context: ChannelHandlerContext) {
        // Replies held for the log are flushed when they are released.
        guard outgoing != nil || pipelineUnflushed, !flushQueued else { return }
        flushQueued = true
        beforeSleep.flush(self)
    }

    /// The loop's turn ends (`BeforeSleep`): this turn's replies go out.
    func endTurn() {
        flushQueued = false
        guard let context else { return }
        flushReplies(context)
    }

    /// One timer chain per paused script: reads from its caller (held meanwhile) must not
    /// start another, or the script would get more slices and other clients fewer.
    private var scriptSliceScheduled = false

    /// Runs the paused script's next slice after the pause gap. A timer, not execute():
    /// the loop runs every task (and the tasks they add) before it reads sockets again,
    /// and the point of pausing is to read them.
    private func scheduleScriptSlice(_ context: ChannelHandlerContext) {
        guard !scriptSliceScheduled else { return }
        scriptSliceScheduled = true
        let bound = NIOLoopBound(self, eventLoop: context.eventLoop)
        context.eventLoop.scheduleTask(in: Self.scriptPauseGap) { bound.value.runScriptSlice() }
    }

    /// One slice of the paused script; once it ends, its reply goes out and what the
    /// client pipelined behind it runs. A closed connection's script is finished by channelInactive.
    private func runScriptSlice() {
        scriptSliceScheduled = false
        guard let context, !closing, let session else { return }
        lock.withLock { engine.scripting.continueScript(of: session) }
        process(context: context)
        flushReplies(context)
    }

    /// How long a paused script leaves the loop to other clients between its slices.
    static let scriptPauseGap = TimeAmount.milliseconds(1)

    /// Continues a paused script whose caller has gone, one slice per loop turn, until it ends.
    private static func finishScript(of session: ClientSession, engine: Engine, lock: NIOLock, loop: EventLoop) {
        let target = NIOLoopBound(session, eventLoop: loop)
        loop.scheduleTask(in: scriptPauseGap) {
            let paused = lock.withLock { () -> Bool in
                engine.scripting.continueScript(of: target.value)
                return target.value.runsScript
            }
            if paused { finishScript(of: target.value, engine: engine, lock: lock, loop: loop) }
        }
    }

    /// Sends `last` and whatever was written before it, then closes (Redis's reply-then-close).
    private func close(after last: ByteBuffer, context: ChannelHandlerContext) {
        flushReplies(context)
        // Nothing left to write: at once.
        if last.readableBytes == 0 && pipelineWrites == 0 && pipelineWritesTracked {
            return context.close(promise: nil)
        }
        let channel = context.channel
        context.writeAndFlush(wrapOutboundOut(last)).whenComplete { _ in
            channel.close(promise: nil)
        }
    }

    /// The client closed its side: finish what it sent (replies held for the log
    /// included), then close, as Redis answers a request followed by EOF.
    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        guard case ChannelEvent.inputClosed = event else { return context.fireUserInboundEventTriggered(event) }
        guard !closing else { return }
        closing = true
        pending = nil
        if !held.isEmpty {
            closeWhenReleased = true
            return
        }
        close(after: context.channel.allocator.buffer(capacity: 0), context: context)
    }

    func errorCaught(context: ChannelHandlerContext, error: Error) {
        context.close(promise: nil)
    }

    // MARK: - Running requests

    /// Replies handed to the channel in pieces of at most about this size, so a
    /// pipeline of large replies never grows one buffer toward ByteBuffer's 4 GiB limit.
    static let replyChunk = 64 << 20

    /// Below this much pending input no limit can apply (the smallest query buffer limit is 1 MB):
    /// the common case skips the lock.
    static let queryBufferCheckFloor = 1 << 20

    /// Reply buffers up to this size are kept for the connection's next batch (Redis keeps 16 KB per client too).
    static let keptReplyCapacity = 16 << 10

    private func process(context: ChannelHandlerContext) {
        while processOnce(context: context) {}
    }

    /// Runs what is pending; returns true when it stopped early to hand over a full reply chunk.
    private func processOnce(context: ChannelHandlerContext) -> Bool {
        guard let session else { return false }
        var failure: ProtocolError? = nil
        var buffer = pending ?? context.channel.allocator.buffer(capacity: 0)
        var transfer: (ReplicaLink.Transfer, link: ReplicaLink)? = nil
        let (consumed, replies, deadline, kill, tracked, logWait, scriptPaused): (Int, ByteBuffer, Int64?, Bool, Bool, LogWait?, Bool) = lock.withLock {
            var consumed = 0
            session.wakeupScheduled = false
            // A blocked, paused or killed client (CLIENT KILL, ACL changes) runs nothing; what it sends waits in `pending`.
            if session.blocked == nil && !session.postponed && !session.killRequested && !session.runsScript && !engine.halted
                && buffer.readableBytes > 0 {
                // Rewinds in place when the last batch's bytes are out (it allocates only if the socket still holds them).
                if session.reply.readableBytes == 0 && session.reply.writerIndex > 0 { session.reply.clear() }
                engine.limits(into: &parser.limits)
                engine.stats.readsProcessed += 1
                engine.beginBatch(for: session)
                // The whole read counts while it runs, as Redis trims its query buffer after the batch.
                session.queryBufferLength = buffer.readableBytes
                consumed = buffer.withUnsafeReadableBytes { bytes in
                    runRequests(in: bytes, parser: &self.parser, session: session, failure: &failure)
                }
                parser.shrinkArgumentStorage()
                engine.endBatch()
                engine.stats.netInputBytes += consumed
            }
            session.queryBufferLength = buffer.readableBytes - consumed
            if let failure {
                session.reply.writeError(bytes: failure.message)
                engine.countError(failure.message)
            }
            // Replies are taken under the lock: a command on another event loop may be
            // serving this client (a blocked pop) and writing into its buffer. A paused
            // script's caller gets nothing until it ends, as Redis protects it: an EXEC's
            // first replies would go out before its writes reach the log.
            let replies = session.runsScript ? context.channel.allocator.buffer(capacity: 0) : session.reply
            // Unsent output is counted only where a limit applies (subscribers by default).
            let tracked = engine.tracksOutput(of: session)
            if replies.readableBytes > 0 {
                engine.stats.netOutputBytes += replies.readableBytes
                engine.stats.writesProcessed += 1
                // The storage stays with the session: once the socket has taken these
                // bytes it is ours alone again, and the next batch reuses it (no
                // allocation or regrowth per batch). Large ones are let go.
                if replies.capacity <= Self.keptReplyCapacity {
                    session.reply.moveReaderIndex(forwardBy: replies.readableBytes)
                } else {
                    session.reply = context.channel.allocator.buffer(capacity: 512)
                }
                if tracked { session.unsentBytes += replies.readableBytes }
            }
            let kill = session.killRequested || (tracked && engine.outputLimitExceeded(session))
            // The batch's writes go to the log in the order they ran.
            let logWait = persistence.takeRecords()
            // A replica's snapshot (or a piece of one, or the stream held after one) is ready: it
            // goes out behind every reply before it. Behind replies held for the disk it is taken
            // once they are out (`release`); until then the stream keeps collecting behind it.
            // Not by a connection about to close: its closing gives back a chunk it never took.
            if !kill, let link = session.replica, held.isEmpty && logWait == nil { transfer = link.takeTransfer().map { ($0, link) } }
            return (consumed, replies, session.blocked?.deadline, kill, tracked, logWait, session.runsScript)
        }
        if scriptPaused { scheduleScriptSlice(context) }
        if kill {
            // Over its output buffer limit: Redis closes such a client at once, dropping its output.
            closing = true
            pending = nil
            context.close(promise: nil)
            return false
        }
        buffer.moveReaderIndex(forwardBy: consumed)
        pending = buffer.readableBytes > 0 ? buffer : nil
        if pending == nil { neededBytes = 0 }

        if let logWait {
            // Sent once the log has the batch's writes (synced, under `always`).
            held.append((logWait.offset, replies, tracked))
            beforeSleep.add(self, logWait)
        } else if !held.isEmpty {
            // Behind replies still waiting for the disk: keep the order.
            if replies.readableBytes > 0 { held.append((held.last!.offset, replies, tracked)) }
        } else {
            send(replies, tracked: tracked, context: context)
        }
        if let transfer { send(transfer.0, to: transfer.link, context: context) }
        if let deadline, deadline > 0, deadline != timerDeadline {
            scheduleTimeout(deadline, context: context, session: session)
        }
        if failure != nil || session.closeAfterReply {
            // As Redis: reply, then close; anything pipelined after is dropped.
            closing = true
            pending = nil
            if !held.isEmpty {
                closeWhenReleased = true
                return false
            }
            close(after: context.channel.allocator.buffer(capacity: 0), context: context)
            return false
        }
        return consumed > 0 && pending != nil && replies.readableBytes >= Self.replyChunk
    }

    // MARK: - Sending replies

    /// Queues `replies` behind those not yet sent. Output counted toward a limit
    /// (`tracked`) is counted until the socket has it, so it goes through the pipeline.
    private func send(_ replies: ByteBuffer, tracked: Bool, context: ChannelHandlerContext) {
        guard replies.readableBytes > 0 else { return }
        guard tracked else {
            guard outgoing != nil else { outgoing = replies; return }
            // A long pipeline of large replies leaves in pieces (`replyChunk`), never as
            // one buffer growing toward ByteBuffer's 4 GiB limit.
            if outgoing!.readableBytes + replies.readableBytes > Self.replyChunk {
                flushReplies(context)
                outgoing = replies
            } else {
                outgoing!.writeImmutableBuffer(replies)
            }
            return
        }
        if let waiting = outgoing {
            outgoing = nil
            writeToPipeline(waiting, context: context)
        }
        writeToPipeline(replies, context: context, counted: true)
    }

    /// Sends the replies not yet sent: with one `send` to the socket when nothing
    /// waits in the pipeline (so the order holds), the rest through the pipeline.
    private func flushReplies(_ context: ChannelHandlerContext) {
        if var replies = outgoing {
            outgoing = nil
            if flushesBeforeSocketLookup >= 0 { countFlushBeforeSocketLookup(context) }
            // An inactive channel's descriptor is closed and may be another connection's by now.
            if socket >= 0 && pipelineWrites == 0 && context.channel.isActive {
                let sent = replies.withUnsafeReadableBytes { ConnectionSocket.sendNow(socket, $0) }
                // A full socket buffer or an error: the pipeline takes the rest (and reports the error).
                if sent > 0 { replies.moveReaderIndex(forwardBy: sent) }
            }
            if replies.readableBytes > 0 { writeToPipeline(replies, context: context) }
        }
        if pipelineUnflushed {
            pipelineUnflushed = false
            context.flush()
        }
    }

    private func countFlushBeforeSocketLookup(_ context: ChannelHandlerContext) {
        if flushesBeforeSocketLookup == 0 && context.channel.isActive {
            socket = ConnectionSocket.descriptor(of: context.channel) ?? -1
        }
        flushesBeforeSocketLookup -= 1
    }

    /// Whether `pipelineWrites` counts every write: whenever a socket is or may be in use
    /// (before the lookup, so that sends to the socket found wait for them). With no
    /// socket of its own, everything goes through the pipeline and keeps its order untracked.
    private var pipelineWritesTracked: Bool { socket >= 0 || flushesBeforeSocketLookup >= 0 }

    private func writeToPipeline(_ replies: ByteBuffer, context: ChannelHandlerContext, counted: Bool = false) {
        pipelineUnflushed = true
        guard pipelineWritesTracked || counted else {
            return context.write(wrapOutboundOut(replies), promise: nil)
        }
        pipelineWrites += 1
        let size = replies.readableBytes, lock = self.lock, counted = counted ? session : nil
        let bound = NIOLoopBound(self, eventLoop: context.eventLoop)
        context.write(wrapOutboundOut(replies)).whenComplete { _ in
            bound.value.pipelineWrites -= 1
            if let counted { lock.withLock { counted.unsentBytes -= size } }
        }
    }

    /// Sends a replica what its link has ready besides replies, behind every reply before it:
    /// - a snapshot file (disk-based sync: `$<size>\r\n` and the file's bytes, by
    ///   sendfile), then the stream written meanwhile;
    /// - a chunk of a snapshot streamed to it (diskless sync): the transfer reads the next
    ///   chunk once every replica has written this one;
    /// - the stream held after a streamed snapshot until the replica's first ACK.
    private func send(_ transfer: ReplicaLink.Transfer, to link: ReplicaLink, context: ChannelHandlerContext) {
        flushReplies(context)
        let bound = NIOLoopBound(self, eventLoop: context.eventLoop), lock = self.lock
        switch transfer {
        case .file(let snapshot, let after):
            guard let descriptor = snapshot.take() else { return }
            let file = NIOFileHandle(_deprecatedTakingOwnershipOfDescriptor: descriptor)
            var header = context.channel.allocator.buffer(capacity: 24)
            header.writeString("$\(snapshot.size)\r\n")
            writeToPipeline(header, context: context)
            pipelineWrites += 1
            pipelineUnflushed = true
            let region = FileRegion(fileHandle: file, readerIndex: 0, endIndex: snapshot.size)
            context.write(NIOAny(IOData.fileRegion(region))).whenComplete { result in
                try? file.close()
                bound.value.pipelineWrites -= 1
                guard case .success = result else { return bound.value.context?.close(promise: nil) ?? () }
                lock.withLock { link.snapshotSent() }
            }
            if after.readableBytes > 0 { writeToPipeline(after, context: context) }
        case .chunk(let chunk):
            pipelineWrites += 1
            pipelineUnflushed = true
            context.write(wrapOutboundOut(chunk)).whenComplete { result in
                bound.value.pipelineWrites -= 1
                guard case .failure(let error) = result else { return lock.withLock { link.chunkWritten() } }
                lock.withLock { link.chunkWritten(failure: ConnectionSocket.errorText(error)) }
                bound.value.context?.close(promise: nil)
            }
        case .stream(let stream):
            if stream.readableBytes > 0 { writeToPipeline(stream, context: context) }
        }
        flushReplies(context)
    }

    /// The log has what the replies held up to `offset` acknowledge: send them.
    func release(through offset: UInt64) {
        guard let context else { return }
        while let first = held.first, first.offset <= offset {
            held.removeFirst()
            send(first.replies, tracked: first.tracked, context: context)
        }
        // A replica's snapshot waited behind them.
        if held.isEmpty, let link = session?.replica, let transfer = lock.withLock({ link.takeTransfer() }) {
            send(transfer, to: link, context: context)
        }
        guard held.isEmpty && closeWhenReleased else { return flushReplies(context) }
        close(after: context.channel.allocator.buffer(capacity: 0), context: context)
    }

    /// Wakes the client with its timeout reply once `deadline` (Unix ms) passes.
    private func scheduleTimeout(_ deadline: Int64, context: ChannelHandlerContext, session: ClientSession) {
        timerDeadline = deadline
        let engine = self.engine, lock = self.lock
        let delay = max(0, deadline - Clock.milliseconds()) + 1
        let target = NIOLoopBound(session, eventLoop: context.eventLoop)
        context.eventLoop.scheduleTask(in: .milliseconds(delay)) {
            lock.withLock { engine.blockTimedOut(target.value, deadline: deadline) }
        }
    }

    /// Parses and runs every complete request in `bytes`; returns how many bytes it used.
    /// `parser` is the handler's own, passed in place: a class's stored array read on
    /// every command would be retained each time, and a copy of the parser would share
    /// its argument array, so that every batch reallocated it.
    private func runRequests(in bytes: UnsafeRawBufferPointer, parser: inout RequestParser, session: ClientSession,
                             failure: inout ProtocolError?) -> Int {
        var position = 0
        while position < bytes.count && !session.closeAfterReply && session.blocked == nil && !session.runsScript
                && session.reply.readableBytes < Self.replyChunk {
            switch parser.parse(bytes, from: position, authenticated: !session.mustAuthenticate) {
            case .command(let end):
                parser.withArguments { spans in
                    session.execute(Arguments(base: bytes.baseAddress!, spans: spans))
                }
                // Held by CLIENT PAUSE: the command stays unread and is parsed again once woken.
                if session.postponed { neededBytes = 0; return position }
                position = end
            case .inline(let start, let lineEnd, let end):
                guard splitter.split(UnsafeRawBufferPointer(rebasing: bytes[start..<lineEnd])) else {
                    failure = .unbalancedQuotes
                    return position
                }
                if !splitter.spans.isEmpty {
                    splitter.storage.withUnsafeBytes { storage in
                        splitter.spans.withUnsafeBufferPointer { spans in
                            session.execute(Arguments(base: storage.baseAddress ?? UnsafeRawPointer(bytes.baseAddress!), spans: spans))
                        }
                    }
                }
                if session.postponed { neededBytes = 0; return position }
                position = end
            case .empty(let end):
                position = end
                if session.replica != nil { engine.replication.keptAlive(session) }
            case .incomplete(let atLeast):
                neededBytes = atLeast - position
                return position
            case .error(let error):
                failure = error
                return position
            }
        }
        neededBytes = 0
        return position
    }
}

extension Engine {
    /// The protocol limits the current configuration asks for.
    func limits(into limits: inout ProtocolLimits) {
        limits.maxBulkLength = protoMaxBulkLength
    }
}
