import CLuaBridge
import KeyDBRESP

/// The arguments of redis.call and friends, taken off the Lua stack: strings as they
/// are, numbers printed with 17 significant digits (Lua's own text would lose precision).
/// One is kept and refilled for every call, so its storage is allocated once.
struct ScriptArguments {
    private var bytes: [UInt8] = []
    private var spans: [ArgumentSpan] = []

    /// Takes and pops every argument on the stack, in place of the last call's;
    /// returns the error text when there is none or one is neither a string nor a number.
    mutating func take(from state: OpaquePointer) -> String? {
        bytes.removeAll(keepingCapacity: true)
        spans.removeAll(keepingCapacity: true)
        let count = lua_gettop(state)
        guard count > 0 else { return "Please specify at least one argument for this redis lib call" }
        defer { lua_settop(state, 0) }
        for index in 1...count {
            let start = bytes.count
            switch lua_type(state, index) {
            case LUA_TNUMBER:
                withDoubleText(lua_tonumber(state, index)) { bytes.append(contentsOf: $0) }
            case LUA_TSTRING:
                var length = 0
                let text = lua_tolstring(state, index, &length)!
                bytes.append(contentsOf: UnsafeRawBufferPointer(start: text, count: length))
            default:
                return "Lua redis lib command arguments must be strings or integers"
            }
            spans.append(ArgumentSpan(offset: start, count: bytes.count - start))
        }
        return nil
    }

    func withArguments<R>(_ body: (Arguments) -> R) -> R {
        bytes.withUnsafeBytes { raw in
            spans.withUnsafeBufferPointer { spans in
                body(Arguments(base: raw.baseAddress ?? UnsafeRawPointer(bitPattern: 1)!, spans: spans))
            }
        }
    }
}
