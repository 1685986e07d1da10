import KeyDBEngine

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// MIGRATE's connection to its target: a blocking-style TCP socket whose every
/// call waits at most its timeout, as Redis's syncio does. MIGRATE holds the
/// dataset while it runs, as in Redis, so these calls wait on the event loop.
final class MigrationSocket: MigrationLink {
    private let fd: CInt
    private var received: [UInt8] = []
    private(set) var timedOut = false

    private init(fd: CInt) { self.fd = fd }

    /// Connects to `host`:`port`: the first address that does not refuse at once is
    /// waited for up to `timeout` ms and then used whatever came of it, as Redis 7.0's
    /// blocking connect does, so that a refused or unanswered connection shows as a
    /// failed write (`-IOERR … writing …`). Nil when no address takes the attempt.
    static func open(host: String, port: Int, timeout: Int) -> MigrationSocket? {
        var hints = addrinfo()
        hints.ai_family = AF_UNSPEC
        #if canImport(Darwin)
        hints.ai_socktype = SOCK_STREAM
        #else
        hints.ai_socktype = CInt(SOCK_STREAM.rawValue)
        #endif
        var found: UnsafeMutablePointer<addrinfo>?
        guard getaddrinfo(host, String(port), &hints, &found) == 0, let first = found else { return nil }
        defer { freeaddrinfo(first) }
        var candidate: UnsafeMutablePointer<addrinfo>? = first
        while let address = candidate?.pointee {
            candidate = address.ai_next
            let fd = socket(address.ai_family, address.ai_socktype | Self.socketFlags, address.ai_protocol)
            guard fd >= 0 else { continue }
            #if canImport(Darwin)
            _ = fcntl(fd, F_SETFL, O_NONBLOCK)
            #endif
            if connect(fd, address.ai_addr, address.ai_addrlen) != 0 {
                guard errno == EINPROGRESS else {
                    closeSocket(fd)
                    continue
                }
                _ = Self.wait(fd, for: Int16(POLLOUT), upTo: timeout)
            }
            var on: CInt = 1
            _ = setsockopt(fd, CInt(IPPROTO_TCP), TCP_NODELAY, &on, socklen_t(MemoryLayout<CInt>.size))
            return MigrationSocket(fd: fd)
        }
        return nil
    }

    #if canImport(Darwin)
    private static let socketFlags: CInt = 0
    #else
    private static let socketFlags = CInt(SOCK_NONBLOCK.rawValue) | CInt(SOCK_CLOEXEC.rawValue)
    #endif

    /// Longest reply line, as Redis reads them into 1 KB: the rest is the next line.
    private static let longestLine = 1023

    func write(_ bytes: [UInt8], timeout: Int) -> Bool {
        timedOut = false
        var offset = 0
        // In 64 KB pieces, each with the whole timeout, as Redis writes them.
        while offset < bytes.count {
            let end = min(bytes.count, offset + 64 * 1024)
            let deadline = Clock.monotonicMicroseconds() + Int64(timeout) * 1000
            while offset < end {
                let written = bytes.withUnsafeBytes { send(fd, $0.baseAddress! + offset, end - offset, CInt(MSG_NOSIGNAL)) }
                if written > 0 {
                    offset += written
                    continue
                }
                guard written < 0, errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR,
                      waitUntil(deadline, for: Int16(POLLOUT)) else { return false }
            }
        }
        return true
    }

    func readLine(timeout: Int) -> [UInt8]? {
        timedOut = false
        let deadline = Clock.monotonicMicroseconds() + Int64(timeout) * 1000
        while true {
            if let newline = received.prefix(Self.longestLine + 1).firstIndex(of: 10) {
                var line = Array(received[..<newline])
                received.removeSubrange(...newline)
                if line.last == 13 { line.removeLast() }
                return line
            }
            if received.count >= Self.longestLine {
                defer { received.removeFirst(Self.longestLine) }
                return Array(received.prefix(Self.longestLine))
            }
            var chunk = [UInt8](repeating: 0, count: 4096)
            let count = chunk.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
            if count > 0 {
                received.append(contentsOf: chunk[..<count])
                continue
            }
            // The target closed the connection, or failed.
            guard count < 0, errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR,
                  waitUntil(deadline, for: Int16(POLLIN)) else { return nil }
        }
    }

    func close() { closeSocket(fd) }

    private enum Readiness { case ready, timedOut, failed }

    /// Waits for `events` until `deadline` (monotonic µs); false when the time ran out (`timedOut`) or the wait failed.
    private func waitUntil(_ deadline: Int64, for events: Int16) -> Bool {
        let left = deadline - Clock.monotonicMicroseconds()
        switch Self.wait(fd, for: events, upTo: left <= 0 ? 0 : Int((left + 999) / 1000)) {
        case .ready: return true
        case .timedOut:
            timedOut = true
            return false
        case .failed:
            timedOut = false
            return false
        }
    }

    private static func wait(_ fd: CInt, for events: Int16, upTo milliseconds: Int) -> Readiness {
        var entry = pollfd(fd: fd, events: events, revents: 0)
        let deadline = Clock.monotonicMicroseconds() + Int64(milliseconds) * 1000
        while true {
            let left = max(0, deadline - Clock.monotonicMicroseconds())
            let ready = poll(&entry, 1, CInt(clamping: (left + 999) / 1000))
            if ready > 0 { return .ready }
            if ready == 0 { return .timedOut }
            if errno != EINTR { return .failed }
        }
    }
}

private func closeSocket(_ fd: CInt) { _ = close(fd) }
