#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif

/// A Unix socket's address (`sockaddr_un`): a file path, or an abstract name
/// (its first byte zero), for the `unixsocket` listener and systemd's notify socket.
struct UnixAddress {
    /// Bytes `sun_path` holds.
    static let capacity = MemoryLayout.size(ofValue: sockaddr_un().sun_path)
    private var storage = sockaddr_un()
    private let length: socklen_t

    /// Nil when `path` is empty or does not fit: a file path needs room for its
    /// terminating zero, an abstract name does not.
    init?(_ path: [UInt8]) {
        let abstract = path.first == 0
        guard !path.isEmpty, abstract ? path.count <= Self.capacity : path.count < Self.capacity else { return nil }
        storage.sun_family = sa_family_t(AF_UNIX)
        withUnsafeMutableBytes(of: &storage.sun_path) { $0.copyBytes(from: path) }
        // An abstract name is exactly its bytes; a file path ends at its zero.
        length = abstract ? socklen_t(MemoryLayout.offset(of: \sockaddr_un.sun_path)! + path.count)
                          : socklen_t(MemoryLayout<sockaddr_un>.size)
    }

    func withSockaddr<Result>(_ body: (UnsafePointer<sockaddr>, socklen_t) -> Result) -> Result {
        withUnsafePointer(to: storage) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { body($0, length) } }
    }
}
