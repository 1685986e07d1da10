#if canImport(Glibc)
import Glibc
#endif
import KeyDBEngine

/// A forked child writing a snapshot or a rewritten log from the parent's memory
/// as it was at the fork (the kernel's copy-on-write keeps that picture while
/// the parent goes on serving), as Redis's BGSAVE and BGREWRITEAOF do.
struct BackgroundChild {
    enum Kind: Equatable { case snapshot, rewrite }

    let pid: pid_t
    let kind: Kind
    /// Unix seconds at the fork.
    let startedAt: Int64
    /// The file the child writes (renamed into place by whoever finishes it).
    let temporaryPath: String
    /// Where a snapshot ends up (`dir/dbfilename` at the fork; a rewrite's is the manifest's business).
    var target = ""
    /// Writes counted when the fork happened (what a finished snapshot covers).
    let dirtyAtStart: Int
    /// A snapshot streamed to replicas (diskless sync) rather than written to a file.
    var stream: SnapshotStream?
    /// A snapshot to disk started for replicas (not a user's BGSAVE or a save point's).
    var forReplicas = false

    /// How a child ended.
    enum Exit: Equatable {
        case succeeded, failed
        case signalled(Int32)
    }

    /// Forks; the child runs `work` and exits with 0 when it returns true. Nil when fork failed.
    static func fork(_ work: () -> Bool) -> pid_t? {
        let server = getpid()
        let pid = Glibc.fork()
        if pid == 0 {
            // Only this thread exists here: touch nothing another thread might have held.
            parent = server
            exitIfOrphaned()
            _exit(work() ? 0 : 1)
        }
        return pid > 0 ? pid : nil
    }

    /// In a child, the server it was forked from; nil in the server.
    nonisolated(unsafe) private static var parent: pid_t?

    /// A child whose server died (killed, say) stops: no one is left to take its work.
    /// Redis's child notices when it fails to report its progress to the parent.
    static func exitIfOrphaned() {
        if let parent, getppid() != parent { _exit(1) }
    }

    /// How the child ended, once it has.
    func finished() -> Exit? {
        var status: Int32 = 0
        let result = waitpid(pid, &status, WNOHANG)
        guard result == pid else { return result < 0 ? .failed : nil }
        // WIFEXITED / WEXITSTATUS / WTERMSIG, spelled out (the C macros are not imported).
        let signal = status & 0x7f
        guard signal == 0 else { return .signalled(signal) }
        return (status >> 8) & 0xff == 0 ? .succeeded : .failed
    }

    /// Stops the child and waits for it (SHUTDOWN, or a rewrite turned off).
    func kill() {
        Glibc.kill(pid, SIGUSR1)
        var status: Int32 = 0
        _ = waitpid(pid, &status, 0)
    }
}
