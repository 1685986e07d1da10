import KeyDBRESP

/// List commands (Redis's t_list.c). The rest of the family arrives with the data-types issue.
enum ListCommands {
    static func lpush(_ c: ClientSession, _ args: Arguments) { push(c, args, front: true) }
    static func rpush(_ c: ClientSession, _ args: Arguments) { push(c, args, front: false) }

    /// The one implementation behind LPUSH and RPUSH.
    private static func push(_ c: ClientSession, _ args: Arguments, front: Bool) {
        let list: ListValue
        switch c.list(args[1]) {
        case .wrongType: return c.replyError(ErrorReply.wrongType)
        case .found(let existing): list = existing
        case .missing:
            list = ListValue()
            c.db.set(args[1], .list(list), now: c.now)
        }
        for index in 2..<args.count {
            if front { list.items.prepend(Bytes(args[index])) } else { list.items.append(Bytes(args[index])) }
        }
        c.dirty(args.count - 2)
        c.reply.writeIntegerReply(list.items.count)
    }

    static func llen(_ c: ClientSession, _ args: Arguments) {
        switch c.list(args[1]) {
        case .wrongType: c.replyError(ErrorReply.wrongType)
        case .missing: c.reply.writeIntegerReply(0)
        case .found(let list): c.reply.writeIntegerReply(list.items.count)
        }
    }

    static func lrange(_ c: ClientSession, _ args: Arguments) {
        guard var start = args.int64(2), var end = args.int64(3) else { return c.replyError(ErrorReply.notInteger) }
        let list: ListValue
        switch c.list(args[1]) {
        case .wrongType: return c.replyError(ErrorReply.wrongType)
        case .missing: return c.reply.writeArrayHeader(0)
        case .found(let found): list = found
        }
        let length = Int64(list.items.count)
        if start < 0 { start += length }
        if end < 0 { end += length }
        if start < 0 { start = 0 }
        if start > end || start >= length { return c.reply.writeArrayHeader(0) }
        if end >= length { end = length - 1 }
        c.reply.writeArrayHeader(Int(end - start + 1))
        for index in Int(start)...Int(end) {
            list.items[index].withUnsafeBytes { c.reply.writeBulk($0) }
        }
    }

    static func lpop(_ c: ClientSession, _ args: Arguments) { pop(c, args, front: true) }
    static func rpop(_ c: ClientSession, _ args: Arguments) { pop(c, args, front: false) }

    /// LPOP / RPOP key [count]: one element as a bulk, or up to `count` as an array.
    private static func pop(_ c: ClientSession, _ args: Arguments, front: Bool) {
        guard args.count <= 3 else { return c.replyError(ErrorReply.wrongArity(c.lastCommand)) }
        var count: Int? = nil
        if args.count == 3 {
            guard let value = args.int64(2), value >= 0 else { return c.replyError(ErrorReply.notPositive) }
            count = Int(value)
        }
        let list: ListValue
        switch c.list(args[1]) {
        case .wrongType: return c.replyError(ErrorReply.wrongType)
        case .missing: return count == nil ? c.reply.writeNullBulk() : c.reply.writeNullArray()
        case .found(let found): list = found
        }
        guard let count else {
            let element = front ? list.items.removeFirst() : list.items.removeLast()
            c.replyBulk(element)
            return finishPop(c, args[1], list, removed: 1)
        }
        if count == 0 { return c.reply.writeArrayHeader(0) }
        let taken = min(count, list.items.count)
        c.reply.writeArrayHeader(taken)
        for _ in 0..<taken {
            c.replyBulk(front ? list.items.removeFirst() : list.items.removeLast())
        }
        finishPop(c, args[1], list, removed: taken)
    }

    private static func finishPop(_ c: ClientSession, _ key: UnsafeRawBufferPointer, _ list: ListValue, removed: Int) {
        c.removeIfEmpty(key, isEmpty: list.items.isEmpty)
        c.dirty(removed)
    }
}
