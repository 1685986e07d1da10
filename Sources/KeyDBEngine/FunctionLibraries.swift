import CLuaBridge
import KeyDBRESP

/// Redis 7 functions (functions.c, function_lua.c): libraries of Lua functions loaded
/// with FUNCTION LOAD, called with FCALL, kept in the log and in snapshots. They live
/// in their own interpreter, apart from EVAL's.
public final class FunctionLibraries {  // guarded by the keyspace lock
    unowned(unsafe) let engine: Engine  // the engine owns this

    struct Function {
        let name: String
        let description: [UInt8]?
        let flags: ScriptFlags
        let reference: Int32
        let library: String
    }

    struct Library {
        let name: String
        /// The whole FUNCTION LOAD payload, shebang included (what DUMP, LIST WITHCODE and the log keep).
        let code: [UInt8]
        var functions: [String: Function]
    }

    private(set) var libraries: [String: Library] = [:]
    /// Every library's functions, by lowercased name: FCALL finds them case-insensitively.
    private(set) var functions: [String: Function] = [:]
    private var interpreter: ScriptInterpreter?
    /// The library FUNCTION LOAD is running the code of (redis.register_function adds to it).
    private var loading: Library?
    /// Milliseconds a library's code may run while it loads (Redis's LOAD_TIMEOUT_MS).
    static let loadTimeout: Int64 = 500

    init(engine: Engine) { self.engine = engine }

    private func functionInterpreter() -> ScriptInterpreter? {
        if let interpreter { return interpreter }
        engine.scripting.warnIfScriptsCannotPause()
        interpreter = ScriptInterpreter(scripting: engine.scripting) { state in
            Scripting.installRedisAPI(state)
        }
        return interpreter
    }

    var memory: Int { interpreter?.memory ?? 0 }
    var codeBytes: Int { libraries.values.reduce(0) { $0 + $1.code.count } }

    // MARK: - Loading

    /// Loads (or with `replace`, replaces) the library `code` defines; returns its name.
    /// Without `timeLimit` its code may run past 500 ms: as Redis, a library read back
    /// from a snapshot, the log or a RESTORE payload is never cut short.
    public func load(_ code: [UInt8], replace: Bool, timeLimit: Bool = true) -> Result<String, ScriptError> {
        let name: String, body: ArraySlice<UInt8>
        switch Self.metadata(code) {
        case .failure(let error): return .failure(error)
        case .success(let parsed): (name, body) = parsed
        }
        let old = libraries[name]
        if old != nil && !replace { return .failure(ScriptError("ERR Library '\(name)' already exists")) }
        guard let interpreter = functionInterpreter() else { return .failure(ScriptError(ErrorReply.scriptingUnavailable)) }
        let state = interpreter.state
        // The code runs with only the library API in sight: redis.register_function, redis.log.
        skdb_lua_push_global_source(state)
        let globals = luaL_ref(state, skdb_lua_registry())
        defer {
            lua_rawgeti(state, skdb_lua_registry(), globals)
            skdb_lua_set_global_source(state)
            luaL_unref(state, skdb_lua_registry(), globals)
        }
        pushLibraryAPI(state)
        skdb_lua_set_global_source(state)

        let reference: Int32
        switch interpreter.compile(body, chunkName: "@user_function") {
        case .failure(let error): return .failure(ScriptError("ERR Error compiling function: " + error.message))
        case .success(let compiled): reference = compiled
        }
        defer { interpreter.release(reference) }
        loading = Library(name: name, code: code, functions: [:])
        defer { loading = nil }
        engine.scripting.loadDeadline = timeLimit ? Clock.monotonicMicroseconds() / 1000 + Self.loadTimeout : Int64.max
        defer { engine.scripting.loadDeadline = nil }
        let base = lua_gettop(state)
        defer { lua_settop(state, base) }
        lua_rawgeti(state, skdb_lua_registry(), reference)
        let status = skdb_lua_call(state, 0, 100_000)
        guard status == 0 else {
            let message: String
            if lua_type(state, -1) == LUA_TTABLE {
                ScriptInterpreter.rawField(state, -1, "err")
                message = ScriptInterpreter.string(state, at: -1) ?? "ERR unknown error"
            } else {
                message = "ERR " + (ScriptInterpreter.string(state, at: -1) ?? Scripting.describe(state, at: -1))
            }
            dropLoading()
            return .failure(ScriptError("ERR Error registering functions: " + message))
        }
        guard let library = loading, !library.functions.isEmpty else {
            return .failure(ScriptError("ERR No functions registered"))
        }
        for function in library.functions.keys.sorted() {
            if let existing = functions[function.lowercased()], existing.library != name {
                dropLoading()
                return .failure(ScriptError(ErrorReply.functionExists(function)))
            }
        }
        if let old { unlink(old) }
        link(library)
        loading = nil
        return .success(name)
    }

    /// Forgets the functions a failed load registered.
    private func dropLoading() {
        guard let library = loading else { return }
        release(library)
        loading = nil
    }

    private func link(_ library: Library) {
        libraries[library.name] = library
        for function in library.functions.values { functions[function.name.lowercased()] = function }
    }

    private func unlink(_ library: Library) {
        for function in library.functions.values { functions[function.name.lowercased()] = nil }
        release(library)
        libraries[library.name] = nil
    }

    /// Lets the interpreter collect a library's function values.
    private func release(_ library: Library) {
        for function in library.functions.values { interpreter?.release(function.reference) }
    }

    /// `{redis = {register_function, log, LOG_*, REDIS_VERSION*}}`, each unknown name an error.
    private func pushLibraryAPI(_ state: OpaquePointer) {
        skdb_lua_newtable(state)
        skdb_lua_newtable(state)
        skdb_lua_push_host_function(state, Scripting.HostFunction.registerFunction.rawValue)
        lua_setfield(state, -2, "register_function")
        skdb_lua_push_host_function(state, Scripting.HostFunction.log.rawValue)
        lua_setfield(state, -2, "log")
        Scripting.installConstants(state)
        skdb_lua_guard_globals(state)
        skdb_lua_make_readonly_view(state)
        lua_setfield(state, -2, "redis")
        skdb_lua_guard_globals(state)
    }

    /// The shebang of a library: `#!<engine> name=<library>`; the rest is its code
    /// (from the line end, so error line numbers match the user's text).
    static func metadata(_ code: [UInt8]) -> Result<(String, ArraySlice<UInt8>), ScriptError> {
        guard code.starts(with: Array("#!".utf8)) else { return .failure(ScriptError("ERR Missing library metadata")) }
        guard let end = code.firstIndex(of: 10) else { return .failure(ScriptError("ERR Invalid library metadata")) }
        var splitter = InlineSplitter()
        guard code[..<end].withUnsafeBytes({ splitter.split($0) }), !splitter.spans.isEmpty else {
            return .failure(ScriptError("ERR Invalid library metadata"))
        }
        let words = splitter.spans.map { Array(splitter.storage[$0.offset..<$0.offset + $0.count]) }
        let engineName = String(decoding: words[0].dropFirst(2), as: UTF8.self)
        var name: String? = nil
        for word in words.dropFirst() {
            let text = String(decoding: word, as: UTF8.self)
            guard text.lowercased().hasPrefix("name=") else {
                return .failure(ScriptError("ERR Invalid metadata value given: \(text)"))
            }
            guard name == nil else { return .failure(ScriptError("ERR Invalid metadata value, name argument was given multiple times")) }
            name = String(text.dropFirst(5))
        }
        guard let name else { return .failure(ScriptError("ERR Library name was not given")) }
        guard validName(name) else { return .failure(ScriptError(ErrorReply.invalidLibraryName)) }
        guard engineName.uppercased() == "LUA" else { return .failure(ScriptError("ERR Engine '\(engineName)' not found")) }
        return .success((name, code[end...]))
    }

    static func validName(_ name: String) -> Bool {
        !name.isEmpty && name.utf8.allSatisfy { ($0 >= 97 && $0 <= 122) || ($0 >= 65 && $0 <= 90) || ($0 >= 48 && $0 <= 57) || $0 == 95 }
    }

    // MARK: - redis.register_function

    /// `redis.register_function(name, callback)` or `redis.register_function{function_name=...,
    /// callback=..., flags={...}, description=...}`, during FUNCTION LOAD only.
    func registerFunction(_ state: OpaquePointer) -> Int32 {
        guard loading != nil else {
            ScriptInterpreter.pushError(state, "ERR redis.register_function can only be called on FUNCTION LOAD command")
            return -1
        }
        var name: String? = nil, description: [UInt8]? = nil, flags: ScriptFlags = [], hasCallback = false
        func fail(_ text: String) -> Int32 {
            ScriptInterpreter.pushError(state, "ERR " + text)
            return -1
        }
        switch lua_gettop(state) {
        case 1:
            guard lua_type(state, 1) == LUA_TTABLE else {
                return fail("calling redis.register_function with a single argument is only applicable to Lua table (representing named arguments).")
            }
            lua_pushnil(state)  // slot 2: the callback, once found
            lua_pushnil(state)
            while lua_next(state, 1) != 0 {
                guard lua_isstring(state, -2) != 0 else {
                    return fail("named argument key given to redis.register_function is not a string")
                }
                // A copy: converting a number key in place would derail lua_next.
                lua_pushvalue(state, -2)
                let key = (ScriptInterpreter.string(state, at: -1) ?? "").lowercased()
                skdb_lua_pop(state, 1)
                switch key {
                case "function_name":
                    guard lua_isstring(state, -1) != 0 else { return fail("function_name argument given to redis.register_function must be a string") }
                    name = ScriptInterpreter.string(state, at: -1)
                case "description":
                    guard lua_isstring(state, -1) != 0 else { return fail("description argument given to redis.register_function must be a string") }
                    description = ScriptInterpreter.bytes(state, at: -1)
                case "callback":
                    guard lua_type(state, -1) == LUA_TFUNCTION else { return fail("callback argument given to redis.register_function must be a function") }
                    hasCallback = true
                    lua_pushvalue(state, -1)
                    lua_replace(state, 2)
                case "flags":
                    guard lua_type(state, -1) == LUA_TTABLE else { return fail("flags argument to redis.register_function must be a table representing function flags") }
                    guard let parsed = Self.flags(state, at: lua_gettop(state)) else { return fail("unknown flag given") }
                    flags = parsed
                default:
                    return fail("unknown argument given to redis.register_function")
                }
                skdb_lua_pop(state, 1)
            }
            guard name != nil else { return fail("redis.register_function must get a function name argument") }
            guard hasCallback else { return fail("redis.register_function must get a callback argument") }
        case 2:
            // A number is a string to Lua: register_function(1, f) names the function "1".
            guard lua_isstring(state, 1) != 0 else { return fail("first argument to redis.register_function must be a string") }
            guard lua_type(state, 2) == LUA_TFUNCTION else { return fail("second argument to redis.register_function must be a function") }
            name = ScriptInterpreter.string(state, at: 1)
        default:
            return fail("wrong number of arguments to redis.register_function")
        }
        guard let name, Self.validName(name) else { return fail(String(ErrorReply.invalidLibraryName.dropFirst(4))) }
        guard loading!.functions[name] == nil else { return fail("Function already exists in the library") }
        lua_pushvalue(state, 2)
        let reference = luaL_ref(state, skdb_lua_registry())
        loading!.functions[name] = Function(name: name, description: description, flags: flags, reference: reference, library: loading!.name)
        return 0
    }

    /// The flags table of register_function: names of script flags, case-insensitive.
    private static func flags(_ state: OpaquePointer, at table: Int32) -> ScriptFlags? {
        var flags: ScriptFlags = []
        var index: Int32 = 1
        while true {
            lua_rawgeti(state, table, index)
            defer { skdb_lua_pop(state, 1) }
            if lua_type(state, -1) == LUA_TNIL { return flags }
            guard lua_type(state, -1) == LUA_TSTRING, let text = ScriptInterpreter.string(state, at: -1),
                  let flag = ScriptFlags.named(Array(text.lowercased().utf8)) else { return nil }
            flags.insert(flag)
            index += 1
        }
    }

    // MARK: - Calls and management

    func function(named name: String) -> Function? { functions[name.lowercased()] }

    func call(_ name: String, keys: [[UInt8]], arguments: [[UInt8]], readOnly: Bool, for caller: ClientSession,
              commandLine: [[UInt8]]) {
        guard let function = function(named: name), let interpreter else { return caller.replyError(ErrorReply.functionNotFound) }
        engine.scripting.run(function.reference, in: interpreter, name: function.name, isEval: false, flags: function.flags,
                             readOnlyCommand: readOnly, for: caller, commandLine: commandLine,
                             declaredKeys: caller.tracking == nil ? [] : keys.map { Bytes($0) }) { state in
            ScriptInterpreter.pushArray(state, keys)
            ScriptInterpreter.pushArray(state, arguments)
            return 2
        }
    }

    func delete(_ name: String) -> Bool {
        guard let library = libraries[name] else { return false }
        unlink(library)
        return true
    }

    /// FUNCTION FLUSH; `lazyFree`: ASYNC (many functions are freed in the background).
    public func flush(lazyFree: LazyFree? = nil) {
        var flushedLibraries: [String: Library] = [:], flushedFunctions: [String: Function] = [:]
        swap(&flushedLibraries, &libraries)
        swap(&flushedFunctions, &functions)
        interpreter = nil
        let entries = flushedFunctions.count
        if let lazyFree { lazyFree.release(cache: (consume flushedLibraries, consume flushedFunctions), entries: entries) }
    }

    /// FUNCTION RESTORE, all or nothing as Redis's: the payload's libraries are loaded on
    /// their own first (a library twice, or a function in two of them, is an error), then
    /// joined to the existing ones, which are all deleted (`flush`) or kept, same-named ones
    /// replaced only with `replace`. On any error the existing libraries stay as they were;
    /// `unreadableRest`: the payload's records after `codes` could not be read.
    func restore(_ codes: [[UInt8]], unreadableRest: ScriptError?, flush: Bool, replace: Bool) -> ScriptError? {
        let existing = (libraries: libraries, functions: functions)
        libraries = [:]
        functions = [:]
        var failure: ScriptError? = nil
        for code in codes where failure == nil {
            if case .failure(let error) = load(code, replace: false, timeLimit: false) { failure = error }
        }
        failure = failure ?? unreadableRest
        if failure == nil && !flush { failure = joinConflict(with: existing, replace: replace) }
        let restored = libraries
        (libraries, functions) = existing
        if let failure {
            for library in restored.values { release(library) }
            return failure
        }
        for library in existing.libraries.values where flush || restored[library.name] != nil { unlink(library) }
        for library in restored.values { link(library) }
        return nil
    }

    /// Why the restored libraries (loaded now) cannot join `existing` (Redis's libraryJoin).
    private func joinConflict(with existing: (libraries: [String: Library], functions: [String: Function]),
                              replace: Bool) -> ScriptError? {
        for name in libraries.keys.sorted() where !replace && existing.libraries[name] != nil {
            return ScriptError(ErrorReply.restoredLibraryExists(name))
        }
        for function in functions.values.sorted(by: { $0.name < $1.name }) {
            // A function of a library being replaced goes with it.
            if let other = existing.functions[function.name.lowercased()], libraries[other.library] == nil {
                return ScriptError(ErrorReply.functionExists(function.name))
            }
        }
        return nil
    }

    /// Libraries in a stable order (by name), for LIST, DUMP and the log's rewrite.
    var sortedLibraries: [Library] { libraries.values.sorted { $0.name < $1.name } }

    /// Each library's whole code, by name: what snapshots and rewritten logs keep.
    public var libraryCodes: [[UInt8]] { sortedLibraries.map(\.code) }
}
