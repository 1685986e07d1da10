@testable import KeyDBEngine
import NIOCore
import Testing

/// The master side of replication without sockets or a snapshot child: the
/// backlog, the replies of the protocol, and where the stream goes at each step
/// of a full resync (test_replication.py runs a real Redis replica against it).
@Suite("replication")
struct ReplicationTests {
    private func text(_ buffer: ByteBuffer) -> String { String(decoding: buffer.readableBytesView, as: UTF8.self) }

    private func backlogText(_ backlog: ReplicationBacklog, from offset: Int64) -> String {
        var out = ByteBuffer()
        backlog.bytes(from: offset, into: &out)
        return text(out)
    }

    /// A stand-in for an opened snapshot file (no descriptor to close).
    private static func file() -> ReadySnapshot { ReadySnapshot(descriptor: -1, size: 5) { _ in } }

    /// A replica whose full resync has begun: PSYNC ? -1 sent, its snapshot started.
    private func syncing(_ h: EngineHarness) -> TestClient {
        let replica = h.connect()
        _ = replica.run("PSYNC", "?", "-1")
        h.engine.replication.snapshotStarted(engine: h.engine)
        return replica
    }

    @Test("the backlog keeps the newest bytes across its wrap, and knows which offsets it can serve")
    func backlogRing() {
        var backlog = ReplicationBacklog(size: 8, end: 0)
        Array("abcde".utf8).withUnsafeBytes { backlog.append($0) }
        #expect((backlog.firstOffset, backlog.end, backlog.length) == (1, 5, 5))
        #expect(backlogText(backlog, from: 3) == "cde")
        Array("fghijk".utf8).withUnsafeBytes { backlog.append($0) }
        #expect((backlog.firstOffset, backlog.end, backlog.length) == (4, 11, 8))
        #expect(backlogText(backlog, from: 4) == "defghijk")
        #expect(backlog.holds(from: 4) && backlog.holds(from: 12))
        #expect(!backlog.holds(from: 3) && !backlog.holds(from: 13))
        // Longer than the whole ring: only its tail stays.
        Array("0123456789ABC".utf8).withUnsafeBytes { backlog.append($0) }
        #expect(backlogText(backlog, from: backlog.firstOffset) == "56789ABC")
        #expect(backlog.end == 24)
        backlog.resize(to: 3)
        #expect((backlog.firstOffset, backlog.end, backlogText(backlog, from: 22)) == (22, 24, "ABC"))
        backlog.resize(to: 16)
        #expect((backlog.firstOffset, backlog.end, backlogText(backlog, from: 22)) == (22, 24, "ABC"))
    }

    @Test("a full resync from disk: +FULLRESYNC when the snapshot starts, the stream held behind it, then sent live")
    func fullResync() throws {
        let h = EngineHarness()
        #expect(h.run("CONFIG", "SET", "repl-diskless-sync", "no") == "+OK\r\n")
        let replica = h.connect()
        #expect(replica.run("REPLCONF", "listening-port", "6380") == "+OK\r\n")
        #expect(replica.run("REPLCONF", "capa", "eof", "capa", "psync2") == "+OK\r\n")
        // Nothing yet: the reply carries the snapshot's offset, known when it starts.
        #expect(replica.run("PSYNC", "?", "-1") == "")
        let link = try #require(replica.session.replica)
        #expect(link.state == .waitSnapshotStart)
        _ = h.run("SET", "before", "1")
        h.drainToReplicas()
        h.engine.replication.snapshotStarted(engine: h.engine)
        let offset = h.engine.replication.offset
        #expect(replica.takeDelivered() == "+FULLRESYNC \(h.engine.replication.replid) \(offset)\r\n")
        _ = h.run("SET", "during", "2")
        h.drainToReplicas()
        #expect(replica.takeDelivered() == "")
        h.engine.replication.snapshotFinished(succeeded: true, engine: h.engine) { Self.file() }
        guard case .file(let file, let after) = try #require(link.takeTransfer()) else { Issue.record("no file"); return }
        #expect(file.size == 5)
        // The stream after the fork starts with a SELECT, whatever came before.
        #expect(text(after) == "*2\r\n$6\r\nSELECT\r\n$1\r\n0\r\n*3\r\n$3\r\nSET\r\n$6\r\nduring\r\n$1\r\n2\r\n")
        link.snapshotSent()
        #expect(link.state == .online)
        _ = h.run("DEL", "during")
        h.drainToReplicas()
        #expect(replica.takeDelivered() == "*2\r\n$3\r\nDEL\r\n$6\r\nduring\r\n")
        #expect(h.run("INFO", "replication").contains("slave0:ip=,port=6380,state=online,offset=0,lag=0\r\n"))
        #expect(h.run("CLIENT", "LIST", "TYPE", "replica").contains(" flags=S "))
    }

    @Test("PSYNC continues from the backlog under the current ID, and refuses another ID or an offset it lost")
    func partialResync() throws {
        let h = EngineHarness()
        let first = syncing(h)
        _ = h.run("SET", "k", "v")
        h.drainToReplicas()
        let replid = h.engine.replication.replid
        let end = h.engine.replication.offset
        let second = h.connect()
        _ = second.run("REPLCONF", "capa", "psync2")
        #expect(second.run("PSYNC", replid, "\(end - 6)") == "+CONTINUE \(replid)\r\n$1\r\nv\r\n")
        #expect(second.session.replica?.state == .online)
        let old = h.connect()  // without psync2: no ID on the line
        #expect(old.run("PSYNC", replid, "\(end + 1)") == "+CONTINUE\r\n")
        // Another ID, or an offset past the stream's end: a full resync, which joins the
        // snapshot the first replica waits for, from the same offset and with its held stream.
        let stranger = h.connect()
        #expect(stranger.run("PSYNC", String(repeating: "a", count: 40), "\(end)") == "+FULLRESYNC \(replid) 0\r\n")
        #expect(stranger.session.replica?.state == .waitSnapshotEnd)
        #expect(stranger.session.replica?.pending.readableBytes == first.session.replica?.pending.readableBytes)
        let lost = h.connect()
        #expect(lost.run("PSYNC", replid, "\(end + 2)") == "+FULLRESYNC \(replid) 0\r\n")
        let stats = h.run("INFO", "stats")
        #expect(stats.contains("sync_full:3\r\n") && stats.contains("sync_partial_ok:2\r\n") && stats.contains("sync_partial_err:2\r\n"))
    }

    @Test("REPLCONF ACK answers nothing and moves the replica's offset; WAIT counts replicas at or past the client's writes")
    func acknowledgementsAndWait() throws {
        let h = EngineHarness()
        let replica = try h.onlineReplica(listeningPort: 7000)
        #expect(h.run("WAIT", "1", "0") == ":1\r\n")  // nothing written yet: offset 0 is acknowledged
        _ = h.run("SET", "k", "v")
        h.drainToReplicas()
        let writer = h.connect()
        _ = writer.run("SET", "k", "w")
        h.drainToReplicas()
        // Blocks: the replica has not acknowledged the write.
        #expect(writer.run("WAIT", "1", "0") == "")
        h.engine.replication.afterBatch(engine: h.engine)
        #expect(replica.takeDelivered().hasSuffix("*3\r\n$8\r\nREPLCONF\r\n$6\r\nGETACK\r\n$1\r\n*\r\n"))
        #expect(replica.run("REPLCONF", "ACK", "\(h.engine.replication.offset)") == "")
        #expect(writer.takeDelivered() == ":1\r\n")
        #expect(h.run("ROLE") == "*3\r\n$6\r\nmaster\r\n:\(h.engine.replication.offset)\r\n*1\r\n*3\r\n$0\r\n\r\n$4\r\n7000\r\n$\(String(h.engine.replication.offset).count)\r\n\(h.engine.replication.offset)\r\n")
        // The replica leaves: a later WAIT times out with the count at that moment.
        h.engine.unregister(replica.session)
        #expect(h.run("ROLE") == "*3\r\n$6\r\nmaster\r\n:\(h.engine.replication.offset)\r\n*0\r\n")
    }

    @Test("SHUTDOWN waits for a replica behind the stream, holding writes; ABORT ends the wait; the replica's ACK finishes it")
    func shutdownWaitsForReplicas() throws {
        let h = EngineHarness()
        let replica = try h.onlineReplica()
        _ = h.run("SET", "k", "v")
        h.drainToReplicas()
        let caller = h.connect(), writer = h.connect()
        #expect(caller.run("SHUTDOWN") == "")
        #expect(!h.engine.halted && h.engine.shutdownPending)
        #expect(writer.run("SET", "k", "w") == "" && writer.session.postponed)
        #expect(h.run("GET", "k") == "$1\r\nv\r\n")
        #expect(h.run("INFO", "server").contains("\r\nshutdown_in_milliseconds:"))
        #expect(h.run("CLIENT", "UNBLOCK", "\(caller.session.id)") == ":0\r\n")
        // CLIENT UNBLOCK: ERROR lets a caller go, as Redis, and the wait goes on; TIMEOUT does nothing.
        let second = h.connect()
        #expect(second.run("SHUTDOWN") == "")
        #expect(h.run("CLIENT", "UNBLOCK", "\(second.session.id)", "ERROR") == ":1\r\n")
        #expect(second.takeDelivered() == "-UNBLOCKED client unblocked via CLIENT UNBLOCK\r\n" && h.engine.shutdownPending)
        #expect(h.run("SHUTDOWN", "ABORT") == "+OK\r\n")
        #expect(caller.takeDelivered() == "-ERR Errors trying to SHUTDOWN. Check logs.\r\n")
        #expect(!writer.session.postponed && !h.engine.shutdownPending)
        #expect(h.run("SHUTDOWN", "ABORT") == "-ERR No shutdown in progress.\r\n")
        // Again: not finished while the replica is behind; its GETACK goes out, and its ACK of the whole stream ends the wait.
        #expect(caller.run("SHUTDOWN") == "")
        #expect(!h.engine.shutdownCron() && !h.engine.halted)
        #expect(replica.takeDelivered().hasSuffix("*3\r\n$8\r\nREPLCONF\r\n$6\r\nGETACK\r\n$1\r\n*\r\n"))
        _ = replica.run("REPLCONF", "ACK", "\(h.engine.replication.offset)")
        #expect(h.engine.shutdownCron() && h.engine.halted)
        #expect(!h.engine.shutdownCron(), "finished once: no second log sync or final save")
        // SHUTDOWN NOW never waits.
        let other = EngineHarness()
        _ = try other.onlineReplica()
        _ = other.run("SET", "k", "v")
        other.drainToReplicas()
        #expect(other.run("SHUTDOWN", "NOW") == "" && other.engine.halted && !other.engine.shutdownPending)
    }

    @Test("PUBLISH goes to the replicas but not to the log, also inside a transaction's frame")
    func publishIsForReplicasOnly() throws {
        let h = EngineHarness()
        let replica = syncing(h)
        let feed = try #require(h.engine.appendOnlyFeed)
        _ = h.run("PUBLISH", "ch", "hi")
        _ = h.run("MULTI")
        _ = h.run("SET", "k", "v")
        _ = h.run("PUBLISH", "ch", "there")
        _ = h.run("EXEC")
        let everything = text(feed.buffer)
        let (forLog, forReplicas) = feed.takeRestricted(feed.buffer.readableBytes)
        let publish = { (message: String) in "*3\r\n$7\r\nPUBLISH\r\n$2\r\nch\r\n$\(message.count)\r\n\(message)\r\n" }
        let select = "*2\r\n$6\r\nSELECT\r\n$1\r\n0\r\n", set = "*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$1\r\nv\r\n"
        let (multi, exec) = ("*1\r\n$5\r\nMULTI\r\n", "*1\r\n$4\r\nEXEC\r\n")
        #expect(everything == select + publish("hi") + multi + set + publish("there") + exec)
        #expect(text(try #require(forLog)) == select + multi + set + exec)
        #expect(text(try #require(forReplicas)) == everything)
        #expect(feed.restricted.isEmpty)
        // Without replicas nothing of PUBLISH is written at all.
        let alone = EngineHarness()
        alone.engine.appendOnlyFeed = AppendOnlyFeed()
        _ = alone.run("PUBLISH", "ch", "hi")
        #expect(alone.engine.appendOnlyFeed?.buffer.readableBytes == 0)
    }

    @Test("set_repl's restrictions nest with PUBLISH's, keep SELECTs for both sides, and let expiry DELs through")
    func setReplRanges() throws {
        let h = EngineHarness()
        _ = syncing(h)
        let feed = try #require(h.engine.appendOnlyFeed)
        _ = h.run("SET", "old", "1", "PX", "10")
        _ = feed.takeRestricted(feed.buffer.readableBytes)
        feed.buffer.clear()
        h.advance(milliseconds: 20)
        _ = h.run("EVAL", "redis.set_repl(redis.REPL_AOF); redis.call('get', 'old'); redis.call('publish', 'c', 'm'); "
                  + "redis.call('select', 2); redis.call('set', 'k', 'v'); "
                  + "redis.set_repl(redis.REPL_REPLICA); redis.call('publish', 'c', 'n')", "0")
        let everything = text(feed.buffer)
        let forReplicas = feed.bytesForReplicas
        let (forLog, forStream) = feed.takeRestricted(feed.buffer.readableBytes)
        let (multi, exec) = ("*1\r\n$5\r\nMULTI\r\n", "*1\r\n$4\r\nEXEC\r\n")
        let del = "*2\r\n$3\r\nDEL\r\n$3\r\nold\r\n", select2 = "*2\r\n$6\r\nSELECT\r\n$1\r\n2\r\n"
        // (The script's commands are logged as it spelled them.)
        let set = "*3\r\n$3\r\nset\r\n$1\r\nk\r\n$1\r\nv\r\n"
        let publish = "*3\r\n$7\r\npublish\r\n$1\r\nc\r\n$1\r\nn\r\n"
        // The PUBLISH under REPL_AOF goes nowhere; the expired key's DEL and the SELECT go to both.
        #expect(text(try #require(forLog)) == multi + del + select2 + set + exec)
        #expect(text(try #require(forStream)) == multi + del + select2 + publish + exec)
        #expect(forReplicas == forStream?.readableBytes)
        #expect(everything.count > (forLog?.readableBytes ?? 0))
    }

    @Test("a replica does not join a snapshot taken for redis-cli --rdb, which keeps no stream")
    func noJoiningASnapshotOnlyLink() throws {
        let h = EngineHarness()
        let rdb = h.connect()
        #expect(rdb.run("REPLCONF", "rdb-only", "1") == "+OK\r\n")
        _ = rdb.run("SYNC")
        h.engine.replication.snapshotStarted(engine: h.engine)
        _ = h.run("SET", "k", "v")
        h.drainToReplicas()
        #expect(rdb.session.replica?.pending.readableBytes == 0)
        let replica = h.connect()
        #expect(replica.run("PSYNC", "?", "-1") == "")
        #expect(replica.session.replica?.state == .waitSnapshotStart)
    }

    @Test("a WAIT that timed out or was unblocked leaves nothing behind to end a later WAIT early")
    func endedWaitsAreForgotten() throws {
        let h = EngineHarness()
        let replica = try h.onlineReplica()
        let writer = h.connect()
        _ = writer.run("SET", "k", "1")
        h.drainToReplicas()
        #expect(writer.run("WAIT", "1", "100") == "")
        h.advance(milliseconds: 200)
        h.engine.blockTimedOut(writer.session, deadline: try #require(writer.session.blocked?.deadline))
        #expect(writer.takeDelivered() == ":0\r\n")
        #expect(writer.run("WAIT", "2", "0") == "")
        #expect(h.engine.replication.waiters.count == 1)
        _ = replica.run("REPLCONF", "ACK", "\(h.engine.replication.offset)")
        // One replica acknowledged: not the two asked for, so it still waits.
        #expect(writer.takeDelivered() == "")
        #expect(h.run("CLIENT", "UNBLOCK", "\(writer.session.id)") == ":1\r\n")
        #expect(writer.takeDelivered() == ":1\r\n")
        #expect(h.engine.replication.waiters.isEmpty)
    }

    @Test("a replica's link that answers a command is closed: replies would corrupt its stream")
    func rogueReplicaIsClosed() {
        let h = EngineHarness()
        let replica = h.connect()
        _ = replica.run("PSYNC", "?", "-1")
        #expect(replica.run("REPLCONF", "ACK", "0") == "")
        #expect(!replica.session.killRequested)
        #expect(replica.run("PING") == "")
        #expect(replica.session.killRequested)
    }

    @Test("a replica's stream counts toward its output limit; past it, the replica is closed")
    func outputLimit() throws {
        let h = EngineHarness()
        _ = h.run("CONFIG", "SET", "client-output-buffer-limit", "replica 64kb 0 0")
        let replica = syncing(h)
        _ = h.run("SET", "big", String(repeating: "x", count: 100_000))
        h.drainToReplicas()
        #expect(replica.session.killRequested)
    }
}
