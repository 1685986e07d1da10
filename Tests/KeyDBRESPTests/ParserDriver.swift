import KeyDBRESP
import KeyDBTestSupport
import Testing

/// What a connection sees come out of the parser: commands to run, or the
/// protocol error that ends the connection.
enum ParsedEvent: Equatable, Sendable, CustomStringConvertible {
    case command([[UInt8]])
    case error(String)

    static func cmd(_ words: String...) -> ParsedEvent { .command(words.map { Array($0.utf8) }) }

    var description: String {
        switch self {
        case .command(let argv): return "command(" + argv.map { "\"" + escape($0) + "\"" }.joined(separator: " ") + ")"
        case .error(let text): return "error(\(text))"
        }
    }
}

/// Everything a feed produced, and the bytes left unparsed at the end
/// (none after a protocol error: the connection closes and drops them).
struct DriveResult: Equatable, Sendable, CustomStringConvertible {
    var events: [ParsedEvent]
    var leftover: [UInt8]
    var description: String { "events: \(events), leftover: \"\(escape(leftover))\"" }
}

/// How the input arrives: chunk sizes that add up to the input's length.
enum Feed: Sendable, CustomStringConvertible {
    case whole
    case byteByByte
    case random(seed: UInt64, maxChunk: Int)

    func chunks(for count: Int) -> [Int] {
        switch self {
        case .whole: return count == 0 ? [] : [count]
        case .byteByByte: return Array(repeating: 1, count: count)
        case .random(let seed, let maxChunk):
            var rng = SeededGenerator(seed: seed)
            var sizes: [Int] = []
            var left = count
            while left > 0 {
                let size = min(left, Int.random(in: 1...maxChunk, using: &rng))
                sizes.append(size)
                left -= size
            }
            return sizes
        }
    }

    var description: String {
        switch self {
        case .whole: return "whole"
        case .byteByByte: return "byte by byte"
        case .random(let seed, let maxChunk): return "random(seed: \(seed), maxChunk: \(maxChunk))"
        }
    }

    /// Whole, byte by byte, and seeded random chunkings of several sizes.
    static func all(randomSeeds: Int = 12) -> [Feed] {
        var feeds: [Feed] = [.whole, .byteByByte]
        for seed in 1...UInt64(randomSeeds) {
            feeds.append(.random(seed: seed, maxChunk: [2, 3, 7, 16, 64, 4096][Int(seed) % 6]))
        }
        return feeds
    }
}


/// Simulates the server's read loop (ConnectionHandler.runRequests): bytes
/// accumulate in a pending buffer; every request found is run (recorded);
/// `.incomplete(atLeast:)` is honoured by not parsing again until that many
/// bytes are pending; consumed bytes are dropped after each read; a protocol
/// error ends the connection.
///
/// With `strict`, the parser is also called on reads it asked not to be
/// called for, and must still answer `.incomplete` (the hint never lies).
func drive(_ input: [UInt8], feed: Feed, authenticated: Bool = true,
           limits: ProtocolLimits = ProtocolLimits(), strict: Bool = false,
           sourceLocation: SourceLocation = #_sourceLocation) -> DriveResult {
    var parser = RequestParser(limits: limits)
    var splitter = InlineSplitter()
    var pending: [UInt8] = []
    var needed = 0
    var events: [ParsedEvent] = []
    var offset = 0

    for size in feed.chunks(for: input.count) {
        pending.append(contentsOf: input[offset..<(offset + size)])
        offset += size
        if pending.count < needed {
            if strict {
                let early = pending.withUnsafeBytes { parser.parse($0, from: 0, authenticated: authenticated) }
                guard case .incomplete = early else {
                    Issue.record("parsed \(early) with \(pending.count) bytes after being told to wait for \(needed)", sourceLocation: sourceLocation)
                    return DriveResult(events: events, leftover: pending)
                }
            }
            continue
        }
        var position = 0
        var waiting = false
        reading: while position < pending.count {
            let outcome = pending.withUnsafeBytes { parser.parse($0, from: position, authenticated: authenticated) }
            switch outcome {
            case .command(let end):
                #expect(end > position, "a command must consume bytes", sourceLocation: sourceLocation)
                let argv = parser.arguments.map { Array(pending[$0.offset..<($0.offset + $0.count)]) }
                events.append(.command(argv))
                position = end
            case .inline(let start, let lineEnd, let end):
                #expect(start == position && start <= lineEnd && lineEnd < end && end <= pending.count,
                        "inline bounds \(start) \(lineEnd) \(end) from \(position)", sourceLocation: sourceLocation)
                let ok = pending.withUnsafeBytes { splitter.split(UnsafeRawBufferPointer(rebasing: $0[start..<lineEnd])) }
                guard ok else {
                    events.append(.error(String(decoding: ProtocolError.unbalancedQuotes.message, as: UTF8.self)))
                    return DriveResult(events: events, leftover: [])
                }
                if !splitter.spans.isEmpty {
                    events.append(.command(splitter.spans.map { Array(splitter.storage[$0.offset..<($0.offset + $0.count)]) }))
                }
                position = end
            case .empty(let end):
                #expect(end > position, "an empty request must consume bytes", sourceLocation: sourceLocation)
                position = end
            case .incomplete(let atLeast):
                #expect(atLeast > pending.count, "incomplete must ask for more than is buffered (\(atLeast) <= \(pending.count))", sourceLocation: sourceLocation)
                needed = atLeast - position
                waiting = true
                break reading
            case .error(let error):
                events.append(.error(String(decoding: error.message, as: UTF8.self)))
                return DriveResult(events: events, leftover: [])
            }
        }
        if !waiting { needed = 0 }
        pending.removeFirst(position)
    }
    return DriveResult(events: events, leftover: pending)
}

func bytes(_ text: String) -> [UInt8] { Array(text.utf8) }

/// Printable form of raw bytes for failure messages.
func escape(_ data: [UInt8]) -> String {
    var out = ""
    for byte in data.prefix(200) {
        switch byte {
        case 13: out += "\\r"
        case 10: out += "\\n"
        case 9: out += "\\t"
        case 34: out += "\\\""
        case 92: out += "\\\\"
        case 32...126: out.append(Character(UnicodeScalar(byte)))
        default: out += "\\x" + String(byte, radix: 16).leftPadded(to: 2)
        }
    }
    if data.count > 200 { out += "...(\(data.count) bytes)" }
    return out
}

extension String {
    func leftPadded(to width: Int) -> String {
        count >= width ? self : String(repeating: "0", count: width - count) + self
    }
}
