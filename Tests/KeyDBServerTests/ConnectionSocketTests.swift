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
        let server = try Self.serverHoldingBig()
        let client = try RawClient(port: server.port, timeout: 30)
        // Pipelined and not read for a while: the socket buffers fill mid-reply.
        var batch: [UInt8] = []
        for round in 0..<4 {
            batch += RawClient.encodeCommand(["GET", "big"])
            batch += RawClient.encodeCommand(["ECHO", "after-\(round)"])
        }
        try client.send(batch)
        try Self.sendLater(client)
        for round in 0..<4 {
            try Self.expectBig(client.readReply())
            #expect(try client.readReplyString() == "$7\r\nafter-\(round)\r\n")
        }
        try Self.expectLater(client)
    }

    /// A connection's first replies go through the pipeline, before its socket is
    /// looked up: a first reply the socket takes only part of must still come
    /// before the replies sent once the socket is known.
    @Test("a connection's first reply, partly sent, stays ahead of later ones")
    func orderAcrossSocketLookup() throws {
        let server = try Self.serverHoldingBig()
        // A new connection whose first request gets the big reply, not read for a while.
        let client = try RawClient(port: server.port, timeout: 30)
        try client.sendCommand(["GET", "big"])
        try Self.sendLater(client)
        try Self.expectBig(client.readReply())
        try Self.expectLater(client)
    }

    /// A server whose key `big` holds 8 MB, more than a socket takes at once.
    static func serverHoldingBig() throws -> ServerProcess {
        let server = try ServerProcess.start()
        let setter = try RawClient(port: server.port, timeout: 30)
        #expect(try setter.commandString(["SET", "big", String(repeating: "x", count: 8 << 20)]) == "+OK\r\n")
        setter.close()
        return server
    }

    static func expectBig(_ reply: [UInt8]) {
        #expect(reply.count == (8 << 20) + "$8388608\r\n\r\n".utf8.count)
        #expect(Array(reply.prefix(11)) == Array("$8388608\r\nx".utf8))
        #expect(Array(reply.suffix(3)) == Array("x\r\n".utf8))
    }

    /// Later requests, each in a turn of its own, while a big reply still waits.
    static func sendLater(_ client: RawClient) throws {
        for later in 0..<5 {
            usleep(40_000)
            try client.sendCommand(["ECHO", "later-\(later)"])
        }
    }

    /// Their replies, in order, after everything before them; then the connection still works.
    static func expectLater(_ client: RawClient) throws {
        for later in 0..<5 { #expect(try client.readReplyString() == "$7\r\nlater-\(later)\r\n") }
        #expect(try client.commandString(["PING"]) == "+PONG\r\n")
    }

    @Test("the number after the marker is read, and nothing else")
    func describedNumber() {
        #expect(describedDescriptor(after: "fd=", in: "SocketChannel { BaseSocket { fd=17 }, active = true }") == 17)
        #expect(describedDescriptor(after: "fd=", in: "a fd=x fd=9") == nil)  // the first marker decides
        #expect(describedDescriptor(after: "fd=", in: "fd=") == nil)
        #expect(describedDescriptor(after: "fd=", in: "no marker") == nil)
        #expect(describedDescriptor(after: "fd=", in: "fd=99999999999") == nil)
        #expect(describedDescriptor(after: "descriptor = ", in: "Selector { descriptor = 5 }") == 5)
    }
}
#endif
