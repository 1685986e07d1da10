import KeyDBRESP

/// Single-bit access to string values, and what every bit command shares
/// (Redis's bitops.c). Bit 0 is the most significant bit of the first byte.
/// BITCOUNT / BITPOS, BITOP and BITFIELD have files of their own.
enum BitCommands {
    static func setbit(_ c: ClientSession, _ args: Arguments) {
        guard let offset = bitOffset(c, args[2]) else { return }
        guard let bit = args.int64(3), bit == 0 || bit == 1 else { return c.replyError(ErrorReply.bitNotInteger) }
        let mask = UInt8(0x80) >> UInt8(offset & 7)
        let byteIndex = Int(offset >> 3)
        let outcome = editBits(c, args[1], highestBit: offset) { bytes, grown -> (previous: Bool, changed: Bool) in
            let previous = bytes[byteIndex] & mask != 0
            if bit == 1 { bytes[byteIndex] |= mask } else { bytes[byteIndex] &= ~mask }
            return (previous, grown || previous != (bit == 1))
        }
        guard let outcome else { return }
        // As Redis: a SETBIT that changed nothing is neither an event nor a write.
        if outcome.changed {
            c.dirty()
            c.notify(.string, "setbit", args[1])
        }
        c.reply.writeIntegerReply(outcome.previous ? 1 : 0)
    }

    static func getbit(_ c: ClientSession, _ args: Arguments) {
        guard let offset = bitOffset(c, args[2]) else { return }
        guard let found = c.readString(args[1]) else { return }
        let byteIndex = Int(offset >> 3)
        guard let value = found, byteIndex < value.count else { return c.reply.writeIntegerReply(0) }
        let set = value.withUnsafeBytes { $0[byteIndex] & (UInt8(0x80) >> UInt8(offset & 7)) != 0 }
        c.reply.writeIntegerReply(set ? 1 : 0)
    }

    // MARK: - Shared

    /// A bit offset (`getBitOffsetFromArgument`): non-negative and inside
    /// proto-max-bulk-len bytes. With `unit` (BITFIELD), `#N` means N times the unit.
    static func bitOffset(_ c: ClientSession, _ argument: UnsafeRawBufferPointer, unit: Int = 0) -> UInt64? {
        let byUnit = unit > 0 && argument.first == UInt8(ascii: "#")
        let digits = byUnit ? UnsafeRawBufferPointer(rebasing: argument.dropFirst()) : argument
        guard var offset = Int64(redisDecimal: digits) else {
            c.replyError(ErrorReply.bitOffsetNotInteger)
            return nil
        }
        // Redis multiplies in C without a check; wrapping gives the same answer.
        if byUnit { offset = offset &* Int64(unit) }
        guard offset >= 0, offset >> 3 < Int64(c.engine.protoMaxBulkLength) else {
            c.replyError(ErrorReply.bitOffsetNotInteger)
            return nil
        }
        return UInt64(offset)
    }

    /// Redis's `lookupStringForBitCommand`: the string at `key`, created or padded
    /// with zero bytes so bit `highestBit` exists, handed to `body` to edit in place
    /// (`grown`: the key was created or lengthened). nil after a WRONGTYPE reply.
    static func editBits<R>(_ c: ClientSession, _ key: UnsafeRawBufferPointer, highestBit: UInt64,
                            _ body: (inout [UInt8], _ grown: Bool) -> R) -> R? {
        let needed = Int(highestBit >> 3) + 1
        guard let slot = c.db.lookup(key, now: c.now) else {
            var bytes = [UInt8](repeating: 0, count: needed)
            let result = body(&bytes, true)
            c.db.storeString(key, at: nil, Bytes(array: bytes), form: KeyTable.rawString, now: c.now)
            return result
        }
        guard c.db.stringLength(at: slot) != nil else {
            c.replyError(ErrorReply.wrongType)
            return nil
        }
        return c.db.editString(at: slot) { bytes in
            let grown = bytes.count < needed
            if grown { bytes.append(contentsOf: repeatElement(0, count: needed - bytes.count)) }
            return body(&bytes, grown)
        }
    }
}
