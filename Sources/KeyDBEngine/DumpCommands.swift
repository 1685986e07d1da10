import KeyDBRESP
import KeyDBStorage

/// DUMP and RESTORE (Redis's cluster.c): a value in the RDB encoding snapshots
/// use (Value+RDB.swift), in DUMP's frame (DumpPayload.swift).
enum DumpCommands {
    static func dump(_ c: ClientSession, _ args: Arguments) {
        guard let value = c.lookupRead(args[1]) else { return c.replyNull() }
        c.reply.writeBulk(payload(of: value, c.engine.configuration))
    }

    /// The DUMP payload of `value`: one RDB object (type byte and body), then the footer.
    static func payload(of value: Value, _ configuration: Configuration) -> [UInt8] {
        var encoder = RDBObjectEncoder(compression: configuration.rdbCompression, limits: configuration.rdbEncodingLimits)
        // In memory, so nothing can fail but a value the RDB layer refuses (an empty
        // collection), which the keyspace never holds.
        do { try value.writeRDB(to: &encoder) } catch { preconditionFailure("DUMP of an unencodable value: \(error)") }
        return DumpPayload.seal(encoder.bytes)
    }

    /// The value in a payload whose footer was verified; nil when Redis 7.0 would not load it.
    static func value(in payload: UnsafeRawBufferPointer, _ configuration: Configuration) -> Value? {
        // As Redis, the object is read from the start of the whole payload, footer
        // included, and whatever follows it is ignored.
        var cursor = RDBCursor(Array(payload))
        guard let type = try? cursor.readByte(), type <= newestRedis70Type,
              let object = try? RDBObjectDecoder.decode(type: type, from: &cursor) else { return nil }
        return Value(rdb: object, zsetLimits: configuration.zsetListpackLimits, maxIntsetEntries: configuration.setMaxIntsetEntries)
    }

    /// Redis 7.0's last object type (RDB_TYPE_STREAM_LISTPACKS_2); later ones are 7.2's.
    static let newestRedis70Type = RDBValueType.streamListpacks2.rawValue

    /// RESTORE key ttl serialized-value [REPLACE] [ABSTTL] [IDLETIME seconds] [FREQ frequency]
    static func restore(_ c: ClientSession, _ args: Arguments) {
        var replace = false, absoluteTTL = false
        var idleSeconds: Int64? = nil, frequency: Int64? = nil
        var index = 4
        while index < args.count {
            let hasValue = index + 1 < args.count
            if args.matches(index, "replace") {
                replace = true
            } else if args.matches(index, "absttl") {
                absoluteTTL = true
            } else if args.matches(index, "idletime") && hasValue && frequency == nil {
                guard let idle = args.int64(index + 1) else { return c.replyError(ErrorReply.notInteger) }
                guard idle >= 0 else { return c.replyError(ErrorReply.invalidIdleTime) }
                idleSeconds = idle
                index += 1
            } else if args.matches(index, "freq") && hasValue && idleSeconds == nil {
                guard let freq = args.int64(index + 1) else { return c.replyError(ErrorReply.notInteger) }
                guard (0...255).contains(freq) else { return c.replyError(ErrorReply.invalidFrequency) }
                frequency = freq
                index += 1
            } else {
                return c.replyError(ErrorReply.syntax)
            }
            index += 1
        }
        // The checks come in Redis's order: the key, the TTL, the frame, the object.
        if !replace && c.db.lookup(args[1], now: c.now) != nil { return c.replyError(ErrorReply.busyKey) }
        guard var ttl = args.int64(2) else { return c.replyError(ErrorReply.notInteger) }
        guard ttl >= 0 else { return c.replyError(ErrorReply.invalidTTL) }
        guard DumpPayload.verify(args[3]) else { return c.replyError(ErrorReply.dumpPayloadWrong) }
        guard let value = value(in: args[3], c.engine.configuration) else { return c.replyError(ErrorReply.badDataFormat) }

        let deleted = replace && c.db.removeForReplacement(args[1], now: c.now)
        // Redis adds without an overflow check; wrapping gives the time it would compute.
        if ttl != 0 && !absoluteTTL { ttl = ttl &+ c.now }
        if ttl != 0 && c.expiryHasPassed(ttl) {
            // The value would be gone at once: only the key it replaced is.
            if deleted {
                c.notify(.generic, "del", args[1])
                c.propagate("DEL" as StaticString, args[1])
                c.dirty()
            }
            return c.replyOK()
        }
        let key = Bytes(args[1])
        c.db.insert(key, value, expireAt: ttl)
        if let slot = c.db.peek(args[1], now: c.now) {
            c.db.restoreAccessRecord(at: slot, idleSeconds: idleSeconds, frequency: frequency)
        }
        if ttl != 0 && !absoluteTTL {
            // Logged with the absolute time, so replay gives the key the same expiry.
            var rest: [Bytes] = [Bytes(String(ttl)), Bytes(args[3])]
            for option in 4..<args.count { rest.append(Bytes(args[option])) }
            rest.append(Bytes("ABSTTL"))
            c.propagate("RESTORE" as StaticString, args[1], rest)
        }
        c.notify(.generic, "restore", key)
        c.dirty()
        c.replyOK()
    }
}

extension Database {
    /// RESTORE's IDLETIME (under an LRU policy) or FREQ (under LFU): the access record the
    /// key would have had. The other option, or none, leaves the record of a new key.
    func restoreAccessRecord(at slot: Int32, idleSeconds: Int64?, frequency: Int64?) {
        switch access.policy {
        case .lfu:
            guard let frequency else { return }
            table.entries[Int(slot)].access = access.minutes << 8 | UInt32(frequency)
        case .lru:
            guard let idleSeconds else { return }
            // Wrapping as Redis's 24-bit clock does for an idle time longer than its period.
            var stamp = Int64(access.lruClock) &- idleSeconds
            if stamp < 0 { stamp &+= Int64(AccessClock.lruMax) }
            table.entries[Int(slot)].access = UInt32(truncatingIfNeeded: stamp) & AccessClock.lruMax
        }
    }
}
