import KeyDBRESP

/// What an ACL key pattern lets a command do with matching keys.
public struct ACLKeyPermission: OptionSet, Sendable, Hashable {
    public let rawValue: UInt8
    public init(rawValue: UInt8) { self.rawValue = rawValue }
    public static let read = ACLKeyPermission(rawValue: 1)
    public static let write = ACLKeyPermission(rawValue: 2)
    public static let all: ACLKeyPermission = [.read, .write]
}

/// A key pattern and what it grants: `~pattern`, `%R~pattern` or `%W~pattern`.
struct ACLKeyPattern: Equatable {
    var pattern: [UInt8]
    var permission: ACLKeyPermission

    var description: String {
        let prefix = permission == .all ? "~" : permission == .read ? "%R~" : "%W~"
        return prefix + String(decoding: pattern, as: UTF8.self)
    }
}

/// Why ACL SETUSER refused a rule (each case's text is in ErrorReply).
public enum ACLRuleError: Error, Sendable {
    case syntax, unknownCommandOrCategory, patternAfterAllKeys, patternAfterAllChannels
    case noSuchPassword, badPasswordHash, firstArgumentOfSubcommand
}

/// Why a command was refused, and the argument at fault.
public enum ACLDenial: Sendable, Equatable {
    case command
    case key(Int)
    case channel(Int)

    /// Redis's order of relevance when no selector allows a command.
    var rank: (Int, Int) {
        switch self {
        case .command: (0, 0)
        case .key(let index): (1, index)
        case .channel(let index): (2, index)
        }
    }
}

/// One set of permissions: which commands, keys and channels (Redis's selector).
/// A user has a root selector and may have more; a command runs when any allows it.
struct ACLSelector {
    /// One bit per command id (subcommands included).
    private(set) var allowed: [UInt64]
    /// Set by +@all: commands this server does not know yet are allowed too (ACL LIST starts from +@all).
    private(set) var futureCommands = false
    /// Every command allowed, with nothing taken away since +@all.
    private(set) var allCommands = false
    private(set) var allKeys = false
    private(set) var allChannels = false
    private(set) var keyPatterns: [ACLKeyPattern] = []
    private(set) var channels: [[UInt8]] = []
    /// First arguments allowed for commands that are otherwise denied (`+select|0`), by command id.
    private(set) var firstArguments: [Int: [[UInt8]]] = [:]

    init(commandCount: Int, allChannels: Bool) {
        allowed = [UInt64](repeating: 0, count: (commandCount + 63) / 64)
        self.allChannels = allChannels
    }

    func allows(_ id: Int) -> Bool { allowed[id >> 6] & (1 << UInt64(id & 63)) != 0 }

    private mutating func setBit(_ id: Int, _ allow: Bool) {
        if allow {
            allowed[id >> 6] |= 1 << UInt64(id & 63)
        } else {
            allowed[id >> 6] &= ~(1 << UInt64(id & 63))
            allCommands = false
        }
    }

    /// Allows or denies a command; a container takes its subcommands along.
    mutating func change(_ command: CommandSpec, allow: Bool) {
        setBit(command.id, allow)
        firstArguments[command.id] = nil
        for subcommand in command.subcommands { setBit(subcommand.id, allow) }
    }

    mutating func change(_ category: ACLCategories, allow: Bool, in table: CommandTable) {
        for command in table.allSpecs where command.categories.contains(category) { change(command, allow: allow) }
    }

    /// Applies one rule (`+get`, `~key*`, `&chan`, `-@write`...), as Redis's ACLSetSelector.
    mutating func apply(_ rule: [UInt8], table: CommandTable) throws(ACLRuleError) {
        let lowered = String(decoding: rule, as: UTF8.self).lowercased()
        switch lowered {
        case "allkeys", "~*":
            allKeys = true
            keyPatterns = []
        case "resetkeys":
            allKeys = false
            keyPatterns = []
        case "allchannels", "&*":
            allChannels = true
            channels = []
        case "resetchannels":
            allChannels = false
            channels = []
        case "allcommands", "+@all":
            allowed = allowed.map { _ in ~0 }
            futureCommands = true
            allCommands = true
            firstArguments = [:]
        case "nocommands", "-@all":
            allowed = allowed.map { _ in 0 }
            futureCommands = false
            allCommands = false
            firstArguments = [:]
        default:
            try applyPatternOrCommand(rule, table: table)
        }
    }

    private mutating func applyPatternOrCommand(_ rule: [UInt8], table: CommandTable) throws(ACLRuleError) {
        guard let first = rule.first else { throw .syntax }
        switch first {
        case UInt8(ascii: "~"), UInt8(ascii: "%"):
            guard !allKeys else { throw .patternAfterAllKeys }
            var permission: ACLKeyPermission = []
            var offset = 1
            if first == UInt8(ascii: "%") {
                // Flags up to "~", each once; without a "~" the pattern is empty, as in Redis.
                while offset < rule.count {
                    let byte = rule[offset]
                    offset += 1
                    if byte | 0x20 == UInt8(ascii: "r") && !permission.contains(.read) {
                        permission.insert(.read)
                    } else if byte | 0x20 == UInt8(ascii: "w") && !permission.contains(.write) {
                        permission.insert(.write)
                    } else if byte == UInt8(ascii: "~") {
                        break
                    } else {
                        throw .syntax
                    }
                }
                // "%", "%~x": a pattern that grants nothing is refused, as Redis 7.0.15 does.
                guard !permission.isEmpty else { throw .syntax }
            } else {
                permission = .all
            }
            let pattern = Array(rule[min(offset, rule.count)...])
            guard !ACLSelector.hasSpaces(pattern) else { throw .syntax }
            if let existing = keyPatterns.firstIndex(where: { $0.pattern == pattern }) {
                keyPatterns[existing].permission.formUnion(permission)
            } else {
                keyPatterns.append(ACLKeyPattern(pattern: pattern, permission: permission))
            }
            allKeys = false
        case UInt8(ascii: "&"):
            guard !allChannels else { throw .patternAfterAllChannels }
            let pattern = Array(rule.dropFirst())
            guard !ACLSelector.hasSpaces(pattern) else { throw .syntax }
            if !channels.contains(pattern) { channels.append(pattern) }
        case UInt8(ascii: "+"), UInt8(ascii: "-"):
            let allow = first == UInt8(ascii: "+")
            let name = String(decoding: rule.dropFirst(), as: UTF8.self)
            if name.hasPrefix("@") {
                guard let category = ACLCategories.named(name.dropFirst()) else { throw .unknownCommandOrCategory }
                change(category, allow: allow, in: table)
            } else if allow, let bar = name.lastIndex(of: "|") {
                // +container|subcommand, or +command|first-argument.
                guard let command = ACLSelector.lookup(String(name[..<bar]), in: table) else { throw .unknownCommandOrCategory }
                guard command.name == command.fullName else { throw .firstArgumentOfSubcommand }
                let argument = Array(name[name.index(after: bar)...].utf8)
                guard !argument.isEmpty else { throw .syntax }
                if command.isContainer {
                    guard let subcommand = ACLSelector.lookup(name, in: table) else { throw .unknownCommandOrCategory }
                    change(subcommand, allow: true)
                } else {
                    allowFirstArgument(argument, of: command)
                }
            } else {
                guard let command = ACLSelector.lookup(name, in: table) else { throw .unknownCommandOrCategory }
                change(command, allow: allow)
            }
        default:
            throw .syntax
        }
    }

    /// `+select|0`: one first argument of a command that is otherwise denied.
    private mutating func allowFirstArgument(_ argument: [UInt8], of command: CommandSpec) {
        var allowedArguments = firstArguments[command.id] ?? []
        let lowered = argument.map(ACLSelector.lowercase)
        if !allowedArguments.contains(where: { $0.map(ACLSelector.lowercase) == lowered }) { allowedArguments.append(argument) }
        firstArguments[command.id] = allowedArguments
    }

    /// "get" or "config|get", any case, as Redis's lookupCommandBySds.
    static func lookup(_ name: String, in table: CommandTable) -> CommandSpec? {
        let parts = name.lowercased().split(separator: "|", omittingEmptySubsequences: false)
        guard let top = table.find(String(parts[0])) else { return nil }
        switch parts.count {
        case 1: return top
        case 2: return top.subcommands.first { $0.name == parts[1] }
        default: return nil
        }
    }

    static func hasSpaces(_ text: some Collection<UInt8>) -> Bool {
        text.contains { $0 == 0 || $0 == 32 || (9...13).contains($0) }
    }

    static func lowercase(_ byte: UInt8) -> UInt8 { (65...90).contains(byte) ? byte | 0x20 : byte }

    // MARK: - Checks

    /// Nil when this selector lets `command` run with `args`; otherwise why not.
    func check(_ command: CommandSpec, _ args: Arguments, keys: [KeyReference]) -> ACLDenial? {
        if !allCommands && !command.flags.contains(.noAuth) && !allows(command.id) {
            let index = command.name == command.fullName ? 1 : 2
            guard args.count > index, let allowedArguments = firstArguments[command.id] else { return .command }
            let given = args.bytes(index).map(ACLSelector.lowercase)
            guard allowedArguments.contains(where: { $0.map(ACLSelector.lowercase) == given }) else { return .command }
        }
        if !allKeys {
            for key in keys where !allowsKey(args[key.index], key.flags.requiredPermission) { return .key(key.index) }
        }
        if !allChannels, let (start, count, isPattern) = ACLSelector.channelArguments(of: command) {
            let end = count < 0 ? args.count : min(args.count, start + count)
            for index in start..<max(start, end) where !allowsChannel(args[index], isPattern: isPattern) {
                return .channel(index)
            }
        }
        return nil
    }

    func allowsKey(_ key: UnsafeRawBufferPointer, _ required: ACLKeyPermission) -> Bool {
        if allKeys { return true }
        return keyPatterns.contains { pattern in
            pattern.permission.isSuperset(of: required)
                && pattern.pattern.withUnsafeBytes { GlobPattern.matches($0, key) }
        }
    }

    /// A channel name is matched against the patterns; a PSUBSCRIBE pattern must equal one literally.
    func allowsChannel(_ channel: UnsafeRawBufferPointer, isPattern: Bool) -> Bool {
        if allChannels { return true }
        return channels.contains { pattern in
            isPattern ? pattern.elementsEqual(channel) : pattern.withUnsafeBytes { GlobPattern.matches($0, channel) }
        }
    }

    /// Which arguments of a command are channels it publishes or subscribes to.
    static func channelArguments(of command: CommandSpec) -> (start: Int, count: Int, isPattern: Bool)? {
        switch command.fullName {
        case "subscribe", "ssubscribe": (1, -1, false)
        case "psubscribe": (1, -1, true)
        case "publish", "spublish": (1, 1, false)
        default: nil
        }
    }

    // MARK: - Description

    /// The rules that rebuild this selector, as ACL LIST prints them.
    func describe(table: CommandTable) -> String {
        var parts: [String] = []
        if allKeys { parts.append("~*") } else { parts += keyPatterns.map(\.description) }
        if allChannels {
            parts.append("&*")
        } else {
            parts.append("resetchannels")
            parts += channels.map { "&" + String(decoding: $0, as: UTF8.self) }
        }
        parts.append(describeCommands(table: table))
        return parts.joined(separator: " ")
    }

    var keysDescription: String { allKeys ? "~*" : keyPatterns.map(\.description).joined(separator: " ") }
    var channelsDescription: String {
        allChannels ? "&*" : channels.map { "&" + String(decoding: $0, as: UTF8.self) }.joined(separator: " ")
    }

    /// The command rules that rebuild this selector's command bits: +@all or -@all, then
    /// the categories that fit best, then single commands — Redis's greedy description.
    func describeCommands(table: CommandTable) -> String {
        let commandCount = table.allSpecs.count
        var rules: [String] = []
        var rebuilt = ACLSelector(commandCount: commandCount, allChannels: false)
        let additive = !futureCommands
        try? rebuilt.apply(Array((additive ? "-@all" : "+@all").utf8), table: table)
        rules.append(additive ? "-@all" : "+@all")

        var remaining = self
        var applied = Set<String>()
        while true {
            var best: (name: String, category: ACLCategories)? = nil
            var fewestDifferent = Int.max, mostSame = 0
            for entry in ACLCategories.table where !applied.contains(entry.name) {
                let (on, off) = remaining.count(entry.category, in: table)
                let different = additive ? off : on
                let same = additive ? on : off
                if same > different && (different < fewestDifferent || (different == fewestDifferent && same > mostSame)) {
                    best = entry
                    fewestDifferent = different
                    mostSame = same
                }
            }
            guard let best else { break }
            rebuilt.change(best.category, allow: additive, in: table)
            remaining.change(best.category, allow: !additive, in: table)
            rules.append((additive ? "+@" : "-@") + best.name)
            applied.insert(best.name)
        }

        for command in table.commands {
            for spec in [command] + command.subcommands {
                let mine = allows(spec.id)
                if mine != rebuilt.allows(spec.id) {
                    rules.append((mine ? "+" : "-") + spec.fullName)
                    rebuilt.change(spec, allow: mine)
                }
                if !mine, let arguments = firstArguments[spec.id] {
                    rules += arguments.map { "+\(spec.fullName)|" + String(decoding: $0, as: UTF8.self) }
                }
            }
        }
        return rules.joined(separator: " ")
    }

    /// How many commands of a category this selector allows and denies.
    private func count(_ category: ACLCategories, in table: CommandTable) -> (on: Int, off: Int) {
        var on = 0, off = 0
        for command in table.allSpecs where command.categories.contains(category) {
            if allows(command.id) { on += 1 } else { off += 1 }
        }
        return (on, off)
    }
}
