import KeyDBRESP

/// The server's users (Redis's ACL): the default user, the ones ACL SETUSER,
/// `user` config lines or the aclfile define, and the security log.
public final class AccessControl: @unchecked Sendable {  // guarded by the keyspace lock
    let table: CommandTable
    /// By name; listed in byte order, as Redis's radix tree lists them.
    private(set) var users: [[UInt8]: ACLUser] = [:]
    /// Every connection starts as this user; `requirepass` is its password.
    public let defaultUser: ACLUser
    /// acl-pubsub-default: whether new users start with every channel allowed.
    var allChannelsByDefault = false
    public let log = ACLLog()

    init(table: CommandTable, requirePass: String?) {
        self.table = table
        defaultUser = ACLUser(name: Array("default".utf8), commandCount: table.allSpecs.count, allChannels: true)
        for rule in ["+@all", "~*", "&*", "on", "nopass"] { try? defaultUser.apply(Array(rule.utf8), table: table, allChannelsByDefault: true) }
        users[defaultUser.name] = defaultUser
        setDefaultPassword(requirePass)
    }

    /// `requirepass`: the default user's only password, or none (nopass).
    func setDefaultPassword(_ password: String?) {
        try? defaultUser.apply(Array("resetpass".utf8), table: table, allChannelsByDefault: allChannelsByDefault)
        let rule = password.map { ">" + $0 } ?? "nopass"
        try? defaultUser.apply(Array(rule.utf8), table: table, allChannelsByDefault: allChannelsByDefault)
    }

    /// A connection must AUTH before running commands (the default user has a password, or is off).
    public var authenticationRequired: Bool { !defaultUser.noPassword || !defaultUser.enabled }

    public func user(named name: some Collection<UInt8>) -> ACLUser? { users[Array(name)] }

    public var sortedUsers: [ACLUser] { users.values.sorted { $0.name.lexicographicallyPrecedes($1.name) } }

    func newUser(named name: [UInt8]) -> ACLUser {
        ACLUser(name: name, commandCount: table.allSpecs.count, allChannels: allChannelsByDefault)
    }

    /// ACL SETUSER: applies `rules` to a copy of the user (created if missing) and
    /// keeps it only if every rule applied; returns the error text otherwise.
    func setUser(_ name: [UInt8], rules: [[UInt8]], replacing: (ACLUser, ACLUser) -> Void) -> [UInt8]? {
        let merged: [[UInt8]]
        switch ACLUser.mergeSelectors(rules) {
        case .success(let rules): merged = rules
        case .failure(let open): return ErrorReply.aclUnmatchedParenthesis(rules[open.index])
        }
        let existing = users[name]
        let candidate = existing?.copy() ?? newUser(named: name)
        for rule in merged {
            do {
                try candidate.apply(rule, table: table, allChannelsByDefault: allChannelsByDefault)
            } catch {
                return ErrorReply.aclSetUserRule(rule, error)
            }
        }
        if let existing {
            replacing(existing, candidate)
            existing.assign(from: candidate)
        } else {
            users[name] = candidate
        }
        return nil
    }

    func removeUser(_ name: [UInt8]) -> ACLUser? { users.removeValue(forKey: name) }

    /// Replaces every user but the default one's object (ACL LOAD): its clients keep it.
    func replaceUsers(with loaded: [[UInt8]: ACLUser]) -> [ACLUser] {
        let dropped = users.values.filter { $0 !== defaultUser }
        defaultUser.assign(from: loaded[defaultUser.name] ?? Self.freshDefault(table: table))
        users = loaded
        users[defaultUser.name] = defaultUser
        return dropped
    }

    private static func freshDefault(table: CommandTable) -> ACLUser {
        AccessControl(table: table, requirePass: nil).defaultUser
    }

    /// Parses users from ACL file text ("user <name> <rules...>" per line); the
    /// error text lists every problem, as Redis's ACLLoadFromFile.
    func parseUsers(_ text: [UInt8], fileName: String) -> Result<[[UInt8]: ACLUser], ACLLoadError> {
        var loaded: [[UInt8]: ACLUser] = [:]
        var errors = ""
        for (number, rawLine) in text.split(separator: 10, omittingEmptySubsequences: false).enumerated() {
            let line = number + 1
            let trimmed = Self.trimmed(rawLine, [32, 9, 13, 10])
            guard !trimmed.isEmpty else { continue }
            let words = trimmed.split(separator: 32).map(Array.init)
            guard words.count >= 2, words[0] == Array("user".utf8) else {
                errors += ErrorReply.aclFileNotAUserLine(fileName, line)
                continue
            }
            guard !ACLSelector.hasSpaces(words[1]) else {
                errors += ErrorReply.aclFileBadUserName(fileName, line, words[1])
                continue
            }
            guard loaded[words[1]] == nil else {
                errors += ErrorReply.aclFileDuplicateUser(words[1], line)
                continue
            }
            let user = newUser(named: words[1])
            loaded[words[1]] = user
            guard case .success(let rules) = ACLUser.mergeSelectors(Array(words[2...])) else {
                errors += ErrorReply.aclFileUnmatchedParenthesis(fileName, line)
                continue
            }
            // Unknown names are each reported; of other errors, only a line's first.
            var syntaxReported = false
            for rule in rules {
                let cleaned = Self.trimmed(rule, [9, 13, 10])
                do {
                    try user.apply(cleaned, table: table, allChannelsByDefault: allChannelsByDefault)
                } catch .unknownCommandOrCategory {
                    errors += ErrorReply.aclFileUnknownName(fileName, line, cleaned)
                } catch {
                    if !syntaxReported { errors += ErrorReply.aclFileRuleError(fileName, line, error) }
                    syntaxReported = true
                }
            }
        }
        guard errors.isEmpty else { return .failure(ACLLoadError(message: errors + ErrorReply.aclLoadNoChange)) }
        return .success(loaded)
    }

    private static func trimmed(_ bytes: some BidirectionalCollection<UInt8>, _ set: Set<UInt8>) -> [UInt8] {
        Array(bytes.drop { set.contains($0) }.reversed().drop { set.contains($0) }.reversed())
    }

    /// The ACL file's text: one "user" line per user, in name order (ACL SAVE).
    func fileText() -> [UInt8] {
        var text: [UInt8] = []
        for user in sortedUsers {
            text += Array("user ".utf8) + user.name + Array(" \(user.describe(table: table))\n".utf8)
        }
        return text
    }
}

public struct ACLLoadError: Error, Sendable {
    public let message: String
}

/// Denied commands and failed logins, newest first (ACL LOG). Similar events
/// within a minute share one entry with a count, as in Redis.
public final class ACLLog: @unchecked Sendable {  // guarded by the keyspace lock
    public enum Reason: String, Sendable { case command, key, channel, auth }
    public enum Context: String, Sendable { case toplevel, multi, lua }

    public struct Entry: Sendable {
        public var count: Int
        public let reason: Reason
        public let context: Context
        public let object: [UInt8]
        public let userName: [UInt8]
        public var createdAt: Int64
        public var clientInfo: String
    }

    public private(set) var entries: [Entry] = []
    /// Applied as entries are added: lowering it leaves the log as it is until then, as in Redis.
    public var maxLength = 128

    func add(_ entry: Entry) {
        // Only the ten newest entries are searched for a match, as Redis does.
        if let index = entries.prefix(10).firstIndex(where: { existing in
            existing.reason == entry.reason && existing.context == entry.context && abs(existing.createdAt - entry.createdAt) <= 60_000
                && existing.object == entry.object && existing.userName == entry.userName
        }) {
            var match = entries.remove(at: index)
            match.count += 1
            match.createdAt = entry.createdAt
            match.clientInfo = entry.clientInfo
            entries.insert(match, at: 0)
            return
        }
        entries.insert(entry, at: 0)
        trim()
    }

    func reset() { entries = [] }

    private func trim() {
        if entries.count > maxLength { entries.removeLast(entries.count - maxLength) }
    }
}
