import Dispatch
import KeyDBRESP
import NIOConcurrencyHelpers

/// Redis's lazyfree.c: a deleted value whose freeing is real work is let go on a
/// background thread, so that UNLINK, FLUSHALL / FLUSHDB ASYNC and the
/// `lazyfree-lazy-*` settings do not hold every client while a million elements
/// are released. A small value is freed where it was deleted, as in Redis: handing
/// it over would cost more than freeing it.
public final class LazyFree: Sendable {
    /// Redis's LAZYFREE_THRESHOLD: values of more allocations than this go to the background.
    static let threshold = 64

    private let queue = DispatchQueue(label: "swiftkeydb.lazyfree")
    private let counts = NIOLockedValueBox((pending: 0, freed: 0))

    /// INFO's lazyfree_pending_objects: handed over and not yet freed.
    public var pending: Int { counts.withLockedValue { $0.pending } }
    /// INFO's lazyfreed_objects: freed in the background since start or CONFIG RESETSTAT.
    public var freed: Int { counts.withLockedValue { $0.freed } }

    public init() {}

    /// Frees `value` in the background if that is real work; otherwise it is freed
    /// when the caller lets go of it.
    public func release(_ value: consuming Value) {
        guard value.freeEffort > Self.threshold else { return }
        hand(objects: 1, value)
    }

    /// A flushed database's table: all its keys go to the background together,
    /// each counted, as Redis's emptyDbAsync counts them.
    func release(_ table: consuming KeyTable) {
        let keys = table.count
        guard keys > 0 else { return }
        hand(objects: keys, table)
    }

    /// SCRIPT FLUSH / FUNCTION FLUSH ASYNC: a cache of more than 64 entries goes to the
    /// background, each entry counted, as Redis's freeLuaScriptsAsync / freeFunctionsAsync.
    func release<Cache>(cache: consuming Cache, entries: Int) {
        guard entries > Self.threshold else { return }
        hand(objects: entries, cache)
    }

    /// Waits until everything handed over so far is freed (tests).
    public func drain() { queue.sync {} }

    /// Waits until everything handed over so far is freed, or `microseconds` pass.
    func wait(microseconds: Int64) {
        guard pending > 0 else { return }
        let done = DispatchSemaphore(value: 0)
        queue.async { done.signal() }
        _ = done.wait(timeout: .now() + .microseconds(Int(microseconds)))
    }

    /// Holds the background thread's work (tests: values stay pending until `resume`).
    func suspend() { queue.suspend() }
    func resume() { queue.resume() }

    public func resetStatistics() { counts.withLockedValue { $0.freed = 0 } }

    private func hand<T>(objects: Int, _ doomed: consuming T) {
        counts.withLockedValue { $0.pending += objects }
        let box = Doomed(doomed)
        queue.async { [counts] in
            box.drop()
            counts.withLockedValue {
                $0.pending -= objects
                $0.freed += objects
            }
        }
    }
}

/// Holds the last reference to a deleted value until the background thread drops
/// it, so it is freed there and never by whichever thread lets go last.
private final class Doomed<T>: @unchecked Sendable {  // touched by one thread at a time
    private var value: T?
    init(_ value: consuming T) { self.value = value }
    func drop() { value = nil }
}

extension Engine {
    /// Where FLUSHALL, FLUSHDB, SCRIPT FLUSH and FUNCTION FLUSH free what they drop: the
    /// background with ASYNC at `option`, or with no option under `lazyfree-lazy-user-flush`;
    /// nil, in place. (Each command has checked its option already.)
    func flushFreer(_ args: Arguments, option index: Int) -> LazyFree? {
        let lazily = args.count > index ? args.matches(index, "async") : configuration.lazyfreeLazyUserFlush
        return lazily ? keyspace.lazyFree : nil
    }
}

extension Value {
    /// Whether both hold the same collection (a command may store a key's own value back).
    func isSameCollection(as other: Value) -> Bool {
        switch (self, other) {
        case (.list(let a), .list(let b)): return a === b
        case (.hash(let a), .hash(let b)): return a === b
        case (.set(let a), .set(let b)): return a === b
        case (.sortedSet(let a), .sortedSet(let b)): return a === b
        case (.stream(let a), .stream(let b)): return a === b
        default: return false
        }
    }

    /// Redis's lazyfreeGetFreeEffort: about how many allocations freeing this value
    /// takes. A value Redis would keep packed (listpack, intset) is one.
    var freeEffort: Int {
        switch self {
        case .string:
            return 1
        case .list(let list):
            return list.items.nodes.count
        case .hash(let hash):
            return hash.fields.isPacked ? 1 : hash.fields.count
        case .set(let set):
            return set.members.isIntset ? 1 : set.members.count
        case .sortedSet(let zset):
            return zset.isListpack ? 1 : zset.count
        case .stream(let stream):
            // Its nodes, and each group with its pending entries, estimated from the
            // group first by name (as Redis takes the first of its radix tree).
            let first = stream.groups.min { $0.key < $1.key }
            let pendingPerGroup = first?.value.pending.count ?? 0
            return stream.nodes.count + stream.groups.count * (1 + pendingPerGroup)
        }
    }
}
