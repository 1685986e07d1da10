import KeyDBRESP

/// String commands (Redis's t_string.c).
enum StringCommands {
    // MARK: - GET family

    static func get(_ c: ClientSession, _ args: Arguments) {
        c.replyString(at: args[1])
    }

    static func getdel(_ c: ClientSession, _ args: Arguments) {
        guard let value = c.readString(args[1]) else { return }
        c.replyBulk(value)
        if value != nil {
            c.db.remove(args[1], now: c.now)  // a string: one allocation, freed here either way
            c.notify(.generic, "del", args[1])
            c.propagateDeletion(args[1], lazily: c.engine.configuration.lazyfreeLazyUserDel)
            c.dirty()
        }
    }

    /// GETEX key [EX s | PX ms | EXAT ts | PXAT ts | PERSIST]
    static func getex(_ c: ClientSession, _ args: Arguments) {
        guard let options = SetOptions.parse(args, from: 2, for: .getex, c) else { return }
        guard let slot = c.db.lookup(args[1], now: c.now) else {
            c.engine.stats.keyspaceMisses += 1
            return c.replyNull()
        }
        c.engine.stats.keyspaceHits += 1
        guard case .string(let value) = c.db.value(at: slot) else { return c.replyError(ErrorReply.wrongType) }
        guard let resolved = options.resolveExpiry(args, now: c.now, c) else { return }
        value.withUnsafeBytes { c.reply.writeBulk($0) }
        if let expiry = options.expiry, let expireAt = resolved {
            if expiry.isAbsolute && c.expiryHasPassed(expireAt) {
                c.db.removeExpiredByCommand(args[1], now: c.now)
                c.notify(.generic, "del", args[1])
                c.propagateDeletion(args[1], lazily: c.engine.configuration.lazyfreeLazyExpire)
            } else {
                c.db.setExpire(at: slot, expireAt)
                c.notify(.generic, "expire", args[1])
                c.propagate("PEXPIREAT" as StaticString, args[1], expireAt)
            }
            c.dirty()
        } else if options.persist && c.db.expireAt(at: slot) != 0 {
            c.db.setExpire(at: slot, 0)
            c.propagate("PERSIST" as StaticString, args[1])
            c.notify(.generic, "persist", args[1])
            c.dirty()
        }
    }

    static func mget(_ c: ClientSession, _ args: Arguments) {
        c.reply.writeArrayHeader(args.count - 1)
        for index in 1..<args.count {
            if case .string(let value)? = c.lookupRead(args[index]) {
                value.withUnsafeBytes { c.reply.writeBulk($0) }
            } else {
                c.replyNull()
            }
        }
    }

    static func strlen(_ c: ClientSession, _ args: Arguments) {
        guard let value = c.readString(args[1]) else { return }
        c.reply.writeIntegerReply(value?.count ?? 0)
    }

    static func getrange(_ c: ClientSession, _ args: Arguments) {
        guard var start = args.int64(2), var end = args.int64(3) else { return c.replyError(ErrorReply.notInteger) }
        guard let found = c.readString(args[1]) else { return }
        guard let value = found else { return c.reply.writeBulk([]) }
        let length = Int64(value.count)
        if start < 0 && end < 0 && start > end { return c.reply.writeBulk([]) }
        if start < 0 { start += length }
        if end < 0 { end += length }
        start = max(start, 0)
        end = max(end, 0)
        if end >= length { end = length - 1 }
        if start > end || length == 0 { return c.reply.writeBulk([]) }
        value.withUnsafeBytes { c.reply.writeBulk(UnsafeRawBufferPointer(rebasing: $0[Int(start)...Int(end)])) }
    }

    // MARK: - SET family

    /// SET key value [NX | XX] [GET] [EX s | PX ms | EXAT ts | PXAT ts | KEEPTTL]
    static func set(_ c: ClientSession, _ args: Arguments) {
        guard let options = SetOptions.parse(args, from: 3, for: .set, c) else { return }
        setGeneric(c, args, key: 1, value: 2, options: options, okReply: nil)
    }

    static func setnx(_ c: ClientSession, _ args: Arguments) {
        var options = SetOptions()
        options.condition = .ifAbsent
        setGeneric(c, args, key: 1, value: 2, options: options, okReply: (1, 0))
    }

    static func setex(_ c: ClientSession, _ args: Arguments) {
        setWithRelativeExpiry(c, args, unit: .seconds)
    }

    static func psetex(_ c: ClientSession, _ args: Arguments) {
        setWithRelativeExpiry(c, args, unit: .milliseconds)
    }

    private static func setWithRelativeExpiry(_ c: ClientSession, _ args: Arguments, unit: Expiry.Unit) {
        let options = SetOptions(relativeExpiry: unit, amountIndex: 2)
        setGeneric(c, args, key: 1, value: 3, options: options, okReply: nil)
    }

    static func getset(_ c: ClientSession, _ args: Arguments) {
        var options = SetOptions()
        options.get = true
        setGeneric(c, args, key: 1, value: 2, options: options, okReply: nil)
    }

    /// The one implementation behind SET, SETNX, SETEX, PSETEX and GETSET.
    /// - Parameter okReply: integer replies (done, not done) instead of `+OK` / `$-1` (SETNX).
    private static func setGeneric(_ c: ClientSession, _ args: Arguments, key: Int, value: Int,
                                   options: SetOptions, okReply: (Int, Int)?) {
        guard let resolved = options.resolveExpiry(args, now: c.now, c) else { return }
        // nil keeps the TTL (KEEPTTL); 0 clears it, as a plain SET does.
        let expireAt: Int64? = resolved ?? (options.keepTTL ? nil : 0)
        let db = c.db  // one retain for the command, not one per use
        let slot = db.lookup(args[key], now: c.now)
        if options.get {
            guard let old = c.readString(args[key]) else { return }
            c.replyBulk(old)
        }
        let found = slot != nil
        if (options.condition == .ifAbsent && found) || (options.condition == .ifPresent && !found) {
            if options.get { return }
            if let okReply { return c.reply.writeIntegerReply(okReply.1) }
            return c.replyNull()
        }
        db.set(args[key], .string(Bytes(args[value])), expireAt: expireAt, now: c.now)
        c.dirty()
        // Logged with an absolute time, so replay gives the key the same deadline; GETSET and
        // SET's GET as a plain SET, as Redis 7.0 propagates them (what was read is no write).
        if let resolved {
            c.propagate("SET" as StaticString, args[key], args[value], "PXAT" as StaticString, resolved)
        } else if options.get {
            c.propagate(args, skipping: { $0 > value && args.matches($0, "get") }, renaming: "SET")
        }
        c.notify(.string, "set", args[key])
        if resolved != nil { c.notify(.generic, "expire", args[key]) }
        if options.get { return }
        if let okReply { return c.reply.writeIntegerReply(okReply.0) }
        c.replyOK()
    }

    static func mset(_ c: ClientSession, _ args: Arguments) {
        guard args.count % 2 == 1 else { return c.replyError(ErrorReply.wrongArity("mset")) }
        for index in stride(from: 1, to: args.count, by: 2) {
            c.db.set(args[index], .string(Bytes(args[index + 1])), now: c.now)
            c.notify(.string, "set", args[index])
        }
        c.dirty((args.count - 1) / 2)
        c.replyOK()
    }

    static func msetnx(_ c: ClientSession, _ args: Arguments) {
        guard args.count % 2 == 1 else { return c.replyError(ErrorReply.wrongArity("msetnx")) }
        for index in stride(from: 1, to: args.count, by: 2) where c.db.exists(args[index], now: c.now) {
            return c.reply.writeIntegerReply(0)
        }
        for index in stride(from: 1, to: args.count, by: 2) {
            c.db.set(args[index], .string(Bytes(args[index + 1])), now: c.now)
            c.notify(.string, "set", args[index])
        }
        c.dirty((args.count - 1) / 2)
        c.reply.writeIntegerReply(1)
    }

    // MARK: - Editing

    static func append(_ c: ClientSession, _ args: Arguments) {
        guard let slot = c.db.lookup(args[1], now: c.now) else {
            c.db.set(args[1], .string(Bytes(args[2])), now: c.now)
            c.dirty()
            c.notify(.string, "append", args[1])
            return c.reply.writeIntegerReply(args[2].count)
        }
        guard let length = c.db.stringLength(at: slot) else { return c.replyError(ErrorReply.wrongType) }
        guard checkLength(c, length, args[2].count) else { return }
        // In place: appends are amortized O(1), as on Redis's sds.
        let newLength = c.db.editString(at: slot) { bytes in
            bytes.append(contentsOf: args[2])
            return bytes.count
        }
        c.dirty()
        c.notify(.string, "append", args[1])
        c.reply.writeIntegerReply(newLength)
    }

    static func setrange(_ c: ClientSession, _ args: Arguments) {
        guard let offset = args.int64(2) else { return c.replyError(ErrorReply.notInteger) }
        guard offset >= 0 else { return c.replyError(ErrorReply.offsetOutOfRange) }
        let patch = args[3]
        let slot = c.db.lookup(args[1], now: c.now)
        if let slot {
            guard let length = c.db.stringLength(at: slot) else { return c.replyError(ErrorReply.wrongType) }
            if patch.isEmpty { return c.reply.writeIntegerReply(length) }
        } else if patch.isEmpty {
            return c.reply.writeIntegerReply(0)
        }
        guard checkLength(c, Int(clamping: offset), patch.count) else { return }
        let end = Int(offset) + patch.count
        func write(_ bytes: inout [UInt8]) -> Int {
            if bytes.count < end { bytes.append(contentsOf: repeatElement(0, count: end - bytes.count)) }
            bytes.withUnsafeMutableBytes { $0.baseAddress!.advanced(by: Int(offset)).copyMemory(from: patch.baseAddress!, byteCount: patch.count) }
            return bytes.count
        }
        let length: Int
        if let slot {
            length = c.db.editString(at: slot, write)
        } else {
            var bytes: [UInt8] = []
            length = write(&bytes)
            c.db.storeString(args[1], at: nil, Bytes(array: bytes), form: KeyTable.rawString, now: c.now)
        }
        c.dirty()
        c.notify(.string, "setrange", args[1])
        c.reply.writeIntegerReply(length)
    }

    /// Redis's `checkStringLength`: the result may not exceed proto-max-bulk-len.
    private static func checkLength(_ c: ClientSession, _ size: Int, _ append: Int) -> Bool {
        let (total, overflow) = size.addingReportingOverflow(append)
        guard !overflow, total <= c.engine.protoMaxBulkLength else {
            c.replyError(ErrorReply.stringTooLong)
            return false
        }
        return true
    }

    // MARK: - Counters

    static func incr(_ c: ClientSession, _ args: Arguments) { incrBy(c, args[1], 1) }
    static func decr(_ c: ClientSession, _ args: Arguments) { incrBy(c, args[1], -1) }

    static func incrby(_ c: ClientSession, _ args: Arguments) {
        guard let amount = args.int64(2) else { return c.replyError(ErrorReply.notInteger) }
        incrBy(c, args[1], amount)
    }

    static func decrby(_ c: ClientSession, _ args: Arguments) {
        guard let amount = args.int64(2) else { return c.replyError(ErrorReply.notInteger) }
        guard amount != .min else { return c.replyError(ErrorReply.decrementOverflow) }
        incrBy(c, args[1], -amount)
    }

    /// The one implementation behind INCR, DECR, INCRBY and DECRBY.
    private static func incrBy(_ c: ClientSession, _ key: UnsafeRawBufferPointer, _ amount: Int64) {
        let db = c.db  // one retain for the command, not one per use
        let slot = db.lookup(key, now: c.now)
        var current: Int64 = 0
        if let slot {
            guard case .string(let old) = db.value(at: slot) else { return c.replyError(ErrorReply.wrongType) }
            guard let parsed = old.withUnsafeBytes({ Int64(redisDecimal: $0) }) else { return c.replyError(ErrorReply.notInteger) }
            current = parsed
        }
        let (result, overflow) = current.addingReportingOverflow(amount)
        guard !overflow else { return c.replyError(ErrorReply.overflow) }
        let stored = withDecimalDigits(result) { Value.string(Bytes($0)) }
        if let slot {
            db.replaceValue(at: slot, stored)
        } else {
            db.set(key, stored, now: c.now)
        }
        c.dirty()
        c.notify(.string, "incrby", key)
        c.reply.writeIntegerReply(result)
    }

    static func incrbyfloat(_ c: ClientSession, _ args: Arguments) {
        let slot = c.db.lookup(args[1], now: c.now)
        var current: Float80 = 0
        if let slot {
            guard case .string(let old) = c.db.value(at: slot) else { return c.replyError(ErrorReply.wrongType) }
            guard let parsed = old.withUnsafeBytes({ parseLongDouble($0) }) else { return c.replyError(ErrorReply.notFloat) }
            current = parsed
        }
        guard let increment = args.longDouble(2) else { return c.replyError(ErrorReply.notFloat) }
        let result = current + increment
        guard result.isFinite else { return c.replyError(ErrorReply.nanOrInfinity) }
        let text = formatLongDouble(result)
        c.db.storeString(args[1], at: slot, Bytes(text), form: KeyTable.plainString, now: c.now)
        c.dirty()
        // Logged as the value it produced: float formatting must not differ on replay.
        c.propagate("SET" as StaticString, args[1], text, "KEEPTTL" as StaticString)
        c.notify(.string, "incrbyfloat", args[1])
        c.reply.writeBulk(text)
    }
}
