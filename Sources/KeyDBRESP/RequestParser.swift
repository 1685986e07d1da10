/// Finds the next request in the bytes received so far, the way Redis's
/// `processMultibulkBuffer` / `processInlineBuffer` do, including their
/// leniencies (the byte after `\r` is skipped, not checked) so clients see
/// exactly what Redis would answer.
public struct RequestParser {
    public enum Outcome: Equatable, Sendable {
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
    /// The argument spans of the last `.command` are the first `argumentCount` of
    /// these; the storage is overwritten by the next request, never emptied.
    @usableFromInline var spans: [ArgumentSpan] = []
    @usableFromInline var argumentCount = 0

    public init(limits: ProtocolLimits = ProtocolLimits()) {
        self.limits = limits
        spans.reserveCapacity(16)
    }

    /// Argument storage beyond this many spans is let go once the batch that needed it
    /// is done: one command of a million arguments must not hold 16 MB for the
    /// connection's life (Redis frees a command's argv after it runs).
    public static let keptArgumentCapacity = 1024

    /// Lets go of argument storage grown past `keptArgumentCapacity` (between batches).
    public mutating func shrinkArgumentStorage() {
        guard spans.capacity > Self.keptArgumentCapacity else { return }
        spans = []
        spans.reserveCapacity(16)
        argumentCount = 0
    }

    /// Argument spans of the last `.command`.
    public var arguments: ArraySlice<ArgumentSpan> { spans[..<argumentCount] }

    /// Calls `body` with the argument spans of the last `.command` (the hot path's view: no copy, no retain).
    @inlinable public func withArguments<R>(_ body: (UnsafeBufferPointer<ArgumentSpan>) throws -> R) rethrows -> R {
        try spans.withUnsafeBufferPointer { try body(UnsafeBufferPointer(rebasing: $0[..<argumentCount])) }
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
        let (count, countEnd): (Int, Int)
        switch header(.count, buffer, at: start) {
        case .number(let value, let end) where value <= ProtocolLimits.multibulkMax: (count, countEnd) = (value, end)
        case .number: return .error(.invalidMultibulkLength)
        case .stop(let outcome): return outcome
        }
        if count > ProtocolLimits.unauthenticatedMultibulkMax && !authenticated {
            return .error(.unauthenticatedMultibulkLength)
        }
        var position = countEnd + 2
        if count <= 0 { return .empty(end: position) }

        argumentCount = 0
        for _ in 0..<count {
            let (length, lengthEnd): (Int, Int)
            switch header(.bulk, buffer, at: position) {
            case .number(let value, let end) where value >= 0 && value <= limits.maxBulkLength: (length, lengthEnd) = (value, end)
            case .number: return .error(.invalidBulkLength)
            case .stop(let outcome): return outcome
            }
            if length > ProtocolLimits.unauthenticatedBulkMax && !authenticated {
                return .error(.unauthenticatedBulkLength)
            }
            let dataStart = lengthEnd + 2
            let dataEnd = dataStart + length + 2
            guard dataEnd <= buffer.count else { return .incomplete(atLeast: dataEnd) }
            let span = ArgumentSpan(offset: dataStart, count: length)
            if argumentCount < spans.count { spans[argumentCount] = span } else { spans.append(span) }
            argumentCount += 1
            position = dataEnd
        }
        return .command(end: position)
    }

    /// Which header line: the argument count (`*3`, after the `*` was seen) or a bulk length (`$16`).
    private enum HeaderKind {
        case count, bulk
    }

    private enum Header {
        /// The header's number and where its `\r` is (its `\n` slot is in the buffer).
        case number(Int, end: Int)
        /// What the parse answers instead: more input needed, or a protocol error.
        case stop(Outcome)
    }

    /// The header line at `start`, as Redis's processMultibulkBuffer reads it: its
    /// `\r` found (else incomplete, or too big past 64 KiB), room for its `\n`,
    /// then a bulk length's `$` checked, then the number (string2ll, else invalid).
    @inline(__always)
    private func header(_ kind: HeaderKind, _ buffer: UnsafeRawBufferPointer, at start: Int) -> Header {
        if start < buffer.count && (kind == .count || buffer[start] == UInt8(ascii: "$")),
           let plain = plainHeader(buffer, at: start) {
            return .number(plain.value, end: plain.end)
        }
        return generalHeader(kind, buffer, at: start)
    }

    /// `header` for every line `plainHeader` leaves: two `memchr`s and `string2ll`.
    @inline(never)
    private func generalHeader(_ kind: HeaderKind, _ buffer: UnsafeRawBufferPointer, at start: Int) -> Header {
        guard let end = find(UInt8(ascii: "\r"), in: buffer, from: start) else {
            if buffer.count - start > ProtocolLimits.inlineMax { return .stop(.error(kind == .count ? .tooBigMultibulkCount : .tooBigBulkCount)) }
            return .stop(.incomplete(atLeast: buffer.count + 1))
        }
        guard end + 2 <= buffer.count else { return .stop(.incomplete(atLeast: end + 2)) }
        if kind == .bulk && buffer[start] != UInt8(ascii: "$") { return .stop(.error(.expectedDollar(got: buffer[start]))) }
        guard let value = parseDecimal(buffer, from: start + 1, to: end) else {
            return .stop(.error(kind == .count ? .invalidMultibulkLength : .invalidBulkLength))
        }
        return .number(value, end: end)
    }

    /// `header`'s common case in one pass: a digit 1–9, at most 16 more digits,
    /// `\r`, and the `\n` slot in the buffer. Anything else is nil, and the
    /// general path (two `memchr`s and `string2ll`) gives Redis's answer for it.
    @inline(__always)
    private func plainHeader(_ buffer: UnsafeRawBufferPointer, at start: Int) -> (value: Int, end: Int)? {
        var position = start + 1
        let limit = min(buffer.count - 1, start + 19)  // room for the `\n` after `\r`
        guard position < limit, buffer[position] &- UInt8(ascii: "1") < 9 else { return nil }
        var value = 0
        while position < limit {
            let byte = buffer[position]
            if byte == UInt8(ascii: "\r") { return (value, position) }
            let digit = byte &- UInt8(ascii: "0")
            guard digit < 10 else { return nil }
            value = value &* 10 &+ Int(digit)
            position += 1
        }
        return nil
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
