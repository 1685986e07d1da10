/// The command table's introspection rows: SLOWLOG
/// (part of the one table `CommandTable.standard()` builds).
extension CommandTable {
    static var introspection: [CommandSpec] { [
        CommandSpec("slowlog", arity: -2, flags: [], group: "server", since: "2.2.12", summary: "Commands about the slow log.", complexity: "Depends on subcommand.", subcommands: [
            CommandSpec("get", arity: -2, flags: [.admin, .loading, .stale], group: "server", since: "2.2.12", summary: "Returns the newest slow log entries.", complexity: "O(N) where N is the number of entries returned", parent: "slowlog", handler: SlowLogCommand.get),
            CommandSpec("len", arity: 2, flags: [.admin, .loading, .stale], group: "server", since: "2.2.12", summary: "Returns the number of slow log entries.", parent: "slowlog", handler: SlowLogCommand.len),
            CommandSpec("reset", arity: 2, flags: [.admin, .loading, .stale], group: "server", since: "2.2.12", summary: "Empties the slow log.", complexity: "O(N) where N is the number of entries in the slowlog", parent: "slowlog", handler: SlowLogCommand.reset),
            CommandSpec("help", arity: 2, flags: [.loading, .stale], group: "server", since: "6.2.0", summary: "Lists the SLOWLOG subcommands.", parent: "slowlog", handler: SlowLogCommand.help),
        ], handler: nil),
    ] }
}
