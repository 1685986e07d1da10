@testable import KeyDBEngine
import KeyDBRESP
import NIOCore
import Testing

/// The replica side of replication without sockets: REPLICAOF, the master's
/// stream applied as its client, what users may do meanwhile, and the history
/// (test_replica.py runs real masters against the server).
@Suite("replica side")
struct ReplicaTests {
    private static let masterID = String(repeating: "a", count: 40)

    /// Follows a master and stands in for the connection: synchronized at offset 100.
    private func following(_ h: EngineHarness) throws -> MasterLink {
        let asked = LinkRequests()
        h.engine.connectToMaster = { asked.links.append($0) }
        #expect(h.run("REPLICAOF", "10.0.0.1", "6379") == "+OK\r\n")
        let link = try #require(h.engine.master)
        #expect(asked.links.count == 1 && asked.links[0] === link)
        _ = h.engine.beginMasterSession(link, peer: .text("10.0.0.1:6379"), local: .text(""), fileDescriptor: nil)
        h.engine.replication.adoptMasterHistory(id: Self.masterID, offset: 100, streamDatabase: 0, engine: h.engine)
        return link
    }

    private final class LinkRequests: @unchecked Sendable { var links: [MasterLink] = [] }

    /// Feeds stream bytes as the master's connection would.
    @discardableResult
    private func stream(_ h: EngineHarness, _ link: MasterLink, _ text: String) -> MasterStreamBatch {
        var parser = RequestParser()
        return Array(text.utf8).withUnsafeBytes { h.engine.applyMasterStream($0, link: link, parser: &parser) }
    }

    private func command(_ words: String...) -> String {
        "*\(words.count)\r\n" + words.map { "$\($0.utf8.count)\r\n\($0)\r\n" }.joined()
    }

    @Test("users' writes are refused; the master's run, answer nothing, and count toward the offset")
    func readOnly() throws {
        let h = EngineHarness()
        let link = try following(h)
        #expect(h.run("SET", "k", "v") == "-READONLY You can't write against a read only replica.\r\n")
        #expect(h.run("EVAL", "#!lua\nreturn 1", "0") == "-READONLY You can't write against a read only replica.\r\n")
        let set = command("SET", "k", "v")
        let batch = stream(h, link, set)
        #expect(batch.consumed == set.utf8.count && batch.failure == nil && !batch.close)
        #expect(h.run("GET", "k") == "$1\r\nv\r\n")
        #expect(link.session!.reply.readableBytes == 0)
        #expect(h.engine.replication.offset == 100 + Int64(set.utf8.count))
        #expect(h.run("CONFIG", "SET", "replica-read-only", "no") == "+OK\r\n")
        #expect(h.run("SET", "mine", "1") == "+OK\r\n")
        // A writable replica's own writes stay its own: its replicas get the master's stream only.
        Array("*1\r\n$4\r\nPING\r\n".utf8).withUnsafeBytes { h.engine.replication.feed($0, engine: h.engine) }
        #expect(h.engine.replication.offset == 100 + Int64(set.utf8.count))
    }

    @Test("a transaction counts, and goes on, only with its EXEC; an incomplete command waits")
    func transactionSettles() throws {
        let h = EngineHarness()
        let link = try following(h)
        let opening = command("MULTI") + command("INCR", "n")
        #expect(stream(h, link, opening).consumed == opening.utf8.count)
        #expect(h.engine.replication.offset == 100 && link.unsettled.count == opening.utf8.count)
        let exec = command("EXEC")
        let partial = command("SET", "x", "1")
        let batch = stream(h, link, exec + partial.dropLast(3))
        #expect(batch.consumed == exec.utf8.count)
        #expect(h.engine.replication.offset == 100 + Int64(opening.utf8.count + exec.utf8.count))
        #expect(h.run("GET", "n") == "$1\r\n1\r\n")
        // The link dropped inside a transaction: the next session starts clean, as the master resends it.
        stream(h, link, command("MULTI"))
        h.engine.masterLinkLost(link, now: h.now)
        _ = h.engine.beginMasterSession(link, peer: .text("m"), local: .text(""), fileDescriptor: nil)
        #expect(link.unsettled.isEmpty && link.session!.transaction == nil)
    }

    @Test("GETACK asks for an acknowledgement of everything applied")
    func getack() throws {
        let h = EngineHarness()
        let link = try following(h)
        let text = command("SET", "a", "1") + command("REPLCONF", "GETACK", "*")
        #expect(stream(h, link, text).acknowledge == 100 + Int64(text.utf8.count))
        #expect(stream(h, link, command("PING")).acknowledge == nil)
    }

    @Test("keys past their time read as absent to users but stay for the master's commands, until its DEL")
    func expiry() throws {
        let h = EngineHarness()
        let link = try following(h)
        stream(h, link, command("SET", "k", "v", "PXAT", String(h.now + 100)))
        // A time already past deletes nothing here: the master sends the DEL.
        stream(h, link, command("SET", "old", "v", "PXAT", String(h.now - 1)))
        h.advance(milliseconds: 200)
        h.engine.activeExpireCycle()
        #expect(h.run("GET", "k") == "$-1\r\n" && h.run("EXISTS", "k") == ":0\r\n")
        #expect(h.run("SCAN", "0") == "*2\r\n$1\r\n0\r\n*0\r\n")
        #expect(h.run("DBSIZE") == ":2\r\n")
        stream(h, link, command("APPEND", "k", "x"))
        #expect(h.db.count == 2)
        stream(h, link, command("PERSIST", "k"))
        #expect(h.run("GET", "k") == "$2\r\nvx\r\n")
        stream(h, link, command("DEL", "old"))
        #expect(h.run("DBSIZE") == ":1\r\n")
    }

    @Test("a master's command that fails here is logged loudly, with the stream's latest bytes, and counted")
    func failedMasterCommand() throws {
        let h = EngineHarness()
        let link = try following(h)
        let warnings = LogLines()
        h.engine.logWarning = { warnings.lines.append($0) }
        #expect(h.run("CONFIG", "SET", "replica-read-only", "no") == "+OK\r\n")
        #expect(h.run("SET", "number", "foo") == "+OK\r\n")
        stream(h, link, command("SET", "a", "1"))
        stream(h, link, command("INCRBY", "number", "1"))
        #expect(warnings.lines.first == "== CRITICAL == This replica is sending an error to its master: 'value is not an integer or out of range' after processing the command 'incrby'")
        #expect(warnings.lines.count == 2 && warnings.lines[1].hasPrefix("Latest backlog is: '\"") && warnings.lines[1].contains("$1\\r\\na\\r\\n"))
        #expect(h.run("INFO", "stats").contains("unexpected_error_replies:1\r\n"))
        #expect(h.run("GET", "number") == "$3\r\nfoo\r\n")
    }

    private final class LogLines: @unchecked Sendable { var lines: [String] = [] }

    @Test("a writable replica expires the keys its users gave a TTL, and only those")
    func writableReplicaExpiry() throws {
        let h = EngineHarness()
        let link = try following(h)
        #expect(h.run("CONFIG", "SET", "replica-read-only", "no") == "+OK\r\n")
        stream(h, link, command("SET", "masters", "v", "PXAT", String(h.now + 100)))
        #expect(h.run("SET", "mine", "v", "PX", "100") == "+OK\r\n")
        #expect(h.run("SET", "later", "v") == "+OK\r\n" && h.run("PEXPIRE", "later", "100") == ":1\r\n")
        h.advance(milliseconds: 200)
        h.engine.activeExpireCycle()
        #expect(h.db.count == 1)
        #expect(h.run("EXISTS", "mine", "later") == ":0\r\n")
        // The master's key waits for its DEL.
        #expect(h.run("DBSIZE") == ":1\r\n" && h.run("GET", "masters") == "$-1\r\n")
        // What a flush or SWAPDB moved away is forgotten: the same names may be the master's now.
        #expect(h.run("SET", "mine", "v", "PX", "100000") == "+OK\r\n")
        #expect(h.run("INFO", "stats").contains("slave_expires_tracked_keys:1\r\n"))
        #expect(h.run("SWAPDB", "0", "1") == "+OK\r\n")
        #expect(h.run("INFO", "stats").contains("slave_expires_tracked_keys:0\r\n"))
        #expect(h.run("SET", "again", "v", "PX", "100000") == "+OK\r\n" && h.run("FLUSHALL") == "+OK\r\n")
        #expect(h.run("INFO", "stats").contains("slave_expires_tracked_keys:0\r\n"))
    }

    @Test("REPLICAOF's replies, ROLE and INFO on a replica")
    func replies() throws {
        let h = EngineHarness()
        let link = try following(h)
        #expect(h.run("REPLICAOF", "10.0.0.1", "6379") == "+OK Already connected to specified master\r\n")
        #expect(h.run("SLAVEOF", "10.0.0.1", "70000") == "-ERR Invalid master port\r\n")
        #expect(h.run("ROLE") == "*5\r\n$5\r\nslave\r\n$8\r\n10.0.0.1\r\n:6379\r\n$9\r\nconnected\r\n:100\r\n")
        #expect(h.run("WAIT", "1", "0").hasPrefix("-ERR WAIT cannot be used with replica instances."))
        let info = h.run("INFO", "replication")
        #expect(info.contains("role:slave\r\nmaster_host:10.0.0.1\r\nmaster_port:6379\r\nmaster_link_status:up\r\n"))
        #expect(info.contains("slave_repl_offset:100\r\n") && info.contains("master_replid:\(Self.masterID)\r\n"))
        #expect(h.run("CLIENT", "LIST", "TYPE", "master").contains(" flags=M "))
        h.engine.masterLinkLost(link, now: h.now)
        #expect(h.run("ROLE") == "*5\r\n$5\r\nslave\r\n$8\r\n10.0.0.1\r\n:6379\r\n$7\r\nconnect\r\n:-1\r\n")
        #expect(h.run("INFO", "replication").contains("master_link_status:down\r\n"))
    }

    @Test("with replica-serve-stale-data no and the link down, only stale-allowed commands run")
    func staleData() throws {
        let h = EngineHarness()
        let link = try following(h)
        #expect(h.run("CONFIG", "SET", "replica-serve-stale-data", "no") == "+OK\r\n")
        #expect(h.run("GET", "k") == "$-1\r\n")
        // Queued while the link was up, refused at EXEC once it is down (Redis's cmd_inv_flags).
        #expect(h.run("MULTI") == "+OK\r\n" && h.run("GET", "k") == "+QUEUED\r\n")
        h.engine.masterLinkLost(link, now: h.now)
        #expect(h.run("EXEC") == "-EXECABORT Transaction discarded because of: MASTERDOWN Link with MASTER is down and replica-serve-stale-data is set to 'no'.\r\n")
        let down = "-MASTERDOWN Link with MASTER is down and replica-serve-stale-data is set to 'no'.\r\n"
        #expect(h.run("GET", "k") == down && h.run("PING") == down)
        // A script that may write meets the read-only check first, as in Redis's order.
        #expect(h.run("EVAL", "#!lua\nreturn 1", "0") == "-READONLY You can't write against a read only replica.\r\n")
        #expect(h.run("EVAL", "#!lua flags=no-writes\nreturn 1", "0") == down)
        #expect(h.run("EVAL", "return 1", "0") == down)
        #expect(h.run("EVAL", "#!lua flags=no-writes,allow-stale\nreturn 1", "0") == ":1\r\n")
        #expect(h.run("INFO", "replication").hasPrefix("$"))
    }

    @Test("REPLICAOF NO ONE keeps the data, and the history under the second ID")
    func promotion() throws {
        let h = EngineHarness()
        let link = try following(h)
        stream(h, link, command("SELECT", "3") + command("SET", "k", "v", "PXAT", String(h.now + 100)))
        #expect(h.engine.replication.snapshotStreamDatabase(engine: h.engine) == 3)
        let offset = h.engine.replication.offset
        #expect(h.run("REPLICAOF", "NO", "ONE") == "+OK\r\n")
        #expect(h.engine.master == nil && !h.engine.isReplica)
        let info = h.run("INFO", "replication")
        #expect(info.contains("role:master\r\n") && info.contains("master_replid2:\(Self.masterID)\r\n"))
        #expect(info.contains("second_repl_offset:\(offset + 1)\r\n"))
        #expect(h.run("SET", "mine", "1") == "+OK\r\n")
        // Expiry is this server's again.
        h.advance(milliseconds: 200)
        #expect(h.run("SELECT", "3") == "+OK\r\n" && h.run("GET", "k") == "$-1\r\n")
        #expect(h.engine.keyspace.databases[3].count == 0)
    }

    @Test("clients blocked on keys are let go when the server starts following a master")
    func blockedClientsUnblocked() throws {
        let h = EngineHarness()
        let waiter = h.connect()
        waiter.send("BLPOP", "list", "0")
        #expect(waiter.received().isEmpty)
        _ = try following(h)
        #expect(waiter.takeDelivered() == "-UNBLOCKED force unblock from blocking operation, instance state changed (master -> replica?)\r\n")
        #expect(waiter.session.closeAfterReply)
    }
}
