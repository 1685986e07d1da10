import KeyDBRESP

/// BITCOUNT and BITPOS: counting and finding bits over a range of a string,
/// given in bytes or (Redis 7) in bits.
enum BitCountCommands {
    /// BITCOUNT key [start end [BYTE|BIT]]
    static func bitcount(_ c: ClientSession, _ args: Arguments) {
        // As Redis: a missing key answers 0 before any argument is looked at.
        guard let found = c.readString(args[1]) else { return }
        guard let value = found else { return c.reply.writeIntegerReply(0) }
        var range: BitRange
        if args.count == 4 || args.count == 5 {
            guard let start = args.int64(2), let end = args.int64(3) else { return c.replyError(ErrorReply.notInteger) }
            if start < 0 && end < 0 && start > end { return c.reply.writeIntegerReply(0) }
            guard let inBits = unitIsBit(args, 4) else { return c.replyError(ErrorReply.syntax) }
            range = BitRange(start: start, end: end, length: value.count, inBits: inBits)
        } else if args.count == 2 {
            range = BitRange(wholeOf: value.count)
        } else {
            return c.replyError(ErrorReply.syntax)
        }
        guard range.start <= range.end else { return c.reply.writeIntegerReply(0) }
        let count = value.withUnsafeBytes { bytes -> Int in
            let first = Int(range.start), last = Int(range.end)
            var total = popcount(UnsafeRawBufferPointer(rebasing: bytes[first...last]))
            // Bits of the edge bytes outside a bit range.
            total -= (bytes[first] & range.firstMask).nonzeroBitCount
            total -= (bytes[last] & range.lastMask).nonzeroBitCount
            return total
        }
        c.reply.writeIntegerReply(count)
    }

    /// BITPOS key bit [start [end [BYTE|BIT]]]
    static func bitpos(_ c: ClientSession, _ args: Arguments) {
        guard let bitArgument = args.int64(2) else { return c.replyError(ErrorReply.notInteger) }
        guard bitArgument == 0 || bitArgument == 1 else { return c.replyError(ErrorReply.bitposBitNotBinary) }
        let bit = UInt8(bitArgument)
        // A missing key is an endless run of zero bits.
        guard let found = c.readString(args[1]) else { return }
        guard let value = found else { return c.reply.writeIntegerReply(bit == 1 ? -1 : 0) }
        var range: BitRange
        var endGiven = false
        if (4...6).contains(args.count) {
            guard let start = args.int64(3) else { return c.replyError(ErrorReply.notInteger) }
            guard let inBits = unitIsBit(args, 5) else { return c.replyError(ErrorReply.syntax) }
            var end = Int64.max  // the end of the string
            if args.count >= 5 {
                guard let given = args.int64(4) else { return c.replyError(ErrorReply.notInteger) }
                end = given
                endGiven = true
            }
            range = BitRange(start: start, end: end, length: value.count, inBits: inBits)
        } else if args.count == 3 {
            range = BitRange(wholeOf: value.count)
        } else {
            return c.replyError(ErrorReply.syntax)
        }
        guard range.start <= range.end else { return c.reply.writeIntegerReply(-1) }
        let position = value.withUnsafeBytes { search($0, for: bit, in: range, endGiven: endGiven) }
        c.reply.writeIntegerReply(position)
    }

    // MARK: - Ranges

    /// A byte range [start, end] of a string; in bit mode the edge masks mark the
    /// bits of the first and last byte that lie outside the range.
    struct BitRange {
        var start: Int64
        var end: Int64
        var firstMask: UInt8 = 0
        var lastMask: UInt8 = 0

        init(wholeOf length: Int) {
            start = 0
            end = Int64(length) - 1
        }

        /// Negative indexes count from the end; both are clamped into the string.
        init(start: Int64, end: Int64, length: Int, inBits: Bool) {
            let total = inBits ? Int64(length) << 3 : Int64(length)
            var start = start < 0 ? start + total : start
            var end = end < 0 ? end + total : end
            if start < 0 { start = 0 }
            if end < 0 { end = 0 }
            if end >= total { end = total - 1 }
            if inBits && start <= end {
                firstMask = ~UInt8(truncatingIfNeeded: (1 << (8 - (start & 7))) - 1)
                lastMask = UInt8(truncatingIfNeeded: (1 << (7 - (end & 7))) - 1)
                start >>= 3
                end >>= 3
            }
            self.start = start
            self.end = end
        }
    }

    /// The optional BYTE|BIT word at `index`: true for BIT, nil when it is neither.
    private static func unitIsBit(_ args: Arguments, _ index: Int) -> Bool? {
        guard index < args.count else { return false }
        if args.matches(index, "bit") { return true }
        if args.matches(index, "byte") { return false }
        return nil
    }

    // MARK: - Counting and searching

    static func popcount(_ bytes: UnsafeRawBufferPointer) -> Int {
        var total = 0
        var index = 0
        while index + 8 <= bytes.count {
            total += bytes.loadUnaligned(fromByteOffset: index, as: UInt64.self).nonzeroBitCount
            index += 8
        }
        while index < bytes.count {
            total += bytes[index].nonzeroBitCount
            index += 1
        }
        return total
    }

    /// Redis's `redisBitpos`: where the first bit equal to `bit` is, counting the
    /// string as followed by zero bits: -1 when a 1 is sought and none is there,
    /// the bit just past the end when a 0 is sought in bytes that are all ones.
    static func firstBit(_ bytes: UnsafeRawBufferPointer, _ bit: UInt8) -> Int64 {
        let skipByte: UInt8 = bit == 1 ? 0 : 0xFF
        var index = 0
        while index + 8 <= bytes.count,
              bytes.loadUnaligned(fromByteOffset: index, as: UInt64.self) == (bit == 1 ? 0 : UInt64.max) {
            index += 8
        }
        while index < bytes.count && bytes[index] == skipByte { index += 1 }
        guard index < bytes.count else { return bit == 1 ? -1 : Int64(bytes.count) << 3 }
        let byte = bit == 1 ? bytes[index] : ~bytes[index]
        return Int64(index) << 3 + Int64(byte.leadingZeroBitCount)
    }

    /// BITPOS over a non-empty range: the partial first byte, the whole bytes, then
    /// the partial last byte, as Redis walks them, so the "no 0 in a range that was
    /// given an end" answer (-1) comes out the same.
    private static func search(_ bytes: UnsafeRawBufferPointer, for bit: UInt8, in range: BitRange, endGiven: Bool) -> Int64 {
        var start = Int(range.start)
        var remaining = Int(range.end - range.start) + 1
        /// A single byte with the bits outside the range set to the value not sought.
        func edge(_ byte: UInt8, _ mask: UInt8) -> UInt8 { bit == 1 ? byte & ~mask : byte | mask }
        func single(_ byte: UInt8) -> Int64 { withUnsafeBytes(of: byte) { firstBit($0, bit) } }
        var position: Int64 = -1
        searching: do {
            if range.firstMask != 0 {
                var byte = edge(bytes[start], range.firstMask)
                if range.lastMask != 0 && remaining == 1 { byte = edge(byte, range.lastMask) }
                position = single(byte)
                if remaining == 1 || (position != -1 && position != 8) { break searching }
                start += 1
                remaining -= 1
            }
            let whole = remaining - (range.lastMask != 0 ? 1 : 0)
            if whole > 0 {
                position = firstBit(UnsafeRawBufferPointer(rebasing: bytes[start..<(start + whole)]), bit)
                if remaining == whole || (position != -1 && position != Int64(whole) << 3) { break searching }
                start += whole
                remaining -= whole
            }
            position = single(edge(bytes[Int(range.end)], range.lastMask))
        }
        // With an explicit end the bits after the range are not zeros to be found.
        if endGiven && bit == 0 && position == Int64(remaining) << 3 { return -1 }
        return position == -1 ? -1 : position + Int64(start) << 3
    }
}
