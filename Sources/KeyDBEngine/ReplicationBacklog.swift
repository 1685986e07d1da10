import NIOCore

/// The last `size` bytes of the replication stream (Redis's repl_backlog): a
/// replica that reconnects asks for the stream from the byte it lacks, and
/// gets it from here (PSYNC's +CONTINUE) instead of a whole new snapshot.
///
/// Offsets are the master's: the stream's first byte ever is offset 1, and
/// `end` is the offset of the last byte written (master_repl_offset).
struct ReplicationBacklog {
    private var ring: [UInt8]
    /// Where the next byte goes in `ring`.
    private var head = 0
    /// Bytes of history held (repl_backlog_histlen).
    private(set) var length = 0
    /// Offset of the last byte written.
    private(set) var end: Int64

    init(size: Int, end: Int64) {
        ring = [UInt8](repeating: 0, count: max(1, size))
        self.end = end
    }

    var size: Int { ring.count }

    /// Offset of the oldest byte held (repl_backlog_first_byte_offset).
    var firstOffset: Int64 { end - Int64(length) + 1 }

    mutating func append(_ bytes: UnsafeRawBufferPointer) {
        end += Int64(bytes.count)
        // Only the last `size` bytes can stay.
        let kept = bytes.count > ring.count ? UnsafeRawBufferPointer(rebasing: bytes.suffix(ring.count)) : bytes
        ring.withUnsafeMutableBytes { ringBytes in
            let first = min(kept.count, ringBytes.count - head)
            ringBytes.baseAddress!.advanced(by: head).copyMemory(from: kept.baseAddress!, byteCount: first)
            if first < kept.count {
                ringBytes.baseAddress!.copyMemory(from: kept.baseAddress!.advanced(by: first), byteCount: kept.count - first)
            }
        }
        head = (head + kept.count) % ring.count
        length = min(ring.count, length + bytes.count)
    }

    /// Whether the bytes from `offset` to `end` are all held (an offset one past `end`: nothing to send).
    func holds(from offset: Int64) -> Bool {
        offset >= firstOffset && offset <= end + 1
    }

    /// The bytes from `offset` to `end`, which must be held.
    func bytes(from offset: Int64, into buffer: inout ByteBuffer) {
        let count = Int(end - offset + 1)
        guard count > 0 else { return }
        let start = (head - count + ring.count) % ring.count
        ring.withUnsafeBytes { ringBytes in
            let first = min(count, ringBytes.count - start)
            buffer.writeBytes(UnsafeRawBufferPointer(rebasing: ringBytes[start..<start + first]))
            if first < count { buffer.writeBytes(UnsafeRawBufferPointer(rebasing: ringBytes[0..<count - first])) }
        }
    }

    /// CONFIG SET repl-backlog-size: the newest history that fits is kept.
    mutating func resize(to size: Int) {
        guard size != ring.count else { return }
        var kept = ByteBufferAllocator().buffer(capacity: length)
        bytes(from: end - Int64(min(length, size)) + 1, into: &kept)
        let end = self.end
        self = ReplicationBacklog(size: size, end: end - Int64(kept.readableBytes))
        kept.withUnsafeReadableBytes { append($0) }
    }
}
