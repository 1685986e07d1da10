@testable import KeyDBRESP
import KeyDBTestSupport
import Testing

/// One input stream and what Redis 7.0.15 makes of it, whatever the chunking.
struct GoldenCase: Sendable, CustomTestStringConvertible {
    var name: String
    var input: [UInt8]
    var events: [ParsedEvent]
    var leftover: [UInt8] = []
    var authenticated = true
    var maxBulkLength = 512 * 1024 * 1024
    /// Random chunkings to try besides whole and byte by byte (fewer for big inputs).
    var randomSeeds = 12

    var testDescription: String { name }
    var expected: DriveResult { DriveResult(events: events, leftover: leftover) }
}

private func protocolError(_ detail: String) -> ParsedEvent { .error("ERR Protocol error: " + detail) }

private let bigValue = [UInt8]((0..<70_000).map { UInt8(truncatingIfNeeded: $0 &* 31 &+ 7) })

private func multibulk(_ argv: [[UInt8]]) -> [UInt8] {
    var out = bytes("*\(argv.count)\r\n")
    for arg in argv { out += bytes("$\(arg.count)\r\n") + arg + bytes("\r\n") }
    return out
}

let goldenCases: [GoldenCase] = [
    // MARK: multibulk
    GoldenCase(name: "PING multibulk", input: bytes("*1\r\n$4\r\nPING\r\n"), events: [.cmd("PING")]),
    GoldenCase(name: "SET with an empty value", input: bytes("*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$0\r\n\r\n"), events: [.cmd("SET", "k", "")]),
    GoldenCase(name: "binary bulk holding CRLFs", input: bytes("*2\r\n$4\r\nECHO\r\n$6\r\n\r\n\r\n\r\n\r\n"), events: [.cmd("ECHO", "\r\n\r\n\r\n")]),
    GoldenCase(name: "binary bulk holding NUL and 0xFF",
               input: bytes("*2\r\n$4\r\nECHO\r\n$4\r\n") + [0, 0xFF, 13, 0] + bytes("\r\n"),
               events: [.command([bytes("ECHO"), [0, 0xFF, 13, 0]])]),
    GoldenCase(name: "pipelined multibulk commands", input: bytes("*1\r\n$4\r\nPING\r\n*2\r\n$3\r\nGET\r\n$1\r\na\r\n*3\r\n$3\r\nSET\r\n$1\r\na\r\n$2\r\nbc\r\n"),
               events: [.cmd("PING"), .cmd("GET", "a"), .cmd("SET", "a", "bc")]),
    GoldenCase(name: "a 70,000-byte bulk (bigger than the inline limit)", input: multibulk([bytes("SET"), bytes("big"), bigValue]) + bytes("*1\r\n$4\r\nPING\r\n"),
               events: [.command([bytes("SET"), bytes("big"), bigValue]), .cmd("PING")], randomSeeds: 4),
    GoldenCase(name: "*0 and *-1 run nothing", input: bytes("*0\r\n*-1\r\n*-100\r\n*1\r\n$4\r\nPING\r\n"), events: [.cmd("PING")]),
    GoldenCase(name: "ten arguments before AUTH are allowed", input: multibulk((0..<10).map { bytes("a\($0)") }),
               events: [.command((0..<10).map { bytes("a\($0)") })], authenticated: false),
    GoldenCase(name: "a 16384-byte argument before AUTH is allowed", input: multibulk([bytes("ECHO"), [UInt8](repeating: 120, count: 16384)]),
               events: [.command([bytes("ECHO"), [UInt8](repeating: 120, count: 16384)])], authenticated: false, randomSeeds: 4),
    GoldenCase(name: "*-1 before AUTH", input: bytes("*-1\r\n*1\r\n$4\r\nPING\r\n"), events: [.cmd("PING")], authenticated: false),
    GoldenCase(name: "a bulk of exactly proto-max-bulk-len", input: multibulk([bytes("ECHO"), [UInt8](repeating: 65, count: 1024)]),
               events: [.command([bytes("ECHO"), [UInt8](repeating: 65, count: 1024)])], maxBulkLength: 1024),

    // MARK: leniency (Redis skips these bytes without looking at them)
    GoldenCase(name: "the byte after a header's CR is not checked", input: bytes("*1\rX$4\rYPING\r\n*1\r\n$4\r\nPING\r\n"), events: [.cmd("PING"), .cmd("PING")]),
    GoldenCase(name: "the two bytes after a bulk are not checked", input: bytes("*2\r\n$4\r\nECHO\r\n$1\r\naxy*1\r\n$4\r\nPINGzz"), events: [.cmd("ECHO", "a"), .cmd("PING")]),
    GoldenCase(name: "a bulk's CRLF may be anything, even '$'", input: bytes("*2\r\n$4\r\nECHO$$$1\r\nb\r\n"), events: [.cmd("ECHO", "b")]),

    // MARK: inline
    GoldenCase(name: "inline PING with CRLF", input: bytes("PING\r\n"), events: [.cmd("PING")]),
    GoldenCase(name: "inline PING with a bare LF", input: bytes("PING\n"), events: [.cmd("PING")]),
    GoldenCase(name: "inline with quotes and extra blanks", input: bytes("  SET   a \"b c\"  \r\nGET a\r\n"), events: [.cmd("SET", "a", "b c"), .cmd("GET", "a")]),
    GoldenCase(name: "inline single quotes", input: bytes("ECHO 'x y'\n"), events: [.cmd("ECHO", "x y")]),
    GoldenCase(name: "inline CR in the middle of a line separates arguments", input: bytes("ECHO a\rb\r\n"), events: [.cmd("ECHO", "a", "b")]),
    GoldenCase(name: "blank inline lines run nothing", input: bytes("\r\n\n   \r\n\t\nPING\r\n"), events: [.cmd("PING")]),
    GoldenCase(name: "inline and multibulk mixed", input: bytes("PING\r\n*2\r\n$4\r\nECHO\r\n$2\r\nhi\r\nECHO \"a\\x41\"\r\n*0\r\n\r\n*1\r\n$4\r\nPING\r\n"),
               events: [.cmd("PING"), .cmd("ECHO", "hi"), .cmd("ECHO", "aA"), .cmd("PING")]),
    GoldenCase(name: "inline arguments are not limited before AUTH", input: bytes("a b c d e f g h i j k l\r\n"),
               events: [.cmd("a", "b", "c", "d", "e", "f", "g", "h", "i", "j", "k", "l")], authenticated: false),
    GoldenCase(name: "an inline line of exactly 64 KiB is fine", input: [UInt8](repeating: 97, count: 65536) + bytes("\n"),
               events: [.command([[UInt8](repeating: 97, count: 65536)])], randomSeeds: 2),

    // MARK: incomplete at the end
    GoldenCase(name: "a request cut short stays buffered", input: bytes("*1\r\n$4\r\nPING\r\n*2\r\n$4\r\nECHO\r\n$5\r\nhel"),
               events: [.cmd("PING")], leftover: bytes("*2\r\n$4\r\nECHO\r\n$5\r\nhel")),
    GoldenCase(name: "an inline line without newline stays buffered", input: bytes("PING\r\nGET a"), events: [.cmd("PING")], leftover: bytes("GET a")),

    // MARK: protocol errors (the connection ends; what follows is never run)
    GoldenCase(name: "invalid multibulk length", input: bytes("*1\r\n$4\r\nPING\r\n*x\r\n*1\r\n$4\r\nPING\r\n"),
               events: [.cmd("PING"), protocolError("invalid multibulk length")]),
    GoldenCase(name: "multibulk count above INT_MAX", input: bytes("*2147483648\r\n"), events: [protocolError("invalid multibulk length")]),
    GoldenCase(name: "multibulk count with '+'", input: bytes("*+1\r\n"), events: [protocolError("invalid multibulk length")]),
    GoldenCase(name: "multibulk count with a leading zero", input: bytes("*01\r\n"), events: [protocolError("invalid multibulk length")]),
    GoldenCase(name: "empty multibulk count", input: bytes("*\r\n"), events: [protocolError("invalid multibulk length")]),
    GoldenCase(name: "negative bulk length", input: bytes("*1\r\n$-1\r\n"), events: [protocolError("invalid bulk length")]),
    GoldenCase(name: "bulk length with a leading zero", input: bytes("*1\r\n$01\r\nx\r\n"), events: [protocolError("invalid bulk length")]),
    GoldenCase(name: "empty bulk length", input: bytes("*1\r\n$\r\n"), events: [protocolError("invalid bulk length")]),
    GoldenCase(name: "bulk longer than proto-max-bulk-len", input: bytes("*1\r\n$1025\r\n"), events: [protocolError("invalid bulk length")], maxBulkLength: 1024),
    GoldenCase(name: "proto-max-bulk-len is checked before the AUTH limit", input: bytes("*1\r\n$2000\r\n"), events: [protocolError("invalid bulk length")], authenticated: false, maxBulkLength: 1024),
    GoldenCase(name: "expected '$', got 'x'", input: bytes("*1\r\nx4\r\nPING\r\n"), events: [protocolError("expected '$', got 'x'")]),
    GoldenCase(name: "expected '$', got ':' in the second argument", input: bytes("*2\r\n$4\r\nECHO\r\n:1\r\n"),
               events: [protocolError("expected '$', got ':'")]),
    GoldenCase(name: "expected '$', got CR (shown as a space)", input: bytes("*1\r\n\r\r\n"), events: [protocolError("expected '$', got ' '")]),
    GoldenCase(name: "expected '$', got LF (shown as a space)", input: bytes("*1\r\n\n4\r\n"), events: [protocolError("expected '$', got ' '")]),
    GoldenCase(name: "unbalanced quotes", input: bytes("PING\r\nSET a \"b\r\nPING\r\n"), events: [.cmd("PING"), protocolError("unbalanced quotes in request")]),
    GoldenCase(name: "closing quote followed by a letter", input: bytes("ECHO a\"b c\"d\r\n"), events: [protocolError("unbalanced quotes in request")]),
    GoldenCase(name: "more than ten arguments before AUTH", input: bytes("*11\r\n"), events: [protocolError("unauthenticated multibulk length")], authenticated: false),
    GoldenCase(name: "a bulk over 16 KiB before AUTH", input: bytes("*2\r\n$4\r\nECHO\r\n$16385\r\n"), events: [protocolError("unauthenticated bulk length")], authenticated: false),
    GoldenCase(name: "too big inline request", input: [UInt8](repeating: 97, count: 65537), events: [protocolError("too big inline request")], randomSeeds: 2),
    GoldenCase(name: "too big mbulk count string", input: bytes("*") + [UInt8](repeating: 49, count: 65536), events: [protocolError("too big mbulk count string")], randomSeeds: 2),
    GoldenCase(name: "too big bulk count string", input: bytes("*2\r\n$4\r\nECHO\r\n$") + [UInt8](repeating: 49, count: 65536),
               events: [protocolError("too big bulk count string")], randomSeeds: 2),
]

@Suite("RequestParser")
struct RequestParserTests {
    @Test("golden streams give the same commands whole, byte by byte and in random chunks", arguments: goldenCases)
    func golden(_ golden: GoldenCase) {
        let limits = ProtocolLimits(maxBulkLength: golden.maxBulkLength)
        for feed in Feed.all(randomSeeds: golden.randomSeeds) {
            let result = drive(golden.input, feed: feed, authenticated: golden.authenticated, limits: limits, strict: true)
            #expect(result == golden.expected, "fed \(feed)")
        }
    }

    @Test("argument storage a huge command grew is let go between batches; small storage is kept")
    func shrinkArgumentStorage() {
        var parser = RequestParser()
        let huge = multibulk((0..<5_000).map { bytes("a\($0)") })
        huge.withUnsafeBytes { #expect(parser.parse($0, from: 0) == .command(end: huge.count)) }
        #expect(parser.arguments.count == 5_000)
        #expect(parser.spans.capacity >= 5_000)
        parser.shrinkArgumentStorage()
        #expect(parser.spans.capacity <= RequestParser.keptArgumentCapacity)
        let small = multibulk([bytes("GET"), bytes("k")])
        small.withUnsafeBytes { #expect(parser.parse($0, from: 0) == .command(end: small.count)) }
        #expect(parser.arguments.count == 2)
        let kept = parser.spans.capacity
        parser.shrinkArgumentStorage()
        #expect(parser.spans.capacity == kept)  // the hot path keeps its storage
    }

    @Test("a long random pipeline of every request shape parses identically in any chunking")
    func randomPipeline() {
        var rng = SeededGenerator(seed: 42)
        var input: [UInt8] = []
        var expected: [ParsedEvent] = []
        for i in 0..<400 {
            switch Int.random(in: 0..<5, using: &rng) {
            case 0:
                let value = (0..<Int.random(in: 0..<300, using: &rng)).map { _ in UInt8.random(in: 0...255, using: &rng) }
                input += multibulk([bytes("SET"), bytes("k\(i)"), value])
                expected.append(.command([bytes("SET"), bytes("k\(i)"), value]))
            case 1:
                input += bytes("GET k\(i)\r\n")
                expected.append(.cmd("GET", "k\(i)"))
            case 2:
                input += bytes("ECHO \"x\\ty\" 'a b'\n")
                expected.append(.cmd("ECHO", "x\ty", "a b"))
            case 3:
                input += bytes(["*0\r\n", "*-1\r\n", "\r\n", "\n", "   \r\n"][i % 5])
            default:
                let argv = (0..<Int.random(in: 1...12, using: &rng)).map { bytes("arg\($0)") }
                input += multibulk(argv)
                expected.append(.command(argv))
            }
        }
        for feed in Feed.all(randomSeeds: 30) {
            #expect(drive(input, feed: feed) == DriveResult(events: expected, leftover: []), "fed \(feed)")
        }
    }

    @Test("partial requests are incomplete", arguments: [
        "", "*", "*1", "*1\r", "*1\r\n", "*1\r\n$", "*1\r\n$4", "*1\r\n$4\r", "*1\r\n$4\r\n", "*1\r\n$4\r\nPI",
        "*1\r\n$4\r\nPING", "*1\r\n$4\r\nPING\r", "*2\r\n$4\r\nECHO\r\n", "*2\r\n$4\r\nECHO\r\n$3\r\nab",
        "PING", "PING\r", "SET a \"b c", "*12\r\n", "*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$0\r\n",
    ])
    func incomplete(_ text: String) {
        var parser = RequestParser()
        let input = bytes(text)
        let outcome = input.withUnsafeBytes { parser.parse($0, from: 0) }
        guard case .incomplete(let atLeast) = outcome else {
            Issue.record("\"\(escape(input))\" gave \(outcome)")
            return
        }
        #expect(atLeast > input.count)
    }

    @Test("incomplete bulk data asks for the whole bulk and its CRLF", arguments: [
        ("*1\r\n$4\r\n", 14), ("*1\r\n$4\r\nPI", 14), ("*1\r\n$4\r\nPING\r", 14),
        ("*2\r\n$4\r\nECHO\r\n$10\r\n", 31), ("*1\r\n$0\r\n", 10),
    ])
    func incompleteBulk(_ text: String, _ atLeast: Int) {
        var parser = RequestParser()
        let outcome = bytes(text).withUnsafeBytes { parser.parse($0, from: 0) }
        #expect(outcome == .incomplete(atLeast: atLeast))
    }

    @Test("a header cut after its CR asks for the LF")
    func headerAfterCR() {
        var parser = RequestParser()
        #expect(bytes("*1\r").withUnsafeBytes { parser.parse($0, from: 0) } == .incomplete(atLeast: 4))
    }

    @Test("parsing past the end is incomplete")
    func pastTheEnd() {
        var parser = RequestParser()
        let input = bytes("PING\r\n")
        #expect(input.withUnsafeBytes { parser.parse($0, from: 6) } == .incomplete(atLeast: 7))
    }

    @Test("*0 and *-1 are empty requests that consume their line")
    func emptyMultibulk() {
        var parser = RequestParser()
        #expect(bytes("*0\r\n").withUnsafeBytes { parser.parse($0, from: 0) } == .empty(end: 4))
        #expect(bytes("*-1\r\n").withUnsafeBytes { parser.parse($0, from: 0) } == .empty(end: 5))
        #expect(bytes("*-1\r\n").withUnsafeBytes { parser.parse($0, from: 0, authenticated: false) } == .empty(end: 5))
    }

    @Test("an empty inline line is an empty request", arguments: [("\r\n", 2), ("\n", 1)])
    func emptyInline(_ text: String, _ end: Int) {
        var parser = RequestParser()
        #expect(bytes(text).withUnsafeBytes { parser.parse($0, from: 0) } == .empty(end: end))
    }

    @Test("parse from an offset inside the buffer")
    func fromOffset() {
        var parser = RequestParser()
        let input = bytes("garbage*2\r\n$3\r\nGET\r\n$1\r\nk\r\nPING\r\n")
        input.withUnsafeBytes { buffer in
            #expect(parser.parse(buffer, from: 7) == .command(end: 27))
            #expect(parser.arguments == [ArgumentSpan(offset: 15, count: 3), ArgumentSpan(offset: 24, count: 1)])
            #expect(parser.parse(buffer, from: 27) == .inline(start: 27, lineEnd: 31, end: 33))
        }
    }

    @Test("inline line bounds exclude the CR only when it precedes the LF")
    func inlineBounds() {
        var parser = RequestParser()
        #expect(bytes("GET a\r\n").withUnsafeBytes { parser.parse($0, from: 0) } == .inline(start: 0, lineEnd: 5, end: 7))
        #expect(bytes("GET a\n").withUnsafeBytes { parser.parse($0, from: 0) } == .inline(start: 0, lineEnd: 5, end: 6))
        #expect(bytes("GET a\r\r\n").withUnsafeBytes { parser.parse($0, from: 0) } == .inline(start: 0, lineEnd: 6, end: 8))
    }

    @Test("every protocol error text, exactly")
    func errorTexts() {
        let expected: [(ProtocolError, String)] = [
            (.tooBigInlineRequest, "ERR Protocol error: too big inline request"),
            (.unbalancedQuotes, "ERR Protocol error: unbalanced quotes in request"),
            (.tooBigMultibulkCount, "ERR Protocol error: too big mbulk count string"),
            (.invalidMultibulkLength, "ERR Protocol error: invalid multibulk length"),
            (.unauthenticatedMultibulkLength, "ERR Protocol error: unauthenticated multibulk length"),
            (.tooBigBulkCount, "ERR Protocol error: too big bulk count string"),
            (.invalidBulkLength, "ERR Protocol error: invalid bulk length"),
            (.unauthenticatedBulkLength, "ERR Protocol error: unauthenticated bulk length"),
            (.expectedDollar(got: UInt8(ascii: "x")), "ERR Protocol error: expected '$', got 'x'"),
            (.expectedDollar(got: 13), "ERR Protocol error: expected '$', got ' '"),
            (.expectedDollar(got: 10), "ERR Protocol error: expected '$', got ' '"),
        ]
        for (error, text) in expected {
            #expect(String(decoding: error.message, as: UTF8.self) == text)
        }
        #expect(ProtocolError.expectedDollar(got: 0xFF).message == bytes("ERR Protocol error: expected '$', got '") + [0xFF, 39])
    }

    /// Plain digit headers take a one-pass path; every other header shape must
    /// still get Redis's answer (string2ll: no sign on a length, no leading zero,
    /// no other byte, no overflow).
    @Test("header numbers of every shape", arguments: [
        ("*1\r\n$0\r\n\r\n", RequestParser.Outcome.command(end: 10)),
        ("*1\r\n$3\r\nabc\r\n", .command(end: 13)),
        ("*1\r\n$3\rXabc\r\n", .command(end: 13)),  // the byte after CR is skipped, not checked
        ("*1\r\n$03\r\nabc\r\n", .error(.invalidBulkLength)),
        ("*1\r\n$-1\r\n", .error(.invalidBulkLength)),
        ("*1\r\n$3x\r\nabc\r\n", .error(.invalidBulkLength)),
        ("*1\r\n$ 3\r\nabc\r\n", .error(.invalidBulkLength)),
        ("*1\r\n$\r\n", .error(.invalidBulkLength)),
        ("*1\r\n$99999999999999999999\r\n", .error(.invalidBulkLength)),
        ("*1\r\nx3\r\nabc\r\n", .error(.expectedDollar(got: UInt8(ascii: "x")))),
        ("*01\r\n$3\r\nabc\r\n", .error(.invalidMultibulkLength)),
        ("*+1\r\n$3\r\nabc\r\n", .error(.invalidMultibulkLength)),
        ("*999999999999999999\r\n", .error(.invalidMultibulkLength)),
        ("*9223372036854775807\r\n", .error(.invalidMultibulkLength)),
        ("*9223372036854775808\r\n", .error(.invalidMultibulkLength)),
        ("*-5\r\n", .empty(end: 5)),
        ("*2\r\n$3\r", .incomplete(atLeast: 8)),
        ("*2\r\n$3\r\nabc\r\n$12", .incomplete(atLeast: 17)),
        ("*2\r", .incomplete(atLeast: 4)),
    ])
    func headerShapes(_ input: String, _ expected: RequestParser.Outcome) {
        var parser = RequestParser()
        #expect(bytes(input).withUnsafeBytes { parser.parse($0, from: 0) } == expected, "\(escape(bytes(input)))")
    }

    @Test("the AUTH limits only apply before authentication")
    func authLimits() {
        var parser = RequestParser()
        let eleven = multibulk((0..<11).map { bytes("a\($0)") })
        eleven.withUnsafeBytes { buffer in
            #expect(parser.parse(buffer, from: 0, authenticated: false) == .error(.unauthenticatedMultibulkLength))
            #expect(parser.parse(buffer, from: 0, authenticated: true) == .command(end: eleven.count))
        }
        let big = multibulk([bytes("ECHO"), [UInt8](repeating: 1, count: 16385)])
        big.withUnsafeBytes { buffer in
            #expect(parser.parse(buffer, from: 0, authenticated: false) == .error(.unauthenticatedBulkLength))
            #expect(parser.parse(buffer, from: 0, authenticated: true) == .command(end: big.count))
        }
    }

    @Test("limits can change between requests (CONFIG SET proto-max-bulk-len)")
    func limitsChange() {
        var parser = RequestParser(limits: ProtocolLimits(maxBulkLength: 4))
        let input = multibulk([bytes("ECHO"), bytes("hello")])
        input.withUnsafeBytes { buffer in
            #expect(parser.parse(buffer, from: 0) == .error(.invalidBulkLength))
            parser.limits.maxBulkLength = 5
            #expect(parser.parse(buffer, from: 0) == .command(end: input.count))
        }
    }

    @Test("the too-big limits are exactly 64 KiB")
    func sizeBoundaries() {
        var parser = RequestParser()
        let inline = [UInt8](repeating: 97, count: 65536)
        #expect(inline.withUnsafeBytes { parser.parse($0, from: 0) } == .incomplete(atLeast: 65537))
        #expect((inline + [97]).withUnsafeBytes { parser.parse($0, from: 0) } == .error(.tooBigInlineRequest))
        let count = bytes("*") + [UInt8](repeating: 49, count: 65535)
        #expect(count.withUnsafeBytes { parser.parse($0, from: 0) } == .incomplete(atLeast: 65537))
        #expect((count + [49]).withUnsafeBytes { parser.parse($0, from: 0) } == .error(.tooBigMultibulkCount))
        // Measured from where the request starts, not from the buffer's start.
        let offset = [UInt8](repeating: 0, count: 10) + count
        #expect(offset.withUnsafeBytes { parser.parse($0, from: 10) } == .incomplete(atLeast: offset.count + 1))
    }

    /// Redis finds line ends with `strchr` on the query buffer, which stops at
    /// a NUL byte: a NUL before the CR/LF means Redis never sees the line and
    /// keeps waiting (until the 64 KiB limit). Checked against redis-server 7.0.15:
    /// `PING\0x\r\nPING\r\n`, `*1\0\r\n...` and `*1\r\n$4\0\r\n...` get no reply.
    @Test("a NUL before a line end hides the line, as Redis's strchr does", arguments: [
        [UInt8]("PING".utf8) + [0] + Array("x\r\nPING\r\n".utf8),
        [UInt8]("*1".utf8) + [0] + Array("\r\n$4\r\nPING\r\n".utf8),
        [UInt8]("*1\r\n$4".utf8) + [0] + Array("\r\nPING\r\n".utf8),
    ])
    func nulHidesLineEnd(_ input: [UInt8]) {
        var parser = RequestParser()
        let outcome = input.withUnsafeBytes { parser.parse($0, from: 0) }
        guard case .incomplete = outcome else {
            Issue.record("\"\(escape(input))\": Redis waits for more input, got \(outcome)")
            return
        }
    }
}
