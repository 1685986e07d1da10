import NIOCore
import NIOPosix

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif

/// `unixsocket` and `unixsocketperm`, as Redis does them: a file left by an
/// earlier run is removed first, the new one gets the permissions asked for,
/// and it is removed again at shutdown. A relative path is inside `dir`, where
/// Redis (which works in `dir`) puts it.
///
/// The socket is made here rather than by SwiftNIO, which refuses paths of more
/// than 103 bytes where Linux (and Redis) take 107.
enum UnixSocketListener {
    /// Where the socket file is for `path` as configured.
    static func location(of path: String, in directory: String) -> String {
        path.hasPrefix("/") ? path : directory + "/" + path
    }

    static func listen(_ bootstrap: ServerBootstrap, at location: String, permissions: Int, backlog: Int) throws -> Channel {
        let fd = try boundSocket(at: location, backlog: backlog)
        // As Redis: a failed chmod leaves the file as the umask made it.
        if permissions != 0 { chmod(location, mode_t(permissions)) }
        do {
            return try bootstrap.serve(listening: fd, backlog: backlog).wait()
        } catch {
            throw StartupError("Failed opening Unix socket: \(error)")
        }
    }

    static func remove(_ location: String) { unlink(location) }

    private static func boundSocket(at location: String, backlog: Int) throws -> CInt {
        let path = Array(location.utf8)
        guard let address = UnixAddress(path) else {
            throw StartupError("Failed opening Unix socket: unix socket path too long (\(path.count)), must be under \(UnixAddress.capacity)")
        }
        unlink(location)  // a stale socket from a crash would refuse the bind
        let fd = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard fd >= 0 else { throw StartupError("Failed opening Unix socket: creating socket: \(errorText(errno))") }
        let bound = address.withSockaddr { bind(fd, $0, $1) }
        guard bound == 0 else {
            let reason = errorText(errno)
            close(fd)
            throw StartupError("Failed opening Unix socket: bind: \(reason)")
        }
        guard Glibc.listen(fd, CInt(clamping: backlog)) == 0 else {
            let reason = errorText(errno)
            close(fd)
            throw StartupError("Failed opening Unix socket: listen: \(reason)")
        }
        return fd
    }
}
