import KeyDBRESP
import KeyDBStorage

#if canImport(Glibc)
import Glibc
#endif

/// DEBUG: the subcommands Redis's own test suite leans on to check persistence —
/// RELOAD (save, empty, load the snapshot), LOADAOF (empty, replay the log),
/// DIGEST / DIGEST-VALUE (an order-independent fingerprint of the data) — and SLEEP.
enum DebugCommand {
    static func debug(_ c: ClientSession, _ args: Arguments) {
        if args.matches(1, "help") { return help(c) }
        if args.matches(1, "reload") { return reload(c, args) }
        if args.matches(1, "loadaof") && args.count == 2 {
            guard let persistence = c.engine.persistence else { return c.replyError(ErrorReply.persistenceUnavailable) }
            return c.reply(persistence.debugLoadLog())
        }
        if args.matches(1, "digest") && args.count == 2 {
            return c.reply.writeSimpleString(hex(Digest.dataset(c.engine.keyspace)))
        }
        if args.matches(1, "digest-value") {
            c.reply.writeArrayHeader(args.count - 2)
            for index in 2..<max(2, args.count) {
                let value = c.db.get(args[index], now: c.now)
                c.reply.writeSimpleString(hex(value.map { Digest.value($0) } ?? Digest.zero))
            }
            return
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
            guard c.resp3 else { return c.replyError("ERR RESP2 is not supported by this command") }
            c.push {
                c.replyPushHeader(2)
                c.reply.writeBulk("server-cpu-usage")
                c.reply.writeIntegerReply(42)
            }
            c.reply.writeBulk("Some real reply following the push reply")
        case "true", "false": c.replyBool(name == "true")
        case "verbatim": c.replyVerbatim("This is a verbatim\nstring")
        default: c.replyError("ERR Wrong protocol type name. Please use one of the following: string|integer|double|bignum|null|array|set|map|attrib|push|verbatim|true|false")
        }
    }

    /// DEBUG RELOAD [MERGE] [NOFLUSH] [NOSAVE]
    private static func reload(_ c: ClientSession, _ args: Arguments) {
        var flush = true, save = true, merge = false
        for index in 2..<max(2, args.count) {
            if args.matches(index, "merge") { merge = true }
            else if args.matches(index, "noflush") { flush = false }
            else if args.matches(index, "nosave") { save = false }
            else { return c.replyError("ERR DEBUG RELOAD only supports the MERGE, NOFLUSH and NOSAVE options.") }
        }
        guard let persistence = c.engine.persistence else { return c.replyError(ErrorReply.persistenceUnavailable) }
        c.reply(persistence.debugReload(flush: flush, save: save, merge: merge))
    }

    private static func help(_ c: ClientSession) {
        writeHelp(c, command: "DEBUG", lines: [
            "DIGEST", "    Output a hex signature representing the current DB content.",
            "DIGEST-VALUE <key> [<key> ...]", "    Output a hex signature of the values of all the specified keys.",
            "LOADAOF", "    Flush the AOF buffers on disk and reload the AOF in memory.",
            "RELOAD [option ...]", "    Save the RDB on disk and reload it back to memory. Options: MERGE, NOFLUSH, NOSAVE.",
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

    private static func hex(_ digest: Digest.Fingerprint) -> String {
        [digest.0, digest.1, digest.2].map { word in
            let text = String(word, radix: 16)
            return String(repeating: "0", count: 16 - text.count) + text
        }.joined().prefix(40).description
    }
}

/// A fingerprint of data that does not depend on the order keys (or set members,
/// hash fields) are stored in, so it survives a save and a reload unchanged.
enum Digest {
    typealias Fingerprint = (UInt64, UInt64, UInt64)
    static let zero: Fingerprint = (0, 0, 0)

    static func dataset(_ keyspace: Keyspace) -> Fingerprint {
        var total = zero
        for db in keyspace.databases where db.count > 0 {
            db.forEachEntry { key, value, expireAt in
                var entry = mix(zero, [UInt8]("db\(db.index)".utf8))
                entry = mix(entry, key.array)
                entry = combine(entry, self.value(value))
                if expireAt != 0 { entry = mix(entry, [UInt8]("expire \(expireAt)".utf8)) }
                total = xor(total, entry)
            }
        }
        return total
    }

    /// Ordered parts mix in sequence; unordered ones are xored, so their order cannot matter.
    static func value(_ value: Value) -> Fingerprint {
        switch value {
        case .string(let bytes): return mix(mix(zero, [0]), bytes.array)
        case .list(let list): return list.items.reduce(mix(zero, [1])) { mix($0, $1.array) }
        case .set(let set): return set.members.reduce(mix(zero, [2])) { xor($0, mix(zero, $1.array)) }
        case .hash(let hash): return hash.fields.reduce(mix(zero, [3])) { xor($0, mix(mix(zero, $1.key.array), $1.value.array)) }
        case .sortedSet(let zset):
            var digest = mix(zero, [4])
            zset.forEachInOrder { member, score in
                digest = mix(mix(digest, member.array), withUnsafeBytes(of: score.bitPattern.littleEndian, Array.init))
            }
            return digest
        case .stream(let stream):
            // Entries, then each group's position, PEL and consumers, in order.
            var digest = mix(zero, [5])
            stream.forEach(in: StreamID.zero...StreamID.max) { entry in
                digest = entry.fields.reduce(mix(digest, entry.id.text)) { mix($0, $1.array) }
                return true
            }
            digest = mix(digest, stream.lastID.text)
            for (name, group) in stream.groups.sorted(by: { $0.key < $1.key }) {
                digest = mix(mix(digest, name.array), group.lastID.text)
                for id in group.pendingOrder.ids {
                    guard let entry = group.pending[id] else { continue }
                    digest = mix(mix(digest, id.text), entry.consumer.name.array)
                }
            }
            return digest
        }
    }

    private static func xor(_ a: Fingerprint, _ b: Fingerprint) -> Fingerprint { (a.0 ^ b.0, a.1 ^ b.1, a.2 ^ b.2) }

    private static func combine(_ a: Fingerprint, _ b: Fingerprint) -> Fingerprint {
        mix(a, withUnsafeBytes(of: b) { Array($0) })
    }

    /// Three independent FNV-1a style lanes over `bytes`, chained from `seed`.
    private static func mix(_ seed: Fingerprint, _ bytes: [UInt8]) -> Fingerprint {
        var lanes: [UInt64] = [seed.0 ^ 0xcbf2_9ce4_8422_2325, seed.1 ^ 0x9e37_79b9_7f4a_7c15, seed.2 ^ 0xc2b2_ae3d_27d4_eb4f]
        let primes: [UInt64] = [0x0000_0100_0000_01b3, 0x0000_0001_0000_0193, 0x100_0000_01b3_0001]
        for byte in bytes + withUnsafeBytes(of: UInt64(bytes.count).littleEndian, Array.init) {
            for lane in 0..<3 { lanes[lane] = (lanes[lane] ^ UInt64(byte)) &* primes[lane] }
        }
        for lane in 0..<3 { lanes[lane] ^= lanes[lane] >> 29 }
        return (lanes[0], lanes[1], lanes[2])
    }
}
