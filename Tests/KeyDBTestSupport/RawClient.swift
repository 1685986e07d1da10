import Foundation
import Glibc

public enum RawClientError: Error, CustomStringConvertible, Equatable {
    case invalidAddress(String)
    case connectFailed(String)
    case sendFailed(String)
    case receiveFailed(String)
    case timedOut
    /// The peer closed the connection; `pending` is whatever partial reply
    /// had been buffered.
    case closedByPeer(pending: [UInt8])
    case malformedReply(String)
    case closed

    public var description: String {
        switch self {
        case .invalidAddress(let s): return "invalid address \(s)"
        case .connectFailed(let s): return "connect failed: \(s)"
        case .sendFailed(let s): return "send failed: \(s)"
        case .receiveFailed(let s): return "receive failed: \(s)"
        case .timedOut: return "timed out waiting for the server"
        case .closedByPeer(let pending):
            return "connection closed by peer (\(pending.count) unparsed bytes: \(RawClient.escape(pending.prefix(200))))"
        case .malformedReply(let s): return "malformed reply: \(s)"
        case .closed: return "client already closed"
        }
    }
}

/// A deliberately dumb, blocking RESP2 client over a POSIX TCP socket.
///
/// Replies are returned as raw bytes so tests can assert the exact wire
/// format. Not thread-safe (and not Sendable): use one client per thread.
public final class RawClient {
    public let port: UInt16
    /// Receive timeout in seconds, applied with SO_RCVTIMEO and to the
    /// poll(2) calls in `send`.
    public let timeout: Double

    private var fd: Int32
    private var buffer: [UInt8] = []
    private var readIndex = 0
    private var peerClosed = false

    // MARK: Connecting

    public init(host: String = "127.0.0.1", port: UInt16, timeout: Double = 5) throws {
        self.port = port
        self.timeout = timeout

        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = port.bigEndian
        guard inet_pton(AF_INET, host, &address.sin_addr) == 1 else {
            throw RawClientError.invalidAddress(host)
        }

        fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { throw RawClientError.connectFailed("socket: \(errnoDescription())") }

        do {
            try connectWithTimeout(&address)
            var one: Int32 = 1
            _ = setsockopt(fd, Int32(IPPROTO_TCP), TCP_NODELAY, &one, socklen_t(MemoryLayout<Int32>.size))
            var tv = RawClient.makeTimeval(seconds: timeout)
            guard setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, socklen_t(MemoryLayout<timeval>.size)) == 0,
                  setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, socklen_t(MemoryLayout<timeval>.size)) == 0
            else { throw RawClientError.connectFailed("setsockopt: \(errnoDescription())") }
        } catch {
            _ = Glibc.close(fd)
            fd = -1
            throw error
        }
    }

    deinit {
        close()
    }

    /// Non-blocking connect + poll so an overflowing accept backlog cannot
    /// hang a test for the kernel's SYN-retry schedule.
    private func connectWithTimeout(_ address: inout sockaddr_in) throws {
        let flags = fcntl(fd, F_GETFL)
        _ = fcntl(fd, F_SETFL, flags | O_NONBLOCK)
        let rc = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                Glibc.connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
            }
        }
        if rc != 0 {
            guard errno == EINPROGRESS else {
                throw RawClientError.connectFailed("127.0.0.1:\(port): \(errnoDescription())")
            }
            var pfd = pollfd(fd: fd, events: Int16(POLLOUT), revents: 0)
            let ready = pollRetryingEINTR(&pfd, milliseconds: RawClient.milliseconds(timeout))
            guard ready > 0 else {
                throw RawClientError.connectFailed("port \(port): timed out after \(timeout)s")
            }
            var soError: Int32 = 0
            var length = socklen_t(MemoryLayout<Int32>.size)
            _ = getsockopt(fd, SOL_SOCKET, SO_ERROR, &soError, &length)
            guard soError == 0 else {
                throw RawClientError.connectFailed("port \(port): \(errnoDescription(soError))")
            }
        }
        _ = fcntl(fd, F_SETFL, flags)
    }

    /// Closes the socket. Idempotent.
    public func close() {
        if fd >= 0 {
            _ = Glibc.close(fd)
            fd = -1
        }
    }

    /// Half-closes the connection (shutdown(SHUT_WR)): the server sees EOF
    /// but replies can still be read.
    public func shutdownWrite() {
        if fd >= 0 { _ = Glibc.shutdown(fd, Int32(SHUT_WR)) }
    }

    public var isOpen: Bool { fd >= 0 }

    // MARK: Sending

    /// Writes all of `bytes`. While the socket is not writable, any incoming
    /// data is drained into the reply buffer, so very large pipelines cannot
    /// deadlock against a server whose replies fill our receive window.
    public func send(_ bytes: [UInt8]) throws {
        guard fd >= 0 else { throw RawClientError.closed }
        var offset = 0
        // Reset whenever bytes go out: the timeout bounds a stall, not the whole send.
        var deadline = Date().addingTimeInterval(timeout)
        while offset < bytes.count {
            let remaining = deadline.timeIntervalSinceNow
            if remaining <= 0 {
                throw RawClientError.sendFailed("timed out with \(bytes.count - offset) bytes unsent")
            }
            // Once the peer has sent EOF, POLLIN would always be ready; stop asking for it.
            let events = peerClosed ? Int16(POLLOUT) : Int16(POLLOUT | POLLIN)
            var pfd = pollfd(fd: fd, events: events, revents: 0)
            let ready = pollRetryingEINTR(&pfd, milliseconds: RawClient.milliseconds(remaining))
            if ready < 0 { throw RawClientError.sendFailed("poll: \(errnoDescription())") }
            if ready == 0 { continue }

            if pfd.revents & Int16(POLLIN) != 0 && !peerClosed {
                do {
                    _ = try receiveChunk(flags: Int32(MSG_DONTWAIT))
                } catch RawClientError.timedOut {
                    // EAGAIN: nothing to read after all.
                }
            }
            if pfd.revents & Int16(POLLOUT | POLLERR | POLLHUP) != 0 {
                let written = bytes.withUnsafeBytes { raw in
                    Glibc.send(fd, raw.baseAddress! + offset, raw.count - offset, Int32(MSG_NOSIGNAL | MSG_DONTWAIT))
                }
                if written < 0 {
                    if errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR { continue }
                    throw RawClientError.sendFailed(errnoDescription())
                }
                offset += written
                if written > 0 { deadline = Date().addingTimeInterval(timeout) }
            }
        }
    }

    public func send(_ string: String) throws {
        try send(Array(string.utf8))
    }

    /// RESP multibulk encoding: `*N\r\n` then `$len\r\n<bytes>\r\n` per argument.
    public static func encodeCommand(_ args: [[UInt8]]) -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(16 + args.reduce(0) { $0 + $1.count + 16 })
        out += Array("*\(args.count)\r\n".utf8)
        for arg in args {
            out += Array("$\(arg.count)\r\n".utf8)
            out += arg
            out += [13, 10]
        }
        return out
    }

    public static func encodeCommand(_ args: [String]) -> [UInt8] {
        encodeCommand(args.map { Array($0.utf8) })
    }

    /// Sends one command without reading its reply (for pipelining).
    public func sendCommand(_ args: [[UInt8]]) throws {
        try send(RawClient.encodeCommand(args))
    }

    public func sendCommand(_ args: [String]) throws {
        try send(RawClient.encodeCommand(args))
    }

    /// Sends one command as a multibulk and returns its raw reply.
    @discardableResult
    public func command(_ args: [[UInt8]]) throws -> [UInt8] {
        try sendCommand(args)
        return try readReply()
    }

    @discardableResult
    public func command(_ args: [String]) throws -> [UInt8] {
        try sendCommand(args)
        return try readReply()
    }

    /// `command(_:)` with the reply decoded as UTF-8 (lossy).
    public func commandString(_ args: [String]) throws -> String {
        String(decoding: try command(args), as: UTF8.self)
    }

    // MARK: Receiving

    /// The raw bytes of exactly one complete RESP2 reply (`+ - : $ *`,
    /// including `$-1`, `*-1`, nested arrays and arbitrarily large bulks).
    /// Bytes after the reply stay buffered for the next call.
    public func readReply() throws -> [UInt8] {
        while true {
            if let end = try RawClient.replyEnd(in: buffer, from: readIndex) {
                let reply = Array(buffer[readIndex..<end])
                readIndex = end
                compactBuffer()
                return reply
            }
            if peerClosed {
                throw RawClientError.closedByPeer(pending: Array(buffer[readIndex...]))
            }
            guard fd >= 0 else { throw RawClientError.closed }
            _ = try receiveChunk(flags: 0)
        }
    }

    /// `readReply()` decoded as UTF-8 (lossy), e.g. `"+PONG\r\n"`.
    public func readReplyString() throws -> String {
        String(decoding: try readReply(), as: UTF8.self)
    }

    /// Reads `count` replies and returns them in order.
    public func readReplies(_ count: Int) throws -> [[UInt8]] {
        var replies: [[UInt8]] = []
        replies.reserveCapacity(count)
        for _ in 0..<count { replies.append(try readReply()) }
        return replies
    }

    /// Bytes received but not yet returned as a reply.
    public var bufferedBytes: [UInt8] { Array(buffer[readIndex...]) }

    /// Waits up to `timeout` seconds for the peer to close the connection.
    /// True once recv(2) returns 0 (or the connection is reset); false if it
    /// is still open at the deadline. Data arriving meanwhile is buffered and
    /// can still be read with `readReply()`.
    public func isClosedByPeer(timeout: Double) -> Bool {
        if peerClosed { return true }
        guard fd >= 0 else { return false }
        let deadline = Date().addingTimeInterval(timeout)
        while true {
            let remaining = deadline.timeIntervalSinceNow
            var pfd = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
            let ready = pollRetryingEINTR(&pfd, milliseconds: RawClient.milliseconds(max(0, remaining)))
            if ready < 0 { return false }
            if ready > 0 {
                do {
                    _ = try receiveChunk(flags: Int32(MSG_DONTWAIT))
                } catch RawClientError.receiveFailed {
                    return true // ECONNRESET and friends: the peer is gone.
                } catch {
                    // EAGAIN after a spurious wake-up: keep waiting.
                }
                if peerClosed { return true }
            }
            if remaining <= 0 { return false }
        }
    }

    /// One recv(2) into the buffer. Returns the byte count; 0 means EOF and
    /// sets `peerClosed`.
    private func receiveChunk(flags: Int32) throws -> Int {
        var chunk = [UInt8](repeating: 0, count: 64 * 1024)
        while true {
            let n = chunk.withUnsafeMutableBytes { raw in
                recv(fd, raw.baseAddress!, raw.count, flags)
            }
            if n > 0 {
                buffer.append(contentsOf: chunk[0..<n])
                return n
            }
            if n == 0 {
                peerClosed = true
                return 0
            }
            switch errno {
            case EINTR:
                continue
            case EAGAIN, EWOULDBLOCK:
                throw RawClientError.timedOut
            default:
                throw RawClientError.receiveFailed(errnoDescription())
            }
        }
    }

    private func compactBuffer() {
        if readIndex == buffer.count {
            buffer.removeAll(keepingCapacity: true)
            readIndex = 0
        } else if readIndex > 256 * 1024 {
            buffer.removeSubrange(0..<readIndex)
            readIndex = 0
        }
    }

    // MARK: RESP2 framing

    /// Index just past the complete reply starting at `start`, or nil if more
    /// bytes are needed. Throws on bytes that cannot begin a RESP2 reply.
    public static func replyEnd(in bytes: [UInt8], from start: Int) throws -> Int? {
        guard start < bytes.count else { return nil }
        let type = bytes[start]
        guard let lineEnd = crlf(in: bytes, from: start + 1) else { return nil }
        let afterLine = lineEnd + 2
        switch type {
        case UInt8(ascii: "+"), UInt8(ascii: "-"), UInt8(ascii: ":"):
            return afterLine
        case UInt8(ascii: "$"):
            let length = try integer(bytes[(start + 1)..<lineEnd])
            if length == -1 { return afterLine }
            guard length >= 0 else { throw RawClientError.malformedReply("bulk length \(length)") }
            let end = afterLine + length + 2
            guard end <= bytes.count else { return nil }
            guard bytes[end - 2] == 13, bytes[end - 1] == 10 else {
                throw RawClientError.malformedReply("bulk of length \(length) not followed by CRLF")
            }
            return end
        case UInt8(ascii: "*"):
            let count = try integer(bytes[(start + 1)..<lineEnd])
            if count == -1 { return afterLine }
            guard count >= 0 else { throw RawClientError.malformedReply("array length \(count)") }
            var position = afterLine
            for _ in 0..<count {
                guard let next = try replyEnd(in: bytes, from: position) else { return nil }
                position = next
            }
            return position
        default:
            throw RawClientError.malformedReply(
                "unexpected type byte \(type) in \(escape(bytes[start..<min(bytes.count, start + 80)]))")
        }
    }

    private static func crlf(in bytes: [UInt8], from start: Int) -> Int? {
        var i = start
        while i + 1 < bytes.count {
            if bytes[i] == 13 && bytes[i + 1] == 10 { return i }
            i += 1
        }
        return nil
    }

    private static func integer(_ digits: ArraySlice<UInt8>) throws -> Int {
        guard let value = Int(String(decoding: digits, as: UTF8.self)) else {
            throw RawClientError.malformedReply("bad length line \(escape(digits))")
        }
        return value
    }

    // MARK: Helpers

    /// Printable rendering of bytes (`\r`, `\n`, `\xNN`) for failure messages.
    public static func escape<C: Collection>(_ bytes: C) -> String where C.Element == UInt8 {
        var out = ""
        for byte in bytes {
            switch byte {
            case 13: out += "\\r"
            case 10: out += "\\n"
            case 92: out += "\\\\"
            case 32...126: out.unicodeScalars.append(Unicode.Scalar(byte))
            default: out += "\\x" + (byte < 16 ? "0" : "") + String(byte, radix: 16)
            }
        }
        return out
    }

    static func milliseconds(_ seconds: Double) -> Int32 {
        Int32(clamping: Int((seconds * 1000).rounded(.up)))
    }

    static func makeTimeval(seconds: Double) -> timeval {
        let whole = Int(seconds)
        return timeval(tv_sec: whole, tv_usec: Int((seconds - Double(whole)) * 1_000_000))
    }
}

func pollRetryingEINTR(_ pfd: inout pollfd, milliseconds: Int32) -> Int32 {
    while true {
        let rc = poll(&pfd, 1, milliseconds)
        if rc < 0 && errno == EINTR { continue }
        return rc
    }
}
