@testable import KeyDBEngine
import NIOConcurrencyHelpers
import Testing

/// FAILOVER without sockets: Redis's refusals, writes held while the master
/// waits for its replica, the hand-over once the replica has the whole stream,
/// the deadline with and without FORCE, and ABORT at each step
/// (test_failover.py runs it between real servers).
@Suite("FAILOVER")
struct FailoverTests {
    /// An online replica, connected from `address` and listening on `port`.
    private func online(_ h: EngineHarness, address: String = "10.0.0.5:40000", port: Int = 6380) throws -> TestClient {
        try h.onlineReplica(address: address, listeningPort: port)
    }

    /// The replica takes the stream sent so far and acknowledges all of it.
    private func acknowledgeAll(_ h: EngineHarness, _ replica: TestClient) {
        _ = replica.takeDelivered()
        #expect(replica.run("REPLCONF", "ACK", "\(h.engine.replication.offset)") == "")
    }

    private func failoverState(_ h: EngineHarness) -> String? {
        h.run("INFO", "replication").split(separator: "\r\n").first { $0.hasPrefix("master_failover_state:") }.map { String($0.dropFirst(22)) }
    }

    /// Captures the notices logged and the masters connected to.
    private final class Observed: @unchecked Sendable {
        let notices = NIOLockedValueBox<[String]>([])
        var links: [MasterLink] = []
    }

    private func observe(_ h: EngineHarness) -> Observed {
        let observed = Observed()
        h.engine.logNotice = { line in observed.notices.withLockedValue { $0.append(line) } }
        h.engine.connectToMaster = { observed.links.append($0) }
        return observed
    }

    @Test("refused as Redis refuses it: no replica, a replica not named or not online, FORCE alone, on a replica, twice")
    func refusals() throws {
        let h = EngineHarness()
        #expect(h.run("FAILOVER") == "-ERR FAILOVER requires connected replicas.\r\n")
        #expect(h.run("FAILOVER", "ABORT") == "-ERR No failover in progress.\r\n")
        let syncing = h.connect(address: "10.0.0.9:1")
        _ = syncing.run("REPLCONF", "listening-port", "7000")
        _ = syncing.run("PSYNC", "?", "-1")
        _ = try online(h)
        #expect(h.run("FAILOVER", "TO", "10.0.0.9", "7000") == "-ERR FAILOVER target replica is not online.\r\n")
        #expect(h.run("FAILOVER", "TO", "10.0.0.5", "6381") == "-ERR FAILOVER target HOST and PORT is not a replica.\r\n")
        #expect(h.run("FAILOVER", "TO", "10.0.0.6", "6380") == "-ERR FAILOVER target HOST and PORT is not a replica.\r\n")
        #expect(h.run("FAILOVER", "TO", "10.0.0.5", "x") == "-ERR value is not an integer or out of range\r\n")
        #expect(h.run("FAILOVER", "TO", "10.0.0.5", "6380", "FORCE") == "-ERR FAILOVER with force option requires both a timeout and target HOST and IP.\r\n")
        #expect(h.run("FAILOVER", "FORCE", "TIMEOUT", "100") == "-ERR FAILOVER with force option requires both a timeout and target HOST and IP.\r\n")
        #expect(h.run("FAILOVER", "TIMEOUT", "0") == "-ERR FAILOVER timeout must be greater than 0\r\n")
        #expect(failoverState(h) == "no-failover")
        #expect(h.run("FAILOVER", "TO", "10.0.0.5", "6380") == ok)
        #expect(h.run("FAILOVER") == "-ERR FAILOVER already in progress.\r\n")
        #expect(h.run("FAILOVER", "ABORT") == ok)

        let replicaSide = EngineHarness()
        replicaSide.engine.connectToMaster = { _ in }
        _ = replicaSide.run("REPLICAOF", "10.0.0.1", "6379")
        #expect(replicaSide.run("FAILOVER") == "-ERR FAILOVER is not valid when server is a replica.\r\n")
    }

    @Test("while it waits: writes held (CLIENT UNPAUSE does not lift them), reads run, REPLICAOF and SYNC refused; ABORT lets them run here")
    func waitingHoldsWrites() throws {
        let h = EngineHarness()
        _ = try online(h)
        let observed = observe(h)
        let user = h.connect()
        _ = h.run("SET", "k", "before")
        h.drainToReplicas()
        #expect(h.run("FAILOVER", "TO", "10.0.0.5", "6380", "TIMEOUT", "60000") == ok)
        #expect(failoverState(h) == "waiting-for-sync")
        user.send("SET", "k", "held")
        #expect(user.received() == "")
        #expect(h.run("GET", "k") == bulk("before"))
        #expect(h.run("CLIENT", "UNPAUSE") == ok)
        #expect(user.received() == "" && !user.woken.value)
        #expect(h.run("REPLICAOF", "NO", "ONE") == "-ERR REPLICAOF not allowed while failing over.\r\n")
        #expect(h.run("REPLICAOF", "10.0.0.5", "6380") == "-ERR REPLICAOF not allowed while failing over.\r\n")
        let newcomer = h.connect()
        #expect(newcomer.run("PSYNC", "?", "-1") == "-NOMASTERLINK Can't SYNC while failing over\r\n")
        #expect(newcomer.run("SYNC") == "-NOMASTERLINK Can't SYNC while failing over\r\n")
        // The replica has not acknowledged the stream: nothing happens.
        h.engine.updateFailover(now: h.now)
        #expect(h.engine.master == nil && observed.links.isEmpty)
        #expect(h.run("FAILOVER", "ABORT") == ok)
        #expect(failoverState(h) == "no-failover")
        #expect(user.woken.value)
        user.resume()
        #expect(user.received() == ok)
        #expect(h.run("GET", "k") == bulk("held"))
        #expect(observed.notices.withLockedValue { $0 } == ["FAILOVER requested to 10.0.0.5:6380.",
                                                            "FAILOVER to 10.0.0.5:6380 aborted: Failover manually aborted"])
    }

    @Test("once the named replica has acknowledged the whole stream, the master follows it and asks it to take over")
    func handsOverToCaughtUpReplica() throws {
        let h = EngineHarness()
        let observed = observe(h)
        let replica = try online(h)
        let other = try online(h, address: "10.0.0.7:40001", port: 6390)
        _ = h.run("SET", "k", "v")
        h.drainToReplicas()
        acknowledgeAll(h, other)  // caught up, but not the one named
        #expect(h.run("FAILOVER", "TO", "10.0.0.5", "6380") == ok)
        let user = h.connect()
        user.send("SET", "k", "held")
        h.engine.updateFailover(now: h.now)
        #expect(h.engine.master == nil)
        acknowledgeAll(h, replica)
        h.engine.updateFailover(now: h.now)
        let link = try #require(h.engine.master)
        #expect((link.host, link.port) == ("10.0.0.5", 6380))
        #expect(observed.links.count == 1 && observed.links[0] === link)
        #expect(h.engine.failoverInProgress)
        #expect(failoverState(h) == "failover-in-progress")
        #expect(h.run("INFO", "replication").contains("role:slave\r\n"))
        // Its history is the one the target continues: PSYNC names it.
        #expect(link.hasHistory)
        #expect(h.engine.replication.psyncRequest.offset == h.engine.replication.offset + 1)
        #expect(user.received() == "")
        // The target answered +CONTINUE: done; the held write now meets a replica.
        h.engine.finishFailover()
        #expect(failoverState(h) == "no-failover")
        user.resume()
        #expect(user.received() == "-READONLY You can't write against a read only replica.\r\n")
        #expect(observed.notices.withLockedValue { $0 }.contains("Failover target 10.0.0.5:6380 is synced, failing over."))
    }

    @Test("with no replica named, the first to catch up is the target, by its address and listening port")
    func anyReplica() throws {
        let h = EngineHarness()
        _ = try online(h)
        let second = try online(h, address: "10.0.0.7:40001", port: 6390)
        _ = h.run("SET", "k", "v")
        h.drainToReplicas()
        let observed = observe(h)
        #expect(h.run("FAILOVER") == ok)
        let offset = h.engine.replication.offset
        _ = h.run("SET", "k", "w")  // held: the offset stays
        h.drainToReplicas()
        acknowledgeAll(h, second)
        h.engine.updateFailover(now: h.now)
        #expect(h.engine.replication.offset == offset)
        let link = try #require(h.engine.master)
        #expect((link.host, link.port) == ("10.0.0.7", 6390))
        #expect(observed.notices.withLockedValue { $0 } == ["FAILOVER requested to any replica.",
                                                            "Failover target 10.0.0.7:6390 is synced, failing over.",
                                                            "Connecting to MASTER 10.0.0.7:6390"])
    }

    @Test("at the deadline it gives up, or with FORCE fails over to a replica that never caught up")
    func deadline() throws {
        let h = EngineHarness()
        let observed = observe(h)
        _ = try online(h)
        _ = h.run("SET", "k", "v")
        h.drainToReplicas()
        #expect(h.run("FAILOVER", "TO", "10.0.0.5", "6380", "TIMEOUT", "500") == ok)
        h.engine.updateFailover(now: h.now + 499)
        #expect(failoverState(h) == "waiting-for-sync")
        h.engine.updateFailover(now: h.now + 500)
        #expect(failoverState(h) == "no-failover" && h.engine.master == nil)
        #expect(observed.notices.withLockedValue { $0 }.last == "FAILOVER to 10.0.0.5:6380 aborted: Replica never caught up before timeout")

        #expect(h.run("FAILOVER", "TO", "10.0.0.5", "6380", "TIMEOUT", "100", "FORCE") == ok)
        h.engine.updateFailover(now: h.now + 100)
        #expect(failoverState(h) == "failover-in-progress")
        #expect(h.engine.master.map { ($0.host, $0.port) } ?? ("", 0) == ("10.0.0.5", 6380))
        #expect(observed.notices.withLockedValue { $0 }.contains("FAILOVER to 10.0.0.5:6380 time out exceeded, failing over."))
    }

    @Test("ABORT while in progress (or the target refusing): a master again, under a new ID, its replicas told to reconnect")
    func abortInProgress() throws {
        let h = EngineHarness()
        let replica = try online(h)
        let user = h.connect()
        _ = h.run("SET", "k", "v")
        h.drainToReplicas()
        let oldID = h.engine.replication.replid
        let offset = h.engine.replication.offset
        #expect(h.run("FAILOVER", "TO", "10.0.0.5", "6380", "TIMEOUT", "100", "FORCE") == ok)
        user.send("SET", "k", "held")
        h.engine.updateFailover(now: h.now + 100)
        #expect(h.engine.failoverInProgress)
        #expect(h.run("REPLICAOF", "NO", "ONE") == "-ERR REPLICAOF not allowed while failing over.\r\n")
        #expect(h.run("FAILOVER", "ABORT") == ok)
        #expect(h.engine.master == nil && !h.engine.failoverInProgress)
        #expect(h.run("INFO", "replication").contains("role:master\r\n"))
        #expect(h.engine.replication.replid != oldID && h.engine.replication.replid2 == oldID)
        #expect(h.engine.replication.secondOffset == offset + 1)
        #expect(replica.session.killRequested)
        user.resume()
        #expect(user.received() == ok)
    }

    @Test("no replication PING or GETACK while a FAILOVER with a TIMEOUT holds writes; without one PINGs go on, as in Redis")
    func noPingWhileWaiting() throws {
        let h = EngineHarness()
        _ = try online(h)
        let other = h.connect()
        #expect(h.run("CONFIG", "SET", "repl-ping-replica-period", "1") == ok)
        _ = h.run("SET", "k", "v")
        h.drainToReplicas()
        let offset = h.engine.replication.offset
        #expect(other.run("FAILOVER", "TO", "10.0.0.5", "6380", "TIMEOUT", "60000") == ok)
        h.engine.replication.lastCron = 0
        h.engine.replication.cron(engine: h.engine)
        // A WAIT's request for acknowledgements waits for the hold to end.
        #expect(h.run("WAIT", "1", "0") == "")
        h.engine.replication.afterBatch(engine: h.engine)
        #expect(h.engine.replication.offset == offset)
        #expect(other.run("FAILOVER", "ABORT") == ok)
        h.engine.replication.afterBatch(engine: h.engine)
        let getack = "*3\r\n$8\r\nREPLCONF\r\n$6\r\nGETACK\r\n$1\r\n*\r\n"
        #expect(h.engine.replication.offset == offset + Int64(getack.utf8.count))
        #expect(other.run("FAILOVER", "TO", "10.0.0.5", "6380") == ok)
        h.engine.replication.lastCron = 0
        h.engine.replication.cron(engine: h.engine)
        #expect(h.engine.replication.offset == offset + Int64(getack.utf8.count) + 14)
    }

    @Test("the ACK that catches up asks for a check after its batch, not inside it; CLIENT PAUSE ALL does not hold replicas")
    func ackSchedulesTheCheck() throws {
        let h = EngineHarness()
        let replica = try online(h)
        let asked = Flag()
        h.engine.scheduleFailoverCheck = { asked.value = true }
        h.engine.connectToMaster = { _ in }
        _ = h.run("SET", "k", "v")
        h.drainToReplicas()
        #expect(h.run("FAILOVER", "TO", "10.0.0.5", "6380") == ok)
        #expect(h.run("CLIENT", "PAUSE", "60000", "ALL") == ok)
        _ = replica.takeDelivered()
        #expect(replica.run("REPLCONF", "ACK", "\(h.engine.replication.offset - 1)") == "")
        #expect(!asked.value)
        #expect(replica.run("REPLCONF", "ACK", "\(h.engine.replication.offset)") == "")
        #expect(replica.session.replica?.ackOffset == h.engine.replication.offset)
        #expect(asked.value && h.engine.master == nil)
        h.engine.updateFailover(now: h.now)
        #expect(h.engine.master.map { ($0.host, $0.port) } ?? ("", 0) == ("10.0.0.5", 6380))
    }

    private final class Flag: @unchecked Sendable { var value = false }
}
