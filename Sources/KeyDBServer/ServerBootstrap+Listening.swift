import NIOCore
import NIOPosix

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif

extension ServerBootstrap {
    /// Serves a listening socket made here (`TCPListeners`, `UnixSocketListener`).
    /// SwiftNIO listens again on a socket it takes over, with its own backlog
    /// (128): `tcp-backlog` is set once more after that.
    func serve(listening fd: CInt, backlog: Int) -> EventLoopFuture<Channel> {
        withBoundSocket(fd).map { channel in
            _ = listen(fd, Int32(clamping: backlog))
            return channel
        }
    }
}
