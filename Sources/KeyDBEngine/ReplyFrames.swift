import KeyDBRESP

/// Replies whose frame depends on the protocol the client chose with HELLO,
/// as Redis's addReplyNull, addReplyMapLen and their kin: RESP2 spells them
/// with bulks and arrays, RESP3 with its own types.
extension ClientSession {
    /// A missing string or element: `$-1`, or RESP3's `_`.
    @inline(__always) public func replyNull() {
        if resp3 { reply.writeRESP3Null() } else { reply.writeNullBulk() }
    }

    /// A missing array (a timed-out blocking pop, an aborted EXEC): `*-1`, or `_`.
    public func replyNullArray() {
        if resp3 { reply.writeRESP3Null() } else { reply.writeNullArray() }
    }

    /// A map of `pairs` keys and values: a flat array of twice as many in RESP2.
    public func replyMapHeader(_ pairs: Int) {
        if resp3 { reply.writeMapHeader(pairs) } else { reply.writeArrayHeader(2 * pairs) }
    }

    /// An unordered collection (SMEMBERS, flags): an array in RESP2.
    public func replySetHeader(_ count: Int) {
        if resp3 { reply.writeSetHeader(count) } else { reply.writeArrayHeader(count) }
    }

    /// Out-of-band data (pub/sub): an array in RESP2.
    public func replyPushHeader(_ count: Int) {
        if resp3 { reply.writePushHeader(count) } else { reply.writeArrayHeader(count) }
    }

    /// A score or other double: a bulk of its "%.17g" text in RESP2, a RESP3 double otherwise.
    func replyDouble(_ value: Double) {
        withDoubleText(value) { text in
            if resp3 { reply.writeDouble(text: text) } else { reply.writeBulk(text) }
        }
    }

    /// A double already formatted, as Redis's addReplyHumanLongDouble (geo coordinates).
    func replyDouble(text: UnsafeRawBufferPointer) {
        if resp3 { reply.writeDouble(text: text) } else { reply.writeBulk(text) }
    }

    /// A number beyond 64 bits, `digits` already checked: a bulk of them in RESP2.
    func replyBigNumber(_ digits: String) {
        var digits = digits
        digits.withUTF8 { text in
            if resp3 { reply.writeBigNumber(UnsafeRawBufferPointer(text)) } else { reply.writeBulk(UnsafeRawBufferPointer(text)) }
        }
    }

    /// RESP3's boolean; RESP2 has none and answers 1 or 0.
    public func replyBool(_ value: Bool) {
        if resp3 { reply.writeBoolean(value) } else { reply.writeIntegerReply(value ? 1 : 0) }
    }

    /// Text for people (INFO, CLIENT LIST, the doctors): a RESP3 verbatim string, a bulk in RESP2.
    func replyVerbatim(_ text: UnsafeRawBufferPointer) {
        if resp3 { reply.writeVerbatim(text) } else { reply.writeBulk(text) }
    }

    func replyVerbatim(_ text: String) {
        var text = text
        text.withUTF8 { replyVerbatim(UnsafeRawBufferPointer($0)) }
    }
}

/// Members with a score or value each (WITHSCORES, WITHVALUES): RESP2 flattens
/// the pairs into one array, RESP3 nests each pair in an array of two.
extension ClientSession {
    /// The header of `count` members, paired or not.
    func replyMembersHeader(_ count: Int, paired: Bool) {
        reply.writeArrayHeader(paired && !resp3 ? 2 * count : count)
    }

    /// Opens one member's pair: an array of two in RESP3, nothing in RESP2.
    func replyPairStart(paired: Bool) {
        if paired && resp3 { reply.writeArrayHeader(2) }
    }
}

/// Results per key (XREAD): a map of key → result in RESP3, an array of
/// [key, result] pairs in RESP2.
extension ClientSession {
    func replyKeyedHeader(_ count: Int) {
        if resp3 { reply.writeMapHeader(count) } else { reply.writeArrayHeader(count) }
    }

    /// Opens one key's [key, result] pair: RESP2 only.
    func replyKeyedEntryStart() {
        if !resp3 { reply.writeArrayHeader(2) }
    }
}
