import CMemoryAccounting
import KeyDBEngine
import KeyDBPersistence
import KeyDBRESP
@testable import KeyDBServer
import NIOConcurrencyHelpers
import NIOCore
import NIOEmbedded
import Testing

/// Heap allocations per read through the connection handler itself, the way
/// `redis-benchmark -P 1` drives it: many connections, one command each per
/// loop turn. Whatever the handler allocates per read (not per command) shows
/// here as one allocation per request.
///
/// Only the reads are counted (parsing, running, writing the reply), not the
/// end of the turn, which runs per connection, not per command. The embedded
/// channel allocates for itself on each write, so the handler is measured
/// against one that only writes a fixed reply per read: the difference is the
/// handler's own.
@Suite struct ConnectionAllocationTests {
    static let connections = 100
    static let turns = 10
    static var reads: Int { connections * turns }

    /// Answers every read with the same reply (flushed by the harness at the turn's
    /// end): the embedded channel's own allocations for one reply per read.
    final class FixedReplyHandler: ChannelInboundHandler {
        typealias InboundIn = ByteBuffer
        typealias OutboundOut = ByteBuffer
        let reply: ByteBuffer
        init(_ reply: ByteBuffer) { self.reply = reply }
        func channelRead(context: ChannelHandlerContext, data: NIOAny) {
            context.write(wrapOutboundOut(reply), promise: nil)
        }
    }

    /// `connections` clients on one embedded loop, served by handlers `make` builds.
    struct Harness {
        let loop = EmbeddedEventLoop()
        let channels: [EmbeddedChannel]

        init(_ make: (EmbeddedEventLoop) -> ChannelHandler) throws {
            let loop = self.loop
            channels = try (0..<ConnectionAllocationTests.connections).map { index in
                let channel = EmbeddedChannel(handler: make(loop), loop: loop)
                try channel.connect(to: SocketAddress(ipAddress: "127.0.0.1", port: 10_000 + index)).wait()
                return channel
            }
        }

        /// The handlers SwiftKeyDB's server gives its connections.
        static func server() throws -> Harness {
            let engine = Engine()
            engine.quietForCounting()
            let lock = NIOLock()
            let persistence = Persistence(engine: engine, withKeyspace: { lock.withLock($0) }, logNotice: { _ in }, logWarning: { _ in })
            var beforeSleep: BeforeSleep?
            return try Harness { loop in
                if beforeSleep == nil { beforeSleep = BeforeSleep(loop: loop, engine: engine, lock: lock) }
                return ConnectionHandler(engine: engine, lock: lock, persistence: persistence,
                                         beforeSleep: beforeSleep!, limits: ProtocolLimits())
            }
        }

        /// `turns` loop turns in which every connection sends `request` once; returns the
        /// allocations the reads made and the reply bytes sent.
        func run(_ request: [UInt8]) throws -> (allocations: Int, replies: Int) {
            let reads = channels.map { channel in
                var read = channel.allocator.buffer(capacity: request.count)
                read.writeBytes(request)
                return read
            }
            var allocations = 0, replies = 0
            // A first pass sizes what is kept between turns (reply buffers, the flush list).
            for pass in 0..<2 {
                (allocations, replies) = (0, 0)
                for _ in 0..<ConnectionAllocationTests.turns {
                    allocation_counter_start()
                    for index in 0..<channels.count { try channels[index].writeInbound(reads[index]) }
                    allocations += allocation_counter_stop()
                    // The turn ends: the replies go out.
                    loop.run()
                    for channel in channels {
                        channel.flush()
                        while let reply = try channel.readOutbound(as: ByteBuffer.self) { replies += reply.readableBytes }
                    }
                }
                if pass == 1 { break }
            }
            return (allocations, replies)
        }

        func finish() { for channel in channels { _ = try? channel.finish() } }
    }

    @Test(arguments: [
        ("*3\r\n$3\r\nSET\r\n$3\r\nkey\r\n$5\r\nvalue\r\n", "+OK\r\n"),
        ("*2\r\n$3\r\nGET\r\n$3\r\nkey\r\n", "$5\r\nvalue\r\n"),
    ])
    func aSingleCommandReadAllocatesNothing(request: String, reply: String) throws {
        let server = try Harness.server()
        defer { server.finish() }
        _ = try server.run(Array("*3\r\n$3\r\nSET\r\n$3\r\nkey\r\n$5\r\nvalue\r\n".utf8))
        let served = try server.run(Array(request.utf8))
        #expect(served.replies == Self.reads * reply.utf8.count)

        let baseline = try Harness { _ in FixedReplyHandler(ByteBuffer(string: reply)) }
        defer { baseline.finish() }
        let fixed = try baseline.run(Array(request.utf8))
        #expect(fixed.replies == served.replies)

        // The end-of-turn task costs the embedded loop a few allocations a turn; one per read would be ten times that.
        let own = served.allocations - fixed.allocations
        #expect(own < Self.reads / 10, "the handler allocated \(own) times for \(Self.reads) reads (the embedded channel alone \(fixed.allocations))")
    }

    /// A weak reference to a channel gives it a side table, and every retain and
    /// release of it from then on, several per read, takes Swift's slow path.
    @Test func aServedChannelHasNoWeakReference() throws {
        let server = try Harness.server()
        defer { server.finish() }
        _ = try server.run(Array("*2\r\n$6\r\nCLIENT\r\n$4\r\nINFO\r\n".utf8))
        for channel in server.channels { #expect(_getWeakRetainCount(channel) == 1) }
    }
}
