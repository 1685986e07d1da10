import KeyDBPersistence
import NIOCore

/// One per event loop: collects the connections whose replies wait for the log
/// during one turn of the loop, then — in a task that runs after every read of
/// that turn — writes the log once, and syncs it once under `always`, before
/// releasing all their replies (Redis does the same in beforeSleep). Replies
/// never leave before the writes they acknowledge are in the file.
final class LogBatcher: @unchecked Sendable {  // used only on its event loop (asserted)
    private let loop: EventLoop
    private var waiting: [(handler: ConnectionHandler, wait: LogWait)] = []

    init(loop: EventLoop) { self.loop = loop }

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
