import NIOCore

/// The RESP2 reply encoder: every reply is written straight into the
/// connection's output buffer, with no intermediate values.
extension ByteBuffer {
    /// `+text\r\n`
    @inlinable public mutating func writeSimpleString(_ text: StaticString) {
        writeInteger(UInt8(ascii: "+"))
        writeStaticString(text)
        writeCRLF()
    }

    /// `+text\r\n` for text built at run time (INFO-like status lines).
    @inlinable public mutating func writeSimpleString(_ text: String) {
        writeInteger(UInt8(ascii: "+"))
        writeString(text)
        writeCRLF()
    }

    /// `-text\r\n`; `text` starts with the error code (`ERR`, `WRONGTYPE`, ...).
    @inlinable public mutating func writeError(_ text: String) {
        writeInteger(UInt8(ascii: "-"))
        writeString(text)
        writeCRLF()
    }

    /// `-text\r\n` from bytes.
    @inlinable public mutating func writeError<Bytes: Sequence>(bytes text: Bytes) where Bytes.Element == UInt8 {
        writeInteger(UInt8(ascii: "-"))
        writeBytes(text)
        writeCRLF()
    }

    /// `:n\r\n`
    @inlinable public mutating func writeIntegerReply(_ value: Int64) {
        writeInteger(UInt8(ascii: ":"))
        writeDecimal(value)
        writeCRLF()
    }

    /// `:n\r\n`
    @inlinable public mutating func writeIntegerReply(_ value: Int) {
        writeIntegerReply(Int64(value))
    }

    /// `$len\r\nbytes\r\n`
    @inlinable public mutating func writeBulk(_ bytes: UnsafeRawBufferPointer) {
        reserveCapacity(minimumWritableBytes: bytes.count + 24)
        writeInteger(UInt8(ascii: "$"))
        writeDecimal(Int64(bytes.count))
        writeCRLF()
        writeBytes(bytes)
        writeCRLF()
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
        writeStaticString("$-1\r\n")
    }

    /// `*-1\r\n`: the null array reply.
    @inlinable public mutating func writeNullArray() {
        writeStaticString("*-1\r\n")
    }

    /// `*count\r\n`, followed by `count` replies.
    @inlinable public mutating func writeArrayHeader(_ count: Int) {
        writeInteger(UInt8(ascii: "*"))
        writeDecimal(Int64(count))
        writeCRLF()
    }

    @inlinable public mutating func writeCRLF() {
        writeInteger(UInt16(0x0D0A))  // big-endian: '\r' then '\n'
    }

    /// Writes `value` in decimal without allocating.
    @inlinable public mutating func writeDecimal(_ value: Int64) {
        if value >= 0 && value < 10 {
            writeInteger(UInt8(truncatingIfNeeded: 48 + value))
            return
        }
        _ = withDecimalDigits(value) { writeBytes($0) }
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
