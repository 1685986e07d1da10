import CLuaBridge
import KeyDBRESP

/// The arguments of redis.call and friends, taken off the Lua stack: strings as they
/// are, numbers printed with 17 significant digits (Lua's own text would lose precision).
struct ScriptArguments {
    private var bytes: [UInt8] = []
    private var spans: [ArgumentSpan] = []

    /// Takes and pops every argument on the stack.
    static func take(from state: OpaquePointer) -> Result<ScriptArguments, ScriptError> {
        let count = lua_gettop(state)
        guard count > 0 else { return .failure(ScriptError("Please specify at least one argument for this redis lib call")) }
        var argv = ScriptArguments()
        var valid = true
        for index in 1...count {
            let start = argv.bytes.count
            if lua_type(state, index) == LUA_TNUMBER {
                argv.bytes.append(contentsOf: Self.text(of: lua_tonumber(state, index)))
            } else if lua_type(state, index) == LUA_TSTRING, let text = ScriptInterpreter.bytes(state, at: index) {
                argv.bytes.append(contentsOf: text)
            } else {
                valid = false
                break
            }
            argv.spans.append(ArgumentSpan(offset: start, count: argv.bytes.count - start))
        }
        lua_settop(state, 0)
        guard valid else { return .failure(ScriptError("Lua redis lib command arguments must be strings or integers")) }
        return .success(argv)
    }

    /// "%.17g", as Redis formats a Lua number argument.
    static func text(of number: Double) -> [UInt8] { withDoubleText(number) { Array($0) } }

    func withArguments<R>(_ body: (Arguments) -> R) -> R {
        bytes.withUnsafeBytes { raw in
            spans.withUnsafeBufferPointer { spans in
                body(Arguments(base: raw.baseAddress ?? UnsafeRawPointer(bitPattern: 1)!, spans: spans))
            }
        }
    }
}
