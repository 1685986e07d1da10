import CLuaBridge
import KeyDBRESP

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// One sandboxed Lua 5.1 interpreter: EVAL's, or the one FUNCTION libraries live in
/// (Redis keeps the two apart too). The C bridge raises every Lua error; nothing here
/// calls an API that can raise, so no error ever unwinds through Swift frames.
final class ScriptInterpreter {
    let state: OpaquePointer
    /// GC steps are taken every so many runs, as Redis does, instead of a full cycle.
    private var runsSinceCollection = 0

    /// The globals scripts may read (Redis's allow lists, less getfenv/setfenv, which the
    /// Redis 7.0.15 Debian ships no longer has: they could rewrite the sandbox's own functions).
    static let visibleGlobals = [
        "string", "cjson", "bit", "cmsgpack", "math", "table", "struct", "redis",
        "xpcall", "tostring", "setmetatable", "next", "assert", "tonumber", "rawequal",
        "collectgarbage", "getmetatable", "rawset", "pcall", "coroutine", "type", "_G", "select",
        "unpack", "gcinfo", "pairs", "rawget", "loadstring", "ipairs", "_VERSION", "load",
        "error",
    ]

    /// `api` fills the `redis` table (on top of the stack) before the globals are sealed.
    init?(scripting: Scripting, api: (OpaquePointer) -> Void) {
        let context = Unmanaged.passUnretained(scripting).toOpaque()
        guard let state = skdb_lua_open(context, { context, state, id in
            Unmanaged<Scripting>.fromOpaque(context!).takeUnretainedValue().hostFunction(Int(id), state!)
        }, { context, state in
            Unmanaged<Scripting>.fromOpaque(context!).takeUnretainedValue().interrupt(state!)
        }) else { return nil }
        self.state = state
        skdb_lua_set_stack(state, scripting.stack?.pointer)
        skdb_lua_newtable(state)
        api(state)
        lua_setfield(state, LUA_GLOBALSINDEX, "redis")
        let names = Self.visibleGlobals.map { UnsafePointer(strdup($0)) } + [nil]
        defer { names.forEach { free(UnsafeMutablePointer(mutating: $0)) } }
        names.withUnsafeBufferPointer { skdb_lua_seal(state, $0.baseAddress!) }
    }

    deinit { skdb_lua_close(state) }

    /// Compiles `code` under `chunkName`; the function is kept in the registry (its reference is returned).
    func compile(_ code: some Collection<UInt8>, chunkName: String) -> Result<Int32, ScriptError> {
        let status = Self.withCString(code) { luaL_loadbuffer(state, $0, $1, chunkName) }
        guard status == 0 else {
            let message = Self.string(state, at: -1) ?? "unknown error"
            skdb_lua_pop(state, 1)
            return .failure(ScriptError(message))
        }
        return .success(luaL_ref(state, skdb_lua_registry()))
    }

    func release(_ reference: Int32) { luaL_unref(state, skdb_lua_registry(), reference) }

    func afterRun() {
        runsSinceCollection += 1
        if runsSinceCollection == 50 {
            lua_gc(state, LUA_GCSTEP, 50)
            runsSinceCollection = 0
        }
    }

    /// Bytes the interpreter holds (INFO used_memory_lua).
    var memory: Int { Int(lua_gc(state, LUA_GCCOUNT, 0)) * 1024 + Int(lua_gc(state, LUA_GCCOUNTB, 0)) }

    // MARK: - Stack helpers

    static func string(_ state: OpaquePointer, at index: Int32) -> String? {
        var length = 0
        guard let text = lua_tolstring(state, index, &length) else { return nil }
        return String(decoding: UnsafeRawBufferPointer(start: text, count: length), as: UTF8.self)
    }

    /// The string (or number, as Lua prints it) at `index`, as bytes.
    static func bytes(_ state: OpaquePointer, at index: Int32) -> [UInt8]? {
        var length = 0
        guard let text = lua_tolstring(state, index, &length) else { return nil }
        return Array(UnsafeRawBufferPointer(start: text, count: length))
    }

    static func push(_ state: OpaquePointer, _ bytes: some Collection<UInt8>) {
        withCString(bytes) { lua_pushlstring(state, $0, $1) }
    }

    /// `bytes` as a C pointer and length (never a null pointer, even when empty).
    static func withCString<R>(_ bytes: some Collection<UInt8>, _ body: (UnsafePointer<CChar>, Int) -> R) -> R {
        var copy = Array(bytes)
        let count = copy.count
        copy.append(0)
        return copy.withUnsafeBufferPointer { buffer in
            buffer.withMemoryRebound(to: CChar.self) { body($0.baseAddress!, count) }
        }
    }

    static func push(_ state: OpaquePointer, _ text: String) { push(state, Array(text.utf8)) }

    static func push(_ state: OpaquePointer, _ text: StaticString) {
        push(state, UnsafeRawBufferPointer(start: text.utf8Start, count: text.utf8CodeUnitCount))
    }

    /// Bytes in place (a command's argument), without a copy on the Swift side.
    static func push(_ state: OpaquePointer, _ bytes: UnsafeRawBufferPointer) {
        // Any valid pointer will do for an empty string.
        let base = bytes.baseAddress ?? UnsafeRawPointer(bitPattern: 1)!
        lua_pushlstring(state, base.assumingMemoryBound(to: CChar.self), bytes.count)
    }

    /// Pushes arguments `range` of a command as a Lua array (EVAL's KEYS and ARGV).
    static func pushArray(_ state: OpaquePointer, _ args: Arguments, _ range: Range<Int>) {
        lua_createtable(state, Int32(range.count), 0)
        for (position, index) in range.enumerated() {
            push(state, args[index])
            lua_rawseti(state, -2, Int32(position + 1))
        }
    }

    static func pushError(_ state: OpaquePointer, _ text: String) {
        withCString(text.utf8) { skdb_lua_push_error_table(state, $0, $1) }
    }

    /// Field `name` of the table at `index`, read raw (no metamethods), pushed.
    static func rawField(_ state: OpaquePointer, _ index: Int32, _ name: String) {
        let table = index < 0 ? lua_gettop(state) + index + 1 : index
        push(state, name)
        lua_rawget(state, table)
    }

    /// Pushes an array of byte strings as a Lua array.
    static func pushArray(_ state: OpaquePointer, _ items: [[UInt8]]) {
        lua_createtable(state, Int32(items.count), 0)
        for (index, item) in items.enumerated() {
            push(state, item)
            lua_rawseti(state, -2, Int32(index + 1))
        }
    }
}

/// An error text raised while compiling or running a script.
public struct ScriptError: Error {
    public let message: String
    init(_ message: String) { self.message = message }
}
