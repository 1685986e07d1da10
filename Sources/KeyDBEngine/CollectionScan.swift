import KeyDBRESP

/// What HSCAN and SSCAN (and ZSCAN) share. Every matching element comes back in
/// one reply with cursor 0, as Redis does for its small encodings: a full
/// iteration still returns each element present throughout, which is SCAN's guarantee.
enum CollectionScan {
    /// Redis rejects a bad cursor before it looks the key up; options are
    /// parsed only once the key is known to hold the right type.
    static func checkCursor(_ c: ClientSession, _ args: Arguments) -> Bool {
        guard KeyCommands.parseCursor(args[2]) != nil else {
            c.replyError(ErrorReply.invalidCursor)
            return false
        }
        return true
    }

    /// `[cursor 0, [elements]]`: the iteration is complete.
    static func reply(_ c: ClientSession, _ elements: [Bytes]) {
        c.reply.writeArrayHeader(2)
        c.reply.writeBulk("0")
        c.reply.writeArrayHeader(elements.count)
        for element in elements { c.replyBulk(element) }
    }
}
