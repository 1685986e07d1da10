#if canImport(Glibc)
import Glibc
#endif

/// A file written front to back through a buffer (snapshots, rewritten logs).
final class BufferedFile {
    let path: String
    private let fd: Int32
    private var buffer: [UInt8] = []
    private static let flushThreshold = 1 << 20

    init(creating path: String) throws {
        self.path = path
        fd = try FileIO.create(path)
        buffer.reserveCapacity(Self.flushThreshold + 64 * 1024)
    }

    deinit { close(fd) }

    func write(_ bytes: UnsafeRawBufferPointer) throws {
        buffer.append(contentsOf: bytes)
        if buffer.count >= Self.flushThreshold { try flush() }
    }

    func write(_ bytes: some Sequence<UInt8>) throws {
        buffer.append(contentsOf: bytes)
        if buffer.count >= Self.flushThreshold { try flush() }
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
