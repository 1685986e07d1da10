import NIOCore
import NIOPosix

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif

/// CONFIG SET port / bind at run time, as Redis's changeListenPort: the new
/// sockets are bound and listening before the old ones close, so a port that
/// is taken leaves everything as it was and the error says why.
enum ListenerMove {
    /// Listening sockets on every address (a `-` prefix: skipped if the address
    /// does not exist on this host); all or none. The error is `strerror`'s text.
    static func listen(on addresses: [String], port: Int) -> Result<[CInt], ListenError> {
        var sockets: [CInt] = []
        // Port 0 set at run time turns TCP off, as in Redis (only at start does it pick a free port).
        guard port != 0 else { return .success([]) }
        for address in addresses {
            let optional = address.hasPrefix("-")
            let host = optional ? String(address.dropFirst()) : address
            switch listeningSocket(host: host, port: port) {
            case .success(let fd):
                sockets.append(fd)
            case .failure(let error) where optional && error.code == EADDRNOTAVAIL:
                continue
            case .failure(let error):
                for fd in sockets { close(fd) }
                return .failure(error)
            }
        }
        return .success(sockets)
    }

    struct ListenError: Error {
        let code: Int32
        var text: String { errorText(code) }
    }

    private static func listeningSocket(host: String, port: Int) -> Result<CInt, ListenError> {
        var hints = addrinfo()
        hints.ai_family = AF_UNSPEC
        hints.ai_socktype = Int32(SOCK_STREAM.rawValue)
        hints.ai_flags = AI_PASSIVE | AI_NUMERICHOST
        var found: UnsafeMutablePointer<addrinfo>? = nil
        let host = host == "*" ? "0.0.0.0" : host
        guard getaddrinfo(host, String(port), &hints, &found) == 0, let info = found else {
            return .failure(ListenError(code: EADDRNOTAVAIL))
        }
        defer { freeaddrinfo(found) }
        let fd = socket(info.pointee.ai_family, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard fd >= 0 else { return .failure(ListenError(code: errno)) }
        var on: CInt = 1
        setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &on, socklen_t(MemoryLayout<CInt>.size))
        if info.pointee.ai_family == AF_INET6 {
            setsockopt(fd, CInt(IPPROTO_IPV6), IPV6_V6ONLY, &on, socklen_t(MemoryLayout<CInt>.size))
        }
        guard bind(fd, info.pointee.ai_addr, info.pointee.ai_addrlen) == 0, Glibc.listen(fd, 511) == 0 else {
            let code = errno
            close(fd)
            return .failure(ListenError(code: code))
        }
        return .success(fd)
    }
}
