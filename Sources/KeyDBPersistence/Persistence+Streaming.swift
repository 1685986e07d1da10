import KeyDBEngine
import NIOCore
import NIOPosix

#if canImport(Glibc)
import Glibc
#endif

/// Diskless sync (`repl-diskless-sync yes`, Redis's default): the snapshot for
/// replicas goes from a child straight to their connections, through a pipe,
/// never touching the disk (Redis's rdbSaveToSlavesSockets).
///
/// The child writes `$EOF:<mark>\r\n`, the image and the mark into the pipe,
/// then waits until the parent closes a second pipe before it exits: its exit,
/// which puts the replicas online, must not come before the parent has handed
/// them every byte. A thread of the parent reads the pipe (`SnapshotStream`).
extension Persistence {
    /// The pipe's reader, one transfer at a time (as there is one child at a time).
    private static let reader: NIOThreadPool = {
        let pool = NIOThreadPool(numberOfThreads: 1)
        pool.start()
        return pool
    }()

    /// How much the child buffers before it writes to the pipe, and the parent reads at once.
    static let streamChunk = 64 * 1024

    func startStreamedSnapshot() -> Bool {
        guard child == nil else { return false }
        var data: [Int32] = [-1, -1], exit: [Int32] = [-1, -1]
        guard pipe(&data) == 0 else { return false }
        guard pipe(&exit) == 0 else {
            data.forEach { close($0) }
            return false
        }
        let functions = engine.functions.libraryCodes
        let mark = (0..<40).map { _ in "0123456789abcdef".utf8.randomElement()! }
        // The stream so far is in the snapshot: the replicas take the stream from here.
        _ = takeRecords()
        let started = Clock.milliseconds() / 1000
        let pid = forkChild { [self] in
            close(data[0])
            close(exit[1])
            let written = (try? writeStreamedSnapshot(to: data[1], mark: mark, functions: functions)) != nil
            // Until the parent has read it all: it may exit now (the read sees the pipe closed).
            var byte: UInt8 = 0
            _ = read(exit[0], &byte, 1)
            return written
        }
        close(data[1])
        close(exit[0])
        guard let pid else {
            logWarning("Can't save in background: fork: \(String(cString: strerror(errno)))")
            close(data[0])
            close(exit[1])
            return false
        }
        logNotice("Background RDB transfer started by pid \(pid)")
        let stream = SnapshotStream()
        engine.replication.snapshotStarted(engine: engine, stream: stream)
        child = BackgroundChild(pid: pid, kind: .snapshot, startedAt: started, temporaryPath: "", dirtyAtStart: engine.keyspace.dirty)
        child!.stream = stream
        let (pipe, exitPipe) = (data[0], exit[1])
        Self.reader.submit { [self] _ in
            relay(stream, from: pipe, child: pid)
            close(pipe)
            close(exitPipe)
        }
        return true
    }

    /// In the child. The descriptor is closed once written (the parent reads the end of the pipe).
    private func writeStreamedSnapshot(to descriptor: Int32, mark: [UInt8], functions: [[UInt8]]) throws {
        let pipe = BufferedFile(writingTo: descriptor, name: "the replicas' pipe", flushingAt: Self.streamChunk)
        try pipe.write(Array("$EOF:".utf8) + mark + Array("\r\n".utf8))
        try Snapshot.write(engine, functions: functions, to: pipe, aofBase: false)
        try pipe.write(mark)
        try pipe.flush()
    }

    /// On the reader's thread: hands each chunk of the pipe to the stream's replicas, and
    /// reads the next once they have all written it (Redis's rdbPipeReadHandler).
    private func relay(_ stream: SnapshotStream, from pipe: Int32, child pid: pid_t) {
        let allocator = ByteBufferAllocator()
        while true {
            var chunk = allocator.buffer(capacity: Self.streamChunk)
            var count = 0
            chunk.writeWithUnsafeMutableBytes(minimumWritableBytes: Self.streamChunk) { space in
                repeat { count = read(pipe, space.baseAddress, Self.streamChunk) } while count < 0 && errno == EINTR
                return max(count, 0)
            }
            let failure = count < 0 ? String(cString: strerror(errno)) : nil
            var done = true
            withKeyspace { [self] in
                let replication = engine.replication
                // The child was stopped or collected meanwhile: its replicas are dealt with.
                guard !stream.cancelled else { return }
                if let failure {
                    logWarning("Diskless rdb transfer, read error sending DB to replicas: \(failure)")
                    replication.dropStreamReplicas(of: stream)
                    Glibc.kill(pid, SIGUSR1)
                } else if count == 0 {
                    logWarning("Diskless rdb transfer, done reading from pipe, \(stream.replicasUp(in: replication)) replicas still up.")
                    stream.delivered = true
                } else if stream.offer(chunk, replication: replication, now: Clock.milliseconds() / 1000) == 0 {
                    logWarning("Diskless rdb transfer, last replica dropped, killing fork child.")
                    Glibc.kill(pid, SIGUSR1)
                } else {
                    done = false
                }
            }
            if done { return }
            stream.waitUntilWritten()
        }
    }

    /// The child is gone: its replicas are online (waiting for their first ACK) or dropped.
    /// Unlike a BGSAVE it saved nothing: the save counters stay as they were.
    func finishStreamedSnapshot(_ child: BackgroundChild, exit: BackgroundChild.Exit) {
        switch exit {
        case .succeeded: logNotice("Background RDB transfer terminated with success")
        case .failed: logWarning("Background transfer error")
        case .signalled(let signal): logWarning("Background transfer terminated by signal \(signal)")
        }
        // The reader, if it still reads, leaves without a word.
        child.stream?.cancel()
        lastSnapshotSeconds = Int(Clock.milliseconds() / 1000 - child.startedAt)
        engine.replication.snapshotFinished(succeeded: exit == .succeeded, engine: engine)
    }
}
