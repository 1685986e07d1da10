import KeyDBRESP

/// FCALL, FCALL_RO and FUNCTION (Redis's functions.c).
enum FunctionCommands {
    static func fcall(_ c: ClientSession, _ args: Arguments) { call(c, args, readOnly: false) }
    static func fcallReadOnly(_ c: ClientSession, _ args: Arguments) { call(c, args, readOnly: true) }

    private static func call(_ c: ClientSession, _ args: Arguments, readOnly: Bool) {
        let libraries = c.engine.functions
        let name = args.string(1)
        guard libraries.function(named: name) != nil else { return c.replyError(ErrorReply.functionNotFound) }
        guard let count = Int64(redisDecimal: args[2]) else { return c.replyError(ErrorReply.functionBadKeyCount) }
        if count > Int64(args.count - 3) { return c.replyError(ErrorReply.numKeysTooMany) }
        if count < 0 { return c.replyError(ErrorReply.numKeysNegative) }
        let keys = (0..<Int(count)).map { args.bytes(3 + $0) }
        let arguments = (3 + Int(count) ..< args.count).map { args.bytes($0) }
        libraries.call(name, keys: keys, arguments: arguments, readOnly: readOnly, for: c,
                       commandLine: (0..<args.count).map { args.bytes($0) })
    }

    /// FUNCTION LOAD [REPLACE] code
    static func load(_ c: ClientSession, _ args: Arguments) {
        var replace = false
        var index = 2
        while index < args.count - 1 {
            guard args.matches(index, "replace") else { return c.replyError(ErrorReply.functionLoadOption(args.string(index))) }
            replace = true
            index += 1
        }
        guard index == args.count - 1 else { return c.replyError(ErrorReply.functionCodeMissing) }
        // The log's replay is never cut short (Redis lets its own clients take their time).
        switch c.engine.functions.load(args.bytes(index), replace: replace, timeLimit: !c.isInternal) {
        case .failure(let error): c.replyError(error.message)
        case .success(let name):
            c.engine.keyspace.dirty += 1  // a write: logged and replicated as sent
            c.reply.writeBulk(name)
        }
    }

    static func delete(_ c: ClientSession, _ args: Arguments) {
        guard c.engine.functions.delete(args.string(2)) else { return c.replyError(ErrorReply.libraryNotFound) }
        c.engine.keyspace.dirty += 1
        c.replyOK()
    }

    static func flush(_ c: ClientSession, _ args: Arguments) {
        if args.count > 3 { return c.replyError(bytes: ErrorReply.subcommandSyntax(args)) }
        guard args.count == 2 || (args.count == 3 && (args.matches(2, "async") || args.matches(2, "sync"))) else {
            return c.replyError(ErrorReply.functionFlushOption)
        }
        c.engine.functions.flush(lazyFree: c.engine.flushFreer(args, option: 2))
        c.engine.keyspace.dirty += 1
        c.replyOK()
    }

    static func kill(_ c: ClientSession, _ args: Arguments) {
        if let refusal = c.engine.scripting.kill(byEval: false) { return c.replyError(refusal) }
        c.replyOK()
    }

    /// FUNCTION LIST [WITHCODE] [LIBRARYNAME pattern]
    static func list(_ c: ClientSession, _ args: Arguments) {
        var withCode = false
        var pattern: [UInt8]? = nil
        var index = 2
        while index < args.count {
            if !withCode && args.matches(index, "withcode") {
                withCode = true
            } else if pattern == nil && args.matches(index, "libraryname") {
                guard index + 1 < args.count else { return c.replyError(ErrorReply.functionListLibraryName) }
                index += 1
                pattern = args.bytes(index)
            } else {
                return c.replyError(ErrorReply.functionListArgument(args.string(index)))
            }
            index += 1
        }
        let libraries = c.engine.functions.sortedLibraries.filter { library in
            guard let pattern else { return true }
            return pattern.withUnsafeBytes { wanted in
                Array(library.name.utf8).withUnsafeBytes { GlobPattern.matches(wanted, $0, ignoringCase: true) }
            }
        }
        c.reply.writeArrayHeader(libraries.count)
        for library in libraries {
            c.replyMapHeader(withCode ? 4 : 3)
            c.reply.writeBulk("library_name")
            c.reply.writeBulk(library.name)
            c.reply.writeBulk("engine")
            c.reply.writeBulk("LUA")
            c.reply.writeBulk("functions")
            let functions = library.functions.values.sorted { $0.name < $1.name }
            c.reply.writeArrayHeader(functions.count)
            for function in functions {
                c.replyMapHeader(3)
                c.reply.writeBulk("name")
                c.reply.writeBulk(function.name)
                c.reply.writeBulk("description")
                if let description = function.description { c.reply.writeBulk(description) } else { c.replyNull() }
                c.reply.writeBulk("flags")
                let words = function.flags.words
                c.replySetHeader(words.count)
                for word in words { c.reply.writeSimpleString(word) }
            }
            if withCode {
                c.reply.writeBulk("library_code")
                c.reply.writeBulk(library.code)
            }
        }
    }

    /// FUNCTION STATS: the running function (if any) and each engine's counts.
    static func stats(_ c: ClientSession, _ args: Arguments) {
        // As Redis: an EVAL script holds the server, and only a function's run is described.
        if c.engine.scripting.current?.isEval == true { return c.replyError(ErrorReply.busyScript) }
        c.replyMapHeader(2)
        c.reply.writeBulk("running_script")
        if let run = c.engine.scripting.current, !run.isEval {
            c.replyMapHeader(3)
            c.reply.writeBulk("name")
            c.reply.writeBulk(run.name)
            c.reply.writeBulk("command")
            c.reply.writeArrayHeader(run.commandLine.count)
            for argument in run.commandLine { c.reply.writeBulk(argument) }
            c.reply.writeBulk("duration_ms")
            c.reply.writeIntegerReply(run.elapsedMilliseconds)
        } else {
            c.replyNull()
        }
        c.reply.writeBulk("engines")
        c.replyMapHeader(1)
        c.reply.writeBulk("LUA")
        c.replyMapHeader(2)
        c.reply.writeBulk("libraries_count")
        c.reply.writeIntegerReply(c.engine.functions.libraries.count)
        c.reply.writeBulk("functions_count")
        c.reply.writeIntegerReply(c.engine.functions.functions.count)
    }

    static func dump(_ c: ClientSession, _ args: Arguments) {
        c.reply.writeBulk(FunctionPayload.dump(c.engine.functions.libraryCodes, compression: c.engine.configuration.rdbCompression))
    }

    /// FUNCTION RESTORE payload [FLUSH|APPEND|REPLACE]
    static func restore(_ c: ClientSession, _ args: Arguments) {
        enum Policy { case flush, append, replace }
        var policy = Policy.append
        if args.count == 4 {
            if args.matches(3, "flush") { policy = .flush }
            else if args.matches(3, "append") { policy = .append }
            else if args.matches(3, "replace") { policy = .replace }
            else { return c.replyError(ErrorReply.functionRestorePolicy) }
        } else if args.count > 4 {
            return c.replyError(bytes: ErrorReply.subcommandSyntax(args))
        }
        let decoded: (codes: [[UInt8]], failure: ScriptError?)
        switch FunctionPayload.restore(args.bytes(2)) {
        case .failure(let error): return c.replyError(error.message)
        case .success(let result): decoded = result
        }
        if let error = c.engine.functions.restore(decoded.codes, unreadableRest: decoded.failure, flush: policy == .flush,
                                                  replace: policy == .replace) {
            return c.replyError(error.message)
        }
        c.engine.keyspace.dirty += 1
        c.replyOK()
    }

    static func help(_ c: ClientSession, _ args: Arguments) {
        writeHelp(c, command: "FUNCTION", lines: [
            "LOAD [REPLACE] <FUNCTION CODE>",
            "    Create a new library with the given library name and code.",
            "DELETE <LIBRARY NAME>",
            "    Delete the given library.",
            "LIST [LIBRARYNAME PATTERN] [WITHCODE]",
            "    Return general information on all the libraries:",
            "    * Library name",
            "    * The engine used to run the Library",
            "    * Library description",
            "    * Functions list",
            "    * Library code (if WITHCODE is given)",
            "    It also possible to get only function that matches a pattern using LIBRARYNAME argument.",
            "STATS",
            "    Return information about the current function running:",
            "    * Function name",
            "    * Command used to run the function",
            "    * Duration in MS that the function is running",
            "    If no function is running, return nil",
            "    In addition, returns a list of available engines.",
            "KILL",
            "    Kill the current running function.",
            "FLUSH [ASYNC|SYNC]",
            "    Delete all the libraries.",
            "    When called without the optional mode argument, the behavior is determined by the",
            "    lazyfree-lazy-user-flush configuration directive. Valid modes are:",
            "    * ASYNC: Asynchronously flush the libraries.",
            "    * SYNC: Synchronously flush the libraries.",
            "DUMP",
            "    Return a serialized payload representing the current libraries, can be restored using FUNCTION RESTORE command",
            "RESTORE <PAYLOAD> [FLUSH|APPEND|REPLACE]",
            "    Restore the libraries represented by the given payload, it is possible to give a restore policy to",
            "    control how to handle existing libraries (default APPEND):",
            "    * FLUSH: delete all existing libraries.",
            "    * APPEND: appends the restored libraries to the existing libraries. On collision, abort.",
            "    * REPLACE: appends the restored libraries to the existing libraries, On collision, replace the old",
            "      libraries with the new libraries (notice that even on this option there is a chance of failure",
            "      in case of functions name collision with another library).",
        ])
    }
}
