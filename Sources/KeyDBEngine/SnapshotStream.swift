import NIOConcurrencyHelpers
import NIOCore

/// A diskless full resync on its way (`repl-diskless-sync`, Redis's rdb pipe): a
/// child writes the snapshot into a pipe, as `$EOF:<mark>\r\n`, the image, and
/// the mark again; the parent reads it chunk by chunk and hands each chunk to
/// every replica of the transfer. The next chunk is read only once every one of
/// them has written this one, so the slowest replica sets the pace and the
/// parent holds one chunk at a time, as Redis's does.
public final class SnapshotStream: @unchecked Sendable {  // links' fields under the keyspace lock
    /// Chunks handed to the replicas' connections and not yet written (or given up),
    /// changed under `condition`, whose value is that count.
    private var unwritten = 0
    private let condition = ConditionLock(value: 0)
    /// The child was stopped or collected: the reader leaves without a word (`cancel`).
    public private(set) var cancelled = false
    /// The whole pipe was read and written to the replicas: one that acknowledges has
    /// loaded it, before the child's exit is seen.
    public var delivered = false

    public init() {}

    /// Hands `chunk` to every replica still taking this stream; returns how many that is.
    /// Each is woken to write it (`ReplicaLink.takeStreamChunk`).
    public func offer(_ chunk: ByteBuffer, replication: Replication, now: Int64) -> Int {
        let links = replication.replicas.filter { $0.stream === self && $0.state == .waitSnapshotEnd }
        guard !links.isEmpty else { return 0 }
        count(links.count)
        for link in links {
            link.streamChunk = chunk
            // The write may wait for a replica that does not read: repl-timeout counts from here.
            link.partialWriteSince = now
            link.session.scheduleWakeup()
        }
        return links.count
    }

    /// Waits until every chunk offered is written, or its connection gone. Not under the keyspace lock.
    public func waitUntilWritten() {
        condition.lock(whenValue: 0)
        condition.unlock()
    }

    /// One replica is done with the chunk: written, or never to be.
    func settled() { count(-1) }

    var unwrittenChunks: Int {
        condition.lock()
        defer { condition.unlock() }
        return unwritten
    }

    /// The transfer is over (its child stopped or collected): the reader waits for no chunk any more.
    public func cancel() {
        condition.lock()
        cancelled = true
        unwritten = 0
        condition.unlock(withValue: 0)
    }

    private func count(_ change: Int) {
        condition.lock()
        if !cancelled { unwritten += change }
        condition.unlock(withValue: unwritten)
    }

    /// The replicas still taking this stream (they leave when their connection closes).
    public func replicasUp(in replication: Replication) -> Int {
        replication.replicas.reduce(0) { $0 + ($1.stream === self && $1.state == .waitSnapshotEnd ? 1 : 0) }
    }
}
