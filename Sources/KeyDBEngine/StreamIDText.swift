#if canImport(Glibc)
import Glibc
#endif
import KeyDBRESP
import KeyDBStorage
import NIOCore

/// Stream IDs as commands spell them: `<ms>-<seq>`, `<ms>` alone, `-` and `+`,
/// and for XADD `<ms>-*` (Redis's streamGenericParseIDOrReply).
enum StreamIDText {
    struct Parsed {
        var id: StreamID
        /// False for XADD's `<ms>-*`: the sequence is the server's to pick.
        var sequenceGiven = true
    }

    /// `missingSequence` fills in an ID given as `<ms>` alone; `strict` refuses `-` and `+`;
    /// `allowAutoSequence` accepts `<ms>-*`. Nil when invalid.
    static func parse(_ text: UnsafeRawBufferPointer, missingSequence: UInt64 = 0, strict: Bool = false,
                      allowAutoSequence: Bool = false) -> Parsed? {
        guard text.count <= 127 else { return nil }
        // Redis reads the argument as a C string: a NUL ends it.
        let end = text.firstIndex(of: 0) ?? text.count
        let bytes = UnsafeRawBufferPointer(rebasing: text[0..<end])
        if bytes.count == 1 && (bytes[0] == UInt8(ascii: "-") || bytes[0] == UInt8(ascii: "+")) {
            guard !strict else { return nil }
            return Parsed(id: bytes[0] == UInt8(ascii: "-") ? .zero : .max)
        }
        guard let dash = bytes.firstIndex(of: UInt8(ascii: "-")) else {
            guard let ms = unsignedDecimal(bytes) else { return nil }
            return Parsed(id: StreamID(ms: ms, seq: missingSequence))
        }
        guard let ms = unsignedDecimal(UnsafeRawBufferPointer(rebasing: bytes[0..<dash])) else { return nil }
        let rest = UnsafeRawBufferPointer(rebasing: bytes[(dash + 1)...])
        if allowAutoSequence && rest.count == 1 && rest[0] == UInt8(ascii: "*") {
            return Parsed(id: StreamID(ms: ms, seq: 0), sequenceGiven: false)
        }
        guard let seq = unsignedDecimal(rest) else { return nil }
        return Parsed(id: StreamID(ms: ms, seq: seq))
    }

    /// Redis's string2ull: a canonical non-negative integer, or failing that whatever
    /// strtoull accepts whole (leading blanks, a sign, leading zeros).
    static func unsignedDecimal(_ bytes: UnsafeRawBufferPointer) -> UInt64? {
        if let v = Int64(redisDecimal: bytes) { return v < 0 ? nil : UInt64(v) }
        guard !bytes.isEmpty else { return nil }
        var text = Array(bytes)
        text.append(0)
        return text.withUnsafeBufferPointer { buffer -> UInt64? in
            let start = UnsafeRawPointer(buffer.baseAddress!).assumingMemoryBound(to: CChar.self)
            var end: UnsafeMutablePointer<CChar>? = nil
            errno = 0
            let value = strtoull(start, &end, 10)
            guard errno != EINVAL, errno != ERANGE, let end, end.pointee == 0 else { return nil }
            return UInt64(value)
        }
    }

    /// An interval bound for XRANGE / XPENDING: `(` makes it exclusive (then `-`
    /// and `+` are refused). Returns the ID and whether it is exclusive.
    static func parseBound(_ text: UnsafeRawBufferPointer, missingSequence: UInt64) -> (id: StreamID, exclusive: Bool)? {
        if text.count > 1 && text[0] == UInt8(ascii: "(") {
            guard let parsed = parse(UnsafeRawBufferPointer(rebasing: text[1...]), missingSequence: missingSequence, strict: true) else { return nil }
            return (parsed.id, true)
        }
        guard let parsed = parse(text, missingSequence: missingSequence) else { return nil }
        return (parsed.id, false)
    }
}

extension ByteBuffer {
    mutating func writeBulk(_ id: StreamID) { writeBulk(id.text) }
}

extension StreamID {
    /// `<ms>-<seq>` in decimal, as replies spell an ID.
    var text: [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(41)
        Self.appendDecimal(ms, to: &out)
        out.append(UInt8(ascii: "-"))
        Self.appendDecimal(seq, to: &out)
        return out
    }

    private static func appendDecimal(_ v: UInt64, to out: inout [UInt8]) {
        let start = out.count
        var v = v
        repeat {
            out.append(UInt8(48 + v % 10))
            v /= 10
        } while v > 0
        out[start...].reverse()
    }
}
