import KeyDBRESP
import NIOCore

extension ByteBuffer {
    /// Writes `*count` and every element as a bulk string in one pass: the
    /// space is reserved once and filled through a raw pointer, which keeps
    /// LRANGE-style replies from paying per-element buffer bookkeeping.
    mutating func writeBulkArray<C: Collection>(_ elements: C) where C.Element == Bytes {
        var total = RESPFrame.headerCapacity
        for element in elements { total += element.count + RESPFrame.headerCapacity + 2 }
        writeWithUnsafeMutableBytes(minimumWritableBytes: total) { buffer in
            var out = buffer.baseAddress!
            out = RESPFrame.storeHeader(UInt8(ascii: "*"), Int64(elements.count), at: out)
            for element in elements {
                out = RESPFrame.storeHeader(UInt8(ascii: "$"), Int64(element.count), at: out)
                out = element.withUnsafeBytes { RESPFrame.store($0, at: out) }
                out = RESPFrame.storeCRLF(at: out)
            }
            return out - buffer.baseAddress!
        }
    }
}
