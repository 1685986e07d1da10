import KeyDBRESP
import NIOCore

/// The write-ahead log's view of the engine (Redis's propagate / feedAppendOnlyFile):
/// every effective write, in execution order, as a RESP record in Redis's AOF form.
///
/// A command that changed data is logged as it was sent unless it chose its own
/// records (`ClientSession.propagate`): relative expiry becomes absolute, random
/// or blocking effects become the plain writes they made. Everything one top-level
/// command wrote (an EXEC, a pop that also expired a key) is framed by MULTI/EXEC
/// when it is more than one record, so replay applies it all or nothing.
public final class AppendOnlyFeed: @unchecked Sendable {  // guarded by the keyspace lock
    /// Records not yet handed to the log file.
    public var buffer: ByteBuffer
    /// The database the log's reader will have selected; -1 forces a SELECT.
    public var selectedDatabase = -1

    /// Records for one side only (PUBLISH: the replicas; a script's redis.set_repl), as buffer
    /// index ranges: the other side leaves them out.
    /// Sorted and disjoint; none holds a SELECT, which both sides always get.
    public internal(set) var restricted: [(range: Range<Int>, to: PropagationTargets)] = []
    /// Where records go now (`restrict`), and where the current restricted segment began.
    private var targets = PropagationTargets.all
    private var segmentStart = 0

    /// Nesting of `call` (EXEC runs its commands inside its own call).
    var depth = 0
    /// Where the current top-level command's first record starts (after any SELECT), and how many it wrote.
    var unitStart = -1
    var unitRecords = 0

    /// The buffer's starting room; beyond `keptCapacity` a batch's room is given back once
    /// the log has taken it, as Redis frees a large aof_buf after each write (a command of
    /// a million arguments must not hold its size for the server's life).
    public static let initialCapacity = 16 * 1024
    public static let keptCapacity = 64 * 1024

    public init(allocator: ByteBufferAllocator = ByteBufferAllocator()) {
        buffer = allocator.buffer(capacity: Self.initialCapacity)
    }

    /// Starts one record of `count` arguments in database `db`.
    @inline(__always) func beginRecord(db: Int, count: Int) {
        selectDatabase(db)
        beginRecord(count: count)
    }

    @inline(__always) private func selectDatabase(_ db: Int) {
        if db != selectedDatabase {
            // Both sides need it to agree on the database: it stays out of any restricted segment.
            if targets != .all { closeSegment() }
            buffer.writeArrayHeader(2)
            buffer.writeBulk("SELECT")
            buffer.writeBulkDecimal(Int64(db))
            selectedDatabase = db
            if targets != .all { segmentStart = buffer.writerIndex }
        }
    }

    private func closeSegment() {
        if buffer.writerIndex > segmentStart { restricted.append((segmentStart..<buffer.writerIndex, targets)) }
        segmentStart = buffer.writerIndex
    }

    @inline(__always) private func beginRecord(count: Int) {
        if depth > 0 {
            if unitRecords == 0 { unitStart = buffer.writerIndex }
            unitRecords += 1
        }
        buffer.writeArrayHeader(count)
    }

    func enterCall() {
        depth += 1
        if depth == 1 { unitRecords = 0 }
    }

    /// `framed`: whether a top-level command's records are framed as a transaction
    /// (not for SCAN's and RANDOMKEY's expired keys, as Redis).
    func leaveCall(framed: Bool = true) {
        depth -= 1
        guard depth == 0, unitRecords > 1, framed else { return }
        // More than one record for one command: replay must apply them together.
        let body = buffer.getSlice(at: unitStart, length: buffer.writerIndex - unitStart)!
        buffer.moveWriterIndex(to: unitStart)
        buffer.writeArrayHeader(1)
        buffer.writeBulk("MULTI")
        let shift = buffer.writerIndex - unitStart
        // Restricted ranges never hold a SELECT, so none starts before unitStart and ends after it.
        if !restricted.isEmpty {
            restricted = restricted.map { $0.range.lowerBound >= unitStart ? ($0.range.lowerBound + shift..<$0.range.upperBound + shift, $0.to) : $0 }
        }
        var copy = body
        buffer.writeBuffer(&copy)
        buffer.writeArrayHeader(1)
        buffer.writeBulk("EXEC")
        unitRecords = 0
    }

    /// A paused script keeps its command's unit open past the command's return...
    func holdCall() { depth += 1 }

    /// ...and closes it when it ends, framing its effects as one transaction.
    func releaseCall() { leaveCall() }

    /// A command's unit is open: what is buffered may still be reframed, so it stays here.
    public var unitOpen: Bool { depth > 0 }

    /// Bytes at the front of the buffer from commands that have finished: all of them,
    /// but for a paused script's records, kept to be framed when it ends. What came
    /// before the script (a SET acknowledged in the same batch) goes to the log now.
    public var settledBytes: Int {
        guard depth > 0, unitRecords > 0 else { return buffer.readableBytes }
        return unitStart - buffer.readerIndex
    }

    /// A record for the replicas alone (Redis's PROPAGATE_REPL): `args` as they are.
    func recordForReplicas(db: Int, _ args: Arguments) {
        restrict(to: .replicas) {
            beginRecord(db: db, count: args.count)
            for index in 0..<args.count { buffer.writeBulk(args[index]) }
        }
    }

    /// The records `body` writes go to `side` only (within any restriction around it:
    /// PUBLISH in a script that set_repl sent to the log reaches neither).
    func restrict(to side: PropagationTargets, _ body: () -> Void) {
        let outer = targets
        let inner = outer.intersection(side)
        guard inner != outer else { return body() }
        switchTargets(to: inner)
        body()
        switchTargets(to: outer)
    }

    /// `body`'s records go to both sides, whatever restriction is around it
    /// (a key expiring inside a script that set_repl restricted, as Redis propagates it).
    func unrestricted(_ body: () -> Void) {
        guard targets != .all else { return body() }
        let outer = targets
        switchTargets(to: .all)
        body()
        switchTargets(to: outer)
    }

    private func switchTargets(to new: PropagationTargets) {
        if targets != .all { closeSegment() }
        targets = new
        segmentStart = buffer.writerIndex
    }

    /// Bytes buffered that the replicas will get (all of them but log-only records): where the
    /// stream will end once they are taken, for WAIT.
    var bytesForReplicas: Int {
        guard !restricted.isEmpty || targets != .all else { return buffer.readableBytes }
        var count = buffer.readableBytes
        for (range, to) in restricted where !to.contains(.replicas) { count -= range.count }
        if !targets.contains(.replicas) { count -= buffer.writerIndex - segmentStart }
        return count
    }

    /// Of the first `count` readable bytes, what the log and what the replicas get, each
    /// nil when it is all of them (nothing restricted among them).
    public func takeRestricted(_ count: Int) -> (forLog: ByteBuffer?, forReplicas: ByteBuffer?) {
        let end = buffer.readerIndex + count
        guard restricted.contains(where: { $0.range.lowerBound < end }) else { return (nil, nil) }
        func without(_ side: PropagationTargets) -> ByteBuffer {
            var kept = ByteBuffer()
            var position = buffer.readerIndex
            for (range, targets) in restricted where range.lowerBound < end && !targets.contains(side) {
                kept.writeImmutableBuffer(buffer.getSlice(at: position, length: range.lowerBound - position)!)
                position = range.upperBound
            }
            kept.writeImmutableBuffer(buffer.getSlice(at: position, length: end - position)!)
            return kept
        }
        defer { restricted.removeAll { $0.range.lowerBound < end } }
        return (without(.log), without(.replicas))
    }

    /// The buffer was emptied: no ranges are left in it.
    public func cleared() { restricted.removeAll() }

    /// Logs `args` as they are (the default record of a write command).
    func record(db: Int, _ args: Arguments) {
        beginRecord(db: db, count: args.count)
        for index in 0..<args.count { buffer.writeBulk(args[index]) }
    }
}

/// Where records go: the log, the replicas, or both (Redis's PROPAGATE_AOF and PROPAGATE_REPL,
/// and redis.set_repl's REPL_AOF and REPL_REPLICA, which have the same values).
public struct PropagationTargets: OptionSet, Sendable {
    public let rawValue: UInt8
    public init(rawValue: UInt8) { self.rawValue = rawValue }
    public static let log = PropagationTargets(rawValue: 1)
    public static let replicas = PropagationTargets(rawValue: 2)
    public static let all: PropagationTargets = [.log, .replicas]
}

/// One argument of a record a command writes itself.
public protocol LogArgument {
    func write(to buffer: inout ByteBuffer)
}

extension StaticString: LogArgument {
    public func write(to buffer: inout ByteBuffer) {
        withUTF8Buffer { buffer.writeBulk(UnsafeRawBufferPointer($0)) }
    }
}

extension Bytes: LogArgument {
    public func write(to buffer: inout ByteBuffer) {
        withUnsafeBytes { buffer.writeBulk($0) }
    }
}

extension UnsafeRawBufferPointer: LogArgument {
    public func write(to buffer: inout ByteBuffer) { buffer.writeBulk(self) }
}

extension Int64: LogArgument {
    public func write(to buffer: inout ByteBuffer) { buffer.writeBulkDecimal(self) }
}

extension Int: LogArgument {
    public func write(to buffer: inout ByteBuffer) { buffer.writeBulkDecimal(Int64(self)) }
}

extension Array: LogArgument where Element == UInt8 {
    public func write(to buffer: inout ByteBuffer) { buffer.writeBulk(self) }
}

extension ClientSession {
    /// Logs one record of this command's effect in place of its argv. Call it for
    /// each write the command made; a command that calls it is not logged as sent.
    public func propagate<each A: LogArgument>(_ arguments: repeat each A) {
        propagatedExplicitly = true
        guard let feed = engine.appendOnlyFeed else { return }
        var count = 0
        for _ in repeat each arguments { count += 1 }
        feed.beginRecord(db: db.index, count: count)
        for argument in repeat each arguments { argument.write(to: &feed.buffer) }
    }

    /// Logs the deletion of `key` a command made: UNLINK when the value went to the
    /// background thread (`lazily`), DEL otherwise, as Redis rewrites such commands.
    public func propagateDeletion(_ key: UnsafeRawBufferPointer, lazily: Bool) {
        if lazily { propagate("UNLINK" as StaticString, key) } else { propagate("DEL" as StaticString, key) }
    }

    /// Logs one record whose arguments are only known at run time (RESTORE's options, the keys MIGRATE moved).
    public func propagate(_ command: StaticString, _ key: UnsafeRawBufferPointer, _ elements: some Collection<Bytes>) {
        propagatedExplicitly = true
        guard let feed = engine.appendOnlyFeed else { return }
        feed.beginRecord(db: db.index, count: 2 + elements.count)
        command.write(to: &feed.buffer)
        feed.buffer.writeBulk(key)
        for element in elements { element.write(to: &feed.buffer) }
    }

    /// Logs `args` as one record in place of this command's argv (GEOADD's ZADD), with
    /// some arguments rewritten (XADD's chosen ID, an exact trim threshold): `rewrite`
    /// writes argument `index` itself and returns true, or returns false.
    func propagate(_ args: Arguments, rewriting rewrite: (_ index: Int, _ buffer: inout ByteBuffer) -> Bool = { _, _ in false }) {
        propagatedExplicitly = true
        guard let feed = engine.appendOnlyFeed else { return }
        feed.beginRecord(db: db.index, count: args.count)
        for index in 0..<args.count where !rewrite(index, &feed.buffer) { feed.buffer.writeBulk(args[index]) }
    }

    /// Logs `args` under the name `command`, without the arguments `skipping` picks (SET's GET).
    func propagate(_ args: Arguments, skipping: (Int) -> Bool, renaming command: StaticString) {
        propagatedExplicitly = true
        guard let feed = engine.appendOnlyFeed else { return }
        let kept = (1..<args.count).filter { !skipping($0) }
        feed.beginRecord(db: db.index, count: 1 + kept.count)
        command.write(to: &feed.buffer)
        for index in kept { feed.buffer.writeBulk(args[index]) }
    }

    /// Streams this command to the replicas but not to the log (PUBLISH, as Redis's PROPAGATE_REPL).
    func propagateToReplicas(_ args: Arguments) {
        guard engine.replication.isStreaming, let feed = engine.appendOnlyFeed else { return }
        feed.recordForReplicas(db: db.index, args)
    }

    /// The command changed data but its effect needs no record (rare: e.g. a no-op rewrite).
    public func suppressPropagation() { propagatedExplicitly = true }
}

extension Engine {
    /// Logs a key deleted because its time passed, as Redis does: a DEL in its database.
    /// `lazily`: the value went to the background thread, logged as UNLINK as Redis does.
    func propagateExpiry(db: Int, key: Bytes, lazily: Bool) {
        guard let feed = appendOnlyFeed else { return }
        feed.unrestricted {
            feed.beginRecord(db: db, count: 2)
            feed.buffer.writeBulk(lazily ? "UNLINK" : "DEL")
            key.withUnsafeBytes { feed.buffer.writeBulk($0) }
        }
    }
}
