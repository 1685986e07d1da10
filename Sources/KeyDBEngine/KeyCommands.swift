import KeyDBRESP

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// Commands on keys of any type (Redis's db.c): existence, naming, moving, iterating.
enum KeyCommands {
    /// DEL: big values are freed in the background with `lazyfree-lazy-user-del`.
    static func del(_ c: ClientSession, _ args: Arguments) {
        delete(c, args, lazily: c.engine.configuration.lazyfreeLazyUserDel)
    }

    /// UNLINK: big values are always freed in the background.
    static func unlink(_ c: ClientSession, _ args: Arguments) {
        delete(c, args, lazily: true)
    }

    private static func delete(_ c: ClientSession, _ args: Arguments, lazily: Bool) {
        var deleted = 0
        for index in 1..<args.count {
            guard case let (value, _)? = c.db.remove(args[index], now: c.now) else { continue }
            if lazily { c.engine.keyspace.lazyFree.release(consume value) }
            c.notify(.generic, "del", args[index])
            deleted += 1
        }
        c.dirty(deleted)
        c.reply.writeIntegerReply(deleted)
    }

    static func exists(_ c: ClientSession, _ args: Arguments) {
        var found = 0
        for index in 1..<args.count where c.lookupRead(args[index], touch: false) != nil {
            found += 1
        }
        c.reply.writeIntegerReply(found)
    }

    /// TOUCH: EXISTS that marks the keys accessed (and counts hits, as a read).
    static func touch(_ c: ClientSession, _ args: Arguments) {
        var found = 0
        for index in 1..<args.count where c.lookupRead(args[index]) != nil {
            found += 1
        }
        c.reply.writeIntegerReply(found)
    }

    static func type(_ c: ClientSession, _ args: Arguments) {
        guard let slot = c.db.peek(args[1], now: c.now) else { return c.reply.writeSimpleString("none") }
        let value = c.db.value(at: slot)
        c.reply.writeSimpleString(value.typeName)
    }

    static func keys(_ c: ClientSession, _ args: Arguments) {
        let pattern = args[1]
        let everything = pattern.count == 1 && pattern[0] == UInt8(ascii: "*")
        var found: [Bytes] = []
        var cursor: UInt64 = 0
        repeat {
            cursor = c.db.scanStep(cursor: cursor) { key, _, expireAt in
                guard !isExpired(expireAt, now: c.now) else { return }
                if everything || key.withUnsafeBytes({ GlobPattern.matches(pattern, $0) }) { found.append(key) }
            }
        } while cursor != 0
        writeKeyArray(c, found)
    }

    /// SCAN cursor [MATCH pattern] [COUNT count] [TYPE type]
    static func scan(_ c: ClientSession, _ args: Arguments) {
        guard let options = ScanOptions.parse(c, args, cursorAt: 1, allowType: true) else { return }
        var found: [Bytes] = []
        var expired: [Bytes] = []
        var cursor = options.cursor
        let (limit, overflow) = options.count.multipliedReportingOverflow(by: 10)
        var iterations = overflow ? Int.max : limit
        repeat {
            cursor = c.db.scanStep(cursor: cursor) { key, value, expireAt in
                if !options.matches(key) { return }
                if let typeFilter = options.type, "\(value.typeName)" != typeFilter { return }
                // Expired keys met on the way are deleted, as Redis's SCAN does.
                if isExpired(expireAt, now: c.now) { return expired.append(key) }
                found.append(key)
            }
            iterations -= 1
        } while cursor != 0 && iterations > 0 && found.count < options.count
        // (Not while expiry is held: under CLIENT PAUSE, or on a replica, which waits for its master's DELs.)
        for key in expired { key.withUnsafeBytes { _ = c.db.peek($0, now: c.now) } }

        c.reply.writeArrayHeader(2)
        c.reply.writeBulk(String(cursor))
        writeKeyArray(c, found)
    }

    /// Redis reads the cursor with `strtoul`: a leading '-' wraps, a blank is an error.
    static func parseCursor(_ bytes: UnsafeRawBufferPointer) -> UInt64? {
        if let first = bytes.first, isCBlank(first) { return nil }
        let text = Array(bytes.prefix { $0 != 0 }.map { CChar(bitPattern: $0) }) + [0]
        return text.withUnsafeBufferPointer { buffer -> UInt64? in
            errno = 0
            var end: UnsafeMutablePointer<CChar>? = nil
            let value = strtoul(buffer.baseAddress!, &end, 10)
            guard let end, end.pointee == 0, errno != ERANGE else { return nil }
            return UInt64(value)
        }
    }

    private static func writeKeyArray(_ c: ClientSession, _ keys: [Bytes]) {
        c.reply.writeBulkArray(keys)
    }

    static func randomkey(_ c: ClientSession, _ args: Arguments) {
        c.replyBulk(c.db.randomKey(now: c.now))
    }

    static func dbsize(_ c: ClientSession, _ args: Arguments) {
        c.reply.writeIntegerReply(c.db.count)
    }

    // MARK: - Renaming and moving

    static func rename(_ c: ClientSession, _ args: Arguments) { renameGeneric(c, args, onlyIfAbsent: false) }
    static func renamenx(_ c: ClientSession, _ args: Arguments) { renameGeneric(c, args, onlyIfAbsent: true) }

    /// The one implementation behind RENAME and RENAMENX.
    private static func renameGeneric(_ c: ClientSession, _ args: Arguments, onlyIfAbsent: Bool) {
        guard let slot = c.db.lookup(args[1], now: c.now) else { return c.replyError(ErrorReply.noSuchKey) }
        let samekey = Bytes(args[1]).equals(args[2])
        if samekey {
            return onlyIfAbsent ? c.reply.writeIntegerReply(0) : c.replyOK()
        }
        let value = c.db.value(at: slot)
        let expireAt = c.db.expireAt(at: slot)
        if c.db.exists(args[2], now: c.now) {
            if onlyIfAbsent { return c.reply.writeIntegerReply(0) }
            c.db.removeForReplacement(args[2], now: c.now)
        }
        c.db.remove(args[1], now: c.now)
        c.db.insert(Bytes(args[2]), value, expireAt: expireAt)
        c.notify(.generic, "rename_from", args[1])
        c.notify(.generic, "rename_to", args[2])
        c.dirty()
        onlyIfAbsent ? c.reply.writeIntegerReply(1) : c.replyOK()
    }

    /// COPY source destination [DB destination-db] [REPLACE]
    static func copy(_ c: ClientSession, _ args: Arguments) {
        var target = c.db
        var replace = false
        var index = 3
        while index < args.count {
            if args.matches(index, "replace") {
                replace = true
            } else if args.matches(index, "db") && index + 1 < args.count {
                guard let number = c.int32Argument(args, index + 1) else { return }
                guard let db = c.engine.keyspace.database(number) else { return c.replyError(ErrorReply.dbIndexOutOfRange) }
                target = db
                index += 1
            } else {
                return c.replyError(ErrorReply.syntax)
            }
            index += 1
        }
        if target === c.db && Bytes(args[1]).equals(args[2]) { return c.replyError(ErrorReply.sameObject) }
        guard let slot = c.db.lookup(args[1], now: c.now) else { return c.reply.writeIntegerReply(0) }
        let value = c.db.value(at: slot)
        let expireAt = c.db.expireAt(at: slot)
        if target.exists(args[2], now: c.now) {
            guard replace else { return c.reply.writeIntegerReply(0) }
            target.removeForReplacement(args[2], now: c.now)
        }
        target.insert(Bytes(args[2]), value.duplicate(), expireAt: expireAt)
        c.engine.notify(.generic, "copy_to", key: Bytes(args[2]), db: target.index)
        c.dirty()
        c.reply.writeIntegerReply(1)
    }

    static func move(_ c: ClientSession, _ args: Arguments) {
        guard let number = c.int32Argument(args, 2) else { return }
        guard let target = c.engine.keyspace.database(number) else { return c.replyError(ErrorReply.dbIndexOutOfRange) }
        guard target !== c.db else { return c.replyError(ErrorReply.sameObject) }
        guard let slot = c.db.lookup(args[1], now: c.now) else { return c.reply.writeIntegerReply(0) }
        if target.exists(args[1], now: c.now) { return c.reply.writeIntegerReply(0) }
        let value = c.db.value(at: slot)
        let expireAt = c.db.expireAt(at: slot)
        c.db.remove(args[1], now: c.now)
        target.insert(Bytes(args[1]), value, expireAt: expireAt)
        c.notify(.generic, "move_from", args[1])
        c.engine.notify(.generic, "move_to", key: Bytes(args[1]), db: target.index)
        c.dirty()
        c.reply.writeIntegerReply(1)
    }

    static func swapdb(_ c: ClientSession, _ args: Arguments) {
        guard let first = c.int32Argument(args, 1, error: ErrorReply.invalidFirstDBIndex),
              let second = c.int32Argument(args, 2, error: ErrorReply.invalidSecondDBIndex) else { return }
        let count = c.engine.keyspace.databases.count
        guard first >= 0, first < count, second >= 0, second < count else {
            return c.replyError(ErrorReply.dbIndexOutOfRange)
        }
        let keyspace = c.engine.keyspace
        keyspace.touchWatchedKeys(in: keyspace.databases[first], orIn: keyspace.databases[second], now: c.now)
        keyspace.touchWatchedKeys(in: keyspace.databases[second], orIn: keyspace.databases[first], now: c.now)
        c.engine.keyspace.swap(first, second)
        // Clients blocked in either database may now find their keys.
        c.engine.keyspace.databases[first].signalAllWaitedKeys()
        c.engine.keyspace.databases[second].signalAllWaitedKeys()
        c.dirty()
        c.replyOK()
    }

    // MARK: - Flushing

    static func flushdb(_ c: ClientSession, _ args: Arguments) {
        guard parseFlushMode(c, args) else { return }
        c.engine.keyspace.touchWatchedKeys(in: c.db, now: c.now)
        c.dirty(c.db.count)
        c.db.removeAll(lazyFree: c.engine.flushFreer(args, option: 1))
        c.engine.invalidateAllTracked()
        // Logged and streamed even when the database was already empty, as Redis 7.0 does.
        c.propagate(args)
        c.replyOK()
    }

    static func flushall(_ c: ClientSession, _ args: Arguments) {
        guard parseFlushMode(c, args) else { return }
        let freer = c.engine.flushFreer(args, option: 1)
        for db in c.engine.keyspace.databases {
            c.engine.keyspace.touchWatchedKeys(in: db, now: c.now)
            c.dirty(db.count)
            db.removeAll(lazyFree: freer)
        }
        c.engine.persistence?.flushedAll()
        c.engine.invalidateAllTracked()
        c.dirty()
        c.replyOK()
    }

    /// [ASYNC | SYNC] (`Engine.flushFreer` says where the keys are freed).
    private static func parseFlushMode(_ c: ClientSession, _ args: Arguments) -> Bool {
        if args.count == 1 { return true }
        if args.count == 2 && (args.matches(1, "async") || args.matches(1, "sync")) { return true }
        c.replyError(ErrorReply.syntax)
        return false
    }
}

extension Keyspace {
    /// Database `index`, if it exists.
    public func database(_ index: Int) -> Database? {
        index >= 0 && index < databases.count ? databases[index] : nil
    }
}
