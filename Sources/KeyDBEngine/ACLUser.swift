import KeyDBRESP

/// A user clients authenticate as: passwords, on/off, and the selectors that
/// say what it may run (Redis's ACL user).
public final class ACLUser: @unchecked Sendable {  // used under the keyspace lock
    public let name: [UInt8]
    /// Redis keeps "on" and "off" as two flags: a new user has "off" only.
    public internal(set) var enabled = false
    public internal(set) var noPassword = false
    /// sanitize-payload / skip-sanitize-payload (RESTORE checks); neither is set on a fresh user.
    var sanitizePayload: Bool? = nil
    /// SHA-256 hex digests, in the order they were added.
    public internal(set) var passwords: [String] = []
    /// The root selector first; `(...)` rules add more.
    var selectors: [ACLSelector]

    init(name: [UInt8], commandCount: Int, allChannels: Bool) {
        self.name = name
        selectors = [ACLSelector(commandCount: commandCount, allChannels: allChannels)]
    }

    /// A copy to apply rules to, so a failing rule leaves the user unchanged.
    func copy(named name: [UInt8]? = nil) -> ACLUser {
        let copy = ACLUser(name: name ?? self.name, commandCount: 0, allChannels: false)
        copy.assign(from: self)
        return copy
    }

    func assign(from other: ACLUser) {
        enabled = other.enabled
        noPassword = other.noPassword
        sanitizePayload = other.sanitizePayload
        passwords = other.passwords
        selectors = other.selectors
    }

    public var nameText: String { String(decoding: name, as: UTF8.self) }

    /// Everything allowed through the root selector: the dispatcher skips its checks.
    var isUnrestricted: Bool {
        let root = selectors[0]
        return root.allCommands && root.allKeys && root.allChannels
    }

    /// Whether `password` logs this user in (a disabled user never logs in).
    func accepts(_ password: UnsafeRawBufferPointer) -> Bool {
        guard enabled else { return false }
        if noPassword { return true }
        let hashed = Array(SHA256.hex(password).utf8)
        var matched = false
        // Every stored hash is compared in full, so timing does not tell which matched.
        for stored in passwords where constantTimeEquals(hashed, Array(stored.utf8)) { matched = true }
        return matched
    }

    // MARK: - Rules

    /// Applies one ACL SETUSER rule, as Redis's ACLSetUser.
    func apply(_ rule: [UInt8], table: CommandTable, allChannelsByDefault: Bool) throws(ACLRuleError) {
        guard let first = rule.first else { return }  // an empty rule does nothing
        let lowered = String(decoding: rule, as: UTF8.self).lowercased()
        switch lowered {
        case "on": enabled = true
        case "off": enabled = false
        case "skip-sanitize-payload": sanitizePayload = false
        case "sanitize-payload": sanitizePayload = true
        case "nopass":
            noPassword = true
            passwords = []
        case "resetpass":
            noPassword = false
            passwords = []
        case "clearselectors":
            selectors = [selectors[0]]
        case "reset":
            for step in ["resetpass", "resetkeys", "resetchannels"] + (allChannelsByDefault ? ["allchannels"] : [])
                + ["off", "sanitize-payload", "clearselectors", "-@all"] {
                try apply(Array(step.utf8), table: table, allChannelsByDefault: allChannelsByDefault)
            }
        default:
            switch first {
            case UInt8(ascii: ">"), UInt8(ascii: "#"):
                let hash = first == UInt8(ascii: ">") ? SHA256.hex(rule.dropFirst()) : try Self.validHash(rule.dropFirst())
                if !passwords.contains(hash) { passwords.append(hash) }
                noPassword = false
            case UInt8(ascii: "<"), UInt8(ascii: "!"):
                let hash = first == UInt8(ascii: "<") ? SHA256.hex(rule.dropFirst()) : try Self.validHash(rule.dropFirst())
                guard let index = passwords.firstIndex(of: hash) else { throw .noSuchPassword }
                passwords.remove(at: index)
            case UInt8(ascii: "(") where rule.last == UInt8(ascii: ")"):
                var selector = ACLSelector(commandCount: table.allSpecs.count, allChannels: allChannelsByDefault)
                for word in Self.words(rule.dropFirst().dropLast()) { try selector.apply(word, table: table) }
                selectors.append(selector)
            default:
                try selectors[0].apply(rule, table: table)
            }
        }
    }

    private static func validHash(_ text: ArraySlice<UInt8>) throws(ACLRuleError) -> String {
        guard text.count == 64, text.allSatisfy({ (48...57).contains($0) || (97...102).contains($0) }) else {
            throw .badPasswordHash
        }
        return String(decoding: text, as: UTF8.self)
    }

    /// A selector's rules split on whitespace, with redis.conf's quoting.
    private static func words(_ text: ArraySlice<UInt8>) -> [[UInt8]] {
        var splitter = InlineSplitter()
        let ok = Array(text).withUnsafeBytes { splitter.split($0) }
        guard ok else { return [Array(text)] }
        return splitter.spans.map { Array(splitter.storage[$0.offset..<($0.offset + $0.count)]) }
    }

    /// Joins the words of a `(...)` selector that arrived as several arguments.
    /// Nil (with the index of the opening word) when a parenthesis is left open.
    static func mergeSelectors(_ rules: [[UInt8]]) -> Result<[[UInt8]], OpenSelector> {
        var merged: [[UInt8]] = []
        var open: (start: Int, words: [UInt8])? = nil
        for (index, rule) in rules.enumerated() {
            if var current = open {
                current.words += [32] + rule
                if rule.last == UInt8(ascii: ")") {
                    merged.append(current.words)
                    open = nil
                } else {
                    open = current
                }
            } else if rule.first == UInt8(ascii: "(") && rule.last != UInt8(ascii: ")") {
                open = (index, rule)
            } else {
                merged.append(rule)
            }
        }
        if let open { return .failure(OpenSelector(index: open.start)) }
        return .success(merged)
    }

    struct OpenSelector: Error { let index: Int }

    // MARK: - Checks

    /// Nil when the user may run `command` with `args`; otherwise the most relevant denial.
    func check(_ command: CommandSpec, _ args: Arguments) -> ACLDenial? {
        var keys: [KeyReference]? = nil
        var worst: ACLDenial = .command
        for selector in selectors {
            if keys == nil && !selector.allKeys { keys = command.keyReferences(args) }
            guard let denial = selector.check(command, args, keys: keys ?? []) else { return nil }
            if denial.rank > worst.rank { worst = denial }
        }
        return worst
    }

    func allowsChannel(_ channel: UnsafeRawBufferPointer, isPattern: Bool) -> Bool {
        selectors.contains { $0.allowsChannel(channel, isPattern: isPattern) }
    }

    // MARK: - Description

    var flagWords: [String] {
        var words: [String] = []
        words.append(enabled ? "on" : "off")
        if noPassword { words.append("nopass") }
        if sanitizePayload == false { words.append("skip-sanitize-payload") }
        if sanitizePayload == true { words.append("sanitize-payload") }
        return words
    }

    /// The rules that rebuild this user (ACL LIST, ACL SAVE).
    func describe(table: CommandTable) -> String {
        var parts = flagWords + passwords.map { "#" + $0 }
        parts.append(selectors[0].describe(table: table))
        parts += selectors.dropFirst().map { "(" + $0.describe(table: table) + ")" }
        return parts.joined(separator: " ")
    }
}
