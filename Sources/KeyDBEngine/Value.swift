import OrderedCollections

/// A key's value: one case per Redis type. Collections are reference types
/// so that changing one element never copies the whole collection.
public enum Value: Sendable {
    case string(Bytes)
    case list(ListValue)
    case hash(HashValue)
    case set(SetValue)
    case sortedSet(SortedSetValue)
    case stream(StreamValue)

    /// The name TYPE answers and SCAN's TYPE filter matches.
    public var typeName: StaticString {
        switch self {
        case .string: return "string"
        case .list: return "list"
        case .hash: return "hash"
        case .set: return "set"
        case .sortedSet: return "zset"
        case .stream: return "stream"
        }
    }

    /// A deep copy, for COPY.
    public func duplicate() -> Value {
        switch self {
        case .string: return self
        case .list(let list): return .list(ListValue(list.items))
        case .hash(let hash): return .hash(HashValue(hash.fields))
        case .set(let set): return .set(SetValue(set.members))
        case .sortedSet(let zset): return .sortedSet(zset.copy())
        case .stream(let stream): return .stream(stream.copy())
        }
    }
}

/// A list: O(1) push and pop at both ends, its elements packed in nodes.
public final class ListValue: @unchecked Sendable {  // guarded by the keyspace lock
    public var items: Quicklist
    public init(_ items: Quicklist = Quicklist()) { self.items = items }
}

/// A hash: field → value, in insertion order (as Redis's small hashes reply).
public final class HashValue: @unchecked Sendable {  // guarded by the keyspace lock
    public var fields: HashFields
    public init(_ fields: HashFields = HashFields()) { self.fields = fields }
}

/// A set of members.
public final class SetValue: @unchecked Sendable {  // guarded by the keyspace lock
    public var members: MemberSet
    public init(_ members: MemberSet = MemberSet()) { self.members = members }
    public convenience init<S: Sequence>(_ members: S, maxIntsetEntries: Int) where S.Element == Bytes {
        self.init(MemberSet(members, maxIntsetEntries: maxIntsetEntries))
    }
}

/// A sorted set: member → score for O(1) lookups, and the same members in
/// Redis's (score, member) order for ranks and ranges. The two always agree:
/// change them only through `set`, `remove` and `removeRanks`.
public final class SortedSetValue: @unchecked Sendable {  // guarded by the keyspace lock
    public private(set) var scores: [Bytes: Double]
    private(set) var index: SortedSetIndex
    /// Whether Redis would hold this set as a listpack rather than a skiplist.
    /// It shows in replies: a listpack stores -0 as 0, and ZSCAN prints its scores as stored.
    public private(set) var isListpack: Bool

    /// An empty set; `isListpack` is the encoding Redis would start it in.
    public init(isListpack: Bool = true) {
        scores = [:]
        index = SortedSetIndex()
        self.isListpack = isListpack
    }

    public convenience init(_ scores: [Bytes: Double], limits: ListpackLimits = .redisDefault) {
        self.init(isListpack: false)
        for (member, score) in scores { set(member, score: score, limits: limits) }
        convertToListpackIfNeeded(limits)
    }

    private init(scores: [Bytes: Double], index: SortedSetIndex, isListpack: Bool) {
        self.scores = scores
        self.index = index
        self.isListpack = isListpack
    }

    public var count: Int { scores.count }

    /// The score of `member` straight from argument bytes: a small set is searched
    /// by comparing bytes, so no member is built (a long one would cost an allocation).
    public func score(of member: UnsafeRawBufferPointer) -> Double? {
        guard scores.count <= smallCollectionScan else { return scores[Bytes(member)] }
        for (stored, score) in scores where stored.equals(member) { return score }
        return nil
    }

    /// A deep copy (the arrays are copied on their first change).
    public func copy() -> SortedSetValue { SortedSetValue(scores: scores, index: index, isListpack: isListpack) }

    /// Gives `member` `score`, adding it if new; true when it was added. A score
    /// equal to the current one (0 and -0 included, as in Redis) changes nothing.
    @discardableResult
    public func set(_ member: Bytes, score: Double, limits: ListpackLimits = .redisDefault) -> Bool {
        guard let old = scores[member] else {
            // Redis turns a listpack into a skiplist before adding the member that outgrows it.
            if isListpack && (count + 1 > limits.maxEntries || member.count > limits.maxValue) { isListpack = false }
            let stored = isListpack && score == 0 ? 0 : score
            scores[member] = stored
            index.insert(member, score: stored)
            return true
        }
        if old != score {
            let stored = isListpack && score == 0 ? 0 : score
            scores[member] = stored
            index.remove(member, score: old)
            index.insert(member, score: stored)
        }
        return false
    }

    /// Removes `member`; false when it was not there.
    @discardableResult
    public func remove(_ member: Bytes) -> Bool {
        guard let old = scores.removeValue(forKey: member) else { return false }
        index.remove(member, score: old)
        return true
    }

    /// Removes the elements at 0-based ranks `ranks`, telling `body` about each in ascending order.
    func removeRanks(_ ranks: Range<Int>, _ body: (Bytes, Double) -> Void = { _, _ in }) {
        index.removeRanks(ranks) { member, score in
            scores.removeValue(forKey: member)
            body(member, score)
        }
    }

    /// What ZUNIONSTORE and friends do to their result: back to a listpack when it fits.
    func convertToListpackIfNeeded(_ limits: ListpackLimits) {
        guard !isListpack, count <= limits.maxEntries, scores.keys.allSatisfy({ $0.count <= limits.maxValue }) else { return }
        isListpack = true
        for (member, score) in scores where score == 0 && score.sign == .minus {
            scores[member] = 0
            index.remove(member, score: score)
            index.insert(member, score: 0)
        }
    }

    /// The sizes up to which Redis keeps a sorted set as a listpack
    /// (zset-max-listpack-entries, zset-max-listpack-value).
    public struct ListpackLimits: Sendable {
        public var maxEntries: Int
        public var maxValue: Int
        public init(maxEntries: Int, maxValue: Int) {
            self.maxEntries = maxEntries
            self.maxValue = maxValue
        }
        public static let redisDefault = ListpackLimits(maxEntries: 128, maxValue: 64)
    }
}
