import KeyDBRESP

/// DEBUG POPULATE <count> [<prefix>] [<size>]: `count` string keys `prefix:N`
/// (prefix `key`) holding `value:N`, or that text cut or padded with zero bytes
/// to `size` bytes. Keys that exist are left alone. As in Redis, nothing reaches
/// the log or replicas, and the keys are not counted as changes.
enum DebugPopulate {
    static func populate(_ c: ClientSession, _ args: Arguments) {
        // Redis's getPositiveLongFromObjectOrReply: one error for a word or a negative number.
        guard let count = args.int64(2).map(Int.init), count >= 0 else { return c.replyError(ErrorReply.notPositive) }
        var size = 0
        if args.count == 5 {
            guard let given = args.int64(4).map(Int.init), given >= 0 else { return c.replyError(ErrorReply.notPositive) }
            // Redis would abort on an allocation this large; refuse it instead.
            guard given <= c.engine.configuration.protoMaxBulkLength else { return c.replyError(ErrorReply.stringTooLong) }
            size = given
        }
        // Redis formats the prefix as a C string (up to a zero byte) into a 128-byte buffer.
        let prefix = args.count >= 4 ? Array(args[3].prefix { $0 != 0 }) : Array("key".utf8)
        // Buckets for the new keys up front, as Redis's dictExpand (bounded: the count is the client's).
        c.db.reserve(keys: min(count, 1 << 24))
        for number in 0..<count {
            let digits = Array(String(number).utf8)
            let key = (prefix + [UInt8(ascii: ":")] + digits).prefix(127)
            let exists = key.withUnsafeBytes { c.db.peek($0, now: c.now) != nil }
            if exists { continue }
            var value = Array("value:".utf8) + digits
            if size != 0 { value = Array(value.prefix(size)) + [UInt8](repeating: 0, count: max(0, size - value.count)) }
            let slot = key.withUnsafeBytes { c.db.set($0, .string(Bytes(array: value)), now: c.now) }
            c.db.signalModified(at: slot)
        }
        c.replyOK()
    }
}
