import KeyDBRESP

/// Single-bit access to string values (Redis's bitops.c). Bit 0 is the most
/// significant bit of the first byte. BITCOUNT, BITOP and BITFIELD arrive with the data-model issue.
enum BitCommands {
    static func setbit(_ c: ClientSession, _ args: Arguments) {
        guard let offset = bitOffset(c, args, 2) else { return }
        guard let bit = args.int64(3), bit == 0 || bit == 1 else { return c.replyError(ErrorReply.bitNotInteger) }
        var bytes: [UInt8] = []
        let slot = c.db.lookup(args[1], now: c.now)
        if let slot {
            guard case .string(let old) = c.db.value(at: slot) else { return c.replyError(ErrorReply.wrongType) }
            bytes = old.array
        }
        let byteIndex = Int(offset >> 3)
        if bytes.count <= byteIndex { bytes.append(contentsOf: [UInt8](repeating: 0, count: byteIndex + 1 - bytes.count)) }
        let mask = UInt8(0x80) >> UInt8(offset & 7)
        let previous = bytes[byteIndex] & mask != 0 ? 1 : 0
        if bit == 1 { bytes[byteIndex] |= mask } else { bytes[byteIndex] &= ~mask }
        c.db.storeString(args[1], at: slot, Bytes(array: bytes), form: KeyTable.rawString, now: c.now)
        c.dirty()
        c.notify(.string, "setbit", args[1])
        c.reply.writeIntegerReply(previous)
    }

    static func getbit(_ c: ClientSession, _ args: Arguments) {
        guard let offset = bitOffset(c, args, 2) else { return }
        guard let found = c.readString(args[1]) else { return }
        let byteIndex = Int(offset >> 3)
        guard let value = found, byteIndex < value.count else { return c.reply.writeIntegerReply(0) }
        let set = value.withUnsafeBytes { $0[byteIndex] & (UInt8(0x80) >> UInt8(offset & 7)) != 0 }
        c.reply.writeIntegerReply(set ? 1 : 0)
    }

    /// A bit offset: non-negative and inside proto-max-bulk-len bytes.
    private static func bitOffset(_ c: ClientSession, _ args: Arguments, _ index: Int) -> Int64? {
        guard let offset = args.int64(index), offset >= 0, offset >> 3 < Int64(c.engine.protoMaxBulkLength) else {
            c.replyError(ErrorReply.bitOffsetNotInteger)
            return nil
        }
        return offset
    }
}
