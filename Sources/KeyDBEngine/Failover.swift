/// A coordinated failover (FAILOVER, Redis's failover_state): the master holds
/// writes, waits until a replica (the one named, or any) has acknowledged the
/// whole stream, then becomes that replica's replica and asks it, with
/// `PSYNC <id> <offset> FAILOVER`, to take over as master. The writes held
/// meanwhile run once the target answers: on the new replica they then meet
/// -READONLY, as in Redis; if the target refuses, this server is a master
/// again and they run here.
public struct Failover: Sendable {
    public enum State: Sendable {
        /// Writes held until the target has the whole stream (or the deadline passes).
        case waitingForSync
        /// Following the target, whose reply to the PSYNC FAILOVER ends it.
        case inProgress
    }

    public var state = State.waitingForSync
    /// The replica named by TO, or the first found caught up.
    var target: (host: String, port: Int)?
    /// Unix ms after which the wait gives up (or, with FORCE, fails over anyway); 0: never.
    var deadline: Int64
    var force: Bool

    /// INFO's master_failover_state.
    var stateName: String { state == .waitingForSync ? "waiting-for-sync" : "failover-in-progress" }
}

extension Engine {
    /// FAILOVER, once its arguments are read: Redis's checks in Redis's order, then writes are
    /// held and the wait starts (`updateFailover` carries it on). Nil, or the error to answer.
    func startFailover(to target: (host: String, port: Int)?, timeout: Int64, force: Bool, now: Int64) -> String? {
        guard replication.failover == nil else { return ErrorReply.failoverInProgress }
        guard replication.master == nil else { return ErrorReply.failoverOnReplica }
        guard !replication.replicas.isEmpty else { return ErrorReply.failoverWithoutReplicas }
        guard !force || (timeout != 0 && target != nil) else { return ErrorReply.failoverForceNeedsTarget }
        if let target {
            guard let link = replication.replica(at: target.host, port: target.port) else { return ErrorReply.failoverNotReplica }
            guard link.state == .online else { return ErrorReply.failoverTargetOffline }
            logNotice?("FAILOVER requested to \(target.host):\(target.port).")
        } else {
            logNotice?("FAILOVER requested to any replica.")
        }
        replication.failover = Failover(target: target, deadline: timeout == 0 ? 0 : now &+ timeout, force: force)
        updatePause(now: now)
        return nil
    }

    /// From the background cycle, and after the batch of the ACK that caught up (Redis's
    /// updateFailoverStatus, from its cron and before it sleeps): gives up or forces the
    /// failover once the deadline has passed, else fails over as soon as the target (or,
    /// with none named, any replica) has acknowledged the whole stream.
    /// Not while a script is paused busy: it would finish on a replica (Redis's cron waits too).
    public func updateFailover(now: Int64) {
        guard var failover = replication.failover, failover.state == .waitingForSync, !scriptBusy else { return }
        if failover.deadline != 0 && failover.deadline <= now {
            guard failover.force, let target = failover.target else {
                return abortFailover("Replica never caught up before timeout")
            }
            logNotice?("FAILOVER to \(target.host):\(target.port) time out exceeded, failing over.")
            return handOver(to: target)
        }
        let caughtUp: ReplicaLink?
        if let target = failover.target {
            caughtUp = replication.replica(at: target.host, port: target.port).flatMap { $0.ackOffset == replication.offset ? $0 : nil }
        } else {
            caughtUp = replication.replicas.first { $0.ackOffset == replication.offset }
        }
        guard let caughtUp else { return }
        let target = failover.target ?? (caughtUp.session.replicaAddress, caughtUp.session.replicaSettings.listeningPort)
        failover.target = target
        replication.failover = failover
        logNotice?("Failover target \(target.host):\(target.port) is synced, failing over.")
        handOver(to: target)
    }

    /// Follows the target; its link sends the PSYNC with FAILOVER while this state lasts.
    private func handOver(to target: (host: String, port: Int)) {
        replication.failover?.state = .inProgress
        follow(host: target.host, port: target.port)
    }

    /// The target took over (it answered the PSYNC with +CONTINUE or +FULLRESYNC): held writes run again.
    public func finishFailover() {
        replication.failover = nil
        updatePause(now: clock?() ?? Clock.milliseconds())
    }

    /// Ends a failover that did not happen (FAILOVER ABORT, the timeout, the target's refusal):
    /// a master again if it already followed the target, and the held writes run here.
    public func abortFailover(_ reason: String) {
        guard let failover = replication.failover else { return }
        if let target = failover.target {
            logNotice?("FAILOVER to \(target.host):\(target.port) aborted: \(reason)")
        } else {
            logNotice?("FAILOVER to any replica aborted: \(reason)")
        }
        if failover.state == .inProgress { stopFollowing() }
        finishFailover()
    }

    /// Whether the link to the master is a failover's: its PSYNC names FAILOVER, and its reply ends the failover.
    public var failoverInProgress: Bool { replication.failover?.state == .inProgress }
}

extension Replication {
    /// The replica `host` and `port` name: the address it announced (or connected from) and
    /// its listening port, as Redis's findReplica matches them.
    func replica(at host: String, port: Int) -> ReplicaLink? {
        replicas.first { $0.session.replicaAddress.lowercased() == host.lowercased() && $0.session.replicaSettings.listeningPort == port }
    }
}
