#if canImport(Glibc)
import Glibc
#endif

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

    /// Forks; the child runs `work` and exits with 0 when it returns true. Nil when fork failed.
    static func fork(_ work: () -> Bool) -> pid_t? {
        let pid = Glibc.fork()
        if pid == 0 {
            // Only this thread exists here: touch nothing another thread might have held.
            _exit(work() ? 0 : 1)
        }
        return pid > 0 ? pid : nil
    }

    /// How the child ended, once it has: true for success.
    func finished() -> Bool? {
        var status: Int32 = 0
        let result = waitpid(pid, &status, WNOHANG)
        guard result == pid else { return result < 0 ? false : nil }
        // WIFEXITED / WEXITSTATUS, spelled out (the C macros are not imported).
        let exited = status & 0x7f == 0
        return exited && (status >> 8) & 0xff == 0
    }

    /// Stops the child and waits for it (SHUTDOWN, or a rewrite turned off).
    func kill() {
        Glibc.kill(pid, SIGUSR1)
        var status: Int32 = 0
        _ = waitpid(pid, &status, 0)
    }
}
