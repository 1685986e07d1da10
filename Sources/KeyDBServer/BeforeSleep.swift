import KeyDBPersistence
import NIOCore

/// One per event loop: what Redis does in beforeSleep, after every read of a
/// turn of the loop has run.
/// - Connections whose replies wait for the log: the log is written once, and
///   synced once under `always`, then all their replies are released. Replies
///   never leave before the writes they acknowledge are in the file.
/// - Every other connection's replies are flushed then too, not after each
///   read: clients served in one turn get their replies together, which keeps
///   the spread of latencies (p99) at or below Redis's.
final class BeforeSleep: @unchecked Sendable {  // used only on its event loop (asserted)
    private let loop: EventLoop
    private var waiting: [(handler: ConnectionHandler, wait: LogWait)] = []
    private var unflushed: [ChannelHandlerContext] = []

    /// Flushes `context` once this turn's reads are done.
    func flush(_ context: ChannelHandlerContext) {
        loop.assertInEventLoop()
        if unflushed.isEmpty {
            let bound = NIOLoopBound(self, eventLoop: loop)
            loop.execute { bound.value.flushAll() }
        }
        unflushed.append(context)
    }

    private func flushAll() {
        let batch = unflushed
        unflushed = []
        for context in batch { context.flush() }
    }

    init(loop: EventLoop) { self.loop = loop }

    /// Sends `handler`'s held replies once the log has (and, if asked, synced) `wait`.
    func add(_ handler: ConnectionHandler, _ wait: LogWait) {
        loop.assertInEventLoop()
        if waiting.isEmpty {
            let bound = NIOLoopBound(self, eventLoop: loop)
            loop.execute { bound.value.run() }
        }
        waiting.append((handler, wait))
    }

    private func run() {
        let batch = waiting
        waiting = []
        var written: Set<ObjectIdentifier> = []
        var syncs: [ObjectIdentifier: (log: AppendOnlyLog, offset: UInt64)] = [:]
        for (_, wait) in batch where written.insert(ObjectIdentifier(wait.log)).inserted {
            wait.log.writeQueued()
        }
        for (handler, wait) in batch {
            if wait.sync {
                let id = ObjectIdentifier(wait.log)
                syncs[id] = (wait.log, max(syncs[id]?.offset ?? 0, wait.offset))
            } else {
                handler.release(through: wait.offset)
            }
        }
        // One fsync for the whole turn, here on the loop as Redis does (a thread
        // hand-off costs more than the fsync on fast disks); replies go out after it.
        for (log, offset) in syncs.values {
            let handlers = batch.filter { $0.wait.sync && $0.wait.log === log }.map(\.handler)
            if log.syncNow(through: offset) {
                for handler in handlers { handler.release(through: offset) }
                continue
            }
            // The disk refused: the sync thread retries, and the replies wait for it.
            let bound = NIOLoopBound(handlers, eventLoop: loop)
            let loop = self.loop
            log.whenSynced(offset) {
                loop.execute { for handler in bound.value { handler.release(through: offset) } }
            }
        }
    }
}
