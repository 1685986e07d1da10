import NIOCore

/// The RESP2 reply encoder: every reply is written straight into the
/// connection's output buffer, with no intermediate values. Each reply is one
/// reserved write through a raw pointer: NIO's per-write bookkeeping (and its
/// exclusivity checks, compiled into NIOCore) is paid once per reply, not once
/// per marker, number and CRLF.
extension ByteBuffer {
    /// `+text\r\n`
    @inlinable public mutating func writeSimpleString(_ text: StaticString) {
        writeFramed(UInt8(ascii: "+"), UnsafeRawBufferPointer(start: text.utf8Start, count: text.utf8CodeUnitCount))
    }

    /// `+text\r\n` for text built at run time (INFO-like status lines).
    @inlinable public mutating func writeSimpleString(_ text: String) {
        var text = text
        text.withUTF8 { writeFramed(UInt8(ascii: "+"), UnsafeRawBufferPointer($0)) }
    }

    /// `-text\r\n`; `text` starts with the error code (`ERR`, `WRONGTYPE`, ...).
    @inlinable public mutating func writeError(_ text: String) {
        var text = text
        text.withUTF8 { writeFramed(UInt8(ascii: "-"), UnsafeRawBufferPointer($0)) }
    }

    /// `-text\r\n` from bytes.
    @inlinable public mutating func writeError<Bytes: Sequence>(bytes text: Bytes) where Bytes.Element == UInt8 {
        let written: Void? = text.withContiguousStorageIfAvailable { writeFramed(UInt8(ascii: "-"), UnsafeRawBufferPointer($0)) }
        if written == nil { Array(text).withUnsafeBytes { writeFramed(UInt8(ascii: "-"), $0) } }
    }

    /// `:n\r\n`
    @inlinable public mutating func writeIntegerReply(_ value: Int64) {
        writeHeader(UInt8(ascii: ":"), value)
    }

    /// `:n\r\n`
    @inlinable public mutating func writeIntegerReply(_ value: Int) {
        writeHeader(UInt8(ascii: ":"), Int64(value))
    }

    /// `$len\r\nbytes\r\n`
    @inlinable public mutating func writeBulk(_ bytes: UnsafeRawBufferPointer) {
        writeWithUnsafeMutableBytes(minimumWritableBytes: bytes.count + RESPFrame.headerCapacity + 2) { buffer in
            var out = RESPFrame.storeHeader(UInt8(ascii: "$"), Int64(bytes.count), at: buffer.baseAddress!)
            out = RESPFrame.store(bytes, at: out)
            return RESPFrame.storeCRLF(at: out) - buffer.baseAddress!
        }
    }

    /// `$len\r\nbytes\r\n`
    @inlinable public mutating func writeBulk(_ bytes: [UInt8]) {
        bytes.withUnsafeBytes { writeBulk($0) }
    }

    /// `$len\r\ntext\r\n`
    @inlinable public mutating func writeBulk(_ text: String) {
        var text = text
        text.withUTF8 { writeBulk(UnsafeRawBufferPointer($0)) }
    }

    /// A bulk reply holding an integer's decimal text (as Redis replies for numbers stored in strings).
    @inlinable public mutating func writeBulkDecimal(_ value: Int64) {
        withDecimalDigits(value) { writeBulk($0) }
    }

    /// `$-1\r\n`: the null bulk reply.
    @inlinable public mutating func writeNullBulk() {
        writeRaw("$-1\r\n")
    }

    /// `*-1\r\n`: the null array reply.
    @inlinable public mutating func writeNullArray() {
        writeRaw("*-1\r\n")
    }

    /// `*count\r\n`, followed by `count` replies.
    @inlinable public mutating func writeArrayHeader(_ count: Int) {
        writeHeader(UInt8(ascii: "*"), Int64(count))
    }

    /// `<marker><value>\r\n`: integer replies and array or bulk headers.
    @inlinable public mutating func writeHeader(_ marker: UInt8, _ value: Int64) {
        writeWithUnsafeMutableBytes(minimumWritableBytes: RESPFrame.headerCapacity) { buffer in
            RESPFrame.storeHeader(marker, value, at: buffer.baseAddress!) - buffer.baseAddress!
        }
    }

    /// `<marker>text\r\n`. In an error, CR and LF become spaces, as Redis does:
    /// errors may quote what the client sent, and a line break would end the reply early.
    @inlinable mutating func writeFramed(_ marker: UInt8, _ text: UnsafeRawBufferPointer) {
        writeWithUnsafeMutableBytes(minimumWritableBytes: text.count + 3) { buffer in
            let start = buffer.baseAddress!
            start.storeBytes(of: marker, as: UInt8.self)
            let end = RESPFrame.store(text, at: start + 1)
            if marker == UInt8(ascii: "-") {
                let body = UnsafeMutableRawBufferPointer(start: start + 1, count: text.count)
                for i in body.indices where body[i] == 13 || body[i] == 10 { body[i] = 32 }
            }
            return RESPFrame.storeCRLF(at: end) - start
        }
    }

    /// Fixed reply text, as is.
    @inlinable mutating func writeRaw(_ text: StaticString) {
        let bytes = UnsafeRawBufferPointer(start: text.utf8Start, count: text.utf8CodeUnitCount)
        writeWithUnsafeMutableBytes(minimumWritableBytes: bytes.count) { buffer in
            RESPFrame.store(bytes, at: buffer.baseAddress!) - buffer.baseAddress!
        }
    }
}

/// Raw-pointer pieces of RESP frames, for encoders that reserve space once.
public enum RESPFrame {
    /// Room for a marker, a 20-character Int64 and CRLF.
    public static let headerCapacity = 23

    /// Stores `<marker><value>\r\n` at `out` (room for `headerCapacity` bytes); returns the end.
    @inlinable @inline(__always)
    public static func storeHeader(_ marker: UInt8, _ value: Int64, at out: UnsafeMutableRawPointer) -> UnsafeMutableRawPointer {
        out.storeBytes(of: marker, as: UInt8.self)
        return storeCRLF(at: storeDecimal(value, at: out + 1))
    }

    /// Stores `value` in decimal at `out`; returns the end.
    @inlinable @inline(__always)
    public static func storeDecimal(_ value: Int64, at out: UnsafeMutableRawPointer) -> UnsafeMutableRawPointer {
        var out = out
        if value < 0 {
            out.storeBytes(of: UInt8(ascii: "-"), as: UInt8.self)
            out += 1
        }
        var magnitude = value.magnitude
        var digits = 1
        var limit: UInt64 = 10
        while digits < 20 && magnitude >= limit {
            digits += 1
            limit &*= 10
        }
        var position = digits
        repeat {
            position -= 1
            (out + position).storeBytes(of: UInt8(truncatingIfNeeded: 48 + magnitude % 10), as: UInt8.self)
            magnitude /= 10
        } while position > 0
        return out + digits
    }

    @inlinable @inline(__always)
    public static func store(_ bytes: UnsafeRawBufferPointer, at out: UnsafeMutableRawPointer) -> UnsafeMutableRawPointer {
        if bytes.count > 0 { out.copyMemory(from: bytes.baseAddress!, byteCount: bytes.count) }
        return out + bytes.count
    }

    @inlinable @inline(__always)
    public static func storeCRLF(at out: UnsafeMutableRawPointer) -> UnsafeMutableRawPointer {
        out.storeBytes(of: 13, as: UInt8.self)
        (out + 1).storeBytes(of: 10, as: UInt8.self)
        return out + 2
    }
}

/// Calls `body` with the decimal digits of `value` in a stack buffer.
@inlinable public func withDecimalDigits<R>(_ value: Int64, _ body: (UnsafeRawBufferPointer) -> R) -> R {
    withUnsafeTemporaryAllocation(of: UInt8.self, capacity: 20) { digits in
        var magnitude = value.magnitude
        var position = 20
        repeat {
            position -= 1
            digits[position] = UInt8(truncatingIfNeeded: 48 + magnitude % 10)
            magnitude /= 10
        } while magnitude != 0
        if value < 0 {
            position -= 1
            digits[position] = UInt8(ascii: "-")
        }
        return body(UnsafeRawBufferPointer(rebasing: UnsafeMutableRawBufferPointer(digits)[position..<20]))
    }
}
