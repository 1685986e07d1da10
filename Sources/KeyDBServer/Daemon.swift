#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif

/// `daemonize yes` and `pidfile`, as redis-server does them.
public enum Daemon {
    /// Redis's default pid file for a daemon that names none.
    public static let defaultPidFile = "/var/run/redis.pid"

    /// Leaves the terminal: the parent exits, the child starts its own session and its
    /// standard streams go to /dev/null (the log then goes only to `logfile`).
    /// Call before any thread starts.
    public static func detach() {
        let child = fork()
        if child < 0 { exit(1) }
        if child > 0 { exit(0) }
        setsid()
        let null = open("/dev/null", O_RDWR)
        guard null >= 0 else { return }
        for stream in [STDIN_FILENO, STDOUT_FILENO, STDERR_FILENO] { dup2(null, stream) }
        if null > STDERR_FILENO { close(null) }
    }

    /// Writes this process's id; false when the file cannot be written.
    static func writePidFile(_ path: String) -> Bool {
        let fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o644)
        guard fd >= 0 else { return false }
        defer { close(fd) }
        var text = "\(getpid())\n"
        return text.withUTF8 { write(fd, $0.baseAddress, $0.count) } == text.utf8.count
    }

    static func removePidFile(_ path: String) { unlink(path) }
}
