/// The command table's cluster rows: CLUSTER and its subcommands, READONLY,
/// READWRITE and ASKING. SwiftKeyDB runs as a Redis without `cluster-enabled`,
/// so each answers that cluster support is disabled (`ClusterCommands`).
extension CommandTable {
    static var clusterCommands: [CommandSpec] { [
        CommandSpec("cluster", arity: -2, flags: [], group: "cluster", since: "3.0.0", summary: "Commands of Redis Cluster, which this server does not run.", complexity: "Depends on subcommand.", subcommands: [
            cluster("addslots", arity: -3, flags: changesSlots, summary: "Assigns hash slots to this node.", complexity: "O(N) where N is the total number of hash slot arguments"),
            cluster("addslotsrange", arity: -4, flags: changesSlots, since: "7.0.0", summary: "Assigns ranges of hash slots to this node.", complexity: "O(N) where N is the total number of the slots between the start slot and end slot arguments."),
            cluster("bumpepoch", arity: 2, flags: changesSlots, summary: "Advances the cluster's configuration epoch."),
            cluster("count-failure-reports", arity: 3, flags: [.admin, .stale], summary: "Returns how many failure reports are active for a node.", complexity: "O(N) where N is the number of failure reports"),
            cluster("countkeysinslot", arity: 3, flags: [.stale], summary: "Returns how many keys of this node are in a hash slot."),
            cluster("delslots", arity: -3, flags: changesSlots, summary: "Unbinds hash slots from this node.", complexity: "O(N) where N is the total number of hash slot arguments"),
            cluster("delslotsrange", arity: -4, flags: changesSlots, since: "7.0.0", summary: "Unbinds ranges of hash slots from this node.", complexity: "O(N) where N is the total number of the slots between the start slot and end slot arguments."),
            cluster("failover", arity: -2, flags: changesSlots, summary: "Makes a replica take over from its master."),
            cluster("flushslots", arity: 2, flags: changesSlots, summary: "Forgets every hash slot of this node."),
            cluster("forget", arity: 3, flags: changesSlots, summary: "Removes a node from this node's table."),
            cluster("getkeysinslot", arity: 4, flags: [.stale], summary: "Returns this node's keys in a hash slot.", complexity: "O(log(N)) where N is the number of requested keys"),
            cluster("help", arity: 2, flags: [.loading, .stale], since: "5.0.0", summary: "Lists the CLUSTER subcommands."),
            cluster("info", arity: 2, flags: [.stale], summary: "Returns the cluster's state as this node sees it."),
            cluster("keyslot", arity: 3, flags: [.stale], summary: "Returns the hash slot of a key.", complexity: "O(N) where N is the number of bytes in the key"),
            cluster("links", arity: 2, flags: [.stale], since: "7.0.0", summary: "Lists the links to and from the other nodes.", complexity: "O(N) where N is the total number of Cluster nodes"),
            cluster("meet", arity: -4, flags: changesSlots, summary: "Joins another node into the cluster."),
            cluster("myid", arity: 2, flags: [.stale], summary: "Returns this node's ID."),
            cluster("nodes", arity: 2, flags: [.stale], summary: "Returns the cluster's configuration as this node sees it.", complexity: "O(N) where N is the total number of Cluster nodes"),
            cluster("replicas", arity: 3, flags: [.admin, .stale], since: "5.0.0", summary: "Lists the replicas of a master node."),
            cluster("replicate", arity: 3, flags: changesSlots, summary: "Makes this node a replica of a master node."),
            cluster("reset", arity: -2, flags: [.admin, .noScript, .stale], summary: "Resets this node's cluster state.", complexity: "O(N) where N is the number of known nodes. The command may execute a FLUSHALL as a side effect."),
            cluster("saveconfig", arity: 2, flags: changesSlots, summary: "Saves the cluster's configuration to disk."),
            cluster("set-config-epoch", arity: 3, flags: changesSlots, summary: "Sets the configuration epoch of a new node."),
            cluster("setslot", arity: -4, flags: changesSlots, summary: "Binds a hash slot to a node, or marks it migrating."),
            cluster("shards", arity: 2, flags: [.stale], since: "7.0.0", summary: "Returns the cluster's shards and their slots.", complexity: "O(N) where N is the total number of cluster nodes"),
            cluster("slaves", arity: 3, flags: [.admin, .stale], summary: "Lists the replicas of a master node (CLUSTER REPLICAS's old name)."),
            cluster("slots", arity: 2, flags: [.stale], summary: "Returns which nodes serve which hash slots.", complexity: "O(N) where N is the total number of Cluster nodes"),
        ], handler: nil),
        CommandSpec("readonly", arity: 1, flags: [.loading, .stale, .fast], group: "cluster", categories: [.connection], since: "3.0.0", summary: "Lets a connection to a cluster replica read.", handler: ClusterCommands.disabled),
        CommandSpec("readwrite", arity: 1, flags: [.loading, .stale, .fast], group: "cluster", categories: [.connection], since: "3.0.0", summary: "Ends READONLY.", handler: ClusterCommands.disabled),
        CommandSpec("asking", arity: 1, flags: [.fast], group: "cluster", categories: [.connection], since: "3.0.0", summary: "Follows an -ASK redirection.", handler: ClusterCommands.disabled),
    ] }

    /// The subcommands that change the cluster's layout: not while loading asynchronously.
    private static let changesSlots: CommandFlags = [.admin, .stale, .noAsyncLoading]

    private static func cluster(_ name: String, arity: Int, flags: CommandFlags, since: String = "3.0.0",
                                summary: String, complexity: String = "O(1)") -> CommandSpec {
        CommandSpec(name, arity: arity, flags: flags, group: "cluster", since: since, summary: summary,
                    complexity: complexity, parent: "cluster", handler: ClusterCommands.disabled)
    }
}
