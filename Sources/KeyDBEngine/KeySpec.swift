import KeyDBRESP

/// How a command touches one group of its key arguments (Redis 7's key specs).
public struct KeySpecFlags: OptionSet, Sendable, Hashable {
    public let rawValue: UInt16
    public init(rawValue: UInt16) { self.rawValue = rawValue }

    public static let ro = KeySpecFlags(rawValue: 1 << 0)
    public static let rw = KeySpecFlags(rawValue: 1 << 1)
    public static let ow = KeySpecFlags(rawValue: 1 << 2)
    public static let rm = KeySpecFlags(rawValue: 1 << 3)
    public static let access = KeySpecFlags(rawValue: 1 << 4)
    public static let update = KeySpecFlags(rawValue: 1 << 5)
    public static let insert = KeySpecFlags(rawValue: 1 << 6)
    public static let delete = KeySpecFlags(rawValue: 1 << 7)
    public static let notKey = KeySpecFlags(rawValue: 1 << 8)
    public static let incomplete = KeySpecFlags(rawValue: 1 << 9)
    public static let variableFlags = KeySpecFlags(rawValue: 1 << 10)

    /// The words COMMAND INFO and COMMAND GETKEYSANDFLAGS print, in Redis's order.
    static let names: [(KeySpecFlags, String)] = [
        (.ro, "RO"), (.rw, "RW"), (.ow, "OW"), (.rm, "RM"), (.access, "access"), (.update, "update"),
        (.insert, "insert"), (.delete, "delete"), (.notKey, "not_key"), (.incomplete, "incomplete"),
        (.variableFlags, "variable_flags"),
    ]

    public var words: [String] { Self.names.filter { contains($0.0) }.map(\.1) }

    /// What an ACL key pattern must grant for a key used this way.
    var requiredPermission: ACLKeyPermission {
        var permission: ACLKeyPermission = []
        if contains(.access) { permission.insert(.read) }
        if !intersection([.insert, .delete, .update]).isEmpty { permission.insert(.write) }
        return permission
    }
}

/// Where a group of keys starts, and how far it runs.
public struct KeySpec: Sendable {
    public enum BeginSearch: Sendable {
        /// At this argument index.
        case index(Int)
        /// After the first argument equal to `keyword`, searched from `startFrom` (negative: backwards from the end).
        case keyword(StaticString, startFrom: Int)
        /// Keys that arguments cannot locate (SORT's BY, GET and STORE): a command
        /// with such a spec finds its keys with its own procedure.
        case unknown
    }

    public enum FindKeys: Sendable {
        /// Up to `lastKey` past the start (negative: from the end), every `step`; `limit` divides what remains.
        case range(lastKey: Int, step: Int, limit: Int)
        /// The argument at start + `index` counts the keys, which start at start + `firstKey`.
        case keyNumber(index: Int, firstKey: Int, step: Int)
        case unknown
    }

    public let begin: BeginSearch
    public let find: FindKeys
    public let flags: KeySpecFlags
    /// Redis's remark on the spec, shown first by COMMAND INFO when present.
    public let notes: String?

    public init(_ begin: BeginSearch, _ find: FindKeys, _ flags: KeySpecFlags, notes: String? = nil) {
        self.begin = begin
        self.find = find
        self.flags = flags
        self.notes = notes
    }

    /// Whether `argument` is `keyword`, in any case (Redis's strcasecmp): key-spec
    /// keywords are written in capitals, as COMMAND INFO shows them.
    static func isKeyword(_ argument: UnsafeRawBufferPointer, _ keyword: StaticString) -> Bool {
        guard argument.count == keyword.utf8CodeUnitCount else { return false }
        let expected = keyword.utf8Start
        for i in 0..<argument.count where lowercasedASCII(argument[i]) != lowercasedASCII(expected[i]) { return false }
        return true
    }

    /// The key indices this spec finds in `args`: empty when a keyword is absent,
    /// nil when the arguments do not fit the spec.
    func keyIndices(_ args: Arguments) -> StrideThrough<Int>? {
        let count = args.count
        let none = stride(from: 0, through: -1, by: 1)
        var first = 0
        switch begin {
        case .index(let position):
            first = position
        case .keyword(let keyword, let startFrom):
            // As Redis: from startFrom towards the end (or, negative, towards the start), the last candidate excluded.
            let start = startFrom > 0 ? startFrom : count + startFrom
            let end = startFrom > 0 ? count - 1 : 1
            let direction = start <= end ? 1 : -1
            var index = start
            while index != end && index >= 1 && index < count {
                if Self.isKeyword(args[index], keyword) { first = index + 1; break }
                index += direction
            }
            if first == 0 { return none }
        case .unknown:
            return none
        }
        let last: Int
        let step: Int
        switch find {
        case .range(let lastKey, let keyStep, let limit):
            step = keyStep
            if lastKey >= 0 {
                last = first + lastKey
            } else if limit == 0 {
                last = count + lastKey
            } else {
                last = first + ((count - first) / limit + lastKey)
            }
        case .keyNumber(let index, let firstKey, let keyStep):
            step = keyStep
            guard first + index < count, let number = args.int64(first + index), number >= 0,
                  number <= Int64(count) else { return nil }
            first += firstKey
            last = first + Int(number) - 1
        case .unknown:
            return none
        }
        guard first < count, last < count, last >= first else { return nil }
        return stride(from: first, through: last, by: step)
    }
}

/// One key argument of a command and how it is used.
public struct KeyReference: Sendable, Equatable {
    public let index: Int
    public let flags: KeySpecFlags
}

extension CommandSpec {
    /// The key arguments of `args` and how each is used, as Redis's getKeysFromCommandWithSpecs finds them.
    public func keyReferences(_ args: Arguments) -> [KeyReference] {
        let specs = keySpecs
        guard !specs.isEmpty else { return [] }
        if let custom = customKeys(args) { return custom }
        var references: [KeyReference] = []
        for spec in specs where !spec.flags.contains(.notKey) {
            guard let indices = spec.keyIndices(args) else { return [] }
            for index in indices { references.append(KeyReference(index: index, flags: spec.flags)) }
        }
        return references
    }

    /// Commands whose key usage depends on their options (Redis's getkeys procedures).
    private func customKeys(_ args: Arguments) -> [KeyReference]? {
        switch fullName {
        case "set":
            // SET ... GET reads the old value; a plain SET only overwrites.
            let reads = args.count > 3 && (3..<args.count).contains { args.matches($0, "get") }
            return [KeyReference(index: 1, flags: reads ? [.rw, .access, .update] : [.ow, .update])]
        case "sort", "sort_ro":
            var references = [KeyReference(index: 1, flags: [.ro, .access])]
            guard fullName == "sort" else { return references }
            var index = 2
            // The last STORE wins, as SORT itself parses it; LIMIT, GET and BY skip their
            // arguments. As Redis's sortGetKeys, the word after STORE is looked at again.
            while index < args.count {
                if args.matches(index, "limit") { index += 3; continue }
                if args.matches(index, "get") || args.matches(index, "by") { index += 2; continue }
                if args.matches(index, "store") && index + 1 < args.count {
                    references = [references[0], KeyReference(index: index + 1, flags: [.ow, .update])]
                }
                index += 1
            }
            return references
        case "migrate":
            // As Redis: its key specs give argument 3 when no KEYS word is found
            // backwards from the next-to-last argument; when one is, the spec is
            // incomplete, and migrateGetKeys decides: the keys after the first KEYS
            // among the options (AUTH's and AUTH2's values skipped), none if the key
            // argument is not empty, else argument 3.
            let flags: KeySpecFlags = [.rw, .access, .delete]
            guard stride(from: args.count - 2, through: 2, by: -1).contains(where: { args.matches($0, "keys") }) else {
                return [KeyReference(index: 3, flags: flags)]
            }
            var keys = 3..<4
            var index = 6
            while index < args.count {
                if args.matches(index, "keys") {
                    keys = args[3].isEmpty ? index + 1..<args.count : 3..<3
                    break
                }
                if args.matches(index, "auth") { index += 1 } else if args.matches(index, "auth2") { index += 2 }
                index += 1
            }
            return keys.map { KeyReference(index: $0, flags: flags) }
        default:
            return nil
        }
    }

    /// The first/last/step COMMAND INFO reports (Redis's legacy range), and whether
    /// the keys cannot all be found from it (the movablekeys flag).
    public var legacyKeyRange: (first: Int, last: Int, step: Int, movable: Bool) {
        guard !keySpecs.isEmpty else { return (0, 0, 0, false) }
        if keySpecs.count == 1, case .index(let position) = keySpecs[0].begin, case .range(let lastKey, let step, _) = keySpecs[0].find {
            return (position, lastKey < 0 ? lastKey : position + lastKey, step, keySpecs[0].flags.contains(.incomplete))
        }
        var first = Int.max, last: Int? = nil, movable = false
        for spec in keySpecs {
            guard case .index(let position) = spec.begin, case .range(let lastKey, let step, _) = spec.find,
                  step == 1, last == nil || last == position - 1 else {
                movable = true
                continue
            }
            if spec.flags.contains(.incomplete) { movable = true }
            first = min(first, position)
            let absolute = lastKey < 0 ? lastKey : position + lastKey
            // Negative (counted from the end) beats any absolute index, as Redis's unsigned comparison does.
            if let current = last, current < 0 || (absolute >= 0 && current > absolute) { continue }
            last = absolute
        }
        guard first != .max, let last else { return (0, 0, 0, true) }
        return (first, last, 1, movable)
    }
}
