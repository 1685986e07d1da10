import KeyDBRESP

/// CLIENT PAUSE / UNPAUSE (Redis's pauseClients): while a pause lasts, commands
/// it covers are not run; their clients wait with the command unread, and run
/// it (and what they sent after it) once the pause ends, in the order they stopped.
public struct ClientPause: Sendable {
    /// WRITE holds commands that may change the dataset or replicate; ALL holds every command.
    public enum Kind: Int, Comparable, Sendable {
        case write = 1, all = 2
        public static func < (a: Kind, b: Kind) -> Bool { a.rawValue < b.rawValue }
    }

    public var kind: Kind
    /// Unix ms after which the pause is over.
    public var end: Int64
}

enum ClientPauseCommands {
    /// CLIENT PAUSE timeout [WRITE|ALL]
    static func pause(_ c: ClientSession, _ args: Arguments) {
        guard args.count <= 4 else { return c.replyError(bytes: ErrorReply.subcommandSyntax(args)) }
        var kind = ClientPause.Kind.all
        if args.count == 4 {
            if args.matches(3, "write") {
                kind = .write
            } else if !args.matches(3, "all") {
                return c.replyError(ErrorReply.pauseMode)
            }
        }
        guard let timeout = args.int64(2) else { return c.replyError(ErrorReply.timeoutNotInteger) }
        guard timeout >= 0 else { return c.replyError(ErrorReply.timeoutNegative) }
        // 0 ends at once; Redis adds without an overflow check (a huge timeout wraps to the past).
        let end = timeout == 0 ? 0 : timeout &+ c.now
        c.engine.pauseClients(ClientPause(kind: kind, end: end), now: c.now)
        c.replyOK()
    }

    /// CLIENT UNPAUSE
    static func unpause(_ c: ClientSession, _ args: Arguments) {
        c.engine.unpauseClients(now: c.now)
        c.replyOK()
    }
}

extension Engine {
    /// CLIENT PAUSE: starts a pause, or widens the current one: the stricter kind and the later end win.
    func pauseClients(_ requested: ClientPause, now: Int64) {
        if var current = commandPause {
            current.kind = max(current.kind, requested.kind)
            current.end = max(current.end, requested.end)
            commandPause = current
        } else {
            commandPause = requested
        }
        updatePause(now: now)
    }

    /// CLIENT UNPAUSE: the held clients run their commands again, in the order they
    /// stopped (unless SHUTDOWN or FAILOVER holds writes, which only their end or ABORT lifts).
    public func unpauseClients(now: Int64) {
        commandPause = nil
        updatePause(now: now)
    }

    /// Ends CLIENT PAUSE once its time has passed (Redis checks from its cron); true while a pause lasts.
    @discardableResult
    public func checkPauseTimeout(now: Int64) -> Bool {
        if let commandPause, commandPause.end < now { updatePause(now: now) }
        return pause != nil
    }

    /// Sets the pause in force from its two sources and expiry to match; a pause that
    /// became less strict lets the waiting clients try again (the still-covered ones wait anew).
    func updatePause(now: Int64) {
        let before = pause?.kind
        if let current = commandPause, current.end < now { commandPause = nil }
        // SHUTDOWN's wait for the replicas and FAILOVER hold writes until they end; CLIENT UNPAUSE does not lift them.
        let holdsWrites = shutdownWait != nil || replication.failover != nil
        pause = holdsWrites ? ClientPause(kind: max(commandPause?.kind ?? .write, .write), end: .max) : commandPause
        // A replica holds expiry too: its master deletes such keys, and sends the DELs.
        keyspace.expiryHeld = pause != nil || isReplica
        if let before, pause.map({ $0.kind < before }) ?? true { resumePostponedClients() }
    }

    /// Whether `command` must wait for the current pause to end: under WRITE, the
    /// commands that may change the dataset or replicate, and EXEC of a transaction holding one.
    @inline(__always) func pauseCovers(_ command: CommandSpec, _ args: Arguments, for client: ClientSession) -> Bool {
        // Replicas are never held, as in Redis: their ACKs are what SHUTDOWN's wait and FAILOVER wait for.
        guard let pause, client.replica == nil else { return false }
        if pause.kind == .all { return true }
        // A script that declared its flags is a write only without `no-writes`.
        if let writes = declaredScriptWrites(command, args) { return writes }
        if command.flags.contains(.write) || command.flags.contains(.mayReplicate) { return true }
        return command.fullName == "exec" && client.transaction?.mayReplicate == true
    }

    /// Parks `client` with its command unrun: it counts as blocked until the pause ends.
    func postpone(_ client: ClientSession) {
        guard !client.postponed else { return }
        client.postponed = true
        blockedClientCount += 1
        postponedClients.append(client)
    }

    /// Takes `client` out of the waiting list (resumed, killed, or gone).
    func forgetPostponed(_ client: ClientSession) {
        guard client.postponed else { return }
        client.postponed = false
        blockedClientCount -= 1
        postponedClients.removeAll { $0 === client }
    }

    /// Wakes every waiting client in the order they stopped; each runs its command again.
    private func resumePostponedClients() {
        let waiting = postponedClients
        postponedClients = []
        for client in waiting {
            client.postponed = false
            blockedClientCount -= 1
            client.scheduleWakeup()
        }
    }
}
