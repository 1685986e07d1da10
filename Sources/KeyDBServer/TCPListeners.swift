import NIOCore

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif

/// The listening TCP sockets of `bind` and `port`, opened as Redis's
/// listenToPort opens them, at start and for CONFIG SET port / bind alike;
/// SwiftNIO then takes each one over.
/// - An address with a `:` is IPv6 and listens on IPv6 alone (IPV6_V6ONLY), so
///   that `*` and `::*`, Redis's default `bind * -::*`, can share a port.
/// - `*` is every IPv4 address, `::*` every IPv6 one; names are resolved.
/// - A `-` address this host lacks, and a protocol the host lacks (no IPv6), are
///   skipped with a warning.
/// - `tcp-keepalive` is set on the listener: a connection inherits its options
///   from the socket that accepted it, so none is set per connection.
enum TCPListeners {
    struct ListenError: Error {
        /// As Redis logs it: "Could not create server TCP listening socket <address>:<port>: <reason>".
        let text: String
    }

    /// All sockets, or none (those opened are closed) and why. `warnings` gets a line
    /// for each address that failed, skipped or not, as Redis logs them.
    static func open(_ addresses: [String], port: Int, backlog: Int, keepalive: Int,
                     warnings: inout [String]) -> Result<[CInt], ListenError> {
        var sockets: [CInt] = []
        for entry in addresses {
            let optional = entry.hasPrefix("-")
            let address = optional ? String(entry.dropFirst()) : entry
            switch listeningSocket(address, port: port, backlog: backlog) {
            case .success(let fd):
                setKeepalive(fd, idleSeconds: keepalive)
                sockets.append(fd)
            case .failure(let failure):
                let text = "Could not create server TCP listening socket \(address):\(port): \(failure.reason)"
                warnings.append("Warning: \(text)")
                let unsupported = [ENOPROTOOPT, EPROTONOSUPPORT, ESOCKTNOSUPPORT, EPFNOSUPPORT, EAFNOSUPPORT]
                if (optional && failure.code == EADDRNOTAVAIL) || unsupported.contains(failure.code) { continue }
                for fd in sockets { close(fd) }
                return .failure(ListenError(text: text))
            }
        }
        return .success(sockets)
    }

    /// TCP keepalive as Redis sets it: the first probe after `idleSeconds` of silence,
    /// then every third of that, and the peer given up after three unanswered probes;
    /// 0 turns it off. Failures are ignored, as Redis ignores them.
    static func keepaliveOptions(idleSeconds: Int) -> [(level: CInt, name: CInt, value: CInt)] {
        var options = [(SOL_SOCKET, SO_KEEPALIVE, idleSeconds > 0 ? CInt(1) : 0)]
        #if os(Linux)
        if idleSeconds > 0 {
            options += [(CInt(IPPROTO_TCP), TCP_KEEPIDLE, CInt(clamping: idleSeconds)),
                        (CInt(IPPROTO_TCP), TCP_KEEPINTVL, CInt(clamping: max(1, idleSeconds / 3))),
                        (CInt(IPPROTO_TCP), TCP_KEEPCNT, 3)]
        }
        #endif
        return options
    }

    private static func setKeepalive(_ fd: CInt, idleSeconds: Int) {
        for var option in keepaliveOptions(idleSeconds: idleSeconds) {
            _ = setsockopt(fd, option.level, option.name, &option.value, socklen_t(MemoryLayout<CInt>.size))
        }
    }

    /// The same on a listener SwiftNIO serves (on its event loop; a closed one is left alone).
    static func setKeepalive(_ channel: Channel, idleSeconds: Int) {
        for option in keepaliveOptions(idleSeconds: idleSeconds) {
            let name = ChannelOptions.Types.SocketOption(level: NIOBSDSocket.OptionLevel(rawValue: option.level),
                                                          name: NIOBSDSocket.Option(rawValue: option.name))
            channel.setOption(name, value: SocketOptionValue(option.value)).whenFailure { _ in }
        }
    }

    private struct Failure: Error {
        let code: Int32
        let reason: String
    }

    private static func listeningSocket(_ address: String, port: Int, backlog: Int) -> Result<CInt, Failure> {
        let ipv6 = address.contains(":")
        var hints = addrinfo()
        hints.ai_family = ipv6 ? AF_INET6 : AF_INET
        hints.ai_socktype = Int32(SOCK_STREAM.rawValue)
        hints.ai_flags = AI_PASSIVE
        var found: UnsafeMutablePointer<addrinfo>? = nil
        let any = address == "*" || address == "::*"
        let status = any ? getaddrinfo(nil, String(port), &hints, &found) : getaddrinfo(address, String(port), &hints, &found)
        guard status == 0, let first = found else {
            // A name that does not resolve here is an address this host lacks.
            return .failure(Failure(code: status == EAI_SYSTEM ? errno : EADDRNOTAVAIL, reason: String(cString: gai_strerror(status))))
        }
        defer { freeaddrinfo(found) }
        var failure = Failure(code: EADDRNOTAVAIL, reason: "no address to listen on")
        var candidate: UnsafeMutablePointer<addrinfo>? = first
        while let info = candidate {
            candidate = info.pointee.ai_next
            let fd = socket(info.pointee.ai_family, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
            guard fd >= 0 else {
                failure = Failure(code: errno, reason: "socket: \(errorText(errno))")
                continue
            }
            var on: CInt = 1
            let size = socklen_t(MemoryLayout<CInt>.size)
            if ipv6 && setsockopt(fd, CInt(IPPROTO_IPV6), IPV6_V6ONLY, &on, size) != 0 {
                failure = Failure(code: errno, reason: "setsockopt: \(errorText(errno))")
                close(fd)
                return .failure(failure)
            }
            setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &on, size)
            guard bind(fd, info.pointee.ai_addr, info.pointee.ai_addrlen) == 0 else {
                failure = Failure(code: errno, reason: "bind: \(errorText(errno))")
                close(fd)
                return .failure(failure)
            }
            guard listen(fd, Int32(clamping: backlog)) == 0 else {
                failure = Failure(code: errno, reason: "listen: \(errorText(errno))")
                close(fd)
                return .failure(failure)
            }
            return .success(fd)
        }
        return .failure(failure)
    }
}
