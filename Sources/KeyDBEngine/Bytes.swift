import KeyDBStorage
/// A binary-safe byte string: every key and string value.
///
/// Up to 16 bytes live inline (no heap object), which covers most keys and
/// small values; longer ones share one `[UInt8]` buffer.
public struct Bytes: Sendable {
    @usableFromInline enum Storage: Sendable {
        /// Bytes in memory order in two words; unused bytes are zero.
        case small(UInt64, UInt64, count: UInt8)
        case large([UInt8])
    }

    @usableFromInline var storage: Storage

    public static let inlineCapacity = 16
    public static let empty = Bytes(storage: .small(0, 0, count: 0))

    @inlinable init(storage: Storage) { self.storage = storage }

    @inlinable public init(_ buffer: UnsafeRawBufferPointer) {
        if buffer.count <= Bytes.inlineCapacity {
            var words: (UInt64, UInt64) = (0, 0)
            if let base = buffer.baseAddress, buffer.count > 0 {
                withUnsafeMutableBytes(of: &words) { $0.baseAddress!.copyMemory(from: base, byteCount: buffer.count) }
            }
            storage = .small(words.0, words.1, count: UInt8(buffer.count))
        } else {
            storage = .large(Array(buffer))
        }
    }

    @inlinable public init<S: Sequence>(_ bytes: S) where S.Element == UInt8 {
        self.init(array: Array(bytes))
    }

    /// Takes over `array` without copying when it is too long to keep inline.
    @inlinable public init(array: [UInt8]) {
        if array.count > Bytes.inlineCapacity {
            storage = .large(array)
        } else {
            self = array.withUnsafeBytes { Bytes($0) }
        }
    }

    @inlinable public init(_ string: String) {
        var string = string
        self = string.withUTF8 { Bytes(UnsafeRawBufferPointer($0)) }
    }

    @inlinable public var count: Int {
        switch storage {
        case .small(_, _, let count): return Int(count)
        case .large(let array): return array.count
        }
    }

    @inlinable public var isEmpty: Bool { count == 0 }

    @inlinable public func withUnsafeBytes<R>(_ body: (UnsafeRawBufferPointer) throws -> R) rethrows -> R {
        switch storage {
        case .small(let a, let b, let count):
            var words = (a, b)
            return try Swift.withUnsafeBytes(of: &words) { try body(UnsafeRawBufferPointer(rebasing: $0.prefix(Int(count)))) }
        case .large(let array):
            return try array.withUnsafeBytes(body)
        }
    }

    /// The bytes as an array (for commands that edit a value in place).
    @inlinable public var array: [UInt8] {
        switch storage {
        case .small: return withUnsafeBytes { Array($0) }
        case .large(let array): return array
        }
    }

    /// Moves the bytes out as an array and leaves `self` empty, so a heap buffer
    /// this value held alone can then be edited without a copy.
    @inlinable public mutating func takeArray() -> [UInt8] {
        switch storage {
        case .small:
            let copy = array
            self = .empty
            return copy
        case .large(let array):
            self = .empty
            return array
        }
    }

    /// Equality with a view of argument bytes, without copying them.
    @inlinable public func equals(_ other: UnsafeRawBufferPointer) -> Bool {
        guard count == other.count else { return false }
        return withUnsafeBytes { mine in
            other.count == 0 || memcmp(mine.baseAddress!, other.baseAddress!, other.count) == 0
        }
    }

    /// Lexicographic byte order, like Redis's `memcmp`-based compare.
    @inlinable public func compare(_ other: Bytes) -> Int {
        withUnsafeBytes { a in other.withUnsafeBytes { b in compareBytes(a, b) } }
    }
}

extension Bytes {
    /// Whether these bytes begin with `prefix` (client-side caching's BCAST prefixes).
    func starts(with prefix: Bytes) -> Bool {
        guard prefix.count <= count else { return false }
        return withUnsafeBytes { bytes in
            prefix.withUnsafeBytes { prefix in prefix.elementsEqual(bytes.prefix(prefix.count)) }
        }
    }
}

extension Bytes: Equatable {
    @inlinable public static func == (lhs: Bytes, rhs: Bytes) -> Bool {
        switch (lhs.storage, rhs.storage) {
        case let (.small(a0, a1, ac), .small(b0, b1, bc)):
            return a0 == b0 && a1 == b1 && ac == bc
        case let (.large(a), .large(b)):
            return a == b
        default:
            return false  // lengths differ: short strings are always inline
        }
    }
}

extension Bytes: Hashable {
    @inlinable public func hash(into hasher: inout Hasher) {
        withUnsafeBytes { hasher.combine(bytes: $0) }
    }
}

extension Bytes: Comparable {
    @inlinable public static func < (lhs: Bytes, rhs: Bytes) -> Bool { lhs.compare(rhs) < 0 }
}

extension Bytes: ExpressibleByStringLiteral {
    public init(stringLiteral value: String) { self.init(value) }
}

extension Bytes: CustomStringConvertible {
    /// For logs and test failures only.
    public var description: String { withUnsafeBytes { String(decoding: $0, as: UTF8.self) } }
}

@inlinable func compareBytes(_ a: UnsafeRawBufferPointer, _ b: UnsafeRawBufferPointer) -> Int {
    let common = min(a.count, b.count)
    if common > 0 {
        let result = memcmp(a.baseAddress!, b.baseAddress!, common)
        if result != 0 { return Int(result) }
    }
    return a.count - b.count
}

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

extension Bytes: RDBBytes {
    public func withRDBBytes<R>(_ body: (UnsafeRawBufferPointer) throws -> R) rethrows -> R {
        try withUnsafeBytes(body)
    }
}
