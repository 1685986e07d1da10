import KeyDBRESP
import KeyDBStorage

#if canImport(Glibc)
import Glibc
#endif

/// DEBUG: the subcommands Redis's own test suite leans on to check persistence —
/// RELOAD (save, empty, load the snapshot), LOADAOF (empty, replay the log),
/// DIGEST / DIGEST-VALUE (Redis's fingerprint of the data, `DatasetDigest`), POPULATE, LOG,
/// CHANGE-REPL-ID — and SLEEP.
enum DebugCommand {
    static func debug(_ c: ClientSession, _ args: Arguments) {
        if args.matches(1, "help") { return help(c) }
        if args.matches(1, "reload") { return reload(c, args) }
        if args.matches(1, "loadaof") && args.count == 2 {
            guard let persistence = c.engine.persistence else { return c.replyError(ErrorReply.persistenceUnavailable) }
            return c.reply(persistence.debugLoadLog())
        }
        if args.matches(1, "digest") && args.count == 2 {
            return c.reply.writeSimpleString(DatasetDigest.dataset(c.engine.keyspace).hex)
        }
        if args.matches(1, "digest-value") {
            c.reply.writeArrayHeader(args.count - 2)
            for index in 2..<max(2, args.count) {
                // Logically expired keys too, as Redis: a debugging aid sees what is stored.
                let digest = c.db.peekSlot(args[index]).map { slot in
                    let entry = c.db.table.entries[Int(slot)]
                    return DatasetDigest.value(entry.value, expires: entry.expireAt != 0)
                } ?? DatasetDigest()
                c.reply.writeSimpleString(digest.hex)
            }
            return
        }
        if args.matches(1, "populate") && (3...5).contains(args.count) { return DebugPopulate.populate(c, args) }
        if args.matches(1, "log") && args.count == 3 {
            // Up to a zero byte, as Redis prints it with %s.
            c.engine.logWarning?("DEBUG LOG: \(String(decoding: args[2].prefix { $0 != 0 }, as: UTF8.self))")
            return c.replyOK()
        }
        if args.matches(1, "replicate") && args.count >= 3 {
            // A test hook: the words go to the replicas alone, in the database the stream has selected.
            if let feed = c.engine.appendOnlyFeed, c.engine.replication.isStreaming {
                feed.recordForReplicas(db: max(0, feed.selectedDatabase), args.dropping(2))
            }
            return c.replyOK()
        }
        if args.matches(1, "change-repl-id") && args.count == 2 {
            c.engine.logWarning?("Changing replication IDs after receiving DEBUG change-repl-id")
            c.engine.replication.startNewHistory()
            return c.replyOK()
        }
        if args.matches(1, "set-disable-deny-scripts") && args.count == 3 {
            c.engine.scripting.denyListDisabled = args[2].first.map { $0 != UInt8(ascii: "0") } ?? false
            return c.replyOK()
        }
        if args.matches(1, "set-active-expire") && args.count == 3 {
            c.engine.activeExpireEnabled = atoi(args.string(2)) != 0
            return c.replyOK()
        }
        if args.matches(1, "pause-cron") && args.count == 3 {
            c.engine.cronPaused = atoi(args.string(2)) != 0
            return c.replyOK()
        }
        if args.matches(1, "object") && args.count == 3 { return object(c, args) }
        if args.matches(1, "quicklist-packed-threshold") && args.count == 3 { return packedThreshold(c, args) }
        if args.matches(1, "protocol") && args.count == 3 { return protocolSample(c, args) }
        if args.matches(1, "sleep") && args.count == 3 {
            // As Redis's strtod: a leading number, anything else reads as 0.
            let seconds = args.string(2).withCString { strtod($0, nil) }
            usleep(useconds_t(seconds.isFinite ? max(0, min(seconds, 3600)) * 1_000_000 : 0))
            return c.replyOK()
        }
        c.replyError(bytes: ErrorReply.subcommandSyntax(args))
    }

    /// DEBUG QUICKLIST-PACKED-THRESHOLD <size>: from what size a list element is
    /// saved in a node of its own. Up to just under 4 GB; 0 restores the default.
    private static func packedThreshold(_ c: ClientSession, _ args: Arguments) {
        let text = args.string(2)
        guard let size = Configuration.parseMemory(text), size <= (1 << 32) - (1 << 20) else {
            return c.replyError(ErrorReply.packedThreshold)
        }
        c.engine.configuration.listPackedThreshold = size == 0 ? 1 << 30 : Int(size)
        c.replyOK()
    }

    /// DEBUG OBJECT <key>: Redis's one-line description of the value. The key is
    /// found as stored, even if its time has passed (Redis looks in the dictionary).
    private static func object(_ c: ClientSession, _ args: Arguments) {
        guard let slot = c.db.storedSlot(args[2]) else { return c.replyError(ErrorReply.noSuchKey) }
        let value = c.db.value(at: slot)
        let configuration = c.engine.configuration
        let refcount = c.db.isSharedInteger(at: slot, configuration) ? ObjectCommand.sharedReferenceCount : 1
        // The value's RDB body: its DUMP payload less the type byte and the 10-byte footer.
        let serialized = DumpCommands.payload(of: value, configuration).count - 11
        let record = c.db.accessRecord(at: slot)
        let idle = AccessClock.idleMilliseconds(since: record, clock: c.db.access.lruClock) / 1000
        let address = 0x7f00_0000_0000 + Int(slot) * 16
        let encoding = c.db.encodingName(at: slot, configuration)
        var line = "Value at:0x\(String(address, radix: 16)) refcount:\(refcount) encoding:\(encoding)"
        line += " serializedlength:\(serialized) lru:\(record & AccessClock.lruMax) lru_seconds_idle:\(idle)"
        if case .list(let list) = value {
            let nodes = quicklistNodeSizes(list.items, limits: configuration.rdbEncodingLimits)
            let average = cFixedText(Double(list.items.count) / Double(nodes.count), format: "%.2f")
            let compressed = configuration.listCompressDepth != 0 ? 1 : 0
            line += " ql_nodes:\(nodes.count) ql_avg_node:\(average) ql_listpack_max:\(configuration.listMaxListpackSize)"
            line += " ql_compressed:\(compressed) ql_uncompressed_size:\(nodes.reduce(0, +))"
        }
        c.reply.writeSimpleString(line)
    }

    /// DEBUG PROTOCOL <type>: one reply of each RESP3 type, as a RESP2 client receives it
    /// (scripts' reply conversion is tested with it).
    private static func protocolSample(_ c: ClientSession, _ args: Arguments) {
        let name = args.string(2).lowercased()
        switch name {
        case "string": c.reply.writeBulk("Hello World")
        case "integer": c.reply.writeIntegerReply(12345)
        case "double": c.replyDouble(3.141)
        case "bignum": c.replyBigNumber("1234567999999999999999999999999999999")
        case "null": c.replyNull()
        case "array", "set":
            if name == "set" { c.replySetHeader(3) } else { c.reply.writeArrayHeader(3) }
            for index in 0..<3 { c.reply.writeIntegerReply(index) }
        case "map":
            c.replyMapHeader(3)
            for index in 0..<3 {
                c.reply.writeIntegerReply(index)
                c.replyBool(index == 1)
            }
        case "attrib":
            if c.resp3 {
                c.reply.writeAttributeHeader(1)
                c.reply.writeBulk("key-popularity")
                c.reply.writeArrayHeader(2)
                c.reply.writeBulk("key:123")
                c.reply.writeIntegerReply(90)
            }
            c.reply.writeBulk("Some real reply following the attribute")
        case "push":
            guard c.resp3 else { return c.replyError(ErrorReply.resp2NotSupported) }
            c.push {
                c.replyPushHeader(2)
                c.reply.writeBulk("server-cpu-usage")
                c.reply.writeIntegerReply(42)
            }
            c.reply.writeBulk("Some real reply following the push reply")
        case "true", "false": c.replyBool(name == "true")
        case "verbatim": c.replyVerbatim("This is a verbatim\nstring")
        default: c.replyError(ErrorReply.debugProtocolType)
        }
    }

    /// DEBUG RELOAD [MERGE] [NOFLUSH] [NOSAVE]
    private static func reload(_ c: ClientSession, _ args: Arguments) {
        var flush = true, save = true, merge = false
        for index in 2..<max(2, args.count) {
            if args.matches(index, "merge") { merge = true }
            else if args.matches(index, "noflush") { flush = false }
            else if args.matches(index, "nosave") { save = false }
            else { return c.replyError(ErrorReply.debugReloadOption) }
        }
        guard let persistence = c.engine.persistence else { return c.replyError(ErrorReply.persistenceUnavailable) }
        c.reply(persistence.debugReload(flush: flush, save: save, merge: merge))
    }

    private static func help(_ c: ClientSession) {
        writeHelp(c, command: "DEBUG", lines: [
            "DIGEST", "    Output a hex signature representing the current DB content.",
            "DIGEST-VALUE <key> [<key> ...]", "    Output a hex signature of the values of all the specified keys.",
            "CHANGE-REPL-ID", "    Change the replication IDs of the instance (replicas then need a full resync).",
            "LOADAOF", "    Flush the AOF buffers on disk and reload the AOF in memory.",
            "REPLICATE <string>", "    Replicates the provided string to replicas, allowing data divergence.",
            "LOG <message>", "    Write <message> to the server log.",
            "RELOAD [option ...]", "    Save the RDB on disk and reload it back to memory. Options: MERGE, NOFLUSH, NOSAVE.",
            "POPULATE <count> [<prefix>] [<size>]", "    Create <count> string keys named <prefix>:<num> (prefix 'key'), not logged nor sent to replicas.",
            "PROTOCOL <type>", "    Reply with a test value of the specified type.",
            "OBJECT <key>", "    Show low level info about the `key` and associated value.",
            "PAUSE-CRON <0|1>", "    Stop periodic cron job processing.",
            "QUICKLIST-PACKED-THRESHOLD <size>", "    Save list elements of at least <size> bytes in quicklist nodes of their own (default 1gb, up to 4gb; 0 restores the default).",
            "SET-ACTIVE-EXPIRE <0|1>", "    Setting it to 0 disables expiring keys in background when they are not accessed (otherwise the Redis behavior). Setting it to 1 reenables back the default.",
            "SET-DISABLE-DENY-SCRIPTS <0|1>", "    Enable/disable scripts' ability to run commands flagged noscript (for tests).",
            "SLEEP <seconds>", "    Stop the server for <seconds>. Decimals allowed.",
        ])
    }

    /// As C's atoi: a leading number, anything else reads as 0.
    private static func atoi(_ text: String) -> Int {
        Int(text.prefix { $0.isNumber || $0 == "-" || $0 == "+" }) ?? 0
    }
}
