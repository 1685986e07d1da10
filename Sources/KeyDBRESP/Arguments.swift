/// Where one argument lies in the bytes a command is parsed from.
public struct ArgumentSpan: Sendable, Equatable {
    public var offset: Int
    public var count: Int

    @inlinable public init(offset: Int, count: Int) {
        self.offset = offset
        self.count = count
    }
}

/// A command's argv, viewed in place: valid only while the command runs.
/// Anything a command keeps (a key, a value) it copies out.
public struct Arguments {
    public let base: UnsafeRawPointer
    public let spans: UnsafeBufferPointer<ArgumentSpan>

    @inlinable public init(base: UnsafeRawPointer, spans: UnsafeBufferPointer<ArgumentSpan>) {
        self.base = base
        self.spans = spans
    }

    @inlinable public var count: Int { spans.count }

    /// The arguments after the first `count` (COMMAND GETKEYS, ACL DRYRUN: a command inside a command).
    @inlinable public func dropping(_ count: Int) -> Arguments {
        Arguments(base: base, spans: UnsafeBufferPointer(rebasing: spans[count...]))
    }

    @inlinable public subscript(index: Int) -> UnsafeRawBufferPointer {
        let span = spans[index]
        return UnsafeRawBufferPointer(start: base + span.offset, count: span.count)
    }

    /// True when argument `index` equals `word` ignoring ASCII case; `word` is lowercase.
    @inlinable public func matches(_ index: Int, _ word: StaticString) -> Bool {
        let argument = self[index]
        guard argument.count == word.utf8CodeUnitCount else { return false }
        let expected = word.utf8Start
        for i in 0..<argument.count where asciiLowercased(argument[i]) != expected[i] {
            return false
        }
        return true
    }

    /// Argument `index` as a `String` (for error texts and options, never keys or values).
    public func string(_ index: Int) -> String {
        String(decoding: self[index], as: UTF8.self)
    }

    /// Argument `index` copied out as bytes.
    @inlinable public func bytes(_ index: Int) -> [UInt8] {
        Array(self[index])
    }
}

@inlinable func asciiLowercased(_ byte: UInt8) -> UInt8 {
    byte &- 65 < 26 ? byte | 0x20 : byte
}
