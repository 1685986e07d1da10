import KeyDBRESP
import OrderedCollections

#if canImport(Glibc)
import Glibc
#endif

/// How many elements a hash or set keeps in insertion order before removals
/// may reorder it: Redis's small encodings keep order, its hash tables do not.
/// Above this size a removal swaps the last element into the gap, so it is O(1).
let orderedCollectionLimit = 128

/// Up to this size a collection is searched by comparing bytes, before a member
/// is built for hashing: for the few-element collections common in practice that
/// is faster than an allocation and a hash.
let smallCollectionScan = 16

/// The fields of a hash. Small hashes (as Redis's listpacks: at most 512 fields,
/// none longer than 64 bytes) are packed into one byte array, in insertion order
/// with updates in place: about 20 bytes a field instead of a dictionary entry's
/// 60-70, at the price of a linear search that stays within a few hundred bytes.
/// Larger ones are a dictionary: O(1) lookup, insertion, removal and random access.
public struct HashFields: Sequence, Sendable {
    @usableFromInline enum Storage: Sendable {
        case packed(PackedPairs)
        case table(OrderedDictionary<Bytes, Bytes>)
    }
    @usableFromInline var storage: Storage

    /// Redis's hash-max-listpack-entries and hash-max-listpack-value defaults.
    static let packedMaxEntries = 512
    static let packedMaxLength = 64

    public init() { storage = .packed(PackedPairs()) }

    public init(_ pairs: OrderedDictionary<Bytes, Bytes>) {
        self.init()
        for (field, value) in pairs { updateValue(value, forKey: field) }
    }

    public var count: Int {
        switch storage {
        case .packed(let pairs): return pairs.count
        case .table(let table): return table.count
        }
    }

    public var isEmpty: Bool { count == 0 }

    /// Still packed, as Redis keeps a hash in a listpack until it outgrows one.
    public var isPacked: Bool {
        if case .packed = storage { return true }
        return false
    }

    public subscript(field: Bytes) -> Bytes? {
        get {
            switch storage {
            case .packed(let pairs): return field.withUnsafeBytes { pairs.value(of: $0) }
            case .table(let table): return table[field]
            }
        }
        set {
            if let newValue { updateValue(newValue, forKey: field) } else { removeValue(forKey: field) }
        }
    }

    @discardableResult
    public mutating func updateValue(_ value: Bytes, forKey field: Bytes) -> Bytes? {
        if case .packed(var pairs) = storage {
            storage = .table([:])  // pairs is now the only reference: changed in place
            let fits = field.count <= Self.packedMaxLength && value.count <= Self.packedMaxLength
            if fits, let old = field.withUnsafeBytes({ pairs.replaceValue(of: $0, with: value) }) {
                storage = .packed(pairs)
                return old
            }
            if fits && pairs.count < Self.packedMaxEntries {  // fits, and not there: replaceValue found nothing
                pairs.append(field, value)
                storage = .packed(pairs)
                return nil
            }
            // Outgrown: a dictionary from now on, as Redis converts a listpack to a hash table.
            var table = OrderedDictionary<Bytes, Bytes>(minimumCapacity: pairs.count + 1)
            for (key, old) in pairs { table[key] = old }
            storage = .table(table)
        }
        guard case .table(var table) = storage else { preconditionFailure("a hash is packed or a table") }
        storage = .packed(PackedPairs())
        defer { storage = .table(table) }
        return table.updateValue(value, forKey: field)
    }

    /// Sets `field` to `value` straight from argument bytes; true when the field is new.
    /// A packed hash is updated without building either (no allocation).
    public mutating func setValue(_ value: UnsafeRawBufferPointer, forKey field: UnsafeRawBufferPointer) -> Bool {
        if case .packed(var pairs) = storage, field.count <= Self.packedMaxLength, value.count <= Self.packedMaxLength {
            storage = .table([:])  // pairs is now the only reference: changed in place
            defer { storage = .packed(pairs) }
            if pairs.replaceValue(of: field, with: value) { return false }
            if pairs.count < Self.packedMaxEntries {
                pairs.append(field, value)
                return true
            }
        }
        // Too long, too many, or a table: the general path (the defer has put the pairs back).
        return updateValue(Bytes(value), forKey: Bytes(field)) == nil
    }

    @discardableResult
    public mutating func removeValue(forKey field: Bytes) -> Bytes? {
        switch storage {
        case .packed(var pairs):
            storage = .table([:])
            defer { storage = .packed(pairs) }
            return field.withUnsafeBytes { pairs.remove($0) }
        case .table(var table):
            storage = .packed(PackedPairs())
            defer { storage = .table(table) }
            guard let index = table.index(forKey: field) else { return nil }
            if table.count > orderedCollectionLimit {
                table.swapAt(index, table.count - 1)
                return table.removeLast().value
            }
            return table.remove(at: index).value
        }
    }

    /// The fields by position (HRANDFIELD): decoded once for a packed hash.
    public var positional: PositionalFields {
        switch storage {
        case .packed(let pairs): return .decoded(Array(pairs))
        case .table(let table): return .table(table)
        }
    }

    public func makeIterator() -> Iterator {
        switch storage {
        case .packed(let pairs): return Iterator(base: .packed(pairs.makeIterator()))
        case .table(let table): return Iterator(base: .table(table.makeIterator()))
        }
    }

    public struct Iterator: IteratorProtocol {
        enum Base {
            case packed(PackedPairs.Iterator)
            case table(OrderedDictionary<Bytes, Bytes>.Iterator)
        }
        var base: Base

        public mutating func next() -> (key: Bytes, value: Bytes)? {
            switch base {
            case .packed(var iterator):
                defer { base = .packed(iterator) }
                return iterator.next()
            case .table(var iterator):
                defer { base = .table(iterator) }
                return iterator.next()
            }
        }
    }

    /// Fields with random access by position.
    public enum PositionalFields {
        case decoded([(key: Bytes, value: Bytes)])
        case table(OrderedDictionary<Bytes, Bytes>)

        public var count: Int {
            switch self {
            case .decoded(let pairs): return pairs.count
            case .table(let table): return table.count
            }
        }

        public subscript(position: Int) -> (key: Bytes, value: Bytes) {
            switch self {
            case .decoded(let pairs): return pairs[position]
            case .table(let table): return table.elements[position]
            }
        }
    }
}

/// Field/value pairs packed one after the other into one byte array:
/// `[field length][field][value length][value]`, lengths in one byte (≤ 64).
public struct PackedPairs: Sequence, Sendable {
    @usableFromInline var bytes: [UInt8] = []
    public private(set) var count = 0

    /// Where the pair for `field` starts, if present.
    func find(_ field: UnsafeRawBufferPointer) -> Int? {
        bytes.withUnsafeBufferPointer { buffer in
            var offset = 0
            while offset < buffer.count {
                let fieldLength = Int(buffer[offset])
                let valueAt = offset + 1 + fieldLength
                if fieldLength == field.count && memcmp(buffer.baseAddress! + offset + 1, field.baseAddress ?? UnsafeRawPointer(buffer.baseAddress!), fieldLength) == 0 {
                    return offset
                }
                offset = valueAt + 1 + Int(buffer[valueAt])
            }
            return nil
        }
    }

    /// The value stored after the field that starts at `offset`, and where the pair ends.
    private func valueRange(at offset: Int) -> Range<Int> {
        let valueAt = offset + 1 + Int(bytes[offset])
        return (valueAt + 1)..<(valueAt + 1 + Int(bytes[valueAt]))
    }

    func value(of field: UnsafeRawBufferPointer) -> Bytes? {
        guard let offset = find(field) else { return nil }
        return slice(valueRange(at: offset))
    }

    /// Bytes of `range`, without an intermediate array (short ones stay inline).
    private func slice(_ range: Range<Int>) -> Bytes {
        bytes.withUnsafeBytes { Bytes(UnsafeRawBufferPointer(rebasing: $0[range])) }
    }

    /// Replaces the value of `field` in place; returns the old one, or nil when absent.
    mutating func replaceValue(of field: UnsafeRawBufferPointer, with value: Bytes) -> Bytes? {
        guard let offset = find(field) else { return nil }
        let range = valueRange(at: offset)
        let old = slice(range)
        bytes[range.lowerBound - 1] = UInt8(value.count)
        value.withUnsafeBytes { bytes.replaceSubrange(range, with: $0) }
        return old
    }

    mutating func append(_ field: Bytes, _ value: Bytes) {
        field.withUnsafeBytes { field in value.withUnsafeBytes { append(field, $0) } }
    }

    mutating func append(_ field: UnsafeRawBufferPointer, _ value: UnsafeRawBufferPointer) {
        let needed = bytes.count + 2 + field.count + value.count
        // Grown by an eighth at a time: an array's doubling would leave a quarter of it empty on average.
        if needed > bytes.capacity { bytes.reserveCapacity(Swift.max(needed, bytes.count + bytes.count / 8)) }
        bytes.append(UInt8(field.count))
        bytes.append(contentsOf: field)
        bytes.append(UInt8(value.count))
        bytes.append(contentsOf: value)
        count += 1
    }

    /// Replaces the value of `field` in place, from raw bytes; false when `field` is absent.
    mutating func replaceValue(of field: UnsafeRawBufferPointer, with value: UnsafeRawBufferPointer) -> Bool {
        guard let offset = find(field) else { return false }
        let range = valueRange(at: offset)
        bytes[range.lowerBound - 1] = UInt8(value.count)
        bytes.replaceSubrange(range, with: value)
        return true
    }

    mutating func remove(_ field: UnsafeRawBufferPointer) -> Bytes? {
        guard let offset = find(field) else { return nil }
        let range = valueRange(at: offset)
        let old = slice(range)
        bytes.removeSubrange(offset..<range.upperBound)
        count -= 1
        return old
    }

    public func makeIterator() -> Iterator { Iterator(bytes: bytes) }

    public struct Iterator: IteratorProtocol {
        let bytes: [UInt8]
        var offset = 0

        public mutating func next() -> (key: Bytes, value: Bytes)? {
            guard offset < bytes.count else { return nil }
            let fieldEnd = offset + 1 + Int(bytes[offset])
            let valueEnd = fieldEnd + 1 + Int(bytes[fieldEnd])
            let start = offset
            offset = valueEnd
            return bytes.withUnsafeBytes { raw in
                (Bytes(UnsafeRawBufferPointer(rebasing: raw[(start + 1)..<fieldEnd])),
                 Bytes(UnsafeRawBufferPointer(rebasing: raw[(fieldEnd + 1)..<valueEnd])))
            }
        }
    }
}

/// The members of a set, in the encoding Redis 7.0 would hold them in. An intset
/// (every member a canonical integer, at most set-max-intset-entries of them) keeps
/// its members in ascending numeric order, which is the order SMEMBERS, SSCAN and
/// DUMP show. The first member that is no integer, or one member too many, turns
/// it into a hash table for good: removals never turn it back, as in Redis.
/// Either way: O(1) membership and random pick; an intset inserts and removes in
/// O(n), as Redis's does, a hash table in O(1).
public struct MemberSet: RandomAccessCollection, Sendable {
    private var storage: OrderedSet<Bytes>
    /// Held as Redis's intset: what OBJECT ENCODING answers and DUMP writes.
    public private(set) var isIntset = true

    /// Redis never lets an intset grow past this, whatever set-max-intset-entries says.
    static let intsetCeiling = 1 << 30

    /// An empty set; its first member decides the encoding, as in Redis's setTypeCreate.
    public init() { storage = [] }

    /// The members added one by one under `maxIntsetEntries`, as Redis builds a
    /// stored result or loads a snapshot's set.
    public init<S: Sequence>(_ members: S, maxIntsetEntries: Int) where S.Element == Bytes {
        self.init()
        for member in members { insert(member, maxIntsetEntries: maxIntsetEntries) }
    }

    public var count: Int { storage.count }
    public var isEmpty: Bool { storage.isEmpty }

    public func contains(_ member: Bytes) -> Bool { storage.contains(member) }

    /// Adds `member` unless present; true when added. A small hash table is searched
    /// first without building the member (a long one would cost an allocation).
    public mutating func insert(_ member: UnsafeRawBufferPointer, maxIntsetEntries: Int) -> Bool {
        if let value = intsetValue(member) { return insert(value, Bytes(member), maxIntsetEntries) }
        if storage.count <= smallCollectionScan && storage.contains(where: { $0.equals(member) }) { return false }
        return storage.append(Bytes(member)).inserted
    }

    @discardableResult
    public mutating func insert(_ member: Bytes, maxIntsetEntries: Int) -> Bool {
        if let value = member.withUnsafeBytes({ intsetValue($0) }) { return insert(value, member, maxIntsetEntries) }
        return storage.append(member).inserted
    }

    /// The member's value while this is an intset; nil for a hash table, which a
    /// member that is no integer makes it from now on.
    private mutating func intsetValue(_ member: UnsafeRawBufferPointer) -> Int64? {
        guard isIntset else { return nil }
        if let value = Int64(redisDecimal: member) { return value }
        isIntset = false
        return nil
    }

    /// An intset's insertion: a binary search by value for the member's place.
    private mutating func insert(_ value: Int64, _ member: Bytes, _ maxIntsetEntries: Int) -> Bool {
        var low = 0
        var high = storage.count
        while low < high {
            let middle = (low + high) / 2
            // Every member of an intset is a canonical integer.
            let probe = storage[middle].withUnsafeBytes { Int64(redisDecimal: $0) }!
            if probe == value { return false }
            if probe < value { low = middle + 1 } else { high = middle }
        }
        storage.insert(member, at: low)
        if storage.count > Swift.min(maxIntsetEntries, MemberSet.intsetCeiling) { isIntset = false }
        return true
    }

    @discardableResult
    public mutating func remove(_ member: Bytes) -> Bytes? {
        guard let index = storage.firstIndex(of: member) else { return nil }
        // A large hash table fills the gap with its last member (O(1)); an intset stays sorted.
        if !isIntset && storage.count > orderedCollectionLimit {
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
