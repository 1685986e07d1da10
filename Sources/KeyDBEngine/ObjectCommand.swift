import KeyDBRESP

/// OBJECT ENCODING | FREQ | IDLETIME | REFCOUNT | HELP (Redis's object.c).
/// None of them counts as an access to the key.
enum ObjectCommand {
    static func encoding(_ c: ClientSession, _ args: Arguments) {
        guard let slot = c.lookupReadSlot(args[2], touch: false) else { return c.replyNull() }
        c.reply.writeBulk(c.db.encodingName(at: slot, c.engine.configuration))
    }

    static func refcount(_ c: ClientSession, _ args: Arguments) {
        guard let slot = c.lookupReadSlot(args[2], touch: false) else { return c.replyNull() }
        c.reply.writeIntegerReply(c.db.isSharedInteger(at: slot, c.engine.configuration) ? sharedReferenceCount : 1)
    }

    static func idletime(_ c: ClientSession, _ args: Arguments) {
        guard let slot = c.lookupReadSlot(args[2], touch: false) else { return c.replyNull() }
        guard c.db.access.policy == .lru else { return c.replyError(ErrorReply.idleTimeUnderLFU) }
        let idle = AccessClock.idleMilliseconds(since: c.db.accessRecord(at: slot), clock: c.db.access.lruClock)
        c.reply.writeIntegerReply(idle / 1000)
    }

    static func freq(_ c: ClientSession, _ args: Arguments) {
        guard let slot = c.lookupReadSlot(args[2], touch: false) else { return c.replyNull() }
        guard c.db.access.policy == .lfu else { return c.replyError(ErrorReply.frequencyWithoutLFU) }
        // Decayed as of now: the record itself changes only when the key is accessed.
        c.reply.writeIntegerReply(Int64(AccessClock.decayedCounter(c.db.accessRecord(at: slot), c.db.access)))
    }

    static func help(_ c: ClientSession, _ args: Arguments) {
        writeHelp(c, command: "OBJECT", lines: [
            "ENCODING <key>",
            "    Return the kind of internal representation used in order to store the value",
            "    associated with a <key>.",
            "FREQ <key>",
            "    Return the access frequency index of the <key>. The returned integer is",
            "    proportional to the logarithm of the recent access frequency of the key.",
            "IDLETIME <key>",
            "    Return the idle time of the <key>, that is the approximated number of",
            "    seconds elapsed since the last access to the key.",
            "REFCOUNT <key>",
            "    Return the number of references of the value associated with the specified",
            "    <key>.",
        ])
    }

    /// What Redis reports for its shared integer objects (OBJ_SHARED_REFCOUNT).
    static let sharedReferenceCount: Int64 = Int64(Int32.max)
    /// Redis shares the objects of the integers 0...9999 (OBJ_SHARED_INTEGERS).
    static let sharedIntegers: ClosedRange<Int64> = 0...9999
}

extension Database {
    /// The encoding Redis would hold this value in (OBJECT ENCODING): SwiftKeyDB's own
    /// structures differ, but follow the same thresholds and one-way conversions.
    func encodingName(at slot: Int32, _ configuration: Configuration) -> String {
        switch value(at: slot) {
        case .string(let bytes):
            let form = flags(at: slot)
            if form & KeyTable.rawString != 0 { return "raw" }
            if form & KeyTable.plainString == 0 && bytes.withUnsafeBytes({ Int64(redisDecimal: $0) }) != nil { return "int" }
            return bytes.count <= embeddedStringLimit ? "embstr" : "raw"
        case .list:
            return "quicklist"  // Redis 7.0 keeps every list as a quicklist
        case .hash(let hash):
            let fits = hash.fields.count <= configuration.hashMaxListpackEntries
                && hash.fields.allSatisfy { $0.key.count <= configuration.hashMaxListpackValue && $0.value.count <= configuration.hashMaxListpackValue }
            return hash.fields.isPacked && fits ? "listpack" : "hashtable"
        case .set(let set):
            return set.members.isIntset ? "intset" : "hashtable"
        case .sortedSet(let zset):
            return zset.isListpack ? "listpack" : "skiplist"
        case .stream:
            return "stream"
        }
    }

    /// Whether Redis would hold this value as one of its shared integer objects:
    /// a string it encoded as an integer within 0...9999, while no maxmemory
    /// LRU/LFU policy needs objects of their own.
    func isSharedInteger(at slot: Int32, _ configuration: Configuration) -> Bool {
        guard case .string(let bytes) = value(at: slot), flags(at: slot) == 0,
              let number = bytes.withUnsafeBytes({ Int64(redisDecimal: $0) }) else { return false }
        let policyNeedsOwnObjects = configuration.maxMemory != 0
            && (configuration.maxMemoryPolicy.hasSuffix("-lru") || configuration.maxMemoryPolicy.hasSuffix("-lfu"))
        return ObjectCommand.sharedIntegers.contains(number) && !policyNeedsOwnObjects
    }
}

/// Strings up to this length Redis allocates with their object (OBJ_ENCODING_EMBSTR_SIZE_LIMIT).
let embeddedStringLimit = 44
