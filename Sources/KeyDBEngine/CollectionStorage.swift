import OrderedCollections

/// How many elements a hash or set keeps in insertion order before removals
/// may reorder it: Redis's small encodings keep order, its hash tables do not.
/// Above this size a removal swaps the last element into the gap, so it is O(1).
let orderedCollectionLimit = 128

/// The fields of a hash: O(1) lookup, insertion, removal and random access by position.
public struct HashFields: Sequence, Sendable {
    private var storage: OrderedDictionary<Bytes, Bytes>

    public init(_ storage: OrderedDictionary<Bytes, Bytes> = [:]) { self.storage = storage }

    public var count: Int { storage.count }
    public var isEmpty: Bool { storage.isEmpty }
    /// Field names, indexable by position (HRANDFIELD).
    public var keys: OrderedSet<Bytes> { storage.keys }
    public var values: OrderedDictionary<Bytes, Bytes>.Values { storage.values }

    public subscript(field: Bytes) -> Bytes? {
        get { storage[field] }
        set {
            if let newValue { storage[field] = newValue } else { removeValue(forKey: field) }
        }
    }

    @discardableResult
    public mutating func updateValue(_ value: Bytes, forKey field: Bytes) -> Bytes? {
        storage.updateValue(value, forKey: field)
    }

    @discardableResult
    public mutating func removeValue(forKey field: Bytes) -> Bytes? {
        guard let index = storage.index(forKey: field) else { return nil }
        if storage.count > orderedCollectionLimit {
            storage.swapAt(index, storage.count - 1)
            return storage.removeLast().value
        }
        return storage.remove(at: index).value
    }

    public func makeIterator() -> OrderedDictionary<Bytes, Bytes>.Iterator { storage.makeIterator() }
}

/// The members of a set: O(1) membership, insertion, removal and random pick.
public struct MemberSet: RandomAccessCollection, Sendable {
    private var storage: OrderedSet<Bytes>

    public init() { storage = [] }
    public init<S: Sequence>(_ members: S) where S.Element == Bytes { storage = OrderedSet(members) }

    public var count: Int { storage.count }
    public var isEmpty: Bool { storage.isEmpty }

    public func contains(_ member: Bytes) -> Bool { storage.contains(member) }

    @discardableResult
    public mutating func insert(_ member: Bytes) -> (inserted: Bool, memberAfterInsert: Bytes) {
        let (inserted, index) = storage.append(member)
        return (inserted, storage[index])
    }

    @discardableResult
    public mutating func remove(_ member: Bytes) -> Bytes? {
        guard let index = storage.firstIndex(of: member) else { return nil }
        if storage.count > orderedCollectionLimit {
            storage.swapAt(index, storage.count - 1)
            return storage.removeLast()
        }
        return storage.remove(at: index)
    }

    /// A uniformly random member, in O(1).
    public func randomElement() -> Bytes? { storage.randomElement() }

    public var startIndex: Int { 0 }
    public var endIndex: Int { storage.count }
    public subscript(position: Int) -> Bytes { storage[position] }
}
