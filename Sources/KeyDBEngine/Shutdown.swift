/// A shutdown waiting for its replicas to acknowledge the whole stream (Redis's
/// shutdown_mstime): writes are held, and it finishes as soon as they have, or
/// once shutdown-timeout seconds have passed, whichever comes first.
struct ShutdownWait {
    let options: ShutdownOptions
    /// Unix ms when it finishes whatever the replicas have acknowledged.
    let deadline: Int64
    /// Unix ms of the last GETACK it sent.
    var askedAt: Int64
    /// SHUTDOWN callers blocked until it ends; an aborted or failed one answers them an error.
    var callers: [ClientSession] = []
}

extension Engine {
    public enum ShutdownProgress: Sendable { case finished, waiting, failed }

    /// Redis's prepareForShutdown: unless NOW, shutdown-timeout is 0 or every replica has
    /// acknowledged the stream, starts waiting for them; otherwise finishes (`finishShutdown`).
    /// A shutdown already waiting takes no second one: it goes on with its own options.
    public func prepareForShutdown(_ options: ShutdownOptions) -> ShutdownProgress {
        if shutdownWait != nil { return .waiting }
        logWarning?("User requested shutdown...")
        let timeout = Int64(configuration.keptSettings["shutdown-timeout"] ?? "") ?? 10
        // Writes pipelined before SHUTDOWN in this batch join the stream now, so the replicas
        // are waited for until they have them too (as Redis's offset counts them at once).
        persistence?.takeBatchRecords()
        if options.now || timeout == 0 || replication.allAcknowledged { return finishShutdown(options) }
        let now = Clock.milliseconds()
        shutdownWait = ShutdownWait(options: options, deadline: now &+ timeout &* 1000, askedAt: now)
        askForAcknowledgements()
        updatePause(now: now)
        logNotice?("Waiting for replicas before shutting down.")
        return .waiting
    }

    /// From the background cycle: finishes a waiting shutdown once its replicas have caught
    /// up or its time is over, and asks them again each second. True when the server is to stop.
    @discardableResult
    public func shutdownCron() -> Bool {
        // Once finished, the server only has to exit: no second sync or save.
        guard let wait = shutdownWait, !halted else { return false }
        let now = Clock.milliseconds()
        if replication.allAcknowledged || now >= wait.deadline { return finishShutdown(wait.options) == .finished }
        if now - wait.askedAt >= 1000 {
            shutdownWait?.askedAt = now
            askForAcknowledgements()
        }
        replication.afterBatch(engine: self)  // the GETACK, when no client's batch sent it
        return false
    }

    /// A GETACK after this batch, as WAIT's: a replica otherwise answers only with its
    /// once-a-second ACK, which the stream may have outrun by then. None under CLIENT PAUSE,
    /// as Redis: the stream then stays where it is, and the replicas' own ACKs reach it.
    private func askForAcknowledgements() {
        if commandPause == nil { replication.ackRequested = true }
    }

    /// SHUTDOWN ABORT: ends the wait (its callers get an error and writes run again),
    /// or withdraws a signal's request not yet begun. False when there is neither.
    public func abortShutdown() -> Bool {
        guard shutdownWait != nil || shutdownRequested else { return false }
        cancelShutdown()
        logNotice?("Shutdown manually aborted.")
        return true
    }

    /// Whether a shutdown is waiting for replicas.
    public var shutdownPending: Bool { shutdownWait != nil }

    /// INFO server's shutdown_in_milliseconds: the time left while a shutdown waits.
    var shutdownInMilliseconds: Int64? { shutdownWait.map { max(0, $0.deadline - Clock.milliseconds()) } }

    /// Blocks a SHUTDOWN caller until the waiting shutdown ends (it has no timeout of its own).
    func joinShutdown(_ client: ClientSession) {
        block(client, keys: [], deadline: 0, timeoutReply: .shutdownFailed, deniedReply: .shutdownFailed) { _, _ in false }
        shutdownWait?.callers.append(client)
    }

    /// Redis's finishShutdown: names the replicas still behind, syncs the log and makes the
    /// final save; then nothing more runs. A failed save (without FORCE) keeps the server up.
    private func finishShutdown(_ options: ShutdownOptions) -> ShutdownProgress {
        let lagging = replication.replicas.filter { $0.ackOffset != replication.offset }
        for link in lagging {
            let lag = link.state == .online ? Clock.milliseconds() / 1000 - link.ackTime : 0
            logWarning?("Lagging replica \(link.session.replicaName) reported offset \(replication.offset - link.ackOffset) behind master, lag=\(lag), state=\(link.stateName).")
        }
        if !replication.replicas.isEmpty {
            logNotice?("\(replication.replicas.count - lagging.count) of \(replication.replicas.count) replicas are in sync when shutting down.")
        }
        if let persistence, !persistence.prepareShutdown(save: options.save) {
            guard options.force else {
                logWarning?("Errors trying to shut down the server. Check the logs for more information.")
                cancelShutdown()
                return .failed
            }
            logWarning?("Errors trying to shut down the server. Exiting anyway (force).")
        }
        halted = true
        onShutdown?()
        return .finished
    }

    /// Redis's cancelShutdown: a signal's pending request dropped too, the callers
    /// answered, writes released.
    private func cancelShutdown() {
        shutdownRequested = false
        if let wait = shutdownWait {
            shutdownWait = nil
            for client in wait.callers where client.blocked?.timeoutReply == .shutdownFailed {
                _ = forceUnblock(client, withError: false)
            }
            updatePause(now: Clock.milliseconds())
        }
        onShutdownCancelled?()
    }
}
