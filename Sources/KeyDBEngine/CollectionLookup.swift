import KeyDBRESP

/// Typed lookups for collection commands: the value if it has the expected
/// type, nil after replying WRONGTYPE, `.missing` when the key is absent.
enum Lookup<T> {
    case missing
    case found(T)
    case wrongType
}

/// `forWrite`: a write command's lookup, which (as Redis's lookupKeyWrite) does
/// not count keyspace hits or misses.
extension ClientSession {
    func list(_ key: UnsafeRawBufferPointer, forWrite: Bool = false) -> Lookup<ListValue> {
        switch forWrite ? db.get(key, now: now) : lookupRead(key) {
        case .none: return .missing
        case .list(let list)?: return .found(list)
        case .some: return .wrongType
        }
    }

    func hash(_ key: UnsafeRawBufferPointer, forWrite: Bool = false) -> Lookup<HashValue> {
        switch forWrite ? db.get(key, now: now) : lookupRead(key) {
        case .none: return .missing
        case .hash(let hash)?: return .found(hash)
        case .some: return .wrongType
        }
    }

    func set(_ key: UnsafeRawBufferPointer, forWrite: Bool = false) -> Lookup<SetValue> {
        switch forWrite ? db.get(key, now: now) : lookupRead(key) {
        case .none: return .missing
        case .set(let set)?: return .found(set)
        case .some: return .wrongType
        }
    }

    func sortedSet(_ key: UnsafeRawBufferPointer, forWrite: Bool = false) -> Lookup<SortedSetValue> {
        switch forWrite ? db.get(key, now: now) : lookupRead(key) {
        case .none: return .missing
        case .sortedSet(let zset)?: return .found(zset)
        case .some: return .wrongType
        }
    }

    func stream(_ key: UnsafeRawBufferPointer, forWrite: Bool = false) -> Lookup<StreamValue> {
        switch forWrite ? db.get(key, now: now) : lookupRead(key) {
        case .none: return .missing
        case .stream(let stream)?: return .found(stream)
        case .some: return .wrongType
        }
    }

    /// Deletes `key` if the collection under it became empty (Redis never keeps empty collections).
    func removeIfEmpty(_ key: UnsafeRawBufferPointer, isEmpty: Bool) {
        if isEmpty {
            db.remove(key, now: now)
            notify(.generic, "del", key)
        }
    }
}
