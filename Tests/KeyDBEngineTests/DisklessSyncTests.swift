@testable import KeyDBEngine
import NIOConcurrencyHelpers
import NIOCore
import Testing

/// Diskless sync on the engine's side, without sockets or a child: when the
/// replicas' snapshot starts, how its chunks reach them, and the stream held
/// until their first ACK.
@Suite struct DisklessSyncTests {
    private func text(_ buffer: ByteBuffer) -> String { String(buffer: buffer) }

    /// A replica that said `capa eof` and asked for a full resync.
    private func waiting(_ h: EngineHarness, port: Int = 6380) -> TestClient {
        let replica = h.connect()
        _ = replica.run("REPLCONF", "listening-port", "\(port)")
        _ = replica.run("REPLCONF", "capa", "eof", "capa", "psync2")
        _ = replica.run("PSYNC", "?", "-1")
        return replica
    }

    /// A waiting replica whose streamed snapshot has started (its +FULLRESYNC taken).
    private func streaming(_ h: EngineHarness) -> (TestClient, SnapshotStream) {
        let replica = waiting(h)
        let stream = SnapshotStream()
        h.engine.replication.snapshotStarted(engine: h.engine, stream: stream)
        _ = replica.takeDelivered()
        return (replica, stream)
    }

    @Test("streamed after repl-diskless-sync-delay, or once repl-diskless-sync-max-replicas wait; to disk when one lacks capa eof or it is off")
    func whenAndHow() throws {
        let h = EngineHarness()
        let replication = h.engine.replication
        let now = Clock.milliseconds()
        #expect(replication.snapshotDue(engine: h.engine, now: now) == nil)
        _ = waiting(h)
        #expect(replication.snapshotDue(engine: h.engine, now: now) == nil)
        #expect(replication.snapshotDue(engine: h.engine, now: now + 5000) == .replicas)
        #expect(h.run("CONFIG", "SET", "repl-diskless-sync", "no") == "+OK\r\n")
        #expect(replication.snapshotDue(engine: h.engine, now: now) == .disk)
        #expect(h.run("CONFIG", "SET", "repl-diskless-sync", "yes") == "+OK\r\n")
        #expect(h.run("CONFIG", "SET", "repl-diskless-sync-max-replicas", "2") == "+OK\r\n")
        _ = waiting(h, port: 6381)
        #expect(replication.snapshotDue(engine: h.engine, now: now) == .replicas)
        #expect(h.run("CONFIG", "SET", "repl-diskless-sync-max-replicas", "0") == "+OK\r\n")
        #expect(h.run("CONFIG", "SET", "repl-diskless-sync-delay", "0") == "+OK\r\n")
        #expect(replication.snapshotDue(engine: h.engine, now: now) == .replicas)
        // A user's BGSAVE serves none of them: they wait for a streamed snapshot.
        replication.snapshotStarted(engine: h.engine)
        #expect(replication.replicas.allSatisfy { $0.state == .waitSnapshotStart })
        // One that reads only `$<size>` needs the disk: they all get one from disk, at once.
        let old = h.connect()
        _ = old.run("PSYNC", "?", "-1")
        #expect(replication.snapshotDue(engine: h.engine, now: now) == .disk)
        replication.snapshotStarted(engine: h.engine, forReplicas: true)
        #expect(replication.replicas.allSatisfy { $0.state == .waitSnapshotEnd && $0.stream == nil })
        #expect(replication.snapshotDue(engine: h.engine, now: now) == nil)
        // A later one joins that snapshot, being written.
        #expect(waiting(h, port: 6383).session.replica?.state == .waitSnapshotEnd)
    }

    @Test("chunks go to each replica of the transfer; online at the child's end, the stream held until the first ACK, which gets no reply")
    func transferThenStream() throws {
        let h = EngineHarness()
        let replica = waiting(h)
        let link = try #require(replica.session.replica)
        // A user's BGSAVE to disk does not take a replica waiting for a streamed snapshot.
        h.engine.replication.snapshotStarted(engine: h.engine)
        #expect(link.state == .waitSnapshotStart && replica.takeDelivered() == "")
        _ = h.run("SET", "before", "1")
        h.drainToReplicas()
        let stream = SnapshotStream()
        h.engine.replication.snapshotStarted(engine: h.engine, stream: stream)
        #expect(replica.takeDelivered() == "+FULLRESYNC \(h.engine.replication.replid) \(h.engine.replication.offset)\r\n")
        #expect(h.run("INFO", "replication").contains("slave0:ip=,port=6380,state=wait_bgsave,"))
        #expect(stream.offer(ByteBuffer(string: "$EOF:mark\r\nREDIS"), replication: h.engine.replication, now: 100) == 1)
        #expect(replica.woken.value && link.partialWriteSince == 100)
        guard case .chunk(let chunk) = try #require(link.takeTransfer()) else { Issue.record("no chunk"); return }
        #expect(text(chunk) == "$EOF:mark\r\nREDIS" && stream.unwrittenChunks == 1)
        link.chunkWritten()
        #expect(stream.unwrittenChunks == 0 && link.partialWriteSince == 0)
        stream.waitUntilWritten()
        _ = h.run("SET", "during", "2")
        h.drainToReplicas()
        h.engine.replication.snapshotFinished(succeeded: true, engine: h.engine)
        #expect(link.state == .online && link.stream == nil)
        #expect(h.run("ROLE").contains("6380"))
        _ = h.run("SET", "after", "3")
        h.drainToReplicas()
        // Nothing may follow the snapshot's end mark until the replica has found it.
        #expect(link.takeTransfer() == nil && replica.takeDelivered() == "")
        #expect(replica.run("REPLCONF", "ACK", "0") == "")
        #expect(!replica.session.killRequested)
        guard case .stream(let held) = try #require(link.takeTransfer()) else { Issue.record("no stream"); return }
        #expect(text(held) == "*2\r\n$6\r\nSELECT\r\n$1\r\n0\r\n" + "*3\r\n$3\r\nSET\r\n$6\r\nduring\r\n$1\r\n2\r\n"
            + "*3\r\n$3\r\nSET\r\n$5\r\nafter\r\n$1\r\n3\r\n")
        _ = h.run("DEL", "after")
        h.drainToReplicas()
        #expect(replica.takeDelivered() == "*2\r\n$3\r\nDEL\r\n$5\r\nafter\r\n")
    }

    @Test("an ACK once the whole pipe was read puts the replica online before the child's exit is seen")
    func ackBeforeTheChildsExit() throws {
        let h = EngineHarness()
        let (replica, stream) = streaming(h)
        let link = try #require(replica.session.replica)
        _ = h.run("SET", "during", "1")
        h.drainToReplicas()
        // Not before the end: an ACK then changes nothing.
        #expect(replica.run("REPLCONF", "ACK", "0") == "")
        #expect(link.state == .waitSnapshotEnd && link.takeTransfer() == nil)
        stream.delivered = true
        #expect(replica.run("REPLCONF", "ACK", "0") == "")
        #expect(link.state == .online && h.engine.replication.goodReplicas(maxLag: 10) == 1)
        guard case .stream(let held) = try #require(link.takeTransfer()) else { Issue.record("no stream"); return }
        #expect(text(held).hasSuffix("*3\r\n$3\r\nSET\r\n$6\r\nduring\r\n$1\r\n1\r\n"))
        // The child's exit, seen later, finds nothing left to do.
        h.engine.replication.snapshotFinished(succeeded: true, engine: h.engine)
        #expect(link.state == .online && link.takeTransfer() == nil && !replica.session.killRequested)
    }

    @Test("a replica that leaves before taking its chunk releases the transfer; with none left, offer finds no one")
    func replicaLeaves() throws {
        let h = EngineHarness()
        let (replica, stream) = streaming(h)
        #expect(stream.offer(ByteBuffer(string: "x"), replication: h.engine.replication, now: 0) == 1)
        h.engine.unregister(replica.session)
        #expect(stream.unwrittenChunks == 0)
        #expect(stream.replicasUp(in: h.engine.replication) == 0)
        #expect(stream.offer(ByteBuffer(string: "y"), replication: h.engine.replication, now: 0) == 0)
    }

    @Test("a failed transfer drops its replicas; keepalive newlines only to replicas not being streamed to; a stalled one times out")
    func failureKeepaliveAndTimeout() throws {
        let h = EngineHarness()
        let (streamed, _) = streaming(h)
        let queued = waiting(h, port: 6381)
        let warnings = NIOLockedValueBox<[String]>([])
        h.engine.logWarning = { line in warnings.withLockedValue { $0.append(line) } }
        h.engine.replication.lastCron = 0
        h.engine.replication.cron(engine: h.engine)
        #expect(streamed.takeDelivered() == "" && queued.takeDelivered() == "\n")
        // Stalled on a chunk past repl-timeout (60 s by default): dropped, as Redis's "full sync" timeout.
        let link = try #require(streamed.session.replica)
        link.partialWriteSince = Clock.milliseconds() / 1000 - 61
        h.engine.replication.lastCron = 0
        h.engine.replication.cron(engine: h.engine)
        #expect(streamed.session.killRequested && !queued.session.killRequested)
        #expect(warnings.withLockedValue { $0 } == ["Disconnecting timedout replica (full sync): :6380"])
        // The next transfer takes every replica waiting; when it fails, they all go.
        let other = waiting(h, port: 6382)
        let second = SnapshotStream()
        h.engine.replication.snapshotStarted(engine: h.engine, stream: second)
        #expect(queued.session.replica?.stream === second && other.session.replica?.stream === second)
        h.engine.replication.dropStreamReplicas(of: second)
        #expect(other.session.killRequested && queued.session.killRequested)
    }

    @Test("a stopped transfer waits for no chunk: cancel releases the reader, and a late write does not count below zero")
    func cancelReleasesTheReader() throws {
        let h = EngineHarness()
        let (replica, stream) = streaming(h)
        let link = try #require(replica.session.replica)
        #expect(stream.offer(ByteBuffer(string: "x"), replication: h.engine.replication, now: 0) == 1)
        guard case .chunk = try #require(link.takeTransfer()) else { Issue.record("no chunk"); return }
        stream.cancel()
        #expect(stream.unwrittenChunks == 0 && stream.cancelled)
        stream.waitUntilWritten()
        link.chunkWritten()
        #expect(stream.unwrittenChunks == 0)
    }

    @Test("a replica does not join a snapshot from disk that failed: it waits for the next one")
    func noJoiningAFailedSnapshot() throws {
        let h = EngineHarness()
        #expect(h.run("CONFIG", "SET", "repl-diskless-sync", "no") == "+OK\r\n")
        let first = h.connect()
        _ = first.run("PSYNC", "?", "-1")
        h.engine.replication.snapshotStarted(engine: h.engine, forReplicas: true)
        h.engine.replication.snapshotFinished(succeeded: false, engine: h.engine)
        #expect(first.session.killRequested && first.session.replica?.state == .waitSnapshotEnd)
        let late = h.connect()
        #expect(late.run("PSYNC", "?", "-1") == "")
        #expect(late.session.replica?.state == .waitSnapshotStart)
    }

    @Test("INFO: mem_total_replication_buffers counts the backlog and the stream held for a replica, connected_clients no replica")
    func replicationBuffersMemory() throws {
        let h = EngineHarness()
        _ = streaming(h)
        func field(_ name: String, in section: String = "memory") -> Int {
            let line = h.run("INFO", section).split(separator: "\r\n").first { $0.hasPrefix(name + ":") }
            return line.flatMap { Int($0.dropFirst(name.count + 1)) } ?? -1
        }
        // Replicas are not among the connected clients, as in Redis: only the harness's own client is.
        #expect(field("connected_clients", in: "clients") == 1)
        let before = field("mem_total_replication_buffers")
        #expect(before == field("mem_replication_backlog") + field("mem_clients_slaves") && before >= 1 << 20)
        _ = h.run("SET", "k", String(repeating: "v", count: 100_000))
        h.drainToReplicas()
        #expect(field("mem_total_replication_buffers") >= before + 100_000)
    }

    @Test("when no snapshot can start, the replicas waiting get Redis's error and are closed")
    func snapshotFailsToStart() throws {
        let h = EngineHarness()
        let replica = waiting(h)
        h.engine.replication.snapshotFailedToStart(engine: h.engine)
        #expect(replica.session.replica == nil && replica.session.closeAfterReply)
        #expect(replica.takeDelivered() == "-ERR BGSAVE failed, replication can't continue\r\n")
        #expect(h.engine.replication.replicas.isEmpty)
    }
}
