import DequeModule
import OrderedCollections

/// A key's value: one case per Redis type. Collections are reference types
/// so that changing one element never copies the whole collection.
public enum Value: Sendable {
    case string(Bytes)
    case list(ListValue)
    case hash(HashValue)
    case set(SetValue)
    case sortedSet(SortedSetValue)

    /// The name TYPE answers and SCAN's TYPE filter matches.
    public var typeName: StaticString {
        switch self {
        case .string: return "string"
        case .list: return "list"
        case .hash: return "hash"
        case .set: return "set"
        case .sortedSet: return "zset"
        }
    }

    /// A deep copy, for COPY.
    public func duplicate() -> Value {
        switch self {
        case .string: return self
        case .list(let list): return .list(ListValue(list.items))
        case .hash(let hash): return .hash(HashValue(hash.fields))
        case .set(let set): return .set(SetValue(set.members))
        case .sortedSet(let zset): return .sortedSet(SortedSetValue(zset.scores))
        }
    }
}

/// A list: O(1) push and pop at both ends.
public final class ListValue: @unchecked Sendable {  // guarded by the keyspace lock
    public var items: Deque<Bytes>
    public init(_ items: Deque<Bytes> = []) { self.items = items }
}

/// A hash: field → value, in insertion order (as Redis's small hashes reply).
public final class HashValue: @unchecked Sendable {  // guarded by the keyspace lock
    public var fields: OrderedDictionary<Bytes, Bytes>
    public init(_ fields: OrderedDictionary<Bytes, Bytes> = [:]) { self.fields = fields }
}

/// A set of members.
public final class SetValue: @unchecked Sendable {  // guarded by the keyspace lock
    public var members: Set<Bytes>
    public init(_ members: Set<Bytes> = []) { self.members = members }
}

/// A sorted set: member → score. The ordered index arrives with the sorted-set commands.
public final class SortedSetValue: @unchecked Sendable {  // guarded by the keyspace lock
    public var scores: [Bytes: Double]
    public init(_ scores: [Bytes: Double] = [:]) { self.scores = scores }
}
