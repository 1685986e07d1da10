import CHiredis
import Foundation
import Glibc
import KeyDBTestSupport
import Testing

// Wire-compatibility tests: the server must be usable from the reference C
// client library. Each test starts its own server on a free port, so the
// tests are independent and may run in parallel.

// MARK: - A thin Swift layer over blocking hiredis

/// A hiredis reply converted to a value type (the C object is freed at once).
enum Reply: Equatable, CustomStringConvertible {
    case status(String)
    case error(String)
    case integer(Int64)
    case bulk([UInt8])
    case null
    case array([Reply])

    static func bulk(_ string: String) -> Reply { .bulk(Array(string.utf8)) }

    /// Deep-copies a `redisReply`. Does not free it.
    init(_ reply: UnsafePointer<redisReply>) {
        let r = reply.pointee
        switch r.type {
        case REDIS_REPLY_STATUS:
            self = .status(Reply.text(r))
        case REDIS_REPLY_ERROR:
            self = .error(Reply.text(r))
        case REDIS_REPLY_INTEGER:
            self = .integer(r.integer)
        case REDIS_REPLY_STRING:
            self = .bulk(Reply.bytes(r))
        case REDIS_REPLY_NIL:
            self = .null
        case REDIS_REPLY_ARRAY:
            var elements: [Reply] = []
            elements.reserveCapacity(r.elements)
            for i in 0..<r.elements {
                // hiredis never stores NULL elements; a nil element is a REDIS_REPLY_NIL object.
                elements.append(Reply(UnsafePointer(r.element[i]!)))
            }
            self = .array(elements)
        default:
            self = .error("<unexpected hiredis reply type \(r.type)>")
        }
    }

    private static func bytes(_ r: redisReply) -> [UInt8] {
        guard let str = r.str, r.len > 0 else { return [] }
        return Array(UnsafeRawBufferPointer(start: str, count: r.len))
    }

    private static func text(_ r: redisReply) -> String {
        String(decoding: bytes(r), as: UTF8.self)
    }

    var description: String {
        switch self {
        case .status(let s): return "status(\(s))"
        case .error(let s): return "error(\(s))"
        case .integer(let n): return "integer(\(n))"
        case .bulk(let b):
            return b.count > 64 ? "bulk(\(b.count) bytes)" : "bulk(\"\(RawClient.escape(b))\")"
        case .null: return "nil"
        case .array(let items): return "[" + items.map(\.description).joined(separator: ", ") + "]"
        }
    }
}

struct HiredisError: Error, CustomStringConvertible {
    let description: String
}

/// Owns a blocking `redisContext`; frees it on deinit. Not Sendable: one
/// connection per test, used from the test's own task only.
final class HiredisConnection {
    private let context: UnsafeMutablePointer<redisContext>

    /// To 127.0.0.1:`port`, or to the Unix socket `unixPath` when given.
    init(port: UInt16, unixPath: String? = nil, timeoutSeconds: Int = 5) throws {
        let tv = timeval(tv_sec: timeoutSeconds, tv_usec: 0)
        let connected = if let unixPath { redisConnectUnixWithTimeout(unixPath, tv) } else { redisConnectWithTimeout("127.0.0.1", Int32(port), tv) }
        guard let context = connected else {
            throw HiredisError(description: "connecting returned NULL (out of memory)")
        }
        if context.pointee.err != 0 {
            let message = HiredisConnection.errorString(context)
            redisFree(context)
            throw HiredisError(description: "connect to \(unixPath ?? "port \(port)") failed: \(message)")
        }
        // Bound every blocking read/write so a misbehaving server fails the test instead of hanging it.
        guard redisSetTimeout(context, tv) == REDIS_OK else {
            let message = HiredisConnection.errorString(context)
            redisFree(context)
            throw HiredisError(description: "redisSetTimeout failed: \(message)")
        }
        self.context = context
    }

    deinit {
        redisFree(context)
    }

    /// `errstr` is a fixed-size `char[128]`, imported as a tuple.
    private static func errorString(_ context: UnsafeMutablePointer<redisContext>) -> String {
        withUnsafeBytes(of: context.pointee.errstr) { raw in
            String(decoding: raw.prefix { $0 != 0 }, as: UTF8.self)
        }
    }

    private var lastError: HiredisError {
        HiredisError(description: "hiredis error \(context.pointee.err): \(HiredisConnection.errorString(context))")
    }

    /// Calls `body` with the `argc, argv, argvlen` triple hiredis expects.
    /// Arguments are binary-safe: lengths are passed explicitly.
    private func withArgv<R>(
        _ args: [[UInt8]],
        _ body: (Int32, UnsafeMutablePointer<UnsafePointer<CChar>?>, UnsafePointer<Int>) -> R
    ) -> R {
        // One allocation per argument (at least 1 byte, so empty arguments still have a valid pointer).
        let storage = args.map { arg -> UnsafeMutablePointer<CChar> in
            let p = UnsafeMutablePointer<CChar>.allocate(capacity: max(arg.count, 1))
            arg.withUnsafeBytes { raw in
                if let base = raw.baseAddress { UnsafeMutableRawPointer(p).copyMemory(from: base, byteCount: raw.count) }
            }
            return p
        }
        defer { storage.forEach { $0.deallocate() } }
        var argv: [UnsafePointer<CChar>?] = storage.map { UnsafePointer($0) }
        let argvlen: [Int] = args.map(\.count)
        return argv.withUnsafeMutableBufferPointer { argvBuffer in
            argvlen.withUnsafeBufferPointer { lenBuffer in
                body(Int32(args.count), argvBuffer.baseAddress!, lenBuffer.baseAddress!)
            }
        }
    }

    /// Takes ownership of a reply object: converts it, then `freeReplyObject`s it.
    private func consume(_ raw: UnsafeMutableRawPointer?) throws -> Reply {
        guard let raw else { throw lastError }
        defer { freeReplyObject(raw) }
        return Reply(UnsafePointer(raw.assumingMemoryBound(to: redisReply.self)))
    }

    /// `redisCommandArgv`: send one command and wait for its reply.
    func command(_ args: [[UInt8]]) throws -> Reply {
        let raw = withArgv(args) { argc, argv, argvlen in
            redisCommandArgv(context, argc, argv, argvlen)
        }
        return try consume(raw)
    }

    func command(_ args: String...) throws -> Reply {
        try command(args.map { Array($0.utf8) })
    }

    /// `redisAppendCommandArgv`: buffer a command for pipelining.
    func append(_ args: [[UInt8]]) throws {
        let rc = withArgv(args) { argc, argv, argvlen in
            redisAppendCommandArgv(context, argc, argv, argvlen)
        }
        guard rc == REDIS_OK else { throw lastError }
    }

    func append(_ args: String...) throws {
        try append(args.map { Array($0.utf8) })
    }

    /// `redisAppendFormattedCommand`: buffer bytes verbatim (e.g. an inline command).
    func appendFormatted(_ bytes: [UInt8]) throws {
        let rc = bytes.withUnsafeBytes { raw in
            redisAppendFormattedCommand(context, raw.baseAddress!.assumingMemoryBound(to: CChar.self), raw.count)
        }
        guard rc == REDIS_OK else { throw lastError }
    }

    /// `redisGetReply`: flush buffered commands if needed and read the next reply.
    func getReply() throws -> Reply {
        var raw: UnsafeMutableRawPointer?
        guard redisGetReply(context, &raw) == REDIS_OK else { throw lastError }
        return try consume(raw)
    }
}

// MARK: - Tests

@Suite("hiredis interop")
struct HiredisInteropTests {
    /// Runs `body` against a fresh server and a fresh hiredis connection.
    /// (Closures passed here say `redis throws in` explicitly: a `try` that
    /// only appears inside `#expect(...)` is hidden in the macro expansion, so
    /// the closure would otherwise be inferred as non-throwing.)
    private func withConnection(_ body: (HiredisConnection) throws -> Void) throws {
        let server = try ServerProcess.start()
        defer { server.stop() }
        let connection = try HiredisConnection(port: server.port)
        try body(connection)
        #expect(server.isRunning, "server died during the test:\n\(server.output())")
    }

    @Test("PING returns a status reply")
    func ping() throws {
        try withConnection { redis throws in
            #expect(try redis.command("PING") == .status("PONG"))
        }
    }

    @Test("SET/GET round-trips binary keys and values (NUL, CR, LF)")
    func binarySafeSetGet() throws {
        try withConnection { redis throws in
            let key: [UInt8] = Array("bin\u{0}key\r\n".utf8)
            let value: [UInt8] = [0x00, 0x0D, 0x0A, 0x24, 0x2A, 0xFF, 0x00, 0x0D, 0x0A, 0x0D] + Array("tail".utf8) + [0x00]
            #expect(try redis.command([Array("SET".utf8), key, value]) == .status("OK"))
            #expect(try redis.command([Array("GET".utf8), key]) == .bulk(value))
            // The key is not confused with its prefix before the NUL.
            #expect(try redis.command("GET", "bin") == .null)
            // Empty value.
            #expect(try redis.command([Array("SET".utf8), Array("empty".utf8), []]) == .status("OK"))
            #expect(try redis.command("GET", "empty") == .bulk([]))
        }
    }

    @Test("GET of a missing key is REDIS_REPLY_NIL")
    func missingKeyIsNil() throws {
        try withConnection { redis throws in
            #expect(try redis.command("GET", "no-such-key") == .null)
        }
    }

    @Test("INCR on a non-integer string is an error reply")
    func errorReply() throws {
        try withConnection { redis throws in
            #expect(try redis.command("SET", "text", "hello") == .status("OK"))
            #expect(try redis.command("INCR", "text") == .error("ERR value is not an integer or out of range"))
            // The connection stays usable after an error reply.
            #expect(try redis.command("GET", "text") == .bulk("hello"))
        }
    }

    @Test("integer replies: INCR, DEL, EXISTS")
    func integerReplies() throws {
        try withConnection { redis throws in
            #expect(try redis.command("INCR", "n") == .integer(1))
            #expect(try redis.command("INCR", "n") == .integer(2))
            #expect(try redis.command("EXISTS", "n") == .integer(1))
            #expect(try redis.command("EXISTS", "missing") == .integer(0))
            #expect(try redis.command("SET", "m", "-9223372036854775807") == .status("OK"))
            #expect(try redis.command("INCR", "m") == .integer(-9_223_372_036_854_775_806))
            #expect(try redis.command("DEL", "n", "missing", "m") == .integer(2))
            #expect(try redis.command("EXISTS", "n") == .integer(0))
        }
    }

    @Test("array replies: MGET with a nil in the middle")
    func arrayReply() throws {
        try withConnection { redis throws in
            #expect(try redis.command("SET", "a", "1") == .status("OK"))
            #expect(try redis.command("SET", "c", "3") == .status("OK"))
            #expect(try redis.command("MGET", "a", "b", "c") == .array([.bulk("1"), .null, .bulk("3")]))
            #expect(try redis.command("MGET", "x") == .array([.null]))
        }
    }

    @Test("nested arrays: a stream's entries, a group read and XPENDING's summary with its null-array slot")
    func streamReplies() throws {
        try withConnection { redis throws in
            #expect(try redis.command("XADD", "s", "1-1", "f", "v\u{0}x") == .bulk(Array("1-1".utf8)))
            #expect(try redis.command("XADD", "s", "2-1", "g", "w") == .bulk(Array("2-1".utf8)))
            let entries = Reply.array([
                .array([.bulk(Array("1-1".utf8)), .array([.bulk("f"), .bulk(Array("v\u{0}x".utf8))])]),
                .array([.bulk(Array("2-1".utf8)), .array([.bulk("g"), .bulk("w")])]),
            ])
            #expect(try redis.command("XRANGE", "s", "-", "+") == entries)
            #expect(try redis.command("XGROUP", "CREATE", "s", "g", "0") == .status("OK"))
            #expect(try redis.command("XPENDING", "s", "g") == .array([.integer(0), .null, .null, .null]))
            #expect(try redis.command("XREADGROUP", "GROUP", "g", "c", "STREAMS", "s", ">") == .array([.array([.bulk("s"), entries])]))
            #expect(try redis.command("XREAD", "STREAMS", "s", "$") == .null)
        }
    }

    @Test("pipelining: 1000 appended commands, replies in order")
    func pipelining() throws {
        try withConnection { redis throws in
            // Alternate INCR and GET on one counter so every reply encodes its position.
            for i in 0..<1000 {
                if i.isMultiple(of: 2) {
                    try redis.append("INCR", "pipelined")
                } else {
                    try redis.append("GET", "pipelined")
                }
            }
            for i in 0..<1000 {
                let n = i / 2 + 1
                let expected: Reply = i.isMultiple(of: 2) ? .integer(Int64(n)) : .bulk(String(n))
                let reply = try redis.getReply()
                guard reply == expected else {
                    Issue.record("reply #\(i): expected \(expected), got \(reply)")
                    return
                }
            }
            #expect(try redis.command("GET", "pipelined") == .bulk("500"))
        }
    }

    @Test("inline command sent verbatim")
    func inlineCommand() throws {
        try withConnection { redis throws in
            try redis.appendFormatted(Array("PING\r\n".utf8))
            #expect(try redis.getReply() == .status("PONG"))
            // Inline and multibulk requests can be mixed on one connection.
            try redis.appendFormatted(Array("SET inline \"a b\"\r\n".utf8))
            try redis.append("GET", "inline")
            #expect(try redis.getReply() == .status("OK"))
            #expect(try redis.getReply() == .bulk("a b"))
        }
    }

    @Test("1 MiB value round-trip")
    func largeValue() throws {
        try withConnection { redis throws in
            let value = (0..<(1 << 20)).map { UInt8(truncatingIfNeeded: $0 % 251) }
            #expect(try redis.command([Array("SET".utf8), Array("big".utf8), value]) == .status("OK"))
            let reply = try redis.command("GET", "big")
            guard case .bulk(let bytes) = reply else {
                Issue.record("expected a bulk reply, got \(reply)")
                return
            }
            #expect(bytes.count == value.count)
            #expect(bytes == value)
        }
    }

    @Test("SELECT switches databases; DBSIZE counts per database")
    func selectAndDBSize() throws {
        try withConnection { redis throws in
            #expect(try redis.command("SET", "in-db0", "x") == .status("OK"))
            #expect(try redis.command("SELECT", "1") == .status("OK"))
            #expect(try redis.command("DBSIZE") == .integer(0))
            #expect(try redis.command("GET", "in-db0") == .null)
            #expect(try redis.command("SET", "in-db1", "y") == .status("OK"))
            #expect(try redis.command("SET", "in-db1-too", "z") == .status("OK"))
            #expect(try redis.command("DBSIZE") == .integer(2))
            #expect(try redis.command("SELECT", "0") == .status("OK"))
            #expect(try redis.command("DBSIZE") == .integer(1))
            #expect(try redis.command("GET", "in-db0") == .bulk("x"))
        }
    }

    @Test("EVAL and EVALSHA: binary arguments through a script, nested arrays, script errors")
    func scripting() throws {
        try withConnection { redis throws in
            let value: [UInt8] = [0x00, 0x0D, 0x0A, 0xFF] + Array("v".utf8)
            let script = Array("redis.call('set', KEYS[1], ARGV[1]) return {redis.call('get', KEYS[1]), {1, 2}, redis.status_reply('FINE')}".utf8)
            #expect(try redis.command([Array("EVAL".utf8), script, Array("1".utf8), Array("k".utf8), value])
                == .array([.bulk(value), .array([.integer(1), .integer(2)]), .status("FINE")]))
            guard case .bulk(let sha) = try redis.command("SCRIPT", "LOAD", "return tonumber(ARGV[1]) * 2") else {
                Issue.record("SCRIPT LOAD gave no sha")
                return
            }
            #expect(try redis.command([Array("EVALSHA".utf8), sha, Array("0".utf8), Array("21".utf8)]) == .integer(42))
            #expect(try redis.command("EVAL", "return redis.call('incr', KEYS[1])", "1", "k")
                == .error("ERR value is not an integer or out of range script: 2bab3b661081db58bd2341920e0ba7cf5dc77b25, on @user_script:1."))
        }
    }

    @Test("over the Unix socket: replies, pipelining, and the client flagged U")
    func unixSocket() throws {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("skdb-\(UUID().uuidString.prefix(8)).sock").path
        let server = try ServerProcess.start(extraArguments: ["--unixsocket", path, "--unixsocketperm", "700"])
        defer { server.stop() }
        let redis = try HiredisConnection(port: server.port, unixPath: path)
        #expect(try redis.command("SET", "k", "v") == .status("OK"))
        #expect(try redis.command("MGET", "k", "missing") == .array([.bulk(Array("v".utf8)), .null]))
        for index in 0..<100 { try redis.append("RPUSH", "list", String(index)) }
        for index in 0..<100 { #expect(try redis.getReply() == .integer(Int64(index + 1))) }
        guard case .bulk(let info) = try redis.command("CLIENT", "INFO") else { Issue.record("CLIENT INFO gave no bulk"); return }
        let line = String(decoding: info, as: UTF8.self)
        #expect(line.contains("addr=\(path):0 laddr=\(path):0 fd="))
        // The connection's own descriptor, as Redis shows it (-1 is a fake client's).
        let fd = line.split(separator: " ").first { $0.hasPrefix("fd=") }.flatMap { Int($0.dropFirst(3)) }
        #expect((fd ?? -1) > 2)
        #expect(String(decoding: info, as: UTF8.self).contains(" flags=U "))
        server.stop()
        #expect(!FileManager.default.fileExists(atPath: path), "the socket file goes at shutdown")
    }
}
