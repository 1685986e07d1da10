#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif

/// The snapshot of a full resynchronization, written to a file in the data
/// directory as it arrives: a known size (`$<size>`), or everything up to the
/// 40-byte mark a diskless master ends it with (`$EOF:<mark>`), which is cut off.
final class SnapshotTransfer {
    static let markLength = 40

    struct Failure: Error, CustomStringConvertible {
        let description: String
        init(_ call: String) { description = "\(call): \(String(cString: strerror(errno)))" }
    }

    let path: String
    private var descriptor: CInt
    /// Bytes still to come, for a snapshot of known size.
    private var remaining: Int64?
    private let mark: [UInt8]?
    /// The last bytes received (up to the mark's length), to recognise the mark.
    private var tail: [UInt8] = []
    private(set) var received: Int64 = 0
    private(set) var isComplete = false

    init?(path: String, size: Int64?, mark: [UInt8]?) {
        descriptor = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o644)
        guard descriptor >= 0 else { return nil }
        self.path = path
        self.remaining = size
        self.mark = mark
        isComplete = size == 0
    }

    /// Writes the part of `bytes` that belongs to the snapshot; returns how many bytes that was.
    func write(_ bytes: UnsafeRawBufferPointer) throws -> Int {
        let count = remaining.map { Int(min(Int64(bytes.count), $0)) } ?? bytes.count
        var written = 0
        while written < count {
            let result = Glibc.write(descriptor, bytes.baseAddress! + written, count - written)
            if result < 0 && errno == EINTR { continue }
            guard result > 0 else { throw Failure("write") }
            written += result
        }
        received += Int64(count)
        if let left = remaining {
            remaining = left - Int64(count)
            isComplete = remaining == 0
        } else if let mark {
            // A diskless master sends nothing after the mark until it has our first
            // acknowledgement, so the mark ends the bytes read.
            tail.append(contentsOf: bytes[max(0, count - mark.count)..<count])
            if tail.count > mark.count { tail.removeFirst(tail.count - mark.count) }
            isComplete = tail == mark
        }
        return count
    }

    /// The file is whole: the mark is cut off, and it is synced and closed.
    func finish() throws {
        defer { closeDescriptor() }
        if mark != nil && ftruncate(descriptor, off_t(received) - off_t(Self.markLength)) != 0 { throw Failure("ftruncate") }
        if fsync(descriptor) != 0 { throw Failure("fsync") }
    }

    /// The transfer failed or the link went: the file goes.
    func abandon() {
        closeDescriptor()
        unlink(path)
    }

    private func closeDescriptor() {
        guard descriptor >= 0 else { return }
        close(descriptor)
        descriptor = -1
    }
}
