/// Finds the next request in the bytes received so far, the way Redis's
/// `processMultibulkBuffer` / `processInlineBuffer` do, including their
/// leniencies (the byte after `\r` is skipped, not checked) so clients see
/// exactly what Redis would answer.
public struct RequestParser {
    public enum Outcome: Equatable {
        /// A multibulk command; its argv spans are in `arguments`. `end` is where it stops.
        case command(end: Int)
        /// An inline line `[start, lineEnd)`; the request ends at `end`. Split it with `InlineSplitter`.
        case inline(start: Int, lineEnd: Int, end: Int)
        /// Nothing to run (`*0`, `*-1`, a blank inline line); skip to `end`.
        case empty(end: Int)
        /// The request is not complete; do not call again until `atLeast` bytes are buffered.
        case incomplete(atLeast: Int)
        case error(ProtocolError)
    }

    public var limits: ProtocolLimits
    /// Argument spans of the last `.command`, reused between requests.
    public private(set) var arguments: [ArgumentSpan] = []

    public init(limits: ProtocolLimits = ProtocolLimits()) {
        self.limits = limits
        arguments.reserveCapacity(16)
    }

    /// Parses the request starting at `start` in `buffer`.
    /// - Parameter authenticated: before AUTH, Redis caps argument counts and sizes.
    public mutating func parse(_ buffer: UnsafeRawBufferPointer, from start: Int, authenticated: Bool = true) -> Outcome {
        guard start < buffer.count else { return .incomplete(atLeast: start + 1) }
        if buffer[start] == UInt8(ascii: "*") {
            return parseMultibulk(buffer, from: start, authenticated: authenticated)
        }
        return parseInline(buffer, from: start)
    }

    // MARK: - Inline

    private func parseInline(_ buffer: UnsafeRawBufferPointer, from start: Int) -> Outcome {
        guard let newline = find(UInt8(ascii: "\n"), in: buffer, from: start) else {
            if buffer.count - start > ProtocolLimits.inlineMax { return .error(.tooBigInlineRequest) }
            return .incomplete(atLeast: buffer.count + 1)
        }
        var lineEnd = newline
        if lineEnd > start && buffer[lineEnd - 1] == UInt8(ascii: "\r") { lineEnd -= 1 }
        if lineEnd == start { return .empty(end: newline + 1) }
        return .inline(start: start, lineEnd: lineEnd, end: newline + 1)
    }

    // MARK: - Multibulk

    private mutating func parseMultibulk(_ buffer: UnsafeRawBufferPointer, from start: Int, authenticated: Bool) -> Outcome {
        guard let countEnd = find(UInt8(ascii: "\r"), in: buffer, from: start) else {
            if buffer.count - start > ProtocolLimits.inlineMax { return .error(.tooBigMultibulkCount) }
            return .incomplete(atLeast: buffer.count + 1)
        }
        guard countEnd + 2 <= buffer.count else { return .incomplete(atLeast: countEnd + 2) }
        guard let count = parseDecimal(buffer, from: start + 1, to: countEnd), count <= ProtocolLimits.multibulkMax else {
            return .error(.invalidMultibulkLength)
        }
        if count > ProtocolLimits.unauthenticatedMultibulkMax && !authenticated {
            return .error(.unauthenticatedMultibulkLength)
        }
        var position = countEnd + 2
        if count <= 0 { return .empty(end: position) }

        arguments.removeAll(keepingCapacity: true)
        for _ in 0..<count {
            guard let lengthEnd = find(UInt8(ascii: "\r"), in: buffer, from: position) else {
                if buffer.count - position > ProtocolLimits.inlineMax { return .error(.tooBigBulkCount) }
                return .incomplete(atLeast: buffer.count + 1)
            }
            guard lengthEnd + 2 <= buffer.count else { return .incomplete(atLeast: lengthEnd + 2) }
            guard buffer[position] == UInt8(ascii: "$") else { return .error(.expectedDollar(got: buffer[position])) }
            guard let length = parseDecimal(buffer, from: position + 1, to: lengthEnd),
                  length >= 0, length <= limits.maxBulkLength
            else { return .error(.invalidBulkLength) }
            if length > ProtocolLimits.unauthenticatedBulkMax && !authenticated {
                return .error(.unauthenticatedBulkLength)
            }
            let dataStart = lengthEnd + 2
            let dataEnd = dataStart + length + 2
            guard dataEnd <= buffer.count else { return .incomplete(atLeast: dataEnd) }
            arguments.append(ArgumentSpan(offset: dataStart, count: length))
            position = dataEnd
        }
        return .command(end: position)
    }

    // MARK: - Helpers

    /// The first `byte` at or after `start` — as Redis's `strchr`, a NUL byte
    /// before it hides it (Redis then waits for more data, until its size limit).
    @inline(__always)
    private func find(_ byte: UInt8, in buffer: UnsafeRawBufferPointer, from start: Int) -> Int? {
        guard start < buffer.count, let base = buffer.baseAddress else { return nil }
        guard let hit = memchr(base + start, Int32(byte), buffer.count - start) else { return nil }
        let offset = UnsafeRawPointer(hit) - base
        if memchr(base + start, 0, offset - start) != nil { return nil }
        return offset
    }

    /// Redis's `string2ll` on a header: optional '-', digits, no leading zeros, fits Int64.
    private func parseDecimal(_ buffer: UnsafeRawBufferPointer, from start: Int, to end: Int) -> Int? {
        Int64(redisDecimal: UnsafeRawBufferPointer(rebasing: buffer[start..<end])).map(Int.init)
    }
}

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif
