import KeyDBRESP

/// Typed lookups for collection commands: the value if it has the expected
/// type, nil after replying WRONGTYPE, `.missing` when the key is absent.
enum Lookup<T> {
    case missing
    case found(T)
    case wrongType
}

extension ClientSession {
    func list(_ key: UnsafeRawBufferPointer) -> Lookup<ListValue> {
        switch lookupRead(key) {
        case .none: return .missing
        case .list(let list)?: return .found(list)
        case .some: return .wrongType
        }
    }

    func hash(_ key: UnsafeRawBufferPointer) -> Lookup<HashValue> {
        switch lookupRead(key) {
        case .none: return .missing
        case .hash(let hash)?: return .found(hash)
        case .some: return .wrongType
        }
    }

    func set(_ key: UnsafeRawBufferPointer) -> Lookup<SetValue> {
        switch lookupRead(key) {
        case .none: return .missing
        case .set(let set)?: return .found(set)
        case .some: return .wrongType
        }
    }

    /// Deletes `key` if the collection under it became empty (Redis never keeps empty collections).
    func removeIfEmpty(_ key: UnsafeRawBufferPointer, isEmpty: Bool) {
        if isEmpty { db.remove(key, now: now) }
    }
}
