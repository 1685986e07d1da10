import Foundation
import Glibc
import KeyDBTestSupport
import NIOConcurrencyHelpers
import NIOCore
import NIOPosix
import Testing
@testable import KeyDBServer

// Replies are sent straight to the connection's socket, whose descriptor SwiftNIO
// names only in its description: these fail if that stops working, and check that
// replies keep their order when the socket cannot take them all at once.

#if os(Linux)
@Suite("connection socket")
struct ConnectionSocketTests {
    /// Records the descriptor found for each accepted connection.
    final class Recorder: ChannelInboundHandler, Sendable {
        typealias InboundIn = ByteBuffer
        let found = NIOLockedValueBox<[CInt?]>([])
        func channelActive(context: ChannelHandlerContext) {
            let fd = ConnectionSocket.descriptor(of: context.channel)
            found.withLockedValue { $0.append(fd) }
        }
    }

    @Test("a connection's descriptor is found, and is that connection's")
    func descriptorFound() throws {
        let group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
        defer { try? group.syncShutdownGracefully() }
        let recorder = Recorder()
        let listener = try ServerBootstrap(group: group)
            .childChannelInitializer { channel in
                channel.eventLoop.makeCompletedFuture { try channel.pipeline.syncOperations.addHandler(recorder) }
            }
            .bind(host: "127.0.0.1", port: 0).wait()
        defer { try? listener.close().wait() }
        let port = try #require(listener.localAddress?.port)
        let clients = try (0..<3).map { _ in try RawClient(port: UInt16(port)) }
        let deadline = Date().addingTimeInterval(5)
        while recorder.found.withLockedValue({ $0.count }) < clients.count && Date() < deadline { usleep(1000) }
        let found = recorder.found.withLockedValue { $0 }
        #expect(found.count == clients.count)
        // Three connections, three different sockets, each a TCP socket of this process.
        let descriptors = found.compactMap { $0 }
        #expect(descriptors.count == clients.count)
        #expect(Set(descriptors).count == clients.count)
        for fd in descriptors {
            var type: CInt = 0
            var length = socklen_t(MemoryLayout<CInt>.size)
            #expect(getsockopt(fd, SOL_SOCKET, SO_TYPE, &type, &length) == 0 && type == CInt(SOCK_STREAM.rawValue))
        }
        for client in clients { client.close() }
    }

    /// A reply larger than the socket takes at once is sent partly, the rest through
    /// the channel; replies after it (the same batch's and later ones) must follow it.
    @Test("replies keep their order when the socket takes only part of one")
    func orderAcrossPartialSends() throws {
        let server = try ServerProcess.start()
        let client = try RawClient(port: server.port, timeout: 30)
        let big = String(repeating: "x", count: 8 << 20)
        #expect(try client.commandString(["SET", "big", big]) == "+OK\r\n")
        // Pipelined and not read for a while: the socket buffers fill mid-reply.
        var batch: [UInt8] = []
        for round in 0..<4 {
            batch += RawClient.encodeCommand(["GET", "big"])
            batch += RawClient.encodeCommand(["ECHO", "after-\(round)"])
        }
        try client.send(batch)
        // Later requests, each in a turn of its own, while the big replies still wait.
        for later in 0..<5 {
            usleep(40_000)
            try client.sendCommand(["ECHO", "later-\(later)"])
        }
        for round in 0..<4 {
            let reply = try client.readReply()
            #expect(reply.count == (8 << 20) + "$8388608\r\n\r\n".utf8.count)
            #expect(Array(reply.prefix(11)) == Array("$8388608\r\nx".utf8))
            #expect(try client.readReplyString() == "$7\r\nafter-\(round)\r\n")
        }
        for later in 0..<5 { #expect(try client.readReplyString() == "$7\r\nlater-\(later)\r\n") }
        #expect(try client.commandString(["PING"]) == "+PONG\r\n")
    }
}
#endif
