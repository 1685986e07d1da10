@testable import KeyDBEngine
import KeyDBPersistence
import KeyDBRESP
import KeyDBTestSupport
import NIOConcurrencyHelpers
import NIOCore
import NIOEmbedded
import Testing
@testable import KeyDBServer

/// The connection's side of a diskless transfer: each chunk offered to a replica
/// is written or given back, or the transfer would wait for it for ever.
@Suite("streamed snapshot chunks")
struct StreamedSnapshotTests {
    private struct Replica {
        let engine = Engine()
        let lock = NIOLock()
        let loop = EmbeddedEventLoop()
        let channel: EmbeddedChannel
        let link: ReplicaLink
        let stream = SnapshotStream()

        /// A connection that asked for a full resync with `capa eof`, its streamed snapshot started.
        init() throws {
            let (engine, lock, loop, stream) = (self.engine, self.lock, self.loop, self.stream)
            let persistence = Persistence(engine: engine, withKeyspace: { lock.withLock($0) }, logNotice: { _ in }, logWarning: { _ in })
            let handler = ConnectionHandler(engine: engine, lock: lock, persistence: persistence,
                                            beforeSleep: BeforeSleep(loop: loop, engine: engine, lock: lock), limits: ProtocolLimits())
            let channel = EmbeddedChannel(handler: handler, loop: loop)
            try channel.connect(to: SocketAddress(ipAddress: "127.0.0.1", port: 6379)).wait()
            // One at a time, as a replica waits for each answer (PSYNC refuses to follow unsent output).
            for command in [["REPLCONF", "capa", "eof"], ["PSYNC", "?", "-1"]] {
                try channel.writeInbound(ByteBuffer(bytes: RawClient.encodeCommand(command)))
                loop.run()
            }
            let found = lock.withLock { engine.replication.replicas.first }
            lock.withLock { engine.replication.snapshotStarted(engine: engine, stream: stream) }
            self.channel = channel
            link = try #require(found)
        }

        func offer(_ text: String) -> Int {
            lock.withLock { stream.offer(ByteBuffer(string: text), replication: engine.replication, now: 0) }
        }

        func output() throws -> String {
            var text = ""
            while let piece = try channel.readOutbound(as: ByteBuffer.self) { text += String(buffer: piece) }
            return text
        }
    }

    @Test("a chunk goes out behind +FULLRESYNC and is counted written")
    func chunkWritten() throws {
        let replica = try Replica()
        defer { _ = try? replica.channel.finish() }
        #expect(replica.offer("$EOF:mark\r\n") == 1)
        replica.loop.run()
        #expect(try replica.output().hasSuffix("\r\n$EOF:mark\r\n"))
        #expect(replica.stream.unwrittenChunks == 0)
    }

    @Test("a replica being closed (its output limit, FLUSHALL, a new history) gives its chunk back instead of dropping it")
    func killedReplicaReleasesItsChunk() throws {
        let replica = try Replica()
        #expect(replica.offer("$EOF:mark\r\n") == 1)
        // Closed before its connection took the chunk: the close must settle it.
        replica.lock.withLock {
            replica.link.session.killRequested = true
            replica.link.session.scheduleWakeup()
        }
        replica.loop.run()
        #expect(!replica.channel.isActive)
        #expect(replica.stream.unwrittenChunks == 0)
    }
}
