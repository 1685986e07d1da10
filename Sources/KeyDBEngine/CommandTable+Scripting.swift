/// The command table's scripting rows: EVAL, FCALL, SCRIPT and FUNCTION
/// (part of the one table `CommandTable.standard()` builds).
extension CommandTable {
    static var scripting: [CommandSpec] { [
        CommandSpec("eval", arity: -3, flags: [.runsScript, .noScript, .skipMonitor, .mayReplicate, .noMandatoryKeys, .stale], group: "scripting", since: "2.6.0", summary: "Runs a Lua script.", complexity: "Depends on the script that is executed.", handler: ScriptCommands.eval),
        CommandSpec("evalsha", arity: -3, flags: [.runsScript, .noScript, .skipMonitor, .mayReplicate, .noMandatoryKeys, .stale], group: "scripting", since: "2.6.0", summary: "Runs a cached Lua script by its SHA1.", complexity: "Depends on the script that is executed.", handler: ScriptCommands.evalsha),
        CommandSpec("eval_ro", arity: -3, flags: [.runsScript, .noScript, .skipMonitor, .noMandatoryKeys, .stale, .readonly], group: "scripting", since: "7.0.0", summary: "Runs a Lua script that may not write.", complexity: "Depends on the script that is executed.", handler: ScriptCommands.evalReadOnly),
        CommandSpec("evalsha_ro", arity: -3, flags: [.runsScript, .noScript, .skipMonitor, .noMandatoryKeys, .stale, .readonly], group: "scripting", since: "7.0.0", summary: "Runs a cached Lua script that may not write.", complexity: "Depends on the script that is executed.", handler: ScriptCommands.evalshaReadOnly),
        CommandSpec("fcall", arity: -3, flags: [.runsScript, .noScript, .skipMonitor, .mayReplicate, .noMandatoryKeys, .stale], group: "scripting", since: "7.0.0", summary: "Calls a function.", complexity: "Depends on the function that is executed.", handler: FunctionCommands.fcall),
        CommandSpec("fcall_ro", arity: -3, flags: [.runsScript, .noScript, .skipMonitor, .noMandatoryKeys, .stale, .readonly], group: "scripting", since: "7.0.0", summary: "Calls a function that may not write.", complexity: "Depends on the function that is executed.", handler: FunctionCommands.fcallReadOnly),
        CommandSpec("script", arity: -2, flags: [], group: "scripting", since: "2.6.0", summary: "Commands about the Lua script cache.", complexity: "Depends on subcommand.", subcommands: [
            CommandSpec("debug", arity: 3, flags: [.noScript], group: "scripting", since: "3.2.0", summary: "Sets the debug mode of scripts.", parent: "script", handler: ScriptCommands.debug),
            CommandSpec("exists", arity: -3, flags: [.noScript], group: "scripting", since: "2.6.0", summary: "Tells which scripts are cached.", complexity: "O(N) with N being the number of scripts to check (so checking a single script is an O(1) operation).", parent: "script", handler: ScriptCommands.exists),
            CommandSpec("flush", arity: -2, flags: [.noScript], group: "scripting", since: "2.6.0", summary: "Forgets every cached script.", complexity: "O(N) with N being the number of scripts in cache", parent: "script", handler: ScriptCommands.flush),
            CommandSpec("help", arity: 2, flags: [.loading, .stale], group: "scripting", since: "5.0.0", summary: "Lists the SCRIPT subcommands.", parent: "script", handler: ScriptCommands.help),
            CommandSpec("kill", arity: 2, flags: [.noScript, .allowBusy], group: "scripting", since: "2.6.0", summary: "Stops the running script, if it wrote nothing.", parent: "script", handler: ScriptCommands.kill),
            CommandSpec("load", arity: 3, flags: [.noScript, .stale], group: "scripting", since: "2.6.0", summary: "Caches a script without running it.", complexity: "O(N) with N being the length in bytes of the script body.", parent: "script", handler: ScriptCommands.load),
        ], handler: nil),
        CommandSpec("function", arity: -2, flags: [], group: "scripting", since: "7.0.0", summary: "Commands about function libraries.", complexity: "Depends on subcommand.", subcommands: [
            CommandSpec("delete", arity: 3, flags: [.noScript, .write], group: "scripting", since: "7.0.0", summary: "Deletes a library and its functions.", parent: "function", handler: FunctionCommands.delete),
            CommandSpec("dump", arity: 2, flags: [.noScript], group: "scripting", since: "7.0.0", summary: "Serializes every library.", complexity: "O(N) where N is the number of functions", parent: "function", handler: FunctionCommands.dump),
            CommandSpec("flush", arity: -2, flags: [.noScript, .write], group: "scripting", since: "7.0.0", summary: "Deletes every library.", complexity: "O(N) where N is the number of functions deleted", parent: "function", handler: FunctionCommands.flush),
            CommandSpec("help", arity: 2, flags: [.loading, .stale], group: "scripting", since: "7.0.0", summary: "Lists the FUNCTION subcommands.", parent: "function", handler: FunctionCommands.help),
            CommandSpec("kill", arity: 2, flags: [.noScript, .allowBusy], group: "scripting", since: "7.0.0", summary: "Stops the running function, if it wrote nothing.", parent: "function", handler: FunctionCommands.kill),
            CommandSpec("list", arity: -2, flags: [.noScript], group: "scripting", since: "7.0.0", summary: "Lists libraries and their functions.", complexity: "O(N) where N is the number of functions", parent: "function", handler: FunctionCommands.list),
            CommandSpec("load", arity: -3, flags: [.noScript, .write, .denyOOM], group: "scripting", since: "7.0.0", summary: "Creates a library from its code.", complexity: "O(1) (considering compilation time is redundant)", parent: "function", handler: FunctionCommands.load),
            CommandSpec("restore", arity: -3, flags: [.noScript, .write, .denyOOM], group: "scripting", since: "7.0.0", summary: "Restores libraries from a FUNCTION DUMP payload.", complexity: "O(N) where N is the number of functions on the payload", parent: "function", handler: FunctionCommands.restore),
            CommandSpec("stats", arity: 2, flags: [.noScript, .allowBusy], group: "scripting", since: "7.0.0", summary: "Describes the running function and the engines.", parent: "function", handler: FunctionCommands.stats),
        ], handler: nil),
    ] }
}
