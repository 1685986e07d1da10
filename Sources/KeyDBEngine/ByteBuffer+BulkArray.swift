import KeyDBRESP
import NIOCore

extension ByteBuffer {
    /// Writes `*count` and every element as a bulk string in one pass: the
    /// space is reserved once and filled through a raw pointer, which keeps
    /// LRANGE-style replies from paying per-element buffer bookkeeping.
    mutating func writeBulkArray<C: Collection>(_ elements: C) where C.Element == Bytes {
        var total = 16
        for element in elements { total += element.count + 16 }
        writeWithUnsafeMutableBytes(minimumWritableBytes: total) { buffer in
            var out = buffer.baseAddress!
            out = writeHeader(UInt8(ascii: "*"), elements.count, to: out)
            for element in elements {
                out = writeHeader(UInt8(ascii: "$"), element.count, to: out)
                element.withUnsafeBytes { bytes in
                    if bytes.count > 0 { out.copyMemory(from: bytes.baseAddress!, byteCount: bytes.count) }
                    out += bytes.count
                }
                out = storeCRLF(to: out)
            }
            return out - buffer.baseAddress!
        }
    }
}

/// Writes `<marker><count>\r\n` at `out`; returns the position after it.
@inline(__always)
private func writeHeader(_ marker: UInt8, _ count: Int, to out: UnsafeMutableRawPointer) -> UnsafeMutableRawPointer {
    var out = out
    out.storeBytes(of: marker, as: UInt8.self)
    out += 1
    withDecimalDigits(Int64(count)) { digits in
        out.copyMemory(from: digits.baseAddress!, byteCount: digits.count)
        out += digits.count
    }
    return storeCRLF(to: out)
}

@inline(__always)
private func storeCRLF(to out: UnsafeMutableRawPointer) -> UnsafeMutableRawPointer {
    out.storeBytes(of: 13, as: UInt8.self)
    (out + 1).storeBytes(of: 10, as: UInt8.self)
    return out + 2
}
