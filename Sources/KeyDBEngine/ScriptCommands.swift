import CLuaBridge
import KeyDBRESP

/// EVAL, EVALSHA, their _RO forms and SCRIPT (Redis's eval.c).
enum ScriptCommands {
    static func eval(_ c: ClientSession, _ args: Arguments) { run(c, args, bySHA: false, readOnly: false) }
    static func evalsha(_ c: ClientSession, _ args: Arguments) { run(c, args, bySHA: true, readOnly: false) }
    static func evalReadOnly(_ c: ClientSession, _ args: Arguments) { run(c, args, bySHA: false, readOnly: true) }
    static func evalshaReadOnly(_ c: ClientSession, _ args: Arguments) { run(c, args, bySHA: true, readOnly: true) }

    /// numkeys, checked as Redis checks it: an integer, within the arguments, not negative.
    static func keyCount(_ c: ClientSession, _ args: Arguments) -> Int? {
        guard let count = Int64(redisDecimal: args[2]) else {
            c.replyError(ErrorReply.notInteger)
            return nil
        }
        if count > Int64(args.count - 3) {
            c.replyError(ErrorReply.numKeysTooMany)
            return nil
        }
        if count < 0 {
            c.replyError(ErrorReply.numKeysNegative)
            return nil
        }
        return Int(count)
    }

    private static func run(_ c: ClientSession, _ args: Arguments, bySHA: Bool, readOnly: Bool) {
        let scripting = c.engine.scripting
        if bySHA && args[1].count != 40 { return c.replyError(ErrorReply.noScript) }
        guard let keys = keyCount(c, args) else { return }
        let script: Scripting.CachedScript
        if bySHA {
            guard let digest = ScriptDigest(hex: args[1]), let cached = scripting.scripts[digest] else {
                return c.replyError(ErrorReply.noScript)
            }
            script = cached
        } else {
            switch scripting.cache(args[1]) {
            case .failure(let error): return c.replyError(error.message)
            case .success(let cached): script = cached
            }
        }
        guard let interpreter = scripting.interpreterForEval() else { return c.replyError(ErrorReply.scriptingUnavailable) }
        // EVAL's KEYS and ARGV are globals, set in the table scripts read globals from.
        let state = interpreter.state
        skdb_lua_push_script_globals(state)
        ScriptInterpreter.push(state, "KEYS" as StaticString)
        ScriptInterpreter.pushArray(state, args, 3 ..< 3 + keys)
        lua_rawset(state, -3)
        ScriptInterpreter.push(state, "ARGV" as StaticString)
        ScriptInterpreter.pushArray(state, args, 3 + keys ..< args.count)
        lua_rawset(state, -3)
        skdb_lua_pop(state, 1)
        scripting.run(script.reference, in: interpreter, name: script.sha, isEval: true, flags: script.flags,
                      readOnlyCommand: readOnly, for: c,
                      declaredKeys: c.tracking == nil ? [] : (3 ..< 3 + keys).map { Bytes(args[$0]) }) { _ in 0 }
    }

    static func exists(_ c: ClientSession, _ args: Arguments) {
        let scripts = c.engine.scripting.scripts
        c.reply.writeArrayHeader(args.count - 2)
        for index in 2..<args.count {
            c.reply.writeIntegerReply(ScriptDigest(hex: args[index]).flatMap { scripts[$0] } != nil ? 1 : 0)
        }
    }

    static func flush(_ c: ClientSession, _ args: Arguments) {
        guard args.count == 2 || (args.count == 3 && (args.matches(2, "sync") || args.matches(2, "async"))) else {
            return c.replyError(ErrorReply.scriptFlushOption)
        }
        c.engine.scripting.flushScripts(lazyFree: c.engine.flushFreer(args, option: 2))
        c.replyOK()
    }

    static func load(_ c: ClientSession, _ args: Arguments) {
        switch c.engine.scripting.cache(args[2]) {
        case .failure(let error): c.replyError(error.message)
        case .success(let script): c.reply.writeBulk(script.sha)
        }
    }

    static func kill(_ c: ClientSession, _ args: Arguments) {
        if let refusal = c.engine.scripting.kill(byEval: true) { return c.replyError(refusal) }
        c.replyOK()
    }

    /// The Lua debugger (LDB) is not built in: NO is accepted, YES and SYNC are refused.
    static func debug(_ c: ClientSession, _ args: Arguments) {
        if args.matches(2, "no") { return c.replyOK() }
        if args.matches(2, "yes") || args.matches(2, "sync") { return c.replyError(ErrorReply.scriptDebugUnsupported) }
        c.replyError(ErrorReply.scriptDebugMode)
    }

    static func help(_ c: ClientSession, _ args: Arguments) {
        writeHelp(c, command: "SCRIPT", lines: [
            "DEBUG (YES|SYNC|NO)",
            "    Set the debug mode for subsequent scripts executed.",
            "EXISTS <sha1> [<sha1> ...]",
            "    Return information about the existence of the scripts in the script cache.",
            "FLUSH [ASYNC|SYNC]",
            "    Flush the Lua scripts cache. Very dangerous on replicas.",
            "    When called without the optional mode argument, the behavior is determined by the",
            "    lazyfree-lazy-user-flush configuration directive. Valid modes are:",
            "    * ASYNC: Asynchronously flush the scripts cache.",
            "    * SYNC: Synchronously flush the scripts cache.",
            "KILL",
            "    Kill the currently executing Lua script.",
            "LOAD <script>",
            "    Load a script into the scripts cache without executing it.",
        ])
    }
}
