import CLuaBridge
import KeyDBRESP
import NIOCore

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// Values crossing between Redis's protocol and Lua, as Redis converts them.
///
/// Command replies reach a script as: integer → number, bulk → string, null → false,
/// array → table, status → {ok=...}, error → {err=...}; after redis.setresp(3) also
/// RESP3's null → nil, map → {map=...}, set → {set=...}, double → {double=...},
/// boolean → boolean, big number → {big_number=...}, verbatim → {verbatim_string=...}.
/// A script's result reaches its caller as: number → integer (truncated), string →
/// bulk, true → 1, false/nil → null, {err=...} → error, {ok=...} → status,
/// {double=...} → double, {map=...} / {set=...} → map / set, table → array up to
/// its first nil; each in the caller's protocol.
enum ScriptReplies {
    /// Which protocol the script's caller chose with HELLO, and which one the script
    /// asked for with redis.setresp: together they decide how a boolean is answered.
    struct Protocols {
        var caller: Bool
        var script: Bool
    }

    /// Pushes the one reply in `reply`; returns whether it was an error.
    static func push(_ reply: ByteBuffer, into state: OpaquePointer) -> Bool {
        reply.withUnsafeReadableBytes { bytes in
            var position = 0
            return push(bytes, at: &position, into: state)
        }
    }

    private static func push(_ bytes: UnsafeRawBufferPointer, at position: inout Int, into state: OpaquePointer) -> Bool {
        guard position < bytes.count else {
            lua_pushboolean(state, 0)
            return false
        }
        let kind = bytes[position]
        let lineStart = position + 1
        var lineEnd = lineStart
        while lineEnd + 1 < bytes.count && !(bytes[lineEnd] == 13 && bytes[lineEnd + 1] == 10) { lineEnd += 1 }
        let line = UnsafeRawBufferPointer(rebasing: bytes[lineStart..<lineEnd])
        position = lineEnd + 2
        _ = lua_checkstack(state, 4)
        switch kind {
        case UInt8(ascii: "+"):
            lua_createtable(state, 0, 1)
            ScriptInterpreter.push(state, line)
            lua_setfield(state, -2, "ok")
        case UInt8(ascii: "-"):
            ScriptInterpreter.pushError(state, Scripting.errorText(dashed: [UInt8(ascii: "-")] + Array(line)))
            lua_pushboolean(state, 1)
            lua_setfield(state, -2, "ignore_error_stats_update")
            return true
        case UInt8(ascii: ":"):
            lua_pushnumber(state, Double(integer(line)))
        case UInt8(ascii: "$"):
            let length = integer(line)
            guard length >= 0 else {
                lua_pushboolean(state, 0)
                return false
            }
            ScriptInterpreter.push(state, UnsafeRawBufferPointer(rebasing: bytes[position..<position + Int(length)]))
            position += Int(length) + 2
        case UInt8(ascii: "*"):
            let count = integer(line)
            guard count >= 0 else {
                lua_pushboolean(state, 0)
                return false
            }
            lua_createtable(state, Int32(min(count, 1 << 20)), 0)
            for index in 0..<Int(count) {
                _ = push(bytes, at: &position, into: state)
                lua_rawseti(state, -2, Int32(index + 1))
            }
        case UInt8(ascii: "_"):
            lua_pushnil(state)
        case UInt8(ascii: "#"):
            lua_pushboolean(state, line.first == UInt8(ascii: "t") ? 1 : 0)
        case UInt8(ascii: ","):
            lua_createtable(state, 0, 1)
            lua_pushnumber(state, Array(line + [0]).withUnsafeBufferPointer { text in
                text.withMemoryRebound(to: CChar.self) { strtod($0.baseAddress!, nil) }
            })
            lua_setfield(state, -2, "double")
        case UInt8(ascii: "("):
            lua_createtable(state, 0, 1)
            ScriptInterpreter.push(state, line)
            lua_setfield(state, -2, "big_number")
        case UInt8(ascii: "="):
            // `fmt:text`: the three-letter format, a colon, then the string.
            let length = Int(integer(line))
            let body = UnsafeRawBufferPointer(rebasing: bytes[position..<position + length])
            position += length + 2
            lua_createtable(state, 0, 1)
            lua_createtable(state, 0, 2)
            ScriptInterpreter.push(state, UnsafeRawBufferPointer(rebasing: body[min(4, length)...]))
            lua_setfield(state, -2, "string")
            ScriptInterpreter.push(state, UnsafeRawBufferPointer(rebasing: body[..<min(3, length)]))
            lua_setfield(state, -2, "format")
            lua_setfield(state, -2, "verbatim_string")
        case UInt8(ascii: "%"), UInt8(ascii: "~"):
            let isMap = kind == UInt8(ascii: "%")
            lua_createtable(state, 0, 1)
            lua_createtable(state, 0, 0)
            for _ in 0..<Int(integer(line)) {
                _ = lua_checkstack(state, 4)
                _ = push(bytes, at: &position, into: state)
                if isMap { _ = push(bytes, at: &position, into: state) } else { lua_pushboolean(state, 1) }
                lua_settable(state, -3)
            }
            lua_setfield(state, -2, isMap ? "map" : "set")
        case UInt8(ascii: "|"):
            // Attributes are not shown to scripts: skip them, then read the reply itself.
            for _ in 0..<(2 * Int(integer(line))) {
                _ = push(bytes, at: &position, into: state)
                skdb_lua_pop(state, 1)
            }
            return push(bytes, at: &position, into: state)
        default:
            lua_pushboolean(state, 0)
        }
        return false
    }

    private static func integer(_ text: UnsafeRawBufferPointer) -> Int64 {
        var value: Int64 = 0
        var negative = false
        for byte in text {
            if byte == UInt8(ascii: "-") { negative = true } else { value = value &* 10 &+ Int64(byte &- 48) }
        }
        return negative ? -value : value
    }

    /// Writes the value on top of `state` (and pops it) as the caller's reply.
    static func write(_ state: OpaquePointer, into reply: inout ByteBuffer, engine: Engine, protocols: Protocols,
                      uncountedError: () -> Void) {
        defer { skdb_lua_pop(state, 1) }
        guard lua_checkstack(state, 4) != 0 else {
            engine.countError(ErrorReply.luaStackLimit.utf8)
            return reply.writeError(ErrorReply.luaStackLimit)
        }
        switch lua_type(state, -1) {
        case LUA_TSTRING:
            var length = 0
            let text = lua_tolstring(state, -1, &length)!
            reply.writeBulk(UnsafeRawBufferPointer(start: text, count: length))
        case LUA_TBOOLEAN:
            let value = lua_toboolean(state, -1) != 0
            if protocols.script {
                if protocols.caller { reply.writeBoolean(value) } else { reply.writeIntegerReply(value ? 1 : 0) }
            } else if value {
                reply.writeIntegerReply(1)
            } else {
                writeNull(into: &reply, protocols)
            }
        case LUA_TNUMBER:
            // C's (long long) cast, as x86 does it: out of range and NaN give the minimum.
            let number = lua_tonumber(state, -1)
            reply.writeIntegerReply(number > -9.223372036854775808e18 && number < 9.223372036854775808e18 ? Int64(number) : Int64.min)
        case LUA_TTABLE:
            writeTable(state, into: &reply, engine: engine, protocols: protocols, uncountedError: uncountedError)
        default:
            writeNull(into: &reply, protocols)
        }
    }

    private static func writeNull(into reply: inout ByteBuffer, _ protocols: Protocols) {
        if protocols.caller { reply.writeRESP3Null() } else { reply.writeNullBulk() }
    }

    /// A table: an error, a status, a double, a big number, a verbatim string, a map,
    /// a set or an array.
    private static func writeTable(_ state: OpaquePointer, into reply: inout ByteBuffer, engine: Engine, protocols: Protocols,
                                   uncountedError: () -> Void) {
        ScriptInterpreter.rawField(state, -1, "err")
        if lua_type(state, -1) == LUA_TSTRING, let text = ScriptInterpreter.bytes(state, at: -1) {
            skdb_lua_pop(state, 1)
            let clean = text.map { $0 == 13 || $0 == 10 ? 32 : $0 }
            ScriptInterpreter.rawField(state, -1, "ignore_error_stats_update")
            let counted = lua_toboolean(state, -1) == 0
            skdb_lua_pop(state, 1)
            if counted { engine.countError(clean) } else { uncountedError() }
            return reply.writeError(bytes: clean)
        }
        skdb_lua_pop(state, 1)
        ScriptInterpreter.rawField(state, -1, "ok")
        if lua_type(state, -1) == LUA_TSTRING, let text = ScriptInterpreter.bytes(state, at: -1) {
            skdb_lua_pop(state, 1)
            reply.writeStaticString("+")
            reply.writeBytes(text.map { $0 == 13 || $0 == 10 ? 32 : $0 })
            reply.writeStaticString("\r\n")
            return
        }
        skdb_lua_pop(state, 1)
        ScriptInterpreter.rawField(state, -1, "double")
        if lua_type(state, -1) == LUA_TNUMBER {
            let value = lua_tonumber(state, -1)
            skdb_lua_pop(state, 1)
            return withDoubleText(value) { protocols.caller ? reply.writeDouble(text: $0) : reply.writeBulk($0) }
        }
        skdb_lua_pop(state, 1)
        ScriptInterpreter.rawField(state, -1, "big_number")
        if lua_type(state, -1) == LUA_TSTRING, let text = ScriptInterpreter.bytes(state, at: -1) {
            skdb_lua_pop(state, 1)
            let clean = text.map { $0 == 13 || $0 == 10 ? 32 : $0 }
            return clean.withUnsafeBytes { protocols.caller ? reply.writeBigNumber($0) : reply.writeBulk($0) }
        }
        skdb_lua_pop(state, 1)
        ScriptInterpreter.rawField(state, -1, "verbatim_string")
        if lua_type(state, -1) == LUA_TTABLE {
            ScriptInterpreter.rawField(state, -1, "format")
            let format = lua_type(state, -1) == LUA_TSTRING ? ScriptInterpreter.bytes(state, at: -1) : nil
            skdb_lua_pop(state, 1)
            ScriptInterpreter.rawField(state, -1, "string")
            let text = lua_type(state, -1) == LUA_TSTRING ? ScriptInterpreter.bytes(state, at: -1) : nil
            skdb_lua_pop(state, 2)
            if let format, let text {
                return writeVerbatim(text, format: format, into: &reply, protocols)
            }
        } else {
            skdb_lua_pop(state, 1)
        }
        ScriptInterpreter.rawField(state, -1, "map")
        if lua_type(state, -1) == LUA_TTABLE {
            writePairs(state, into: &reply, engine: engine, values: true, protocols: protocols, uncountedError: uncountedError)
            return skdb_lua_pop(state, 1)
        }
        skdb_lua_pop(state, 1)
        ScriptInterpreter.rawField(state, -1, "set")
        if lua_type(state, -1) == LUA_TTABLE {
            writePairs(state, into: &reply, engine: engine, values: false, protocols: protocols, uncountedError: uncountedError)
            return skdb_lua_pop(state, 1)
        }
        skdb_lua_pop(state, 1)
        // An array: elements 1, 2, ... up to the first nil.
        var count = 0
        while true {
            lua_rawgeti(state, -1, Int32(count + 1))
            let present = lua_type(state, -1) != LUA_TNIL
            skdb_lua_pop(state, 1)
            guard present else { break }
            count += 1
        }
        reply.writeArrayHeader(count)
        for index in 0..<count {
            lua_rawgeti(state, -1, Int32(index + 1))
            write(state, into: &reply, engine: engine, protocols: protocols, uncountedError: uncountedError)
        }
    }

    /// {verbatim_string={format=..., string=...}}: RESP3's `=` with the format's first three
    /// characters (spaces when shorter, as Redis pads them), the bare string in RESP2.
    private static func writeVerbatim(_ text: [UInt8], format: [UInt8], into reply: inout ByteBuffer, _ protocols: Protocols) {
        guard protocols.caller else { return text.withUnsafeBytes { reply.writeBulk($0) } }
        let prefix = (0..<3).map { $0 < format.count && format[$0] != 0 ? format[$0] : UInt8(ascii: " ") }
        reply.writeHeader(UInt8(ascii: "="), Int64(text.count + 4))
        reply.writeBytes(prefix)
        reply.writeStaticString(":")
        reply.writeBytes(text)
        reply.writeStaticString("\r\n")
    }

    /// A map's keys and values, or a set's keys: RESP3's map or set, one flat array in RESP2.
    private static func writePairs(_ state: OpaquePointer, into reply: inout ByteBuffer, engine: Engine, values: Bool,
                                   protocols: Protocols, uncountedError: () -> Void) {
        var count = 0
        lua_pushnil(state)
        while lua_next(state, -2) != 0 {
            count += 1
            skdb_lua_pop(state, 1)
        }
        switch (protocols.caller, values) {
        case (true, true): reply.writeMapHeader(count)
        case (true, false): reply.writeSetHeader(count)
        case (false, _): reply.writeArrayHeader(values ? 2 * count : count)
        }
        lua_pushnil(state)
        while lua_next(state, -2) != 0 {
            // Stack: table, key, value. Write copies so lua_next sees its key untouched.
            lua_pushvalue(state, -2)
            write(state, into: &reply, engine: engine, protocols: protocols, uncountedError: uncountedError)
            if values {
                lua_pushvalue(state, -1)
                write(state, into: &reply, engine: engine, protocols: protocols, uncountedError: uncountedError)
            }
            skdb_lua_pop(state, 1)
        }
    }
}
