import KeyDBRESP
import NIOCore

/// MIGRATE host port key|"" destination-db timeout [COPY] [REPLACE]
/// [AUTH password | AUTH2 username password] [KEYS key ...] (Redis's cluster.c):
/// DUMPs the keys, RESTOREs them on another server over a cached connection,
/// and deletes them here once the target has taken each (unless COPY).
///
/// As in Redis, it runs to its end while holding the dataset: every socket call
/// waits at most `timeout` ms, and a cached connection that fails before the
/// target answered anything is reopened and tried once more.
enum MigrateCommand {
    static func migrate(_ c: ClientSession, _ args: Arguments) {
        var copy = false, replace = false
        var username: [UInt8]?, password: [UInt8]?
        var keyIndices = 3..<4
        var index = 6
        while index < args.count {
            let more = args.count - 1 - index
            if args.matches(index, "copy") {
                copy = true
            } else if args.matches(index, "replace") {
                replace = true
            } else if args.matches(index, "auth") {
                guard more >= 1 else { return c.replyError(ErrorReply.syntax) }
                index += 1
                password = args.bytes(index)
                c.redact(index)
            } else if args.matches(index, "auth2") {
                guard more >= 2 else { return c.replyError(ErrorReply.syntax) }
                username = args.bytes(index + 1)
                password = args.bytes(index + 2)
                c.redact(index + 1)
                c.redact(index + 2)
                index += 2
            } else if args.matches(index, "keys") {
                guard args[3].isEmpty else { return c.replyError(ErrorReply.migrateKeysNeedEmptyKey) }
                keyIndices = index + 1..<args.count
                break
            } else {
                return c.replyError(ErrorReply.syntax)
            }
            index += 1
        }
        guard let timeoutArgument = args.int64(5), let database = args.int64(4) else {
            return c.replyError(ErrorReply.notInteger)
        }
        // Past 2^31 ms the wait is poll's longest, as Redis's int-sized wait gives.
        let timeout = timeoutArgument <= 0 ? 1000 : Int(min(timeoutArgument, Int64(Int32.max)))

        // The keys that are here; with none, nothing to do (often a key that just expired).
        let present = keyIndices.filter { c.lookupReadSlot(args[$0]) != nil }
        guard !present.isEmpty else { return c.reply.writeSimpleString("NOKEY") }

        let request = Request(keys: present, host: args.bytes(1), port: args.bytes(2), database: database, timeout: timeout,
                              copy: copy, replace: replace, username: username, password: password)
        if attempt(c, args, request, mayRetry: true) == .retry { _ = attempt(c, args, request, mayRetry: false) }
    }

    /// What one MIGRATE asks, as parsed.
    private struct Request {
        let keys: [Int]
        let host: [UInt8], port: [UInt8]
        let database: Int64
        let timeout: Int
        let copy: Bool, replace: Bool
        let username: [UInt8]?, password: [UInt8]?
    }

    private enum Outcome { case done, retry }

    /// One connection's try: the reply is written unless it returns `.retry` (only when `mayRetry`).
    private static func attempt(_ c: ClientSession, _ args: Arguments, _ request: Request, mayRetry: Bool) -> Outcome {
        let (keys, host, port, database, timeout) = (request.keys, request.host, request.port, request.database, request.timeout)
        let (copy, replace, username, password) = (request.copy, request.replace, request.username, request.password)
        let links = c.engine.migrationLinks
        guard let entry = links.link(host: host, port: port, timeout: timeout, now: c.now) else {
            c.replyError(ErrorReply.migrateConnect)
            return .done
        }
        let link = entry.link
        // A failed socket call: the link is dropped, and tried once more unless it ran out of time.
        func socketFailure(writing: Bool) -> Outcome {
            links.close(host: host, port: port)
            if mayRetry && !link.timedOut { return .retry }
            c.replyError(ErrorReply.migrateIO(writing: writing))
            return .done
        }

        var commands = ByteBufferAllocator().buffer(capacity: 256)
        if let password {
            commands.writeArrayHeader(username == nil ? 2 : 3)
            commands.writeBulk("AUTH")
            if let username { commands.writeBulk(username) }
            commands.writeBulk(password)
        }
        let select = entry.database != database
        if select {
            commands.writeArrayHeader(2)
            commands.writeBulk("SELECT")
            commands.writeBulkDecimal(database)
        }
        // TTLs as of now, after the connect; keys whose time ran out since the lookup
        // are left out, as Redis does.
        let now = c.engine.clock?() ?? Clock.milliseconds()
        var sent: [Int] = []
        for index in keys {
            guard let slot = c.db.peek(args[index], now: now) else { continue }
            let expireAt = c.db.expireAt(at: slot)
            var ttl: Int64 = 0
            if expireAt != 0 {
                ttl = expireAt - now
                if ttl < 0 { continue }
                ttl = max(ttl, 1)
            }
            sent.append(index)
            commands.writeArrayHeader(replace ? 5 : 4)
            commands.writeBulk("RESTORE")
            commands.writeBulk(args[index])
            commands.writeBulkDecimal(ttl)
            commands.writeBulk(DumpCommands.payload(of: c.db.value(at: slot), c.engine.configuration))
            if replace { commands.writeBulk("REPLACE") }
        }
        guard link.write(Array(commands.readableBytesView), timeout: timeout) else { return socketFailure(writing: true) }

        var authReply: [UInt8] = [], selectReply: [UInt8] = []
        if password != nil {
            guard let line = link.readLine(timeout: timeout) else { return socketFailure(writing: false) }
            authReply = line
        }
        if select {
            guard let line = link.readLine(timeout: timeout) else { return socketFailure(writing: false) }
            selectReply = line
        }
        var failedByTarget = false, socketFailed = false, answered = 0
        var moved: [Bytes] = []
        for index in sent {
            guard let line = link.readLine(timeout: timeout) else {
                socketFailed = true
                break
            }
            answered += 1
            let refusal = [authReply, selectReply, line].first { $0.first == UInt8(ascii: "-") }
            if let refusal {
                guard !failedByTarget else { continue }
                failedByTarget = true
                entry.database = -1
                c.replyError(bytes: ErrorReply.migrateTargetError(refusal.dropFirst()))
            } else if !copy {
                // A key named twice is counted and logged twice, as Redis does.
                c.db.removeForReplacement(args[index], now: c.now)
                c.notify(.generic, "del", args[index])
                c.dirty()
                moved.append(Bytes(args[index]))
            }
        }
        // Nothing answered yet: a stale cached link is worth one more try.
        if !failedByTarget && socketFailed && answered == 0 && mayRetry && !link.timedOut {
            return socketFailure(writing: false)
        }
        if socketFailed { links.close(host: host, port: port) }
        // Logged as a DEL of the keys the target took, as Redis rewrites MIGRATE.
        if let first = moved.first {
            first.withUnsafeBytes { c.propagate("DEL" as StaticString, $0, moved.dropFirst()) }
        }
        if failedByTarget { return .done }
        if socketFailed {
            c.replyError(ErrorReply.migrateIO(writing: false))
            return .done
        }
        entry.database = database
        c.replyOK()
        return .done
    }
}
