import KeyDBRESP

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// A score interval as ZRANGEBYSCORE and friends take it (Redis's `zrangespec`):
/// each bound a float, "(" in front making it exclusive.
struct ScoreRangeSpec {
    var min: Double
    var max: Double
    var minExclusive = false
    var maxExclusive = false

    /// Parses two bounds; nil when either is not a float (the caller replies `ErrorReply.minMaxNotFloat`).
    static func parse(min: UnsafeRawBufferPointer, max: UnsafeRawBufferPointer) -> ScoreRangeSpec? {
        guard let low = parseBound(min), let high = parseBound(max) else { return nil }
        return ScoreRangeSpec(min: low.value, max: high.value, minExclusive: low.exclusive, maxExclusive: high.exclusive)
    }

    /// Redis reads a bound with plain `strtod` on the C string: leading blanks
    /// are skipped, "(" alone means (0, and text after a NUL byte is ignored.
    private static func parseBound(_ bytes: UnsafeRawBufferPointer) -> (value: Double, exclusive: Bool)? {
        let text = bytes.prefix { $0 != 0 }
        let exclusive = text.first == UInt8(ascii: "(")
        let digits = exclusive ? text.dropFirst() : text[...]
        let value: Double? = withUnsafeTemporaryAllocation(of: CChar.self, capacity: digits.count + 1) { buffer in
            var i = 0
            for byte in digits {
                buffer[i] = CChar(bitPattern: byte)
                i += 1
            }
            buffer[i] = 0
            var end: UnsafeMutablePointer<CChar>? = nil
            let value = strtod(buffer.baseAddress!, &end)
            guard let end, end.pointee == 0, !value.isNaN else { return nil }
            return value
        }
        return value.map { ($0, exclusive) }
    }

    func isAboveMin(_ score: Double) -> Bool { minExclusive ? score > min : score >= min }
    func isBelowMax(_ score: Double) -> Bool { maxExclusive ? score < max : score <= max }

    /// The 0-based ranks of the elements within the range (empty when none are).
    func ranks(in zset: SortedSetValue) -> Range<Int> {
        let low = zset.index.count { _, score in !isAboveMin(score) }
        let high = zset.index.count { _, score in isBelowMax(score) }
        return low..<Swift.max(low, high)
    }
}

/// A member interval as ZRANGEBYLEX and friends take it (Redis's `zlexrangespec`):
/// "[x" inclusive, "(x" exclusive, "-" and "+" the ends of all strings.
struct LexRangeSpec {
    enum Bound {
        case minimum, maximum
        case member(Bytes)
    }

    var min: Bound
    var max: Bound
    var minExclusive: Bool
    var maxExclusive: Bool

    /// Parses two bounds; nil when either is malformed (the caller replies `ErrorReply.minMaxNotStringRange`).
    static func parse(min: UnsafeRawBufferPointer, max: UnsafeRawBufferPointer) -> LexRangeSpec? {
        guard let low = parseBound(min), let high = parseBound(max) else { return nil }
        return LexRangeSpec(min: low.bound, max: high.bound, minExclusive: low.exclusive, maxExclusive: high.exclusive)
    }

    private static func parseBound(_ bytes: UnsafeRawBufferPointer) -> (bound: Bound, exclusive: Bool)? {
        guard let first = bytes.first else { return nil }
        // "+" and "-" are checked as C strings: a NUL may follow them.
        let alone = bytes.count == 1 || bytes[1] == 0
        switch first {
        case UInt8(ascii: "+"): return alone ? (.maximum, true) : nil
        case UInt8(ascii: "-"): return alone ? (.minimum, true) : nil
        case UInt8(ascii: "("): return (.member(Bytes(UnsafeRawBufferPointer(rebasing: bytes.dropFirst()))), true)
        case UInt8(ascii: "["): return (.member(Bytes(UnsafeRawBufferPointer(rebasing: bytes.dropFirst()))), false)
        default: return nil
        }
    }

    /// Orders a member against a bound, "-" below and "+" above every member.
    private static func compare(_ member: Bytes, _ bound: Bound) -> Int {
        switch bound {
        case .minimum: return 1
        case .maximum: return -1
        case .member(let value): return member.compare(value)
        }
    }

    func isAboveMin(_ member: Bytes) -> Bool {
        minExclusive ? Self.compare(member, min) > 0 : Self.compare(member, min) >= 0
    }

    func isBelowMax(_ member: Bytes) -> Bool {
        maxExclusive ? Self.compare(member, max) < 0 : Self.compare(member, max) <= 0
    }

    /// Whether the range can hold anything at all: min not above max, and the
    /// set's last member not below min nor its first above max.
    private func mayHoldAny(_ zset: SortedSetValue) -> Bool {
        let order: Int
        switch (min, max) {
        case (.minimum, .minimum), (.maximum, .maximum): order = 0
        case (.minimum, _), (_, .maximum): order = -1
        case (.maximum, _), (_, .minimum): order = 1
        case (.member(let low), .member(let high)): order = low.compare(high)
        }
        if order > 0 || (order == 0 && (minExclusive || maxExclusive)) { return false }
        let index = zset.index
        guard index.count > 0 else { return false }
        return isAboveMin(index.member(index.last)) && isBelowMax(index.member(index.first))
    }

    // Lex ranges are only well defined, as in Redis, when every member has the
    // same score (members then sort by bytes). To answer exactly as Redis does
    // otherwise too, a small (listpack) set is searched linearly as Redis
    // searches a listpack; a big one is searched down the skiplist.

    /// The rank of the first member in the range, nil when there is none.
    func first(in zset: SortedSetValue) -> Int? {
        guard mayHoldAny(zset) else { return nil }
        let index = zset.index
        var rank = 0
        if zset.isListpack {
            var node = index.first
            while node != SortedSetIndex.none && !isAboveMin(index.member(node)) {
                node = index.next(node)
                rank += 1
            }
        } else {
            rank = index.count { member, _ in !isAboveMin(member) }
        }
        guard rank < index.count, isBelowMax(index.member(index.node(at: rank))) else { return nil }
        return rank
    }

    /// The rank of the last member in the range, nil when there is none.
    func last(in zset: SortedSetValue) -> Int? {
        guard mayHoldAny(zset) else { return nil }
        let index = zset.index
        var rank = index.count - 1
        if zset.isListpack {
            var node = index.last
            while node != SortedSetIndex.none && !isBelowMax(index.member(node)) {
                node = index.previous(node)
                rank -= 1
            }
        } else {
            rank = index.count { member, _ in isBelowMax(member) } - 1
        }
        guard rank >= 0, isAboveMin(index.member(index.node(at: rank))) else { return nil }
        return rank
    }

    /// ZRANGEBYLEX's walk: from the first member in range (the last when
    /// `reverse`), skip `offset` members unchecked, then take members while
    /// they stay in range, at most `limit` (negative: no limit).
    func window(in zset: SortedSetValue, offset: Int, limit: Int, reverse: Bool) -> (start: Int, length: Int) {
        guard offset >= 0, let anchor = reverse ? last(in: zset) : first(in: zset) else { return (0, 0) }
        let start = reverse ? anchor - offset : anchor + offset
        guard start >= 0 && start < zset.count else { return (0, 0) }
        var length = 0
        zset.index.walk(from: start, reverse: reverse) { member in
            guard limit < 0 || length < limit, reverse ? isAboveMin(member) : isBelowMax(member) else { return false }
            length += 1
            return true
        }
        return (start, length)
    }

    /// ZLEXCOUNT: members walked from the first in range for a listpack; for a
    /// skiplist, as Redis computes it, the distance between the first and last in range.
    func count(in zset: SortedSetValue) -> Int {
        guard let first = first(in: zset) else { return 0 }
        if zset.isListpack { return window(in: zset, offset: 0, limit: -1, reverse: false).length }
        guard let last = last(in: zset) else { return zset.count - first }
        return Swift.max(0, last - first + 1)
    }
}
