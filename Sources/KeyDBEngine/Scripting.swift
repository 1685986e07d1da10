import CLuaBridge
import KeyDBRESP
import NIOCore

/// Scripting (Redis's eval.c, script.c and script_lua.c): EVAL's interpreter and script
/// cache, the run in progress, and the `redis` API scripts call.
///
/// A script runs on its caller's connection, inside its command, on a C stack of its
/// own. Past busy-reply-threshold it pauses at the count hook instead of holding the
/// event loop: the connection continues it on its next turns, and meanwhile every
/// other client is answered -BUSY (or may SCRIPT KILL it). Nothing else runs in
/// between, so the script stays atomic.
public final class Scripting {  // guarded by the keyspace lock
    unowned(unsafe) let engine: Engine  // the engine owns this

    struct CachedScript {
        /// The sha as text, the name errors and logs give the script.
        let sha: String
        let body: [UInt8]
        let flags: ScriptFlags
        let reference: Int32
    }

    private var evalInterpreter: ScriptInterpreter?
    /// EVAL's scripts by sha, kept until SCRIPT FLUSH.
    private(set) var scripts: [ScriptDigest: CachedScript] = [:]
    private(set) var scriptsMemory = 0
    /// The script running now, or paused past busy-reply-threshold.
    private(set) var current: ScriptRun?
    /// Set by FUNCTION LOAD while a library's code runs (its own time limit).
    var loadDeadline: Int64? = nil
    /// The client scripts run their commands as (Redis's lua client).
    let client: ClientSession
    private var commandInProgress = false
    /// redis.call's argv, refilled for each call.
    private var arguments = ScriptArguments()
    /// DEBUG SET-DISABLE-DENY-SCRIPTS: scripts may run commands flagged noscript (Redis's test hook).
    var denyListDisabled = false

    init(engine: Engine) {
        self.engine = engine
        client = ClientSession(engine: engine)
        client.denyBlocking = true
        client.isScriptClient = true
    }

    // MARK: - EVAL's cache

    func interpreterForEval() -> ScriptInterpreter? {
        if let evalInterpreter { return evalInterpreter }
        warnIfScriptsCannotPause()
        evalInterpreter = ScriptInterpreter(scripting: self) { state in
            Self.installRedisAPI(state)
        }
        return evalInterpreter
    }

    /// Compiles and caches `body` (once per sha); the error text is the reply.
    func cache(_ body: UnsafeRawBufferPointer) -> Result<CachedScript, ScriptError> {
        let digest = ScriptDigest(sha1: SHA1.words(body))
        if let cached = scripts[digest] { return .success(cached) }
        let body = Array(body)
        guard let interpreter = interpreterForEval() else { return .failure(ScriptError(ErrorReply.scriptingUnavailable)) }
        let flags: ScriptFlags, shebangLength: Int
        switch ScriptFlags.shebang(of: body) {
        case .success(let parsed): (flags, shebangLength) = parsed
        case .failure(let error): return .failure(ScriptError("ERR " + error.message))
        }
        switch interpreter.compile(body[shebangLength...], chunkName: "@user_script") {
        case .failure(let error):
            return .failure(ScriptError("ERR Error compiling script (new function): " + error.message))
        case .success(let reference):
            let script = CachedScript(sha: digest.text, body: body, flags: flags, reference: reference)
            scripts[digest] = script
            scriptsMemory += body.count + 40 + 64
            return .success(script)
        }
    }

    /// SCRIPT FLUSH: a new interpreter, no scripts; with `lazyFree` (ASYNC), a cache of
    /// more than 64 scripts is freed in the background.
    func flushScripts(lazyFree: LazyFree? = nil) {
        var flushed: [ScriptDigest: CachedScript] = [:]
        swap(&flushed, &scripts)
        let entries = flushed.count
        if let lazyFree { lazyFree.release(cache: consume flushed, entries: entries) }
        scriptsMemory = 0
        evalInterpreter = nil
    }

    var evalMemory: Int { evalInterpreter?.memory ?? 0 }

    // MARK: - Runs

    public var isRunning: Bool { current != nil }

    /// Starts `function` (a registry reference in `interpreter`) for `caller`; the reply is
    /// written when it ends, which may be after it pauses. `prepare` pushes the
    /// function's arguments and returns how many.
    func run(_ reference: Int32, in interpreter: ScriptInterpreter, name: String, isEval: Bool, flags: ScriptFlags,
             readOnlyCommand: Bool, for caller: ClientSession, commandLine: [[UInt8]] = [], declaredKeys: [Bytes] = [],
             prepare: (OpaquePointer) -> Int32) {
        if let refusal = refusal(flags: flags, readOnlyCommand: readOnlyCommand, caller: caller) {
            return caller.replyError(refusal)
        }
        let readOnly = readOnlyCommand || (!flags.contains(.evalCompat) && flags.contains(.noWrites))
        let allowOOM = !flags.contains(.evalCompat) && flags.contains(.allowOOM)
        let state = interpreter.state
        let base = lua_gettop(state)
        lua_rawgeti(state, skdb_lua_registry(), reference)
        let arguments = prepare(state)
        let run = ScriptRun(caller: caller, name: name, isEval: isEval, readOnly: readOnly, allowOOM: allowOOM,
                            outOfMemoryAtStart: engine.maxMemoryLimit > 0 && engine.commandStartedOutOfMemory,
                            interpreter: interpreter, base: base, arguments: arguments,
                            mayPause: !engine.loading && !caller.isInternal)
        run.commandLine = commandLine
        run.declaredKeys = declaredKeys
        current = run
        prepareClient(for: caller)
        // Inside an EXEC the stack already runs; the server's own clients' scripts never pause.
        guard let stack, !stack.isActive, !engine.isInsideTransaction, run.mayPause else { return execute(run) }
        // No closure to allocate on this path: the stack's body finds the run in `current`.
        enterStack(stack, for: caller) { stack in
            stack.run({ context in
                let scripting = Unmanaged<Scripting>.fromOpaque(context!).takeUnretainedValue()
                scripting.execute(scripting.current!)
            }, Unmanaged.passUnretained(self).toOpaque())
        }
    }

    /// Redis's scriptPrepareForRun checks for scripts that declared flags.
    private func refusal(flags: ScriptFlags, readOnlyCommand: Bool, caller: ClientSession) -> String? {
        let onReplica = engine.isReplica && !caller.isMaster
        let stale = onReplica && !engine.replicaServesStaleData && engine.master?.state != .connected
        guard !flags.contains(.evalCompat) else { return stale ? ErrorReply.masterDown : nil }
        if stale && !flags.contains(.allowStale) { return ErrorReply.scriptStaleWithoutFlag }
        if !flags.contains(.noWrites) {
            if onReplica && engine.replicaReadOnly { return ErrorReply.scriptWriteOnReadOnlyReplica }
            if let refusal = engine.writeRefusal { return refusal }
            if readOnlyCommand { return ErrorReply.scriptWriteFlagOnReadOnlyCommand }
            if let refusal = engine.lackOfReplicasRefusal { return refusal }
        }
        if engine.maxMemoryLimit > 0 && engine.commandStartedOutOfMemory && flags.isDisjoint(with: [.allowOOM, .noWrites]) {
            return ErrorReply.scriptNotAllowOOM
        }
        return nil
    }

    /// Runs `run` to its end (pausing on the way when it is on the script stack) and replies.
    private func execute(_ run: ScriptRun) {
        let hook: Int32 = engine.busyReplyThreshold > 0 ? 100_000 : 0
        run.sliceStartedMicros = Clock.monotonicMicroseconds()
        let status = skdb_lua_call(run.interpreter.state, run.arguments, hook)
        finish(run, failed: status != 0)
    }

    // MARK: - Pauses

    /// The stack scripts run on, so one past busy-reply-threshold can pause anywhere.
    let stack = ScriptStack()

    /// Without its stack (the memory could not be mapped) a script runs on the event loop's
    /// and cannot pause: said once, when the first interpreter is made.
    func warnIfScriptsCannotPause() {
        guard stack == nil, !warnedNoStack else { return }
        warnedNoStack = true
        engine.logWarning?("Could not map the script stack: a script past busy-reply-threshold will hold the server until it ends, and SCRIPT KILL cannot reach it.")
    }

    private var warnedNoStack = false

    /// The command paused on the stack (an EVAL, an FCALL, an EXEC running one).
    private struct PausedCommand {
        let caller: ClientSession
        /// CLIENT REPLY OFF or SKIP silenced it: what it writes after the pause is dropped too.
        let silenced: Bool
        /// Its unit in the log is held open until it ends (its effects are framed together).
        let holdsLogUnit: Bool
        /// Nesting of `Engine.call` in frames waiting on the stack, taken out while others run.
        var heldCallDepth: Int
        /// The command's accounting, done when it ends.
        var call: PausedCall?
    }

    private var paused: PausedCommand?

    /// Runs `body`, the part of `caller`'s command that may run a script, on the script
    /// stack. Should a script in it pause, the command returns now without its reply:
    /// the caller's connection continues it (`continueScript`) on its next turns and
    /// every other client is answered -BUSY, so the script stays atomic.
    func runOnStack(for caller: ClientSession, _ body: @escaping () -> Void) {
        guard let stack, !stack.isActive else { return body() }
        enterStack(stack, for: caller) { $0.run(body) }
    }

    /// `start` starts a body on `stack`, returning whether it paused.
    private func enterStack(_ stack: ScriptStack, for caller: ClientSession, start: (ScriptStack) -> Bool) {
        let silenced = caller.replyMode == .off || caller.replyMode == .skip
        let outside = engine.callDepth
        guard start(stack) else { return }
        caller.runsScript = true
        engine.scriptBusy = true
        engine.appendOnlyFeed?.holdCall()
        // The levels of calls waiting on the stack, and the command's own: its call
        // returns now, while what runs after the pause is still inside it.
        paused = PausedCommand(caller: caller, silenced: silenced, holdsLogUnit: engine.appendOnlyFeed != nil,
                               heldCallDepth: engine.callDepth - outside + 1)
        engine.callDepth = outside
    }

    /// The command that just paused leaves its accounting for its end. Only the outer
    /// one: an EVAL inside a paused EXEC is counted as it ends, as any command.
    func deferAccounting(_ call: PausedCall) -> Bool {
        guard paused != nil, paused?.call == nil else { return false }
        paused?.call = call
        return true
    }

    /// The network layer continues a paused command on its caller's connection.
    public func continueScript(of caller: ClientSession) {
        guard var command = paused, command.caller === caller, let stack else {
            caller.runsScript = false
            return
        }
        current?.sliceStartedMicros = Clock.monotonicMicroseconds()
        let mark = caller.reply.writerIndex
        let outside = engine.callDepth
        let errorsBefore = engine.stats.errorReplies
        // The slice runs as part of the caller's command (client-side caching's NOLOOP and
        // the invalidations that follow its reply).
        let outsideClient = engine.currentClient
        engine.currentClient = caller
        defer { engine.currentClient = outsideClient }
        engine.callDepth += command.heldCallDepth
        let pausedAgain = stack.resume()
        command.heldCallDepth = engine.callDepth - outside
        engine.callDepth = outside
        // After a pause the reply lands outside its command, past CLIENT REPLY's filter.
        if command.silenced { caller.reply.moveWriterIndex(to: mark) }
        if pausedAgain {
            paused = command
            return
        }
        paused = nil
        caller.runsScript = false
        engine.scriptBusy = false
        if command.holdsLogUnit { engine.appendOnlyFeed?.releaseCall() }
        engine.noteWriteOffset(of: caller)
        if let call = command.call {
            // Its reply was counted in this last slice; errors charged to commands inside it were not its own.
            let failed = engine.stats.errorReplies > max(errorsBefore, engine.errorsAccounted)
            engine.errorsAccounted = engine.stats.errorReplies
            engine.finishPausedCall(call, for: caller, failed: failed)
        }
        if engine.keyspace.hasReadyKeys { engine.serveReadyKeys() }
        if caller.unregisterAfterScript {
            engine.unregister(caller)
        } else if caller.tracking != nil || !caller.pendingInvalidations.isEmpty {
            engine.afterTrackedCommand(caller)
        }
    }

    private func finish(_ run: ScriptRun, failed: Bool) {
        let state = run.interpreter.state
        let caller = run.caller
        if failed {
            replyScriptError(from: state, run: run, to: caller)
        } else {
            ScriptReplies.write(state, into: &caller.reply, engine: engine,
                                protocols: .init(caller: caller.resp3, script: client.resp3)) {
                // An error table from redis.pcall was counted when the command failed.
                caller.lastCommandSpec?.statistics.failedCalls += 1
            }
        }
        lua_settop(state, run.base)
        run.interpreter.afterRun()
        current = nil
        client.pinnedNow = 0
    }

    private func replyScriptError(from state: OpaquePointer, run: ScriptRun, to caller: ClientSession) {
        var message: String
        var counted = true
        if lua_type(state, -1) == LUA_TTABLE {
            ScriptInterpreter.rawField(state, -1, "err")
            message = ScriptInterpreter.string(state, at: -1) ?? "ERR unknown error"
            skdb_lua_pop(state, 1)
            ScriptInterpreter.rawField(state, -1, "ignore_error_stats_update")
            counted = lua_toboolean(state, -1) == 0
            skdb_lua_pop(state, 1)
        } else {
            message = "ERR " + (ScriptInterpreter.string(state, at: -1) ?? Self.describe(state, at: -1))
        }
        var line: Int32 = 0
        if let source = skdb_lua_error_origin(state, &line) {
            message += " script: \(run.name), on \(String(cString: source)):\(line)."
        }
        if run.killed { engine.logWarning?("Lua script killed by user with SCRIPT KILL.") }
        let text = Array(message.utf8).map { $0 == 13 || $0 == 10 ? 32 : $0 }
        if counted { engine.countError(text) } else { caller.lastCommandSpec?.statistics.failedCalls += 1 }
        caller.reply.writeError(bytes: text)
    }

    static func describe(_ state: OpaquePointer, at index: Int32) -> String {
        switch lua_type(state, index) {
        case LUA_TNIL: "nil"
        case LUA_TBOOLEAN: lua_toboolean(state, index) != 0 ? "true" : "false"
        default: String(cString: lua_typename(state, lua_type(state, index)))
        }
    }

    // MARK: - Time limit

    /// Called by the count hook every 100,000 instructions.
    func interrupt(_ state: OpaquePointer) -> Int32 {
        if let deadline = loadDeadline {
            return Clock.monotonicMicroseconds() / 1000 > deadline ? Int32(SKDB_LOAD_TIMEOUT) : Int32(SKDB_CONTINUE)
        }
        guard let run = current else { return Int32(SKDB_CONTINUE) }
        if run.killed { return Int32(SKDB_KILL) }
        if !run.timedOut {
            let elapsed = run.elapsedMilliseconds
            guard elapsed >= engine.busyReplyThreshold else { return Int32(SKDB_CONTINUE) }
            run.timedOut = true
            engine.logWarning?("Slow script detected: still in execution after \(elapsed) milliseconds. You can try killing the script using the \(run.isEval ? "SCRIPT KILL" : "FUNCTION KILL") command. Script name is: \(run.name).")
        }
        // Slices of about 10 ms between pauses: other clients are served in between.
        guard run.mayPause, Clock.monotonicMicroseconds() - run.sliceStartedMicros >= 10_000 else { return Int32(SKDB_CONTINUE) }
        return Int32(SKDB_PAUSE)
    }

    /// SCRIPT KILL / FUNCTION KILL.
    func kill(byEval: Bool) -> String? {
        guard let run = current else { return ErrorReply.noScriptRunning }
        if run.wroteData { return ErrorReply.scriptUnkillable }
        if byEval && !run.isEval { return ErrorReply.busyFunction }
        if !byEval && run.isEval { return ErrorReply.busyScript }
        run.killed = true
        return nil
    }

    /// The -BUSY text for commands refused while a script is paused.
    var busyError: String { current?.isEval == false ? ErrorReply.busyFunction : ErrorReply.busyScript }

    // MARK: - The redis API

    enum HostFunction: Int32 {
        case call = 1, pcall, log, setResp, sha1hex, errorReply, statusReply, setRepl, replicateCommands,
             aclCheckCmd, breakpoint, debug, registerFunction
    }

    /// Fills the `redis` table on top of `state` with the API every script sees.
    static func installRedisAPI(_ state: OpaquePointer) {
        let functions: [(String, HostFunction)] = [
            ("call", .call), ("pcall", .pcall), ("log", .log), ("setresp", .setResp), ("sha1hex", .sha1hex),
            ("error_reply", .errorReply), ("status_reply", .statusReply), ("set_repl", .setRepl),
            ("replicate_commands", .replicateCommands), ("acl_check_cmd", .aclCheckCmd),
            ("breakpoint", .breakpoint), ("debug", .debug),
        ]
        for (name, function) in functions {
            skdb_lua_push_host_function(state, function.rawValue)
            lua_setfield(state, -2, name)
        }
        installConstants(state)
    }

    static func installConstants(_ state: OpaquePointer) {
        let numbers: [(String, Double)] = [
            ("LOG_DEBUG", 0), ("LOG_VERBOSE", 1), ("LOG_NOTICE", 2), ("LOG_WARNING", 3),
            ("REPL_NONE", 0), ("REPL_AOF", 1), ("REPL_SLAVE", 2), ("REPL_REPLICA", 2), ("REPL_ALL", 3),
            ("REDIS_VERSION_NUM", Double(ServerIdentity.redisVersionNumber)),
        ]
        for (name, value) in numbers {
            lua_pushnumber(state, value)
            lua_setfield(state, -2, name)
        }
        ScriptInterpreter.push(state, ServerIdentity.redisVersion)
        lua_setfield(state, -2, "REDIS_VERSION")
    }

    /// Runs host function `id`: returns how many results it pushed, or -1 to raise the value on top.
    func hostFunction(_ id: Int, _ state: OpaquePointer) -> Int32 {
        guard let function = HostFunction(rawValue: Int32(id)) else { return 0 }
        switch function {
        case .call: return command(state, raise: true)
        case .pcall: return command(state, raise: false)
        case .log: return log(state)
        case .setResp: return setResp(state)
        case .sha1hex:
            guard lua_gettop(state) == 1 else { return raise(state, "wrong number of arguments") }
            let hex = SHA1.hex(ScriptInterpreter.bytes(state, at: 1) ?? [])
            ScriptInterpreter.push(state, hex)
            return 1
        case .errorReply, .statusReply:
            guard lua_gettop(state) == 1, lua_type(state, 1) == LUA_TSTRING, let text = ScriptInterpreter.bytes(state, at: 1) else {
                ScriptInterpreter.pushError(state, "ERR wrong number or type of arguments")
                return 1
            }
            if function == .statusReply {
                lua_createtable(state, 0, 1)
                ScriptInterpreter.push(state, text)
                lua_setfield(state, -2, "ok")
            } else {
                ScriptInterpreter.pushError(state, Self.errorText(dashed: text.first == UInt8(ascii: "-") ? text : [UInt8(ascii: "-")] + text))
            }
            return 1
        case .setRepl: return setRepl(state)
        case .replicateCommands:
            lua_pushboolean(state, 1)
            return 1
        case .aclCheckCmd: return aclCheck(state)
        case .breakpoint:
            lua_pushboolean(state, 0)
            return 1
        case .debug: return 0
        case .registerFunction: return engine.functions.registerFunction(state)
        }
    }

    /// Raises Redis's error table for `text` (a plain message gets the ERR code).
    private func raise(_ state: OpaquePointer, _ text: String) -> Int32 {
        ScriptInterpreter.pushError(state, "ERR " + text)
        return -1
    }

    /// Redis's luaPushErrorBuff for a "-CODE message" text: "CODE message", or "ERR message"
    /// when there is no space; trailing line ends trimmed.
    static func errorText(dashed text: [UInt8]) -> String {
        var body = text.dropFirst()
        while let last = body.last, last == 13 || last == 10 { body = body.dropLast() }
        guard let space = body.firstIndex(of: 32) else { return "ERR " + String(decoding: body, as: UTF8.self) }
        var message = body[(space + 1)...]
        while let first = message.first, first == 13 || first == 10 { message = message.dropFirst() }
        return String(decoding: body[..<space], as: UTF8.self) + " " + String(decoding: message, as: UTF8.self)
    }

    private func log(_ state: OpaquePointer) -> Int32 {
        let count = lua_gettop(state)
        guard count >= 2 else { return raise(state, "redis.log() requires two arguments or more.") }
        guard lua_isnumber(state, 1) != 0 else { return raise(state, "First argument must be a number (log level).") }
        let level = Int(lua_tonumber(state, 1))
        guard (0...3).contains(level) else { return raise(state, "Invalid debug level.") }
        let verbosity = ["debug", "verbose", "notice", "warning"].firstIndex(of: engine.configuration.logLevel) ?? 2
        guard level >= verbosity else { return 0 }
        var parts: [String] = []
        for index in 2...count {
            if let text = ScriptInterpreter.string(state, at: index) { parts.append(text) }
        }
        let text = parts.joined(separator: " ")
        if level == 3 { engine.logWarning?(text) } else { engine.logNotice?(text) }
        return 0
    }

    /// A Lua number as C's cast to int would read it, or nil for one no int holds (inf, nan).
    private static func integer(_ number: Double) -> Int? {
        number.isFinite && abs(number) < 1e18 ? Int(number) : nil
    }

    private func setResp(_ state: OpaquePointer) -> Int32 {
        guard current != nil else { return raise(state, "redis.setresp can only be called inside a script invocation") }
        guard lua_gettop(state) == 1 else { return raise(state, "redis.setresp() requires one argument.") }
        let version = Self.integer(lua_tonumber(state, 1))
        guard version == 2 || version == 3 else { return raise(state, "RESP version must be 2 or 3.") }
        client.resp3 = version == 3
        return 0
    }

    private func setRepl(_ state: OpaquePointer) -> Int32 {
        guard let run = current else { return raise(state, "redis.set_repl can only be called inside a script invocation") }
        guard lua_gettop(state) == 1 else { return raise(state, "redis.set_repl() requires two arguments.") }
        guard let flags = Self.integer(lua_tonumber(state, -1)), flags & ~3 == 0 else { return raise(state, "Invalid replication flags. Use REPL_AOF, REPL_REPLICA, REPL_ALL or REPL_NONE.") }
        run.propagation = PropagationTargets(rawValue: UInt8(flags))
        return 0
    }

    private func aclCheck(_ state: OpaquePointer) -> Int32 {
        guard let run = current else { return raise(state, "redis.acl_check_cmd can only be called inside a script invocation") }
        var argv = ScriptArguments()
        if let failure = argv.take(from: state) { return raise(state, failure) }
        return argv.withArguments { args -> Int32 in
            // As Redis: the command is looked up, its arity not checked.
            guard let command = engine.commands.lookup(args) else {
                return raise(state, "Invalid command passed to redis.acl_check_cmd()")
            }
            let allowed = run.caller.aclUnrestricted || run.caller.user.check(command, args) == nil
            lua_pushboolean(state, allowed ? 1 : 0)
            return 1
        }
    }

    // MARK: - redis.call

    /// redis.call / redis.pcall: runs one command as the script's client and pushes its reply.
    private func command(_ state: OpaquePointer, raise: Bool) -> Int32 {
        guard let run = current else {
            ScriptInterpreter.pushError(state, "ERR redis.call/pcall can only be called inside a script invocation")
            return -1
        }
        if let failure = arguments.take(from: state) {
            ScriptInterpreter.pushError(state, "ERR " + failure)
            return raise ? -1 : 1
        }
        guard !commandInProgress else {
            ScriptInterpreter.pushError(state, "ERR luaRedisGenericCommand() recursive call detected. Are you doing funny stuff with Lua debug hooks?")
            return 1
        }
        commandInProgress = true
        defer { commandInProgress = false }
        let failure = arguments.withArguments { args in execute(args, for: run) }
        if let failure {
            // Charged to the refused command and to the error stats, once: the script's own
            // error reply built from it is not counted again.
            engine.countError(failure.utf8)
            engine.errorsAccounted = engine.stats.errorReplies
            ScriptInterpreter.pushError(state, failure)
            lua_pushboolean(state, 1)
            lua_setfield(state, -2, "ignore_error_stats_update")
            return raise ? -1 : 1
        }
        let isError = ScriptReplies.push(client.reply, into: state)
        client.reply.clear()
        return raise && isError ? -1 : 1
    }

    /// Redis's scriptCall: the checks a command from a script must pass, then the call.
    /// Returns the error text when it is refused.
    private func execute(_ args: Arguments, for run: ScriptRun) -> String? {
        guard let command = engine.commands.lookup(args) else { return ErrorReply.scriptUnknownCommand }
        guard command.acceptsArgumentCount(args.count) else { return ErrorReply.scriptWrongArity }
        guard let refusal = check(command, args, for: run) else { return nil }
        command.statistics.rejectedCalls += 1
        return refusal
    }

    /// Runs `command` unless a check refuses it (the refusal is returned).
    private func check(_ command: CommandSpec, _ args: Arguments, for run: ScriptRun) -> String? {
        if command.flags.contains(.noScript) && !denyListDisabled { return ErrorReply.scriptCommandNotAllowed }
        if engine.isReplica && !engine.replicaServesStaleData && engine.master?.state != .connected && !command.flags.contains(.stale) {
            return ErrorReply.scriptCommandOnStaleReplica
        }
        let caller = run.caller
        if client.user !== caller.user || client.aclUnrestricted != caller.aclUnrestricted {
            client.adopt(user: caller.user, unrestricted: caller.aclUnrestricted)
        }
        if !caller.aclUnrestricted, let denial = engine.aclDenial(command, args, for: client, context: .lua) {
            return ErrorReply.scriptNoPermission(denial)
        }
        let writes = command.flags.contains(.write)
        if run.readOnly && !command.flags.isDisjoint(with: [.write, .mayReplicate]) { return ErrorReply.scriptWriteInReadOnly }
        if writes && !run.wroteData {
            if engine.isReplica && engine.replicaReadOnly && !caller.isMaster { return ErrorReply.readOnlyReplica }
            if let refusal = engine.writeRefusal ?? engine.lackOfReplicasRefusal { return refusal }
        }
        if !run.allowOOM && !run.wroteData && run.outOfMemoryAtStart && engine.maxMemoryLimit > 0 && command.flags.contains(.denyOOM) {
            return ErrorReply.outOfMemory
        }
        if writes { run.wroteData = true }
        client.pinnedNow = run.snapshotTime
        if run.propagation == .all {
            engine.call(command, args, for: client)
        } else if run.propagation.isEmpty || engine.appendOnlyFeed == nil {
            let feed = engine.appendOnlyFeed
            engine.appendOnlyFeed = nil
            engine.call(command, args, for: client)
            engine.appendOnlyFeed = feed
        } else {
            engine.appendOnlyFeed!.restrict(to: run.propagation) { engine.call(command, args, for: client) }
        }
        return nil
    }

    /// Prepares the script client for a new run in `caller`'s database.
    func prepareClient(for caller: ClientSession) {
        client.db = caller.db
        // Every run starts in RESP2; redis.setresp(3) switches the replies it reads.
        client.resp3 = false
        client.reply.clear()
    }
}
