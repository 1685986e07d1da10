import KeyDBRESP

/// The arguments SCAN, HSCAN, SSCAN and ZSCAN share: cursor [MATCH pattern] [COUNT count] [TYPE type].
struct ScanOptions {
    var cursor: UInt64
    var count = 10
    /// nil matches everything (no MATCH, or MATCH *).
    var pattern: [UInt8]? = nil
    /// SCAN's TYPE filter, lowercase.
    var type: String? = nil

    /// Parses from the cursor at `cursorAt`; replies the error and returns nil when bad.
    static func parse(_ c: ClientSession, _ args: Arguments, cursorAt: Int, allowType: Bool) -> ScanOptions? {
        guard let cursor = KeyCommands.parseCursor(args[cursorAt]) else {
            c.replyError(ErrorReply.invalidCursor)
            return nil
        }
        var options = ScanOptions(cursor: cursor)
        var index = cursorAt + 1
        while index < args.count {
            let remaining = args.count - index
            if args.matches(index, "count") && remaining >= 2 {
                guard let value = args.int64(index + 1) else {
                    c.replyError(ErrorReply.notInteger)
                    return nil
                }
                guard value >= 1 else {
                    c.replyError(ErrorReply.syntax)
                    return nil
                }
                options.count = Int(value)
            } else if args.matches(index, "match") && remaining >= 2 {
                let candidate = args[index + 1]
                options.pattern = candidate.count == 1 && candidate[0] == UInt8(ascii: "*") ? nil : Array(candidate)
            } else if allowType && args.matches(index, "type") && remaining >= 2 {
                options.type = args.string(index + 1).lowercased()
            } else {
                c.replyError(ErrorReply.syntax)
                return nil
            }
            index += 2
        }
        return options
    }

    /// Whether `element` passes the MATCH filter.
    func matches(_ element: Bytes) -> Bool {
        guard let pattern else { return true }
        return pattern.withUnsafeBytes { p in element.withUnsafeBytes { GlobPattern.matches(p, $0) } }
    }
}
