/// The command table's MODULE rows (`ModuleCommands`). LOAD, LOADEX and UNLOAD
/// are protected: refused unless `enable-module-command` allows the client.
extension CommandTable {
    static var moduleCommands: [CommandSpec] { [
        CommandSpec("module", arity: -2, flags: [], group: "server", since: "4.0.0", summary: "Commands about server modules, which this server does not load.", complexity: "Depends on subcommand.", subcommands: [
            CommandSpec("help", arity: 2, flags: [.loading, .stale], group: "server", since: "5.0.0", summary: "Lists the MODULE subcommands.", parent: "module", handler: ModuleCommands.help),
            CommandSpec("list", arity: 2, flags: [.admin, .noScript], group: "server", since: "4.0.0", summary: "Lists the loaded modules.", complexity: "O(N) where N is the number of loaded modules.", parent: "module", handler: ModuleCommands.list),
            CommandSpec("load", arity: -3, flags: [.admin, .noScript, .noAsyncLoading, .protected], group: "server", since: "4.0.0", summary: "Loads a module.", parent: "module", handler: ModuleCommands.load),
            CommandSpec("loadex", arity: -3, flags: [.admin, .noScript, .noAsyncLoading, .protected], group: "server", since: "7.0.0", summary: "Loads a module with configuration values and arguments.", parent: "module", handler: ModuleCommands.load),
            CommandSpec("unload", arity: 3, flags: [.admin, .noScript, .noAsyncLoading, .protected], group: "server", since: "4.0.0", summary: "Unloads a module.", parent: "module", handler: ModuleCommands.unload),
        ], handler: nil),
    ] }
}
