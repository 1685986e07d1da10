import KeyDBEngine
import Logging

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif

/// `supervised`: telling a service manager the server is ready, as Redis does.
/// - systemd (`Type=notify`): datagrams to the socket named by `NOTIFY_SOCKET`.
/// - upstart (`expect stop`): the server stops itself with SIGSTOP once ready.
/// A supervised server does not daemonize: the manager keeps it in the foreground.
public enum Supervisor {
    /// The manager in charge, from the setting and the environment; nil when there is none
    /// (`auto` looks for upstart, then systemd; a named one needs its variable set).
    public static func manager(for mode: Supervision) -> Supervision? {
        let upstart = getenv("UPSTART_JOB") != nil, systemd = getenv("NOTIFY_SOCKET") != nil
        switch mode {
        case .upstart: return upstart ? .upstart : nil
        case .systemd: return systemd ? .systemd : nil
        case .auto: return upstart ? .upstart : systemd ? .systemd : nil
        case .no: return nil
        }
    }

    /// The manager in charge, told that loading starts; logs what Redis logs about it.
    static func begin(_ mode: Supervision, logger: Logger) -> Supervision? {
        let found = manager(for: mode)
        switch (mode, found) {
        case (_, .systemd?):
            logger.notice("Supervised by systemd. Please make sure you set appropriate values for TimeoutStartSec and TimeoutStopSec in your service unit.")
            notifySystemd("STATUS=SwiftKeyDB is loading...\n")
        case (_, .upstart?):
            logger.notice("Supervised by upstart, will stop to signal readiness.")
        case (.systemd, nil):
            logger.warning("systemd supervision error: NOTIFY_SOCKET not found!")
        case (.upstart, nil):
            logger.warning("upstart supervision requested, but UPSTART_JOB not found!")
        default:
            break
        }
        return found
    }

    /// Sends `state` ("READY=1", "STATUS=...") to systemd; false when there is no socket to send to.
    @discardableResult
    public static func notifySystemd(_ state: String) -> Bool {
        guard let variable = getenv("NOTIFY_SOCKET") else { return false }
        var path = Array(String(cString: variable).utf8)
        guard path.count > 1 else { return false }
        // "@name" is an abstract socket: its address starts with a zero byte.
        if path[0] == UInt8(ascii: "@") { path[0] = 0 }
        guard let address = UnixAddress(path) else { return false }
        let fd = socket(AF_UNIX, Int32(SOCK_DGRAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard fd >= 0 else { return false }
        defer { close(fd) }
        let sent = address.withSockaddr { address, length in
            state.utf8CString.withUnsafeBufferPointer { text in
                sendto(fd, text.baseAddress, text.count - 1, Int32(MSG_NOSIGNAL), address, length)
            }
        }
        return sent == state.utf8.count
    }

    /// The server is loaded and listening: tells `manager`.
    static func ready(_ manager: Supervision?) {
        switch manager {
        case .systemd:
            notifySystemd("STATUS=Ready to accept connections\n")
            notifySystemd("READY=1\n")
        case .upstart:
            unsetenv("UPSTART_JOB")
            raise(SIGSTOP)  // upstart resumes the server once it has seen it stop
        default:
            break
        }
    }
}
