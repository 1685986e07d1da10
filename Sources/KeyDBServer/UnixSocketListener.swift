import NIOCore
import NIOPosix

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif

/// `unixsocket` and `unixsocketperm`, as Redis does them: a file left by an
/// earlier run is removed first, the new one gets the permissions asked for,
/// and it is removed again at shutdown.
enum UnixSocketListener {
    static func listen(_ bootstrap: ServerBootstrap, path: String, permissions: Int) throws -> Channel {
        unlink(path)  // a stale socket from a crash would refuse the bind
        let channel: Channel
        do {
            channel = try bootstrap.bind(unixDomainSocketPath: path).wait()
        } catch let error as IOError {
            throw StartupError("Failed opening Unix socket: \(errorText(error.errnoCode))")
        } catch {
            throw StartupError("Failed opening Unix socket: \(error)")
        }
        if permissions != 0 && chmod(path, mode_t(permissions)) != 0 {
            let reason = errorText(errno)
            try? channel.close().wait()
            throw StartupError("Failed opening Unix socket: \(reason)")
        }
        return channel
    }

    static func remove(_ path: String) { unlink(path) }
}
