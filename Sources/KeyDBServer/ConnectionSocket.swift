import NIOCore

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// The descriptor of a client connection's socket, so that replies can be
/// written with one `send` instead of through the channel pipeline (whose
/// per-write bookkeeping cost more CPU than the rest of a SET under
/// `appendfsync always`).
///
/// SwiftNIO does not expose it; a socket channel names it in its description
/// (`SocketChannel { BaseSocket { fd=N }, …`). The number is used only if that
/// descriptor is a socket whose two ends are the channel's own addresses, so a
/// change in that text leaves replies on the pipeline rather than sending them
/// anywhere else (`ConnectionSocketTests` fails then).
enum ConnectionSocket {
    /// nil when the descriptor cannot be found or checked (replies then go through the pipeline).
    static func descriptor(of channel: Channel) -> CInt? {
        guard let fd = describedDescriptor(after: "BaseSocket { fd=", in: String(describing: channel)),
              let local = channel.localAddress, let remote = channel.remoteAddress,
              address(of: fd, peer: false) == local, address(of: fd, peer: true) == remote
        else { return nil }
        return fd
    }

    /// One end of the TCP or Unix socket `fd` (nil for anything else).
    private static func address(of fd: CInt, peer: Bool) -> SocketAddress? {
        var storage = sockaddr_storage()
        var length = socklen_t(MemoryLayout<sockaddr_storage>.size)
        let result = withUnsafeMutablePointer(to: &storage) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { peer ? getpeername(fd, $0, &length) : getsockname(fd, $0, &length) }
        }
        guard result == 0 else { return nil }
        switch CInt(storage.ss_family) {
        case AF_INET: return withUnsafeBytes(of: storage) { SocketAddress($0.load(as: sockaddr_in.self)) }
        case AF_INET6: return withUnsafeBytes(of: storage) { SocketAddress($0.load(as: sockaddr_in6.self)) }
        case AF_UNIX: return withUnsafeBytes(of: storage) { SocketAddress($0.load(as: sockaddr_un.self)) }
        default: return nil
        }
    }

    /// Writes as much of `bytes` as the socket takes now: the count written, 0 if
    /// none, -1 on an error other than a full socket buffer.
    /// An I/O error as Redis's logs give it (strerror's text), else its description.
    static func errorText(_ error: Error) -> String {
        guard let error = error as? IOError else { return "\(error)" }
        return String(cString: strerror(error.errnoCode))
    }

    static func sendNow(_ fd: CInt, _ bytes: UnsafeRawBufferPointer) -> Int {
        #if os(Linux)
        let flags = CInt(MSG_NOSIGNAL)  // a peer gone is an error to report, not a signal
        #else
        let flags: CInt = 0
        #endif
        while true {
            let written = send(fd, bytes.baseAddress, bytes.count, flags)
            if written >= 0 { return written }
            if errno == EINTR { continue }
            return errno == EAGAIN || errno == EWOULDBLOCK ? 0 : -1
        }
    }
}
