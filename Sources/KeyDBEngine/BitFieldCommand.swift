import KeyDBRESP

/// BITFIELD and BITFIELD_RO: signed (i1..i64) and unsigned (u1..u63) integers at
/// any bit offset of a string, read, set or incremented with a chosen overflow rule.
enum BitFieldCommand {
    enum Overflow { case wrap, sat, fail }

    private enum Operation { case get, set, incrby }

    private struct Step {
        var operation: Operation
        var offset: UInt64
        var bits: Int
        var signed: Bool
        var value: Int64
        var overflow: Overflow
    }

    static func bitfield(_ c: ClientSession, _ args: Arguments) { run(c, args, readOnly: false) }
    static func bitfieldRO(_ c: ClientSession, _ args: Arguments) { run(c, args, readOnly: true) }

    private static func run(_ c: ClientSession, _ args: Arguments, readOnly: Bool) {
        guard let steps = parse(c, args) else { return }
        // The last bit any SET or INCRBY reaches; nil when every step is a GET.
        let highest = steps.lazy.filter { $0.operation != .get }.map { $0.offset + UInt64($0.bits) - 1 }.max()
        guard let highest else {
            // Reads only: a missing key reads as zeros.
            guard let found = c.readString(args[1]) else { return }
            let value = found ?? .empty
            c.reply.writeArrayHeader(steps.count)
            value.withUnsafeBytes { bytes in
                for step in steps { c.reply.writeIntegerReply(read(bytes, step)) }
            }
            return
        }
        if readOnly { return c.replyError(ErrorReply.bitfieldROWrite) }
        let outcome = BitCommands.editBits(c, args[1], highestBit: highest) { bytes, grown -> (replies: [Int64?], changes: Int, grown: Bool) in
            var replies: [Int64?] = []
            replies.reserveCapacity(steps.count)
            var changes = 0
            for step in steps {
                if step.operation == .get {
                    replies.append(bytes.withUnsafeBytes { read($0, step) })
                    continue
                }
                let (reply, changed) = write(&bytes, step)
                replies.append(reply)
                if reply != nil && (grown || changed) { changes += 1 }
            }
            return (replies, changes, grown)
        }
        guard let outcome else { return }
        if outcome.changes > 0 {
            c.dirty(outcome.changes)
            c.notify(.string, "setbit", args[1])
        } else if outcome.grown {
            // Every write refused by OVERFLOW FAIL: the key was still created or padded,
            // a change the log must hold (Redis leaves it out).
            c.dirty()
        }
        c.reply.writeArrayHeader(outcome.replies.count)
        for reply in outcome.replies {
            if let reply { c.reply.writeIntegerReply(reply) } else { c.replyNull() }
        }
    }

    // MARK: - Parsing

    /// Every step, checked before anything runs; nil after an error reply.
    private static func parse(_ c: ClientSession, _ args: Arguments) -> [Step]? {
        var steps: [Step] = []
        steps.reserveCapacity((args.count - 2) / 3)
        var overflow = Overflow.wrap
        var index = 2
        while index < args.count {
            let remaining = args.count - index - 1
            let operation: Operation
            if args.matches(index, "get") && remaining >= 2 { operation = .get }
            else if args.matches(index, "set") && remaining >= 3 { operation = .set }
            else if args.matches(index, "incrby") && remaining >= 3 { operation = .incrby }
            else if args.matches(index, "overflow") && remaining >= 1 {
                if args.matches(index + 1, "wrap") { overflow = .wrap }
                else if args.matches(index + 1, "sat") { overflow = .sat }
                else if args.matches(index + 1, "fail") { overflow = .fail }
                else {
                    c.replyError(ErrorReply.bitfieldOverflowType)
                    return nil
                }
                index += 2
                continue
            } else {
                c.replyError(ErrorReply.syntax)
                return nil
            }
            guard let (signed, bits) = fieldType(args[index + 1]) else {
                c.replyError(ErrorReply.bitfieldType)
                return nil
            }
            guard let offset = BitCommands.bitOffset(c, args[index + 2], unit: bits) else { return nil }
            var value: Int64 = 0
            if operation != .get {
                guard let given = args.int64(index + 3) else {
                    c.replyError(ErrorReply.notInteger)
                    return nil
                }
                value = given
            }
            steps.append(Step(operation: operation, offset: offset, bits: bits, signed: signed, value: value, overflow: overflow))
            index += operation == .get ? 3 : 4
        }
        return steps
    }

    /// "i1".."i64" or "u1".."u63" (a u64 could not be answered as a RESP integer).
    private static func fieldType(_ argument: UnsafeRawBufferPointer) -> (signed: Bool, bits: Int)? {
        guard let first = argument.first, first == UInt8(ascii: "i") || first == UInt8(ascii: "u") else { return nil }
        let signed = first == UInt8(ascii: "i")
        // Redis reads the width as a C string: it ends at a zero byte.
        var digits = UnsafeRawBufferPointer(rebasing: argument.dropFirst())
        if let zero = digits.firstIndex(of: 0) { digits = UnsafeRawBufferPointer(rebasing: digits[..<zero]) }
        guard let bits = Int64(redisDecimal: digits), bits >= 1, bits <= (signed ? 64 : 63) else { return nil }
        return (signed, Int(bits))
    }

    // MARK: - Running

    private static func read(_ bytes: UnsafeRawBufferPointer, _ step: Step) -> Int64 {
        let raw = BitField.get(bytes, offset: step.offset, bits: step.bits)
        return step.signed ? BitField.signExtended(raw, bits: step.bits) : Int64(raw)
    }

    /// SET or INCRBY: the reply (nil when OVERFLOW FAIL refused it) and whether the field changed.
    private static func write(_ bytes: inout [UInt8], _ step: Step) -> (reply: Int64?, changed: Bool) {
        let raw = bytes.withUnsafeBytes { BitField.get($0, offset: step.offset, bits: step.bits) }
        let old = step.signed ? BitField.signExtended(raw, bits: step.bits) : Int64(raw)
        let outcome: Int64?
        if step.operation == .incrby {
            outcome = step.signed ? BitField.addSigned(old, step.value, bits: step.bits, step.overflow)
                                  : BitField.addUnsigned(raw, step.value, bits: step.bits, step.overflow)
        } else {
            outcome = step.signed ? BitField.addSigned(step.value, 0, bits: step.bits, step.overflow)
                                  : BitField.addUnsigned(UInt64(bitPattern: step.value), 0, bits: step.bits, step.overflow)
        }
        guard let new = outcome else { return (nil, false) }
        bytes.withUnsafeMutableBytes { BitField.set($0, offset: step.offset, bits: step.bits, UInt64(bitPattern: new)) }
        // SET answers the old value, INCRBY the new one.
        return (step.operation == .set ? old : new, new != old)
    }
}

/// Integers of 1 to 64 bits at any bit offset, most significant bit first, and
/// Redis's overflow rules for them.
enum BitField {
    /// The field's bits; bytes past the end read as zero.
    static func get(_ bytes: UnsafeRawBufferPointer, offset: UInt64, bits: Int) -> UInt64 {
        var value: UInt64 = 0
        for index in 0..<UInt64(bits) {
            let position = offset + index
            let byte = Int(position >> 3)
            let set = byte < bytes.count && bytes[byte] & (UInt8(0x80) >> UInt8(position & 7)) != 0
            value = value << 1 | (set ? 1 : 0)
        }
        return value
    }

    /// Writes the low `bits` bits of `value`; the bytes must already reach the field.
    static func set(_ bytes: UnsafeMutableRawBufferPointer, offset: UInt64, bits: Int, _ value: UInt64) {
        for index in 0..<UInt64(bits) {
            let position = offset + index
            let mask = UInt8(0x80) >> UInt8(position & 7)
            let byte = Int(position >> 3)
            if value >> (UInt64(bits) - 1 - index) & 1 != 0 { bytes[byte] |= mask } else { bytes[byte] &= ~mask }
        }
    }

    static func signExtended(_ raw: UInt64, bits: Int) -> Int64 {
        guard bits < 64 else { return Int64(bitPattern: raw) }
        let shift = UInt64(64 - bits)
        return Int64(bitPattern: raw << shift) >> shift
    }

    /// What a SET or INCRBY stores: nil when it overflowed under FAIL.
    /// `value + increment` into an unsigned field of `bits` bits (`value` may
    /// already be out of range: a SET of a negative or too large number).
    static func addUnsigned(_ value: UInt64, _ increment: Int64, bits: Int, _ overflow: BitFieldCommand.Overflow) -> Int64? {
        let maximum: UInt64 = bits == 64 ? .max : (1 << UInt64(bits)) - 1
        let roomUp = Int64(bitPattern: maximum &- value)
        let roomDown = Int64(bitPattern: 0 &- value)
        let wrapped = Int64(bitPattern: (value &+ UInt64(bitPattern: increment)) & maximum)
        if value > maximum || (increment > 0 && increment > roomUp) {
            return limited(overflow, wrapped: wrapped, saturated: Int64(bitPattern: maximum))
        }
        if increment < 0 && increment < roomDown {
            return limited(overflow, wrapped: wrapped, saturated: 0)
        }
        return Int64(bitPattern: value &+ UInt64(bitPattern: increment))
    }

    /// `value + increment` into a signed field of `bits` bits.
    static func addSigned(_ value: Int64, _ increment: Int64, bits: Int, _ overflow: BitFieldCommand.Overflow) -> Int64? {
        let maximum: Int64 = bits == 64 ? .max : (1 << Int64(bits - 1)) - 1
        let minimum = -maximum - 1
        let roomUp = Int64(bitPattern: UInt64(bitPattern: maximum) &- UInt64(bitPattern: value))
        let roomDown = minimum &- value
        if value > maximum || (bits != 64 && increment > roomUp) || (value >= 0 && increment > 0 && increment > roomUp) {
            return limited(overflow, wrapped: wrappedSigned(value, increment, bits: bits), saturated: maximum)
        }
        if value < minimum || (bits != 64 && increment < roomDown) || (value < 0 && increment < 0 && increment < roomDown) {
            return limited(overflow, wrapped: wrappedSigned(value, increment, bits: bits), saturated: minimum)
        }
        return value &+ increment
    }

    private static func wrappedSigned(_ value: Int64, _ increment: Int64, bits: Int) -> Int64 {
        let sum = UInt64(bitPattern: value) &+ UInt64(bitPattern: increment)
        return signExtended(bits == 64 ? sum : sum & ((1 << UInt64(bits)) - 1), bits: bits)
    }

    private static func limited(_ overflow: BitFieldCommand.Overflow, wrapped: Int64, saturated: Int64) -> Int64? {
        switch overflow {
        case .wrap: wrapped
        case .sat: saturated
        case .fail: nil
        }
    }
}
