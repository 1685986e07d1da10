import KeyDBEngine
import KeyDBPersistence
import KeyDBRESP
import KeyDBTestSupport
import NIOConcurrencyHelpers
import NIOCore
import NIOEmbedded
import Testing
@testable import KeyDBServer

@Suite("reply chunks")
struct ReplyChunkTests {
    /// Replies wait for the end of the turn, but a pipeline of large ones must not
    /// wait in one buffer: past `replyChunk` what is queued leaves first (a buffer
    /// past 4 GiB would trap in ByteBuffer).
    @Test("a long pipeline of large replies leaves in pieces before the turn ends")
    func largeRepliesLeaveInPieces() throws {
        let engine = Engine()
        let lock = NIOLock()
        let loop = EmbeddedEventLoop()
        let persistence = Persistence(engine: engine, withKeyspace: { lock.withLock($0) }, logNotice: { _ in }, logWarning: { _ in })
        let handler = ConnectionHandler(engine: engine, lock: lock, persistence: persistence,
                                        beforeSleep: BeforeSleep(loop: loop, engine: engine, lock: lock), limits: ProtocolLimits())
        let channel = EmbeddedChannel(handler: handler, loop: loop)
        try channel.connect(to: SocketAddress(ipAddress: "127.0.0.1", port: 6379)).wait()
        defer { _ = try? channel.finish() }

        let size = 10 << 20
        var request = RawClient.encodeCommand(["SET", "big", String(repeating: "v", count: size)])
        try channel.writeInbound(ByteBuffer(bytes: request))
        loop.run()
        while try channel.readOutbound(as: ByteBuffer.self) != nil {}

        let gets = 14  // 140 MiB of replies, two 64 MiB chunks and more
        request = (0..<gets).flatMap { _ in RawClient.encodeCommand(["GET", "big"]) }
        try channel.writeInbound(ByteBuffer(bytes: request))
        var early: [Int] = []
        while let piece = try channel.readOutbound(as: ByteBuffer.self) { early.append(piece.readableBytes) }
        loop.run()
        var pieces = early
        while let piece = try channel.readOutbound(as: ByteBuffer.self) { pieces.append(piece.readableBytes) }

        let reply = "$\(size)\r\n".utf8.count + size + 2
        #expect(pieces.reduce(0, +) == gets * reply)
        #expect(!early.isEmpty, "nothing was sent before the turn ended")
        #expect(pieces.allSatisfy { $0 <= ConnectionHandler.replyChunk + reply }, "pieces sent: \(pieces)")
    }
}
