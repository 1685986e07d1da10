import KeyDBEngine
import KeyDBRESP
import NIOCore
import Testing

/// A clock the test moves by hand (Unix milliseconds).
final class ManualClock: @unchecked Sendable {  // each test owns its own
    var milliseconds: Int64
    init(_ milliseconds: Int64) { self.milliseconds = milliseconds }
}

/// One connection to an engine, without sockets: builds argv, runs it through
/// `ClientSession.execute`, and hands back the raw reply bytes.
final class TestClient {
    let session: ClientSession
    /// Commands sent and not run yet (held by CLIENT PAUSE), oldest first, as the
    /// network layer keeps them unread; and the replies they produced once run.
    private var inbox: [[[UInt8]]] = []
    private var outbox: [UInt8] = []
    /// Set when the engine asks for the connection to come back (a pause ended, a kill).
    let woken = WakeupFlag()

    init(engine: Engine, address: String = "", localAddress: String = "") {
        session = ClientSession(engine: engine, address: address, localAddress: localAddress)
        let woken = self.woken
        session.wakeup = { woken.value = true }
        engine.register(session)
    }

    /// Sends a command the way a connection would: it runs now unless commands sent
    /// before it are still held, and its reply is collected for `received`.
    func send(_ args: String...) {
        inbox.append(args.map { Array($0.utf8) })
        if inbox.count == 1 { resume() }
    }

    /// What the network layer does when woken: runs the held commands in order until one is held again.
    func resume() {
        woken.value = false
        session.wakeupScheduled = false
        while let first = inbox.first {
            outbox += execute(first)
            if session.postponed { return }
            inbox.removeFirst()
        }
    }

    /// The replies collected by `send` and `resume` since the last call.
    func received() -> String {
        defer { outbox = [] }
        return String(decoding: outbox, as: UTF8.self)
    }

    /// Runs one command given as raw argument bytes; returns the reply bytes.
    func execute(_ argv: [[UInt8]]) -> [UInt8] {
        var storage: [UInt8] = []
        var spans: [ArgumentSpan] = []
        for argument in argv {
            spans.append(ArgumentSpan(offset: storage.count, count: argument.count))
            storage += argument
        }
        storage.append(0)  // never empty, so there is always a base address
        storage.withUnsafeBytes { raw in
            spans.withUnsafeBufferPointer { spans in
                session.execute(Arguments(base: raw.baseAddress!, spans: spans))
            }
        }
        let reply = session.reply.readBytes(length: session.reply.readableBytes) ?? []
        session.reply.clear()
        return reply
    }

    /// What other sessions' commands wrote into this session's reply buffer since the
    /// last look (a served blocking pop, monitor lines), as text.
    func takeDelivered() -> String {
        let bytes = session.reply.readBytes(length: session.reply.readableBytes) ?? []
        session.reply.clear()
        return String(decoding: bytes, as: UTF8.self)
    }

    /// Runs a command; the reply as text (replies are ASCII except for values).
    @discardableResult
    func run(_ args: String...) -> String { run(args) }

    @discardableResult
    func run(_ args: [String]) -> String {
        String(decoding: execute(args.map { Array($0.utf8) }), as: UTF8.self)
    }

    /// Runs a command given as raw bytes; the reply as raw bytes.
    @discardableResult
    func run(bytes args: [UInt8]...) -> [UInt8] { execute(args) }

    /// Runs a command written as an inline line (`SET k "a b"`), split with Redis's quoting rules.
    @discardableResult
    func run(line: String) -> String {
        var splitter = InlineSplitter()
        let ok = Array(line.utf8).withUnsafeBytes { splitter.split($0) }
        precondition(ok, "bad test line: \(line)")
        let argv = splitter.spans.map { Array(splitter.storage[$0.offset..<($0.offset + $0.count)]) }
        return String(decoding: execute(argv), as: UTF8.self)
    }

    /// Runs a command and decodes its reply.
    func value(_ args: String...) -> RESPValue { RESPValue.decode(execute(args.map { Array($0.utf8) })) }
}

/// Whether a session's wakeup fired (the engine calls it under its lock).
final class WakeupFlag: @unchecked Sendable {
    var value = false
}

/// An engine with a hand-driven clock and one connected client.
final class EngineHarness {
    /// 2023-11-14T22:13:20Z: the fixed time every test starts at.
    static let startTime: Int64 = 1_700_000_000_000

    let engine: Engine
    let clock: ManualClock
    let client: TestClient

    /// DEBUG is allowed by default here, as the tests start Redis with `enable-debug-command yes`.
    init(configuration: Configuration = .debugAllowed) {
        let clock = ManualClock(EngineHarness.startTime)
        self.clock = clock
        engine = Engine(configuration: configuration)
        engine.clock = { clock.milliseconds }
        client = TestClient(engine: engine)
    }

    var session: ClientSession { client.session }
    var now: Int64 { clock.milliseconds }
    var db: Database { engine.keyspace.databases[0] }

    func advance(milliseconds: Int64) { clock.milliseconds += milliseconds }
    func advance(seconds: Int64) { clock.milliseconds += seconds * 1000 }

    /// Another connection to the same engine.
    func connect(address: String = "", localAddress: String = "") -> TestClient {
        TestClient(engine: engine, address: address, localAddress: localAddress)
    }

    @discardableResult func run(_ args: String...) -> String { client.run(args) }
    @discardableResult func run(bytes args: [UInt8]...) -> [UInt8] { client.execute(args) }
    @discardableResult func run(line: String) -> String { client.run(line: line) }
    func value(_ args: String...) -> RESPValue { RESPValue.decode(client.execute(args.map { Array($0.utf8) })) }

    /// Runs each line and checks its reply: `[("SET k v", "+OK\r\n"), ...]`.
    func script(_ steps: [(String, String)], sourceLocation: SourceLocation = #_sourceLocation) {
        for (line, expected) in steps {
            let reply = client.run(line: line)
            #expect(reply == expected, "\(line)", sourceLocation: sourceLocation)
        }
    }
}

/// A decoded RESP2 reply, for replies checked by structure (arrays of keys...).
indirect enum RESPValue: Equatable, CustomStringConvertible {
    case simple(String)
    case error(String)
    case integer(Int64)
    case bulk([UInt8]?)
    case array([RESPValue]?)

    static func decode(_ bytes: [UInt8]) -> RESPValue {
        var index = 0
        let value = parse(bytes, &index)
        precondition(index == bytes.count, "trailing bytes after a reply: \(String(decoding: bytes, as: UTF8.self))")
        return value
    }

    private static func line(_ bytes: [UInt8], _ index: inout Int) -> String {
        var end = index
        while !(bytes[end] == 13 && bytes[end + 1] == 10) { end += 1 }
        let text = String(decoding: bytes[index..<end], as: UTF8.self)
        index = end + 2
        return text
    }

    private static func parse(_ bytes: [UInt8], _ index: inout Int) -> RESPValue {
        let type = bytes[index]
        index += 1
        let header = line(bytes, &index)
        switch type {
        case UInt8(ascii: "+"): return .simple(header)
        case UInt8(ascii: "-"): return .error(header)
        case UInt8(ascii: ":"): return .integer(Int64(header)!)
        case UInt8(ascii: "$"):
            let length = Int(header)!
            guard length >= 0 else { return .bulk(nil) }
            let data = Array(bytes[index..<(index + length)])
            precondition(bytes[index + length] == 13 && bytes[index + length + 1] == 10)
            index += length + 2
            return .bulk(data)
        case UInt8(ascii: "*"):
            let count = Int(header)!
            guard count >= 0 else { return .array(nil) }
            return .array((0..<count).map { _ in parse(bytes, &index) })
        default:
            preconditionFailure("not a RESP2 reply type: \(type)")
        }
    }

    var array: [RESPValue] {
        guard case .array(let items?) = self else { return [] }
        return items
    }

    var string: String? {
        switch self {
        case .bulk(let data?): return String(decoding: data, as: UTF8.self)
        case .simple(let text): return text
        default: return nil
        }
    }

    var integer: Int64? {
        guard case .integer(let value) = self else { return nil }
        return value
    }

    var description: String {
        switch self {
        case .simple(let text): return "+\(text)"
        case .error(let text): return "-\(text)"
        case .integer(let value): return ":\(value)"
        case .bulk(let data?): return "\"\(String(decoding: data, as: UTF8.self))\""
        case .bulk(nil): return "(nil)"
        case .array(let items?): return "[" + items.map(\.description).joined(separator: ", ") + "]"
        case .array(nil): return "(nil array)"
        }
    }
}

/// `$len\r\nvalue\r\n`
func bulk(_ value: String) -> String { "$\(value.utf8.count)\r\n\(value)\r\n" }
/// `:n\r\n`
func int(_ value: Int64) -> String { ":\(value)\r\n" }
let ok = "+OK\r\n"
let nullBulk = "$-1\r\n"
let wrongType = "-WRONGTYPE Operation against a key holding the wrong kind of value\r\n"
let syntaxError = "-ERR syntax error\r\n"
let notInteger = "-ERR value is not an integer or out of range\r\n"

extension Configuration {
    /// The defaults, with DEBUG allowed for every client.
    static var debugAllowed: Configuration {
        var configuration = Configuration()
        configuration.enableDebugCommand = .yes
        return configuration
    }
}

/// The whole RESP commands at the start of `bytes`, each as its arguments, and
/// how many bytes they take (the write-ahead log's records, what MIGRATE sends).
func decodeCommands(_ bytes: UnsafeRawBufferPointer) -> (commands: [[[UInt8]]], length: Int) {
    var parser = RequestParser()
    var commands: [[[UInt8]]] = []
    var position = 0
    while position < bytes.count, case .command(let end) = parser.parse(bytes, from: position) {
        commands.append(parser.arguments.map { Array(UnsafeRawBufferPointer(rebasing: bytes[$0.offset..<$0.offset + $0.count])) })
        position = end
    }
    return (commands, position)
}
