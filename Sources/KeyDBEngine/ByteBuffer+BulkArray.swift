import KeyDBRESP
import NIOCore

extension ByteBuffer {
    /// Writes `*count` and every element as a bulk string in one pass: the
    /// space is reserved once and filled through a raw pointer, which keeps
    /// LRANGE-style replies from paying per-element buffer bookkeeping.
    mutating func writeBulkArray<C: Collection>(_ elements: C, marker: UInt8 = UInt8(ascii: "*")) where C.Element == Bytes {
        writeBulkArray(count: elements.count, marker: marker) { body in
            for element in elements { element.withUnsafeBytes(body) }
        }
    }

    /// LRANGE's reply: the list's elements at `positions`, read in place.
    mutating func writeBulkArray(_ list: Quicklist, _ positions: Range<Int>) {
        writeBulkArray(count: positions.count) { list.forEachElement(in: positions, $0) }
    }

    /// The one-pass writer: `forEach` hands each element's bytes to its argument,
    /// the same elements each of the two times it is called.
    /// `marker` opens the aggregate: `*` for an array, RESP3's `~` for a set.
    private mutating func writeBulkArray(count: Int, marker: UInt8 = UInt8(ascii: "*"),
                                         _ forEach: ((UnsafeRawBufferPointer) -> Void) -> Void) {
        var total = RESPFrame.headerCapacity
        forEach { total += $0.count + RESPFrame.headerCapacity + 2 }
        writeWithUnsafeMutableBytes(minimumWritableBytes: total) { buffer in
            var out = buffer.baseAddress!
            out = RESPFrame.storeHeader(marker, Int64(count), at: out)
            forEach { element in
                out = RESPFrame.storeHeader(UInt8(ascii: "$"), Int64(element.count), at: out)
                out = RESPFrame.store(element, at: out)
                out = RESPFrame.storeCRLF(at: out)
            }
            return out - buffer.baseAddress!
        }
    }
}
