import KeyDBRESP

/// The replication commands as a Redis master without replicas answers them
/// (Redis's replication.c): SwiftKeyDB does not replicate, so it is always a
/// master, its replication offset stays 0 (as INFO replication shows), and no
/// replica ever acknowledges a write.
enum ReplicationCommands {
    /// ROLE: ["master", offset, replicas].
    static func role(_ c: ClientSession, _ args: Arguments) {
        c.reply.writeArrayHeader(3)
        c.reply.writeBulk("master")
        c.reply.writeIntegerReply(0)
        c.reply.writeArrayHeader(0)
    }

    /// REPLICAOF / SLAVEOF NO ONE: already a master, so OK. Given a master to follow,
    /// the port is checked as Redis checks it, then refused: there is no replication.
    static func replicaof(_ c: ClientSession, _ args: Arguments) {
        if args.matches(1, "no") && args.matches(2, "one") { return c.replyOK() }
        guard let port = args.int64(2), (0...65535).contains(port) else { return c.replyError(ErrorReply.invalidMasterPort) }
        c.replyError(ErrorReply.replicationUnsupported)
    }

    /// WAIT numreplicas timeout: the count of replicas that acknowledged this
    /// connection's writes, always 0. Asked for none (or inside MULTI) it answers at
    /// once; asked for more, it waits out the timeout (ms, 0: for ever) as Redis does.
    static func wait(_ c: ClientSession, _ args: Arguments) {
        guard let wanted = args.int64(1) else { return c.replyError(ErrorReply.notInteger) }
        guard let timeout = args.int64(2) else { return c.replyError(ErrorReply.timeoutNotInteger) }
        guard timeout >= 0 else { return c.replyError(ErrorReply.timeoutNegative) }
        guard wanted > 0 else { return c.reply.writeIntegerReply(0) }
        c.engine.block(c, keys: [], deadline: timeout == 0 ? 0 : timeout &+ c.now,
                       timeoutReply: .noReplicas, deniedReply: .noReplicas) { _, _ in false }
    }

    /// FAILOVER [TO host port [FORCE]] [ABORT] [TIMEOUT ms]: the arguments are checked
    /// as Redis checks them, and then there is no replica to hand over to.
    static func failover(_ c: ClientSession, _ args: Arguments) {
        if args.count == 2 && args.matches(1, "abort") { return c.replyError(ErrorReply.noFailoverInProgress) }
        var (timeoutSeen, targetSeen, forceSeen) = (false, false, false)
        var index = 1
        while index < args.count {
            if args.matches(index, "timeout") && index + 1 < args.count && !timeoutSeen {
                guard let timeout = args.int64(index + 1) else { return c.replyError(ErrorReply.notInteger) }
                guard timeout > 0 else { return c.replyError(ErrorReply.failoverTimeout) }
                timeoutSeen = true
                index += 2
            } else if args.matches(index, "to") && index + 2 < args.count && !targetSeen {
                guard args.int64(index + 2) != nil else { return c.replyError(ErrorReply.notInteger) }
                targetSeen = true
                index += 3
            } else if args.matches(index, "force") && !forceSeen {
                forceSeen = true
                index += 1
            } else {
                return c.replyError(ErrorReply.syntax)
            }
        }
        c.replyError(ErrorReply.failoverWithoutReplicas)
    }
}
