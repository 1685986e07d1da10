import KeyDBRESP

/// HINCRBY and HINCRBYFLOAT: counters kept in hash fields.
extension HashCommands {
    /// HINCRBY key field increment: a missing field counts from 0.
    static func hincrby(_ c: ClientSession, _ args: Arguments) {
        guard let increment = args.int64(3) else { return c.replyError(ErrorReply.notInteger) }
        guard let (hash, isNew) = hashForWrite(c, args[1]) else { return }
        let field = Bytes(args[2])
        var current: Int64 = 0
        if let old = hash.fields[field] {
            guard let parsed = old.withUnsafeBytes({ Int64(redisDecimal: $0) }) else {
                return c.replyError(ErrorReply.hashValueNotInteger)
            }
            current = parsed
        }
        let (result, overflow) = current.addingReportingOverflow(increment)
        guard !overflow else { return c.replyError(ErrorReply.overflow) }
        hash.fields[field] = withDecimalDigits(result) { Bytes($0) }
        if isNew { c.db.set(args[1], .hash(hash), now: c.now) }
        c.dirty()
        c.notify(.hash, "hincrby", args[1])
        c.reply.writeIntegerReply(result)
    }

    /// HINCRBYFLOAT key field increment: long double arithmetic, stored and
    /// answered in Redis's human format (17 decimals, trailing zeros trimmed).
    static func hincrbyfloat(_ c: ClientSession, _ args: Arguments) {
        guard let increment = args.longDouble(3) else { return c.replyError(ErrorReply.notFloat) }
        // "inf" parses; Redis refuses it before touching the key.
        guard increment.isFinite else { return c.replyError(ErrorReply.valueNaNOrInfinity) }
        guard let (hash, isNew) = hashForWrite(c, args[1]) else { return }
        let field = Bytes(args[2])
        var current: Float80 = 0
        if let old = hash.fields[field] {
            guard let parsed = old.withUnsafeBytes({ parseLongDouble($0) }) else {
                return c.replyError(ErrorReply.hashValueNotFloat)
            }
            current = parsed
        }
        let result = current + increment
        guard result.isFinite else { return c.replyError(ErrorReply.nanOrInfinity) }
        let text = formatLongDouble(result)
        hash.fields[field] = Bytes(text)
        if isNew { c.db.set(args[1], .hash(hash), now: c.now) }
        c.dirty()
        // Logged as the value it produced: float formatting must not differ on replay.
        c.propagate("HSET" as StaticString, args[1], args[2], text)
        c.notify(.hash, "hincrbyfloat", args[1])
        c.reply.writeBulk(text)
    }
}
