import NIOCore

/// The frames RESP3 adds to RESP2's, for clients that chose protocol 3 with
/// HELLO. Which frame a reply uses is the engine's choice; these only encode.
extension ByteBuffer {
    /// `_\r\n`: RESP3's one null, for both a missing string and a missing array.
    @inlinable public mutating func writeRESP3Null() {
        writeRaw("_\r\n")
    }

    /// `%pairs\r\n`, followed by `2 × pairs` replies: keys and values in turn.
    @inlinable public mutating func writeMapHeader(_ pairs: Int) {
        writeHeader(UInt8(ascii: "%"), Int64(pairs))
    }

    /// `~count\r\n`, followed by `count` replies with no order.
    @inlinable public mutating func writeSetHeader(_ count: Int) {
        writeHeader(UInt8(ascii: "~"), Int64(count))
    }

    /// `>count\r\n`: out-of-band data (pub/sub messages), followed by `count` replies.
    @inlinable public mutating func writePushHeader(_ count: Int) {
        writeHeader(UInt8(ascii: ">"), Int64(count))
    }

    /// `|pairs\r\n`: attributes (a map) about the reply that follows them.
    @inlinable public mutating func writeAttributeHeader(_ pairs: Int) {
        writeHeader(UInt8(ascii: "|"), Int64(pairs))
    }

    /// `#t\r\n` or `#f\r\n`.
    @inlinable public mutating func writeBoolean(_ value: Bool) {
        if value { writeRaw("#t\r\n") } else { writeRaw("#f\r\n") }
    }

    /// `,text\r\n`: a double, `text` already formatted.
    @inlinable public mutating func writeDouble(text: UnsafeRawBufferPointer) {
        writeFramed(UInt8(ascii: ","), text)
    }

    /// `(digits\r\n`: a big number, `digits` already checked.
    @inlinable public mutating func writeBigNumber(_ digits: UnsafeRawBufferPointer) {
        writeFramed(UInt8(ascii: "("), digits)
    }

    /// `=len\r\nfmt:text\r\n`: a verbatim string; `format` is three characters (`txt`, `mkd`).
    @inlinable public mutating func writeVerbatim(_ text: UnsafeRawBufferPointer, format: StaticString = "txt") {
        writeHeader(UInt8(ascii: "="), Int64(text.count + 4))
        writeWithUnsafeMutableBytes(minimumWritableBytes: text.count + 6) { buffer in
            var out = RESPFrame.store(UnsafeRawBufferPointer(start: format.utf8Start, count: 3), at: buffer.baseAddress!)
            out.storeBytes(of: UInt8(ascii: ":"), as: UInt8.self)
            out = RESPFrame.store(text, at: out + 1)
            return RESPFrame.storeCRLF(at: out) - buffer.baseAddress!
        }
    }
}
