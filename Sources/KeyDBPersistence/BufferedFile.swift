#if canImport(Glibc)
import Glibc
#endif

/// A file written front to back through a buffer (snapshots, rewritten logs), or
/// a pipe (a snapshot streamed to replicas).
final class BufferedFile {
    /// What error messages call it.
    let path: String
    private let fd: Int32
    private var buffer: [UInt8] = []
    private let flushThreshold: Int

    init(creating path: String) throws {
        self.path = path
        fd = try FileIO.create(path)
        flushThreshold = 1 << 20
        buffer.reserveCapacity(flushThreshold + 64 * 1024)
    }

    /// Takes over `descriptor` (closed with this object).
    init(writingTo descriptor: Int32, name: String, flushingAt threshold: Int) {
        path = name
        fd = descriptor
        flushThreshold = threshold
        buffer.reserveCapacity(threshold + 64 * 1024)
    }

    deinit { close(fd) }

    func write(_ bytes: UnsafeRawBufferPointer) throws {
        buffer.append(contentsOf: bytes)
        if buffer.count >= flushThreshold { try flush() }
    }

    func write(_ bytes: some Sequence<UInt8>) throws {
        buffer.append(contentsOf: bytes)
        if buffer.count >= flushThreshold { try flush() }
    }

    func flush() throws {
        try buffer.withUnsafeBytes { bytes in try FileIO.writeAll(fd, bytes, path: path) }
        buffer.removeAll(keepingCapacity: true)
    }

    /// Flushes and syncs: the file is complete on disk.
    func finish() throws {
        try flush()
        try FileIO.sync(fd, path: path)
    }
}
