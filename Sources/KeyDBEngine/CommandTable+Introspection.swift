/// The command table's introspection rows: SLOWLOG, LATENCY and MONITOR
/// (part of the one table `CommandTable.standard()` builds).
extension CommandTable {
    static var introspection: [CommandSpec] { [
        CommandSpec("slowlog", arity: -2, flags: [], group: "server", since: "2.2.12", summary: "Commands about the slow log.", complexity: "Depends on subcommand.", subcommands: [
            CommandSpec("get", arity: -2, flags: [.admin, .loading, .stale], group: "server", since: "2.2.12", summary: "Returns the newest slow log entries.", complexity: "O(N) where N is the number of entries returned", parent: "slowlog", handler: SlowLogCommand.get),
            CommandSpec("len", arity: 2, flags: [.admin, .loading, .stale], group: "server", since: "2.2.12", summary: "Returns the number of slow log entries.", parent: "slowlog", handler: SlowLogCommand.len),
            CommandSpec("reset", arity: 2, flags: [.admin, .loading, .stale], group: "server", since: "2.2.12", summary: "Empties the slow log.", complexity: "O(N) where N is the number of entries in the slowlog", parent: "slowlog", handler: SlowLogCommand.reset),
            CommandSpec("help", arity: 2, flags: [.loading, .stale], group: "server", since: "6.2.0", summary: "Lists the SLOWLOG subcommands.", parent: "slowlog", handler: SlowLogCommand.help),
        ], handler: nil),
        CommandSpec("latency", arity: -2, flags: [], group: "server", since: "2.8.13", summary: "Commands about latency events and per-command latencies.", complexity: "Depends on subcommand.", subcommands: [
            CommandSpec("latest", arity: 2, flags: [.admin, .noScript, .loading, .stale], group: "server", since: "2.8.13", summary: "Returns each event's newest sample.", parent: "latency", handler: LatencyCommand.latest),
            CommandSpec("history", arity: 3, flags: [.admin, .noScript, .loading, .stale], group: "server", since: "2.8.13", summary: "Returns an event's samples.", parent: "latency", handler: LatencyCommand.history),
            CommandSpec("reset", arity: -2, flags: [.admin, .noScript, .loading, .stale], group: "server", since: "2.8.13", summary: "Forgets the samples of some events, or of all.", parent: "latency", handler: LatencyCommand.reset),
            CommandSpec("graph", arity: 3, flags: [.admin, .noScript, .loading, .stale], group: "server", since: "2.8.13", summary: "Draws an event's samples as text.", parent: "latency", handler: LatencyCommand.graph),
            CommandSpec("doctor", arity: 2, flags: [.admin, .noScript, .loading, .stale], group: "server", since: "2.8.13", summary: "Reads the events and suggests remedies.", parent: "latency", handler: LatencyCommand.doctor),
            CommandSpec("histogram", arity: -2, flags: [.admin, .noScript, .loading, .stale], group: "server", since: "7.0.0", summary: "Returns per-command latency distributions.", complexity: "O(N) where N is the number of commands with latency information being retrieved.", parent: "latency", handler: LatencyCommand.histogram),
            CommandSpec("help", arity: 2, flags: [.loading, .stale], group: "server", since: "2.8.13", summary: "Lists the LATENCY subcommands.", parent: "latency", handler: LatencyCommand.help),
        ], handler: nil),
        CommandSpec("monitor", arity: 1, flags: [.admin, .noScript, .loading, .stale], group: "server", since: "1.0.0", summary: "Streams every command the server runs to this connection.", handler: MonitorCommand.monitor),
    ] }
}
