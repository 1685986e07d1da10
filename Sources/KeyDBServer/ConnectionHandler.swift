import KeyDBEngine
import KeyDBRESP
import NIOConcurrencyHelpers
import NIOCore

/// One client connection: decodes requests straight from the receive
/// buffer, runs them, and writes the replies — all in one handler, with the
/// keyspace lock taken once per read and one flush per read batch.
final class ConnectionHandler: ChannelInboundHandler {
    typealias InboundIn = ByteBuffer
    typealias OutboundOut = ByteBuffer

    private let engine: Engine
    private let lock: NIOLock
    private var session: ClientSession?
    private var parser: RequestParser
    private var splitter = InlineSplitter()
    /// Bytes received and not yet run.
    private var pending: ByteBuffer?
    /// Do not parse again until this many bytes are pending (a large argument is arriving).
    private var neededBytes = 0
    private var closing = false

    init(engine: Engine, lock: NIOLock, limits: ProtocolLimits) {
        self.engine = engine
        self.lock = lock
        self.parser = RequestParser(limits: limits)
    }

    func channelActive(context: ChannelHandlerContext) {
        let channel = context.channel
        let session = lock.withLock {
            let session = ClientSession(engine: engine,
                                        address: channel.remoteAddress.map(Self.describe) ?? "",
                                        localAddress: channel.localAddress.map(Self.describe) ?? "",
                                        fileDescriptor: -1,
                                        allocator: channel.allocator)
            engine.register(session)
            return session
        }
        self.session = session
        context.fireChannelActive()
    }

    func channelInactive(context: ChannelHandlerContext) {
        if let session {
            lock.withLock { engine.unregister(session) }
        }
        session = nil
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
        guard pending!.readableBytes >= neededBytes else { return }
        process(context: context)
    }

    func channelReadComplete(context: ChannelHandlerContext) {
        context.flush()
    }

    func errorCaught(context: ChannelHandlerContext, error: Error) {
        context.close(promise: nil)
    }

    // MARK: - Running requests

    private func process(context: ChannelHandlerContext) {
        guard let session, var buffer = pending, buffer.readableBytes > 0 else { return }
        var failure: ProtocolError? = nil
        let consumed: Int = lock.withLock {
            engine.limits(into: &parser.limits)
            engine.stats.readsProcessed += 1
            engine.stats.netInputBytes += buffer.readableBytes
            engine.beginBatch()
            defer { engine.endBatch() }
            return buffer.withUnsafeReadableBytes { bytes in
                runRequests(in: bytes, session: session, failure: &failure)
            }
        }
        buffer.moveReaderIndex(forwardBy: consumed)
        pending = buffer.readableBytes > 0 ? buffer : nil
        if pending == nil { neededBytes = 0 }

        if let failure {
            session.reply.writeError(bytes: failure.message)
            lock.withLock { engine.countError(failure.message) }
        }
        if session.reply.readableBytes > 0 {
            lock.withLock {
                engine.stats.netOutputBytes += session.reply.readableBytes
                engine.stats.writesProcessed += 1
            }
            context.write(wrapOutboundOut(session.reply), promise: nil)
            session.reply = context.channel.allocator.buffer(capacity: 512)
        }
        if failure != nil || session.closeAfterReply {
            // As Redis: reply, then close; anything pipelined after is dropped.
            closing = true
            pending = nil
            let channel = context.channel
            context.writeAndFlush(wrapOutboundOut(channel.allocator.buffer(capacity: 0))).whenComplete { _ in
                channel.close(promise: nil)
            }
        }
    }

    /// Parses and runs every complete request in `bytes`; returns how many bytes it used.
    private func runRequests(in bytes: UnsafeRawBufferPointer, session: ClientSession, failure: inout ProtocolError?) -> Int {
        var position = 0
        while position < bytes.count && !session.closeAfterReply {
            switch parser.parse(bytes, from: position, authenticated: session.authenticated) {
            case .command(let end):
                parser.arguments.withUnsafeBufferPointer { spans in
                    session.execute(Arguments(base: bytes.baseAddress!, spans: spans))
                }
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
                position = end
            case .empty(let end):
                position = end
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

    static func describe(_ address: SocketAddress) -> String {
        "\(address.ipAddress ?? "?"):\(address.port ?? 0)"
    }
}

extension Engine {
    /// The protocol limits the current configuration asks for.
    func limits(into limits: inout ProtocolLimits) {
        limits.maxBulkLength = configuration.protoMaxBulkLength
    }
}
