import KeyDBStorage
import NIOConcurrencyHelpers
import NIOPosix

#if canImport(Glibc)
import Glibc
#endif

/// Under `appendfsync always` the fsync is on every reply's path, and an fsync
/// that makes a file longer also commits the new size to the file system's
/// journal: about 150 µs here against 95 µs for one that only overwrites
/// blocks the file already has. So a file written under `always` is kept a
/// little longer than its records, and each write overwrites that tail. The
/// price is that the tail's bytes are written twice (filler, then records).
///
/// The tail is filler that Redis's own loader and redis-check-aof skip: lines
/// of `#`, which they read as annotations, ending at multiples of 64 in the
/// file (a write cut short at a page boundary still ends with a newline). A
/// file with a tail loads in Redis as it is; a clean close cuts the tail off.
///
/// Overwriting in place loses one guarantee appending had: after a power
/// loss, a write that was not yet synced can be torn anywhere, not only cut
/// short (the file's size no longer hides it). So each write is one batch
/// preceded by a header with its length and CRC-64, and the loader keeps
/// only batches that check out (see `AOFLoader`). Every batch written since
/// the last fsync can be torn, and the disk may have kept a later one and
/// not an earlier: the log ends at the first bad batch.
enum LogPreallocation {
    /// One line of filler: 63 `#` and a newline (well under Redis's 1024-byte annotation line).
    static let fillerLine: [UInt8] = Array(repeating: UInt8(ascii: "#"), count: 63) + [UInt8(ascii: "\n")]
    /// How much filler the tail grows by in the background (in whole lines). Small:
    /// the loop's fsync waits for filler the disk is still writing. Measured with
    /// SET under `always` at -P 16: 4 MB steps made the fsync's p99.9 2.7 ms and
    /// the clients' p99 4.0 ms; 512 KB steps 1.0 ms and 1.5 ms (Redis 1.5 and 2.6).
    static let extent = 1 << 19
    /// How much more than it needs a writer grows the tail by itself (in whole lines).
    static let step = 1 << 16

    /// `#CRC:<length>:<crc-64 in hex>\r\n`, written before a batch of `records`.
    static func header(for records: UnsafeRawBufferPointer) -> [UInt8] {
        var crc = CRC64()
        crc.update(records)
        let hex = String(crc.value, radix: 16)
        return Array("#CRC:\(records.count):\(String(repeating: "0", count: 16 - hex.count))\(hex)\r\n".utf8)
    }

    /// The batch a header line announces (`line`: the header, up to but not including its `\n`);
    /// nil when the line is not a batch header.
    static func batch(in bytes: UnsafeRawBufferPointer, line: Range<Int>) -> (length: Int, checksum: UInt64)? {
        let text = bytes[line]
        guard text.starts(with: prefix), text.last == UInt8(ascii: "\r") else { return nil }
        let fields = text.dropFirst(prefix.count).dropLast().split(separator: UInt8(ascii: ":"), omittingEmptySubsequences: false)
        guard fields.count == 2, fields[1].count == 16, !fields[0].isEmpty, fields[0].allSatisfy(digits.contains),
              let length = Int(String(decoding: fields[0], as: UTF8.self)),
              let checksum = UInt64(String(decoding: fields[1], as: UTF8.self), radix: 16) else { return nil }
        return (length, checksum)
    }

    /// Whether the line at `start` claims to be a batch header (it may be a damaged one).
    static func isBatchHeader(_ bytes: UnsafeRawBufferPointer, at start: Int) -> Bool {
        bytes[start...].starts(with: prefix)
    }

    /// Whether `range` holds only whole lines of filler (`#` alone) and the `#TS:<seconds>`
    /// annotations Redis writes with `aof-timestamp-enabled`.
    static func isFillerOrTimestamps(_ bytes: UnsafeRawBufferPointer, _ range: Range<Int>) -> Bool {
        let timestamp = Array("#TS:".utf8)
        var line = range.lowerBound
        while line < range.upperBound {
            guard let newline = bytes[line..<range.upperBound].firstIndex(of: UInt8(ascii: "\n")) else { return false }
            let text = bytes[line..<newline]
            let filler = text.allSatisfy { $0 == UInt8(ascii: "#") }
            let stamp = text.starts(with: timestamp) && text.last == UInt8(ascii: "\r") && text.count > timestamp.count + 1
                && text.dropFirst(timestamp.count).dropLast().allSatisfy(digits.contains)
            guard filler || stamp else { return false }
            line = newline + 1
        }
        return true
    }

    /// Whether `length` bytes from `start` are there and have `checksum`.
    static func verifies(_ bytes: UnsafeRawBufferPointer, from start: Int, length: Int, checksum: UInt64) -> Bool {
        guard length <= bytes.count - start else { return false }
        var crc = CRC64()
        crc.update(UnsafeRawBufferPointer(rebasing: bytes[start..<(start + length)]))
        return crc.value == checksum
    }

    private static let prefix = Array("#CRC:".utf8)
    private static let digits = UInt8(ascii: "0")...UInt8(ascii: "9")

    /// Whether the file begins with a batch header (it was begun under `always`).
    static func beginsWithBatch(_ fd: Int32) -> Bool {
        var first = [UInt8](repeating: 0, count: prefix.count)
        let count = first.withUnsafeMutableBytes { pread(fd, $0.baseAddress!, $0.count, 0) }
        return count == prefix.count && first == prefix
    }

    /// Where filler that covers at least up to `through` ends: a multiple of the line.
    static func fillerEnd(covering through: Int) -> Int { (through + 63) / 64 * 64 }

    /// Writes filler from `offset` to `end` (a multiple of 64): newlines at the
    /// multiples of 64 less one, except in the first byte (after a record, a lone
    /// newline would be an empty line, which Redis does not load).
    static func writeFiller(_ fd: Int32, from offset: Int, to end: Int) -> String? {
        let block = Array([[UInt8]](repeating: fillerLine, count: 1025).joined())
        var position = offset
        while position < end {
            let first = position % 64
            // Each write ends at a multiple of 64, so the file ends with a newline between them;
            // only the filler's first byte is `#` where the pattern has a newline.
            let piece = position == offset && first == 63
                ? fillerLine[0..<1] : block[first..<(first + min(block.count - 64 - first, end - position))]
            let (written, failure) = piece.withUnsafeBytes { FileIO.write(fd, $0, at: position) }
            if let failure { return failure }
            position += written
        }
        return nil
    }

    /// Where the records of a file of `size` bytes end: after its last `\r\n`
    /// (every record and annotation we or Redis write ends so; filler lines do
    /// not), if only filler follows. A file without a tail ends at `size`.
    static func contentEnd(_ fd: Int32, size: Int) -> Int {
        var end = size
        var block = [UInt8](repeating: 0, count: 64 * 1024)
        var following: UInt8? = nil  // the byte after the one looked at
        while end > 0 {
            let start = max(0, end - block.count)
            let count = block.withUnsafeMutableBytes { pread(fd, $0.baseAddress!, end - start, off_t(start)) }
            guard count == end - start else { return size }
            for i in stride(from: count - 1, through: 0, by: -1) {
                let byte = block[i]
                if byte == UInt8(ascii: "#") || byte == UInt8(ascii: "\n") {
                    following = byte
                    continue
                }
                // The first byte from the end that no filler has: a record's `\r` keeps its `\n`.
                return byte == UInt8(ascii: "\r") && following == UInt8(ascii: "\n") ? start + i + 2 : size
            }
            end = start
        }
        return 0
    }
}

/// The preallocated tail of one open file: where it ends, and its growth. The
/// tail grows on the log's sync thread, ahead of the writes, with an fsync of
/// its own, so the loop's fsync under `always` rarely has a new file size to
/// commit; only a writer that outruns it grows the tail itself.
final class PreallocatedTail: @unchecked Sendable {  // state guarded by `lock`
    /// Its own open file, not the log's: the kernel reports a failed write to one
    /// fsync per open file, so the log's fsync still hears of what ours hit.
    private let fd: Int32
    private let lock = NIOLock()
    /// Held while filler is written: a writer short of tail, and cutting, wait for it.
    private let growing = NIOLock()
    /// Where the file ends (a multiple of 64 once there is filler).
    private var end: Int
    private var growthScheduled = false
    private var stopped = false
    /// An fsync of the tail's own that failed. The kernel reports a lost write to
    /// one fsync only, so the log's next fsync must not pass for a success.
    private var syncFailure: String? = nil

    /// A tail for the file at `path`, whose records end at `end` (it has no tail yet);
    /// nil if the file cannot be opened again (the log then appends).
    init?(path: String, end: Int) {
        fd = open(path, O_RDWR | O_CLOEXEC)
        guard fd >= 0 else { return nil }
        self.end = end
    }

    deinit { close(fd) }

    /// Makes the file reach past `need` (the end of a batch and its `#`: a byte
    /// after it keeps the file ending in a newline), growing it here if the
    /// background has fallen behind, and asks `pool` for more once less than
    /// half an extent is left. Returns errno's text when the disk refused.
    func reserve(through need: Int, growingOn pool: NIOThreadPool) -> String? {
        if lock.withLock({ end }) <= need {
            let failure: String? = growing.withLock {
                let current = lock.withLock { end }
                guard current <= need else { return nil }
                let target = LogPreallocation.fillerEnd(covering: need + LogPreallocation.step)
                if let failure = LogPreallocation.writeFiller(fd, from: current, to: target) { return failure }
                lock.withLock { end = target }
                return nil
            }
            if let failure { return failure }
        }
        let schedule: Bool = lock.withLock {
            guard !growthScheduled, !stopped, end - need < LogPreallocation.extent / 2 else { return false }
            growthScheduled = true
            return true
        }
        // A pool shutting down hands over its queue as cancelled: the file may be closed by then.
        if schedule { pool.submit { state in if state == .active { self.grow() } } }
        return nil
    }

    private func grow() {
        growing.withLock {
            guard let start: Int = lock.withLock({ stopped ? nil : end }) else { return }
            let target = LogPreallocation.fillerEnd(covering: start + LogPreallocation.extent)
            // A failed write leaves its filler past `end`, where nothing reads it as records.
            let written = LogPreallocation.writeFiller(fd, from: start, to: target) == nil
            let synced = !written || fdatasync(fd) == 0
            let failure = synced ? nil : String(cString: strerror(errno))
            lock.withLock {
                growthScheduled = false
                if let failure { syncFailure = failure }
                if written && synced && !stopped { end = target }
            }
        }
    }

    /// The failure of an fsync of the tail's own since the last call, if any.
    func takeSyncFailure() -> String? {
        lock.withLock {
            defer { syncFailure = nil }
            return syncFailure
        }
    }

    enum CutFailure: Error {
        /// The file keeps its tail (which loads, and the next start cuts).
        case truncate(String)
        /// The fsync after it failed: as any failed fsync of the log.
        case sync(String)
    }

    /// Cuts the file back to its records (`length`), after any growth in progress,
    /// and ends the tail.
    func cut(to length: Int) -> CutFailure? {
        growing.withLock {
            lock.withLock { stopped = true }
            guard ftruncate(fd, off_t(length)) == 0 else { return .truncate(String(cString: strerror(errno))) }
            guard fdatasync(fd) == 0 else { return .sync(String(cString: strerror(errno))) }
            return nil
        }
    }

    /// Ends the tail without touching the file (it is being closed), after any growth in progress.
    func stop() { growing.withLock { lock.withLock { stopped = true } } }
}
