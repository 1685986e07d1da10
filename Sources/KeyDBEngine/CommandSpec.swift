import KeyDBRESP

/// What a command does to a connection and the keyspace (Redis's command flags).
public struct CommandFlags: OptionSet, Sendable {
    public let rawValue: UInt32
    public init(rawValue: UInt32) { self.rawValue = rawValue }

    public static let write = CommandFlags(rawValue: 1 << 0)
    public static let readonly = CommandFlags(rawValue: 1 << 1)
    public static let denyOOM = CommandFlags(rawValue: 1 << 2)
    public static let admin = CommandFlags(rawValue: 1 << 3)
    public static let pubsub = CommandFlags(rawValue: 1 << 4)
    public static let noScript = CommandFlags(rawValue: 1 << 5)
    public static let blocking = CommandFlags(rawValue: 1 << 6)
    public static let loading = CommandFlags(rawValue: 1 << 7)
    public static let stale = CommandFlags(rawValue: 1 << 8)
    public static let skipMonitor = CommandFlags(rawValue: 1 << 9)
    public static let skipSlowlog = CommandFlags(rawValue: 1 << 10)
    public static let fast = CommandFlags(rawValue: 1 << 11)
    public static let noAuth = CommandFlags(rawValue: 1 << 12)
    public static let mayReplicate = CommandFlags(rawValue: 1 << 13)
    public static let noMulti = CommandFlags(rawValue: 1 << 14)
    public static let allowBusy = CommandFlags(rawValue: 1 << 15)
    public static let noMandatoryKeys = CommandFlags(rawValue: 1 << 16)
    public static let noAsyncLoading = CommandFlags(rawValue: 1 << 17)
    /// Runs on a cluster node importing the key's slot (RESTORE-ASKING); shown only.
    public static let asking = CommandFlags(rawValue: 1 << 18)
    /// Runs at once inside MULTI instead of being queued (MULTI, EXEC, DISCARD, QUIT, RESET).
    /// Not a Redis flag word: COMMAND INFO does not list it.
    public static let runsInsideMulti = CommandFlags(rawValue: 1 << 31)
    /// Allowed in RESP2's subscribed mode ((P)SUBSCRIBE, (P)UNSUBSCRIBE, PING, QUIT, RESET). Not a Redis flag word.
    public static let allowedWhileSubscribed = CommandFlags(rawValue: 1 << 30)
    /// Touches exactly the keys it changed (for WATCH) instead of every key it names. Not a Redis flag word.
    public static let touchesOwnKeys = CommandFlags(rawValue: 1 << 28)
    /// Runs a Lua script (EVAL, FCALL and their forms): inside MULTI, EXEC runs on the script stack. Not a Redis flag word.
    public static let runsScript = CommandFlags(rawValue: 1 << 27)
    /// May delete expired keys it did not name (SCAN, RANDOMKEY): those deletions are logged
    /// one by one, not framed as a transaction. Redis's touches_arbitrary_keys, which COMMAND INFO hides.
    public static let touchesArbitraryKeys = CommandFlags(rawValue: 1 << 25)
    /// Refused unless enable-debug-command allows the client (DEBUG). Redis's "protected", which COMMAND INFO hides.
    public static let protected = CommandFlags(rawValue: 1 << 26)

    /// The words COMMAND INFO prints, in Redis's order (may_replicate is hidden, as in Redis).
    static let names: [(CommandFlags, String)] = [
        (.write, "write"), (.readonly, "readonly"), (.denyOOM, "denyoom"), (.admin, "admin"),
        (.pubsub, "pubsub"), (.noScript, "noscript"), (.blocking, "blocking"), (.loading, "loading"),
        (.stale, "stale"), (.skipMonitor, "skip_monitor"), (.skipSlowlog, "skip_slowlog"),
        (.asking, "asking"), (.fast, "fast"), (.noAuth, "no_auth"), (.noMandatoryKeys, "no_mandatory_keys"),
        (.noAsyncLoading, "no_async_loading"), (.noMulti, "no_multi"), (.allowBusy, "allow_busy"),
    ]

    /// The flag words, with "movablekeys" (derived from the key specs) in its place before allow_busy.
    public func words(movableKeys: Bool) -> [String] {
        var words = Self.names.filter { contains($0.0) && $0.0 != .allowBusy }.map(\.1)
        if movableKeys { words.append("movablekeys") }
        if contains(.allowBusy) { words.append("allow_busy") }
        return words
    }
}

/// Which arguments are keys: `first` to `last` (negative counts from the end) every `step`.
public struct KeyPositions: Sendable, Equatable {
    public var first: Int
    public var last: Int
    public var step: Int

    public static let none = KeyPositions(first: 0, last: 0, step: 0)
    public static let one = KeyPositions(first: 1, last: 1, step: 1)
    public static let all = KeyPositions(first: 1, last: -1, step: 1)

    /// The argument indices holding keys, for an argv of `count` arguments.
    public func indices(count: Int) -> StrideThrough<Int> {
        guard first > 0 else { return stride(from: 0, through: -1, by: 1) }
        let lastIndex = last < 0 ? count + last : last
        return stride(from: first, through: min(lastIndex, count - 1), by: step)
    }
}

/// A command's implementation: reads argv, writes its reply into `client.reply`.
public typealias CommandHandler = @Sendable (ClientSession, Arguments) -> Void

/// One entry of the command table.
public final class CommandSpec: @unchecked Sendable {  // `id`, `keySpecs` and `tips` are set once, as the table is built
    public let name: String
    /// "config|get" for subcommands, as Redis names them in errors and COMMAND.
    public let fullName: String
    /// Positive: exactly that many arguments (command name included); negative: at least -arity.
    public let arity: Int
    public let flags: CommandFlags
    public let keys: KeyPositions
    /// Redis's command group (string, generic, connection, server...).
    public let group: String
    public let since: String
    public let summary: String
    public let complexity: String
    public let handler: CommandHandler?
    public let subcommands: [CommandSpec]
    /// ACL categories: implied by the flags and the group, plus the row's own (Redis's acl_categories).
    public let categories: ACLCategories
    /// Position in the table's command list, subcommands included (the bit ACL selectors keep for it).
    public internal(set) var id = 0
    /// Which arguments are keys and how they are used (`CommandTable.keySpecs`).
    public internal(set) var keySpecs: [KeySpec] = []
    /// Hints for clients, as COMMAND INFO shows them (`CommandTable.tips`).
    public internal(set) var tips: [String] = []
    /// Calls, time and failures (INFO commandstats).
    public let statistics = CommandStatistics()

    public init(_ name: String, arity: Int, flags: CommandFlags, keys: KeyPositions = .none,
                group: String, categories: ACLCategories = [], excludedCategories: ACLCategories = [],
                since: String, summary: String,
                complexity: String = "O(1)", parent: String? = nil, subcommands: [CommandSpec] = [],
                handler: CommandHandler?) {
        self.name = name
        self.fullName = parent.map { "\($0)|\(name)" } ?? name
        self.arity = arity
        self.flags = flags
        self.keys = keys
        self.group = group
        self.since = since
        self.summary = summary
        self.complexity = complexity
        self.handler = handler
        self.subcommands = subcommands
        // A container's group names its subcommands' data, not the container itself.
        let byGroup = subcommands.isEmpty ? ACLCategories.implied(byGroup: group) : []
        var all = ACLCategories.implied(byFlags: flags).union(byGroup).union(categories)
        if group == "scripting" { all.remove(.read) }
        all.subtract(excludedCategories)
        self.categories = all
    }

    public var isContainer: Bool { !subcommands.isEmpty }

    @inlinable public func acceptsArgumentCount(_ count: Int) -> Bool {
        arity >= 0 ? count == arity : count >= -arity
    }

    /// "@read", "@fast"... as COMMAND INFO lists them.
    public var aclCategories: [String] { categories.names }
}

/// A command's counters; mutated under the keyspace lock.
public final class CommandStatistics: @unchecked Sendable {
    public var calls = 0
    public var microseconds = 0
    public var rejectedCalls = 0
    public var failedCalls = 0
    /// Each call's latency (LATENCY HISTOGRAM, INFO latencystats); made at the first call.
    public private(set) var latencies: LatencyHistogram? {
        didSet { borrowedLatencies = latencies.map(Unmanaged.passUnretained) }
    }
    /// `latencies` without ownership: recording through it costs no retain per command.
    private var borrowedLatencies: Unmanaged<LatencyHistogram>?

    func recordLatency(microseconds: Int64) {
        if borrowedLatencies == nil { latencies = LatencyHistogram() }
        borrowedLatencies.unsafelyUnwrapped._withUnsafeGuaranteedRef { $0.record(nanoseconds: microseconds * 1000) }
    }

    func reset() {
        calls = 0
        microseconds = 0
        rejectedCalls = 0
        failedCalls = 0
        latencies = nil
    }
}
