import KeyDBRESP

/// Key lookups as commands need them, with Redis's side effects: reads count
/// keyspace hits and misses; every lookup expires a key whose time has come.
extension ClientSession {
    /// The value at `key` for a read (counts a hit or a miss). `touch: false` leaves
    /// the key's access time alone (EXISTS, Redis's LOOKUP_NOTOUCH).
    public func lookupRead(_ key: UnsafeRawBufferPointer, touch: Bool = true) -> Value? {
        lookupReadSlot(key, touch: touch).map { db.value(at: $0) }
    }

    /// `lookupRead`, giving the key's slot in the selected database.
    public func lookupReadSlot(_ key: UnsafeRawBufferPointer, touch: Bool = true) -> Int32? {
        let slot = touch ? db.lookup(key, now: now) : db.peek(key, now: now)
        if slot == nil { engine.stats.keyspaceMisses += 1 } else { engine.stats.keyspaceHits += 1 }
        return slot
    }

    /// GET's reply for `key`: its string as a bulk string, a null bulk when it is
    /// missing, WRONGTYPE for another type; a read, as `lookupRead`. The database
    /// is reached unretained (`db` is unowned(unsafe), whose every use retains).
    public func replyString(at key: UnsafeRawBufferPointer) {
        let now = self.now
        let written = Unmanaged.passUnretained(db)._withUnsafeGuaranteedRef { db -> Bool? in
            guard let slot = db.lookup(key, now: now) else { return nil }
            return db.writeString(at: slot, to: &reply)
        }
        switch written {
        case nil:
            engine.stats.keyspaceMisses += 1
            replyNull()
        case true?:
            engine.stats.keyspaceHits += 1
        case false?:
            engine.stats.keyspaceHits += 1
            replyError(ErrorReply.wrongType)
        }
    }

    /// The string at `key` for a read: `.some(nil)` when missing, nil (after
    /// replying WRONGTYPE) when the key holds another type.
    public func readString(_ key: UnsafeRawBufferPointer) -> Bytes?? {
        switch lookupRead(key) {
        case .none: return .some(nil)
        case .string(let bytes)?: return .some(bytes)
        case .some:
            replyError(ErrorReply.wrongType)
            return nil
        }
    }

    /// A 32-bit integer argument (`getIntFromObjectOrReply`), or nil after
    /// replying `error` (or Redis's default texts when none is given).
    public func int32Argument(_ args: Arguments, _ index: Int, error: String? = nil) -> Int? {
        guard let value = args.int64(index) else {
            replyError(error ?? ErrorReply.notInteger)
            return nil
        }
        guard value >= Int64(Int32.min) && value <= Int64(Int32.max) else {
            replyError(error ?? ErrorReply.intOutOfRange)
            return nil
        }
        return Int(value)
    }

    /// Records a change to the keyspace (INFO rdb_changes_since_last_save).
    /// Whether an expiry set to `time` deletes the key at once (EXPIRE, GETEX with a
    /// time already past). Not while loading, as Redis's checkAlreadyExpired: later
    /// records may still act on the key, and the log holds its DEL if it went; nor on a
    /// replica, whose master sends the DEL.
    func expiryHasPassed(_ time: Int64) -> Bool { time <= now && !engine.loading && !engine.isReplica }

    public func dirty(_ changes: Int = 1) {
        engine.keyspace.dirty += changes
    }
}
