import KeyDBEngine
import KeyDBPersistence
import NIOConcurrencyHelpers
import NIOCore
import Synchronization

/// One per event loop: what Redis does in beforeSleep, after every read of a
/// turn of the loop has run, as one task at the end of the turn.
/// - Connections whose replies wait for the log: the log is written once, and
///   synced once under `always`, then all their replies are released. Replies
///   never leave before the writes they acknowledge are in the file.
/// - Every other connection's replies are flushed then too, not after each
///   read: clients served in one turn get their replies together, which keeps
///   the spread of latencies (p99) at or below Redis's.
/// - Then, for up to `busy-poll` µs, the loop polls for the next request
///   instead of going to sleep at once (see `pollBeforeSleep`).
final class BeforeSleep: @unchecked Sendable {  // used only on its event loop (asserted)
    private let loop: EventLoop
    private let engine: Engine
    private let lock: NIOLock
    private var waiting: [(handler: ConnectionHandler, wait: LogWait)] = []
    private var unflushed: [ConnectionHandler] = []
    /// The last turn's `unflushed`, emptied and kept for its capacity (no allocation per turn).
    private var flushing: [ConnectionHandler] = []
    private var scheduled = false
    /// `busy-poll` as read at the end of the turn, for the poll task that follows it.
    private var pollMicroseconds = 0
    /// The loop's epoll descriptor, looked up on the loop's thread when first needed.
    private lazy var selector: CInt? = LoopSelector.descriptor(of: loop)
    /// Set when another thread queues work for this loop: it ends a poll in progress,
    /// which would not see it (SwiftNIO signals its selector only between its task runs).
    private let queuedFromElsewhere = Atomic<Bool>(false)
    /// How often recent polls caught a request (0...1024), and the share needed to keep polling.
    private var pollHits = 1024
    private static let pollHitsNeeded = 768
    private var turnsSincePoll = 0

    init(loop: EventLoop, engine: Engine, lock: NIOLock) {
        self.loop = loop
        self.engine = engine
        self.lock = lock
    }

    /// Sends `handler`'s replies once this turn's reads are done.
    func flush(_ handler: ConnectionHandler) {
        loop.assertInEventLoop()
        scheduleTurnEnd()
        unflushed.append(handler)
    }

    /// Sends `handler`'s held replies once the log has (and, if asked, synced) `wait`.
    func add(_ handler: ConnectionHandler, _ wait: LogWait) {
        loop.assertInEventLoop()
        scheduleTurnEnd()
        waiting.append((handler, wait))
    }

    /// Runs `task` on the loop, from any thread, without waiting out a poll in progress.
    func execute(_ task: @escaping @Sendable () -> Void) {
        queuedFromElsewhere.store(true, ordering: .releasing)
        loop.execute(task)
    }

    // The tasks below capture `self` alone, which Swift passes as the closure's
    // context: no allocation per turn (a captured NIOLoopBound or value would box).
    private func scheduleTurnEnd() {
        guard !scheduled else { return }
        scheduled = true
        loop.execute { self.turnEnded() }
    }

    private func turnEnded() {
        scheduled = false
        if !waiting.isEmpty { releaseLogged() }
        swap(&flushing, &unflushed)
        for handler in flushing { handler.endTurn() }
        flushing.removeAll(keepingCapacity: true)
        pollMicroseconds = lock.withLock { engine.configuration.busyPoll }
        guard pollMicroseconds > 0, selector != nil else { return }
        // Queued, not called: tasks this turn queued (a blocked client woken by
        // a push, say) run before the loop polls.
        loop.execute { self.pollBeforeSleep() }
    }

    /// A server that sleeps as soon as its turn is done is woken by the kernel
    /// for the next request, and the waking is paid by the client's `send`
    /// (an inter-processor interrupt, costly in virtual machines): with a
    /// client that is itself the bottleneck, a faster server then serves
    /// fewer requests. Polling the loop's selector for a few microseconds
    /// catches the next request awake.
    ///
    /// Work queued from another thread through `execute` ends the poll too.
    /// While polling, the loop yields its core to any other runnable thread.
    ///
    /// It runs only after a turn that served someone, so an idle server sleeps,
    /// and only while polls keep catching requests: under light load they would
    /// mostly burn their whole time, so then only every 16th turn polls, to notice
    /// the load coming back.
    private func pollBeforeSleep() {
        loop.assertInEventLoop()
        guard !scheduled, let fd = selector else { return }  // (scheduled: more replies to send first)
        turnsSincePoll &+= 1
        guard pollHits >= Self.pollHitsNeeded || turnsSincePoll >= 16 else { return }
        turnsSincePoll = 0
        let caught = LoopSelector.busyPoll(fd, forUpTo: pollMicroseconds) {
            queuedFromElsewhere.exchange(false, ordering: .acquiring)
        }
        // A moving average of the last polls' outcomes, in 1/1024ths: each poll weighs 1/8.
        pollHits += (caught ? 1024 - pollHits : -pollHits) / 8
    }

    private func releaseLogged() {
        var batch: [(handler: ConnectionHandler, wait: LogWait)] = []
        swap(&batch, &waiting)
        // Nearly always one log; a rewrite or CONFIG SET appendonly can make two in a turn.
        var logs: [(log: AppendOnlyLog, syncThrough: UInt64?)] = []
        for entry in batch {
            if let i = logs.firstIndex(where: { $0.log === entry.wait.log }) {
                if entry.wait.sync { logs[i].syncThrough = max(logs[i].syncThrough ?? 0, entry.wait.offset) }
                continue
            }
            entry.wait.log.writeQueued()
            logs.append((entry.wait.log, entry.wait.sync ? entry.wait.offset : nil))
        }
        // Released newest first, as Redis walks its pending-write list: measured
        // under `always` -P 1, p50 0.49 ms instead of 0.58 (Redis 0.45).
        for entry in batch.reversed() where !entry.wait.sync {
            entry.handler.release(through: entry.wait.offset)
        }
        // One fsync for the whole turn, here on the loop as Redis does (a thread
        // hand-off costs more than the fsync on fast disks); replies go out after it.
        for case let (log, offset?) in logs {
            if log.syncNow(through: offset) {
                for entry in batch.reversed() where entry.wait.sync && entry.wait.log === log {
                    entry.handler.release(through: offset)
                }
                continue
            }
            // The disk refused: the sync thread retries, and the replies wait for it.
            let handlers = batch.filter { $0.wait.sync && $0.wait.log === log }.map(\.handler)
            let bound = NIOLoopBound(handlers, eventLoop: loop)
            log.whenSynced(offset) { [self] in
                execute { for handler in bound.value { handler.release(through: offset) } }
            }
        }
    }
}
