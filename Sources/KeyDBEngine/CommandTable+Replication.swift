/// The command table's replication rows: the replication protocol (SYNC, PSYNC,
/// REPLCONF), ROLE, REPLICAOF / SLAVEOF, WAIT and FAILOVER (`ReplicationCommands`).
extension CommandTable {
    static var replicationCommands: [CommandSpec] { [
        CommandSpec("sync", arity: 1, flags: [.noAsyncLoading, .admin, .noMulti, .noScript], group: "server", since: "1.0.0", summary: "Asks for a snapshot and then the replication stream (the protocol before PSYNC).", handler: ReplicationCommands.sync),
        CommandSpec("psync", arity: -3, flags: [.noAsyncLoading, .admin, .noMulti, .noScript], group: "server", since: "2.8.0", summary: "Asks for the replication stream from an offset, or a snapshot first.", handler: ReplicationCommands.psync),
        CommandSpec("replconf", arity: -1, flags: [.admin, .noScript, .loading, .stale, .allowBusy], group: "server", since: "3.0.0", summary: "Tells the master about a replica, and acknowledges the stream.", handler: ReplicationCommands.replconf),
        CommandSpec("role", arity: 1, flags: [.noScript, .loading, .stale, .fast], group: "server", categories: [.admin, .dangerous], since: "2.8.12", summary: "Returns this server's replication role.", handler: ReplicationCommands.role),
        CommandSpec("replicaof", arity: 3, flags: [.admin, .noScript, .stale, .noAsyncLoading], group: "server", since: "5.0.0", summary: "Makes this server a replica of another, or a master (NO ONE).", handler: ReplicationCommands.replicaof),
        CommandSpec("slaveof", arity: 3, flags: [.admin, .noScript, .stale, .noAsyncLoading], group: "server", since: "1.0.0", summary: "REPLICAOF's old name.", handler: ReplicationCommands.replicaof),
        CommandSpec("wait", arity: 3, flags: [.noScript], group: "generic", categories: [.connection], excludedCategories: [.keyspace], since: "3.0.0", summary: "Waits until replicas have acknowledged this connection's writes.", handler: ReplicationCommands.wait),
        CommandSpec("failover", arity: -1, flags: [.admin, .noScript, .stale], group: "server", since: "6.2.0", summary: "Hands the master role to a replica.", handler: ReplicationCommands.failover),
    ] }
}
