import KeyDBRESP

/// Commands that read or change a key's time to live (Redis's expire.c).
enum ExpireCommands {
    static func expire(_ c: ClientSession, _ args: Arguments) { expireGeneric(c, args, base: c.now, unit: .seconds) }
    static func pexpire(_ c: ClientSession, _ args: Arguments) { expireGeneric(c, args, base: c.now, unit: .milliseconds) }
    static func expireat(_ c: ClientSession, _ args: Arguments) { expireGeneric(c, args, base: 0, unit: .seconds) }
    static func pexpireat(_ c: ClientSession, _ args: Arguments) { expireGeneric(c, args, base: 0, unit: .milliseconds) }

    /// The one implementation behind EXPIRE, PEXPIRE, EXPIREAT and PEXPIREAT.
    /// - Parameter base: the time the amount counts from (now, or 0 for absolute times).
    private static func expireGeneric(_ c: ClientSession, _ args: Arguments, base: Int64, unit: Expiry.Unit) {
        var nx = false, xx = false, gt = false, lt = false
        for index in 3..<max(3, args.count) {
            if args.matches(index, "nx") { nx = true }
            else if args.matches(index, "xx") { xx = true }
            else if args.matches(index, "gt") { gt = true }
            else if args.matches(index, "lt") { lt = true }
            else { return c.replyError(bytes: ErrorReply.oneLine(Array("ERR Unsupported option ".utf8) + ErrorReply.cString(args[index], limit: .max))) }
        }
        if nx && (xx || gt || lt) { return c.replyError(ErrorReply.expireOptionsNXXX) }
        if gt && lt { return c.replyError(ErrorReply.expireOptionsGTLT) }

        guard var when = args.int64(2) else { return c.replyError(ErrorReply.notInteger) }
        if unit == .seconds {
            guard when <= Int64.max / 1000 && when >= Int64.min / 1000 else {
                return c.replyError(ErrorReply.invalidExpireTime(c.lastCommand))
            }
            when *= 1000
        }
        guard when <= Int64.max - base else { return c.replyError(ErrorReply.invalidExpireTime(c.lastCommand)) }
        when += base

        guard let slot = c.db.lookup(args[1], now: c.now) else { return c.reply.writeIntegerReply(0) }
        let current = c.db.expireAt(at: slot)  // 0: no TTL, an infinite one for GT/LT
        if nx && current != 0 { return c.reply.writeIntegerReply(0) }
        if xx && current == 0 { return c.reply.writeIntegerReply(0) }
        if gt && (current == 0 || when <= current) { return c.reply.writeIntegerReply(0) }
        if lt && current != 0 && when >= current { return c.reply.writeIntegerReply(0) }

        // Logged as an absolute time (or the deletion it caused), whatever form it came in.
        if c.expiryHasPassed(when) {
            c.db.removeExpiredByCommand(args[1], now: c.now)
            c.notify(.generic, "del", args[1])
            c.propagateDeletion(args[1], lazily: c.engine.configuration.lazyfreeLazyExpire)
        } else {
            c.db.setExpire(at: slot, when)
            c.notify(.generic, "expire", args[1])
            c.propagate("PEXPIREAT" as StaticString, args[1], when)
        }
        c.dirty()
        c.reply.writeIntegerReply(1)
    }

    static func ttl(_ c: ClientSession, _ args: Arguments) { ttlGeneric(c, args, milliseconds: false, absolute: false) }
    static func pttl(_ c: ClientSession, _ args: Arguments) { ttlGeneric(c, args, milliseconds: true, absolute: false) }
    static func expiretime(_ c: ClientSession, _ args: Arguments) { ttlGeneric(c, args, milliseconds: false, absolute: true) }
    static func pexpiretime(_ c: ClientSession, _ args: Arguments) { ttlGeneric(c, args, milliseconds: true, absolute: true) }

    /// -2 for a missing key, -1 for no TTL, else the TTL (rounded to the nearest second) or the expiry time.
    private static func ttlGeneric(_ c: ClientSession, _ args: Arguments, milliseconds: Bool, absolute: Bool) {
        guard let slot = c.db.peek(args[1], now: c.now) else { return c.reply.writeIntegerReply(-2) }
        let expireAt = c.db.expireAt(at: slot)
        guard expireAt != 0 else { return c.reply.writeIntegerReply(-1) }
        let value = max(0, absolute ? expireAt : expireAt - c.now)
        // Unsigned, so a far-future expiry rounds instead of overflowing (Redis gives the same figure).
        c.reply.writeIntegerReply(milliseconds ? value : Int64((UInt64(value) + 500) / 1000))
    }

    static func persist(_ c: ClientSession, _ args: Arguments) {
        guard let slot = c.db.lookup(args[1], now: c.now), c.db.expireAt(at: slot) != 0 else {
            return c.reply.writeIntegerReply(0)
        }
        c.db.setExpire(at: slot, 0)
        c.notify(.generic, "persist", args[1])
        c.dirty()
        c.reply.writeIntegerReply(1)
    }
}
