import KeyDBRESP

/// The server's settings, by redis.conf name. One table (`Configuration.options`)
/// drives the config file, the command line, CONFIG GET and CONFIG SET.
///
/// Every Redis 7.0 setting is known, so a Redis config file loads. The ones for
/// machinery SwiftKeyDB does not have are kept apart (`keptOptions`): checked and
/// shown, refused where they would turn such a feature on. A name Redis does not
/// know is rejected, as Redis rejects it.
public struct Configuration: Sendable {
    public var port = 6379
    /// Redis's default: every IPv4 and IPv6 address (the latter if the host has IPv6).
    /// `protected-mode` refuses clients from elsewhere until a password is set.
    public var bind = ["*", "-::*"]
    public var dir = "./data"
    public var databases = 16
    public var requirePass: String? = nil
    /// Users kept in this file (ACL LOAD / ACL SAVE); "" for none.
    public var aclFile = ""
    public var aclLogMaxLength = 128
    /// Whether new users start with every channel allowed (`allchannels`) or none (`resetchannels`).
    public var aclPubsubDefault = "resetchannels"
    /// `user <name> <rules...>` lines of the config file, applied at start.
    public var aclUsers: [[String]] = []
    // Persistence: the log is on by default, so data survives restarts with no set-up.
    public var appendOnly = true
    public var appendFsync = "everysec"
    public var appendFilename = "appendonly.aof"
    public var appendDirname = "appendonlydir"
    public var autoAOFRewritePercentage = 100
    public var autoAOFRewriteMinSize: Int64 = 64 * 1024 * 1024
    public var aofLoadTruncated = true
    public var aofUseRDBPreamble = true
    /// Snapshot points: after `seconds` with at least `changes` writes (Redis's default schedule).
    public var savePoints: [SavePoint] = [SavePoint(seconds: 3600, changes: 1), SavePoint(seconds: 300, changes: 100),
                                         SavePoint(seconds: 60, changes: 10000)]
    public var dbFilename = "dump.rdb"
    public var rdbCompression = true
    /// Refuse writes (-MISCONF) while the last background save failed and save points are set.
    public var stopWritesOnBgsaveError = true
    public var rdbChecksum = true
    public var logLevel = "notice"
    /// Where the log goes: a file appended to, or standard output when empty.
    public var logFile = ""
    /// Detach from the terminal at start (fork, new session, standard streams to /dev/null).
    public var daemonize = false
    /// Where the process id is written at start and removed at exit; "" for none
    /// (a daemon without one writes Redis's default, /var/run/redis.pid).
    public var pidFile = ""
    /// A script running longer (ms) pauses to answer other clients -BUSY (0: never).
    public var busyReplyThreshold = 5000
    public var maxMemory: Int64 = 0
    public var maxMemoryPolicy = "noeviction"
    /// Keys sampled per database for each eviction choice (more: closer to true LRU/LFU, slower).
    public var maxMemorySamples = 5
    /// How long one eviction run may take before the rest is left to the background cycle (0-100).
    public var maxMemoryEvictionTenacity = 10
    /// Keys client-side caching remembers readers for, at most (0: no limit).
    public var trackingTableMaxKeys = 1_000_000
    /// How fast the LFU counter grows (higher: slower) and how many minutes each decay step waits.
    public var lfuLogFactor = 10
    public var lfuDecayTime = 1
    /// An LFU maxmemory-policy is selected: keys keep access counters instead of access times.
    public var usesLFU: Bool { maxMemoryPolicy.hasSuffix("-lfu") }
    public var protoMaxBulkLength = 512 * 1024 * 1024
    /// A sparse HyperLogLog growing past this many bytes turns dense.
    public var hllSparseMaxBytes = 3000
    /// A client whose unprocessed input grows past this is closed (Redis's query buffer limit).
    public var clientQueryBufferLimit = 1024 * 1024 * 1024
    /// Without a password, refuse clients that do not connect from the loopback interface.
    public var protectedMode = true
    /// Who may run DEBUG: "no", "yes" or "local" (a client of the loopback address), as Redis.
    public var enableDebugCommand = ProtectedAction.no
    /// Who may CONFIG SET the settings that name files the server writes (dir, dbfilename).
    public var enableProtectedConfigs = ProtectedAction.no
    /// Accepted so Redis configs load; SwiftKeyDB has no MODULE command for it to allow.
    public var enableModuleCommand = ProtectedAction.no
    /// The listening sockets' queue of connections not yet accepted.
    public var tcpBacklog = 511
    /// A Unix socket to listen on too ("": none); with port 0, the only one.
    public var unixSocket = ""
    /// The socket file's permissions (0: as the umask leaves them).
    public var unixSocketPerm = 0
    /// How a service manager learns the server is ready (systemd's notify socket, upstart's SIGSTOP).
    public var supervised = Supervision.no
    /// The master to follow (`replicaof host port`; REPLICAOF changes it at run time), nil for a master.
    public var replicaOf: MasterAddress?
    /// With both above 0, writes are refused (-NOREPLICAS): a master without replicas never has enough.
    public var minReplicasToWrite = 0
    public var minReplicasMaxLag = 10
    /// How SIGINT and SIGTERM shut the server down, as SHUTDOWN's options would.
    public var shutdownOnSigint = ShutdownOptions()
    public var shutdownOnSigterm = ShutdownOptions()
    /// Values of the Redis settings that change nothing here (`keptOptions`), by name; absent: the default.
    public var keptSettings: [String: String] = [:]
    /// Connections beyond this many are refused (`-ERR max number of clients reached`).
    public var maxClients = 10_000
    /// Seconds of silence before TCP keepalive probes a client's connection (0 = off), applied as connections are accepted.
    public var tcpKeepalive = 300
    /// Seconds a client may stay idle before it is closed (0 = never; blocked and subscribed clients are exempt).
    public var timeout = 0
    /// Event loops serving clients (redis.conf's io-threads).
    public var ioThreads = 1
    /// Microseconds an event loop polls for the next request after a turn that
    /// served someone, before it sleeps (0 = sleep at once). SwiftKeyDB's own.
    public var busyPoll = 50
    /// Background task frequency: active expiry runs `hz` times a second.
    public var hz = 10
    /// Which deletions free a big value on a background thread (`lazyfree-lazy-*`):
    /// by eviction, by expiry, by a command replacing a key (SET, RENAME), by DEL, and
    /// FLUSHALL / FLUSHDB without ASYNC or SYNC. UNLINK and ASYNC always do.
    public var lazyfreeLazyEviction = false
    public var lazyfreeLazyExpire = false
    public var lazyfreeLazyServerDel = false
    public var lazyfreeLazyUserDel = false
    public var lazyfreeLazyUserFlush = false
    // Redis's encoding thresholds. SwiftKeyDB's structures do not change shape with
    // them; they are kept so configs, CONFIG GET/SET and OBJECT ENCODING agree with Redis.
    public var hashMaxListpackEntries = 512
    public var hashMaxListpackValue = 64
    public var listMaxListpackSize = -2
    public var listCompressDepth = 0
    /// Not a CONFIG parameter: DEBUG QUICKLIST-PACKED-THRESHOLD's size, from
    /// which a list element is saved (and dumped) as a plain node of its own.
    public var listPackedThreshold = 1 << 30
    public var setMaxIntsetEntries = 512
    public var zsetMaxListpackEntries = 128
    public var zsetMaxListpackValue = 64
    /// The two above, as sorted sets take them.
    public var zsetListpackLimits: SortedSetValue.ListpackLimits {
        SortedSetValue.ListpackLimits(maxEntries: zsetMaxListpackEntries, maxValue: zsetMaxListpackValue)
    }
    /// Limits of one stream node: the listpack's bytes and its entries (0: no limit).
    public var streamNodeMaxBytes = 4096
    public var streamNodeMaxEntries = 100
    public var outputLimits = OutputBufferLimits()
    public var keyspaceEvents: KeyspaceEventFlags = []
    /// The config file the server was started with, if any (INFO config_file).
    public var configFile = ""
    /// Commands that run at least this many µs are kept in the slow log (negative: none, 0: every one).
    public var slowlogLogSlowerThan = 10_000
    /// The slow log keeps this many entries, the newest.
    public var slowlogMaxLen = 128
    /// Events that last at least this many ms are sampled for LATENCY (0: the monitor is off).
    public var latencyMonitorThreshold = 0
    /// Per-command latency histograms (LATENCY HISTOGRAM, INFO latencystats).
    public var latencyTracking = true
    /// The percentiles INFO latencystats shows.
    public var latencyTrackingPercentiles: [Double] = [50, 99, 99.9]

    public init() {}
}

/// Why a setting was refused; the text follows Redis's wording.
public struct ConfigError: Error, Equatable, Sendable {
    public let message: String
    public init(_ message: String) { self.message = message }
}

/// One setting: its name and how to read and change it.
public struct ConfigOption: Sendable {
    public let name: String
    /// Settable only at start (config file / command line), as Redis's immutable configs.
    public let immutable: Bool
    public let get: @Sendable (Configuration) -> String
    public let set: @Sendable (inout Configuration, [String]) throws(ConfigError) -> Void
    /// Takes several words (`save 900 1 300 10`, `bind a b`).
    public let multiWord: Bool
    /// Refused by CONFIG SET as Redis's protected configs are (enable-protected-configs no):
    /// they name files the server writes.
    public var isProtected = false
    /// How CONFIG REWRITE writes the value.
    public var rewriteStyle = RewriteStyle.plain
    /// For an older name (slaveof, hash-max-ziplist-entries): the one CONFIG REWRITE writes.
    public var canonicalName: String? = nil
    /// Left out of CONFIG GET's patterns (Redis's hidden test settings): only its exact name shows it.
    public var isHidden = false

    public enum RewriteStyle: Sendable {
        /// As CONFIG GET shows it (numbers, yes/no, enums).
        case plain
        /// A string, in double quotes with escapes.
        case quoted
        /// A size, in gb/mb/kb when it divides evenly.
        case memory
    }
}

extension Configuration {
    public static let options: [ConfigOption] = [
        integer("port", 0...65535, \.port),
        ConfigOption(name: "bind", immutable: false, get: { $0.bind.joined(separator: " ") }, set: { config, words throws(ConfigError) in
            guard !words.isEmpty, words.count <= 16 else { throw ConfigError("Too many bind addresses specified.") }
            config.bind = words
        }, multiWord: true),
        protected(text("dir", \.dir)),
        integer("databases", immutable: true, 1...Int(Int32.max), \.databases),
        ConfigOption(name: "requirepass", immutable: false, get: { $0.requirePass ?? "" }, set: { config, words throws(ConfigError) in
            config.requirePass = words[0].isEmpty ? nil : words[0]
        }, multiWord: false),
        boolean("appendonly", \.appendOnly),
        choice("appendfsync", ["everysec", "always", "no"], \.appendFsync),
        text("appendfilename", immutable: true, \.appendFilename, validate: plainFileName),
        text("appenddirname", immutable: true, \.appendDirname, validate: plainFileName),
        integer("auto-aof-rewrite-percentage", 0...Int(Int32.max), \.autoAOFRewritePercentage),
        memory("auto-aof-rewrite-min-size", \.autoAOFRewriteMinSize),
        boolean("aof-load-truncated", \.aofLoadTruncated),
        boolean("aof-use-rdb-preamble", \.aofUseRDBPreamble),
        ConfigOption(name: "save", immutable: false, get: { $0.savePoints.map { "\($0.seconds) \($0.changes)" }.joined(separator: " ") },
                     set: { config, words throws(ConfigError) in
            config.savePoints = try SavePoint.parse(words)
        }, multiWord: true),
        protected(text("dbfilename", \.dbFilename, validate: plainFileName)),
        boolean("rdbcompression", \.rdbCompression),
        boolean("stop-writes-on-bgsave-error", \.stopWritesOnBgsaveError),
        boolean("rdbchecksum", immutable: true, \.rdbChecksum),
        choice("loglevel", ["debug", "verbose", "notice", "warning"], \.logLevel),
        text("logfile", immutable: true, \.logFile),
        boolean("daemonize", immutable: true, \.daemonize),
        text("pidfile", immutable: true, \.pidFile),
        text("aclfile", immutable: true, \.aclFile),
        integer("acllog-max-len", 0...Int(Int64.max), \.aclLogMaxLength),
        choice("acl-pubsub-default", ["allchannels", "resetchannels"], \.aclPubsubDefault),
        memory("maxmemory", \.maxMemory),
        integer("maxmemory-samples", 1...Int(Int32.max), \.maxMemorySamples),
        integer("maxmemory-eviction-tenacity", 0...100, \.maxMemoryEvictionTenacity),
        integer("tracking-table-max-keys", 0...Int(Int64.max), \.trackingTableMaxKeys),
        choice("maxmemory-policy", ["volatile-lru", "volatile-lfu", "volatile-random", "volatile-ttl",
                                    "allkeys-lru", "allkeys-lfu", "allkeys-random", "noeviction"], \.maxMemoryPolicy),
        integer("lfu-log-factor", 0...Int(Int32.max), \.lfuLogFactor),
        integer("lfu-decay-time", 0...Int(Int32.max), \.lfuDecayTime),
        memory("proto-max-bulk-len", atLeast: 1024 * 1024, \.protoMaxBulkLength),
        memory("client-query-buffer-limit", atLeast: 1024 * 1024, \.clientQueryBufferLimit),
        integer("io-threads", immutable: true, 1...128, \.ioThreads),
        integer("busy-poll", 0...1000, \.busyPoll),
        integer("maxclients", 1...Int(UInt32.max), \.maxClients),
        boolean("protected-mode", \.protectedMode),
        boolean("lazyfree-lazy-eviction", \.lazyfreeLazyEviction),
        boolean("lazyfree-lazy-expire", \.lazyfreeLazyExpire),
        boolean("lazyfree-lazy-server-del", \.lazyfreeLazyServerDel),
        boolean("lazyfree-lazy-user-del", \.lazyfreeLazyUserDel),
        boolean("lazyfree-lazy-user-flush", \.lazyfreeLazyUserFlush),
        choice("enable-protected-configs", immutable: true, \.enableProtectedConfigs),
        choice("enable-debug-command", immutable: true, \.enableDebugCommand),
        choice("enable-module-command", immutable: true, \.enableModuleCommand),
        integer("tcp-backlog", immutable: true, 0...Int(Int32.max), \.tcpBacklog),
        text("unixsocket", immutable: true, \.unixSocket),
        octal("unixsocketperm", immutable: true, 0...0o777, \.unixSocketPerm),
        choice("supervised", immutable: true, \.supervised),
        shutdownOnSignal("shutdown-on-sigint", \.shutdownOnSigint),
        shutdownOnSignal("shutdown-on-sigterm", \.shutdownOnSigterm),
        integer("timeout", 0...Int(Int32.max), \.timeout),
        integer("tcp-keepalive", 0...Int(Int32.max), \.tcpKeepalive),
        ConfigOption(name: "notify-keyspace-events", immutable: false, get: { $0.keyspaceEvents.letters }, set: { config, words throws(ConfigError) in
            guard let flags = KeyspaceEventFlags(letters: words[0]) else { throw ConfigError("Invalid event class character. Use 'Ag$lshzxeKEtmdn'.") }
            config.keyspaceEvents = flags
        }, multiWord: false),
        ConfigOption(name: "client-output-buffer-limit", immutable: false, get: { $0.outputLimits.text }, set: { config, words throws(ConfigError) in
            try config.outputLimits.apply(words)
        }, multiWord: true),
        // Redis accepts any non-negative int and keeps it within 1...500.
        ConfigOption(name: "hz", immutable: false, get: { String($0.hz) }, set: { config, words throws(ConfigError) in
            guard let value = parseInteger(words[0]) else { throw ConfigError("argument couldn't be parsed into an integer") }
            guard value >= 0 && value <= Int(Int32.max) else { throw ConfigError("argument must be between 0 and 2147483647 inclusive") }
            config.hz = min(max(value, 1), 500)
        }, multiWord: false),
        integer("slowlog-log-slower-than", -1...Int.max, \.slowlogLogSlowerThan),
        integer("slowlog-max-len", 0...Int.max, \.slowlogMaxLen),
        integer("latency-monitor-threshold", 0...Int.max, \.latencyMonitorThreshold),
        boolean("latency-tracking", \.latencyTracking),
        ConfigOption(name: "latency-tracking-info-percentiles", immutable: false,
                     get: { $0.latencyTrackingPercentiles.map(trimmedDecimal).joined(separator: " ") },
                     set: { config, words throws(ConfigError) in
            config.latencyTrackingPercentiles = try parsePercentiles(words)
        }, multiWord: true),
    ] + renamed + encodingThresholds + keptOptions

    /// Settings Redis 7 renamed, each also under its older name, as Redis lists both.
    static let renamed: [ConfigOption] = [
        aliased("lua-time-limit", integer("busy-reply-threshold", 0...Int.max, \.busyReplyThreshold)),
        aliased("min-slaves-to-write", integer("min-replicas-to-write", 0...Int(Int32.max), \.minReplicasToWrite)),
        aliased("min-slaves-max-lag", integer("min-replicas-max-lag", 0...Int(Int32.max), \.minReplicasMaxLag)),
        aliased("hash-max-ziplist-entries", integer("hash-max-listpack-entries", 0...Int.max, \.hashMaxListpackEntries)),
        aliased("hash-max-ziplist-value", memory("hash-max-listpack-value", \.hashMaxListpackValue)),
        aliased("list-max-ziplist-size", integer("list-max-listpack-size", Int(Int32.min)...Int(Int32.max), \.listMaxListpackSize)),
        aliased("zset-max-ziplist-entries", integer("zset-max-listpack-entries", 0...Int.max, \.zsetMaxListpackEntries)),
        aliased("zset-max-ziplist-value", memory("zset-max-listpack-value", \.zsetMaxListpackValue)),
    ].flatMap { $0 }

    /// Redis's encoding thresholds (see `listMaxListpackSize` and its neighbours).
    static let encodingThresholds: [ConfigOption] = [
        integer("list-compress-depth", 0...Int(Int32.max), \.listCompressDepth),
        integer("set-max-intset-entries", 0...Int.max, \.setMaxIntsetEntries),
        memory("stream-node-max-bytes", \.streamNodeMaxBytes),
        integer("stream-node-max-entries", 0...Int.max, \.streamNodeMaxEntries),
        memory("hll-sparse-max-bytes", \.hllSparseMaxBytes),
    ]

    public static func option(named name: String) -> ConfigOption? {
        let lower = name.lowercased()
        return options.first { $0.name == lower }
    }

    // MARK: - Option builders

    static func integer(_ name: String, immutable: Bool = false, _ range: ClosedRange<Int>, _ path: WritableKeyPath<Configuration, Int> & Sendable) -> ConfigOption {
        ConfigOption(name: name, immutable: immutable, get: { String($0[keyPath: path]) }, set: { config, words throws(ConfigError) in
            guard let value = parseInteger(words[0]) else { throw ConfigError("argument couldn't be parsed into an integer") }
            guard range.contains(value) else {
                throw ConfigError("argument must be between \(range.lowerBound) and \(range.upperBound) inclusive")
            }
            config[keyPath: path] = value
        }, multiWord: false)
    }

    /// A number written in octal (file permissions), as CONFIG GET shows it too.
    static func octal(_ name: String, immutable: Bool, _ range: ClosedRange<Int>, _ path: WritableKeyPath<Configuration, Int> & Sendable) -> ConfigOption {
        ConfigOption(name: name, immutable: immutable, get: { String($0[keyPath: path], radix: 8) }, set: { config, words throws(ConfigError) in
            config[keyPath: path] = try Int(KeptValue.octal(range, 0).normalized(words[0]), radix: 8)!
        }, multiWord: false)
    }

    /// A size in bytes, given as Redis's memory values (`1mb`, `512k`, `1048576`).
    static func memory<Value: FixedWidthInteger & Sendable>(_ name: String, atLeast minimum: Int64 = 0,
                                                         _ path: WritableKeyPath<Configuration, Value> & Sendable) -> ConfigOption {
        var option = ConfigOption(name: name, immutable: false, get: { String($0[keyPath: path]) }, set: { config, words throws(ConfigError) in
            guard let bytes = parseMemory(words[0]) else { throw ConfigError("argument must be a memory value") }
            guard bytes >= minimum, let value = Value(exactly: bytes) else {
                throw ConfigError("argument must be between \(minimum) and \(Int64.max) inclusive")
            }
            config[keyPath: path] = value
        }, multiWord: false)
        option.rewriteStyle = .memory
        return option
    }

    static func text(_ name: String, immutable: Bool = false, _ path: WritableKeyPath<Configuration, String> & Sendable,
                     validate: @escaping @Sendable (String) throws(ConfigError) -> Void = { _ throws(ConfigError) in }) -> ConfigOption {
        var option = ConfigOption(name: name, immutable: immutable, get: { $0[keyPath: path] }, set: { config, words throws(ConfigError) in
            try validate(words[0])
            config[keyPath: path] = words[0]
        }, multiWord: false)
        option.rewriteStyle = .quoted
        return option
    }

    static func choice(_ name: String, _ allowed: [String], _ path: WritableKeyPath<Configuration, String> & Sendable) -> ConfigOption {
        ConfigOption(name: name, immutable: false, get: { $0[keyPath: path] }, set: { config, words throws(ConfigError) in
            let value = words[0].lowercased()
            guard allowed.contains(value) else { throw ConfigError("argument(s) must be one of the following: \(allowed.joined(separator: ", "))") }
            config[keyPath: path] = value
        }, multiWord: false)
    }

    static func choice<Value: RawRepresentable<String> & CaseIterable & Sendable>(
        _ name: String, immutable: Bool = false, _ path: WritableKeyPath<Configuration, Value> & Sendable
    ) -> ConfigOption {
        ConfigOption(name: name, immutable: immutable, get: { $0[keyPath: path].rawValue }, set: { config, words throws(ConfigError) in
            guard let value = Value(rawValue: words[0].lowercased()) else {
                throw ConfigError("argument(s) must be one of the following: \(Value.allCases.map(\.rawValue).joined(separator: ", "))")
            }
            config[keyPath: path] = value
        }, multiWord: false)
    }

    /// `option`, and the same under an older name, which CONFIG REWRITE writes back under the new one.
    static func aliased(_ older: String, _ option: ConfigOption) -> [ConfigOption] {
        [option, ConfigOption(name: older, immutable: option.immutable, get: option.get, set: option.set, multiWord: option.multiWord,
                              isProtected: option.isProtected, rewriteStyle: option.rewriteStyle, canonicalName: option.name,
                              isHidden: option.isHidden)]
    }

    /// shutdown-on-sigint / -sigterm: `default`, or SHUTDOWN's options (save, nosave, now, force).
    static func shutdownOnSignal(_ name: String, _ path: WritableKeyPath<Configuration, ShutdownOptions> & Sendable) -> ConfigOption {
        ConfigOption(name: name, immutable: false, get: { $0[keyPath: path].text }, set: { config, words throws(ConfigError) in
            config[keyPath: path] = try ShutdownOptions(words)
        }, multiWord: true)
    }

    static func protected(_ option: ConfigOption) -> ConfigOption {
        var option = option
        option.isProtected = true
        return option
    }

    static func boolean(_ name: String, immutable: Bool = false, _ path: WritableKeyPath<Configuration, Bool> & Sendable) -> ConfigOption {
        ConfigOption(name: name, immutable: immutable, get: { $0[keyPath: path] ? "yes" : "no" }, set: { config, words throws(ConfigError) in
            config[keyPath: path] = try yesNo(words[0])
        }, multiWord: false)
    }

    /// `latency-tracking-info-percentiles`: numbers from 0 to 100; `""` is none.
    static func parsePercentiles(_ words: [String]) throws(ConfigError) -> [Double] {
        var percentiles: [Double] = []
        for word in words where !(words.count == 1 && word.isEmpty) {
            var word = word
            guard let value = word.withUTF8({ parseDouble(UnsafeRawBufferPointer($0)) }) else {
                throw ConfigError("Invalid latency-tracking-info-percentiles parameters")
            }
            guard value >= 0 && value <= 100 else {
                throw ConfigError("latency-tracking-info-percentiles parameters should sit between [0.0,100.0]")
            }
            percentiles.append(value)
        }
        return percentiles
    }

    /// `%f` without its trailing zeros (and point), as Redis prints percentiles.
    static func trimmedDecimal(_ value: Double) -> String {
        var text = formatFixed(value, decimals: 6)
        while text.hasSuffix("0") { text.removeLast() }
        if text.hasSuffix(".") { text.removeLast() }
        return text
    }

    /// Redis refuses file names that would leave the data directory.
    static func plainFileName(_ name: String) throws(ConfigError) {
        guard !name.contains("/") else { throw ConfigError("File can't be a path, just a filename") }
    }

    static func yesNo(_ word: String) throws(ConfigError) -> Bool {
        switch word.lowercased() {
        case "yes": return true
        case "no": return false
        default: throw ConfigError("argument must be 'yes' or 'no'")
        }
    }

    /// redis.conf memory units: 1k = 1000, 1kb = 1024, likewise m/mb, g/gb.
    /// A plain integer setting, as Redis's string2ll reads it: no "+", no leading zero, no spaces.
    static func parseInteger(_ text: String) -> Int? {
        var text = text
        return text.withUTF8 { Int64(redisDecimal: UnsafeRawBufferPointer($0)) }.map { Int($0) }
    }

    public static func parseMemory(_ text: String) -> Int64? {
        // As Redis's memtoull: digits (none reads as 0, so "" and "kb" are 0), then a unit.
        let lower = text.lowercased()
        let digits = lower.prefix { $0.isASCII && $0.isNumber }
        let units: [String: Int64] = ["": 1, "b": 1, "k": 1000, "kb": 1024, "m": 1_000_000, "mb": 1 << 20, "g": 1_000_000_000, "gb": 1 << 30]
        guard let multiplier = units[String(lower.dropFirst(digits.count))] else { return nil }
        guard let number = digits.isEmpty ? 0 : Int64(digits) else { return nil }
        let (result, overflow) = number.multipliedReportingOverflow(by: multiplier)
        return overflow ? nil : result
    }
}

/// One `save <seconds> <changes>` point: snapshot when that many writes happened in that time.
public struct SavePoint: Sendable, Equatable {
    public var seconds: Int
    public var changes: Int

    /// `save ""` clears the schedule; otherwise pairs of non-negative integers.
    static func parse(_ words: [String]) throws(ConfigError) -> [SavePoint] {
        let words = words.filter { !$0.isEmpty }
        guard words.count % 2 == 0 else { throw ConfigError("Invalid save parameters") }
        var points: [SavePoint] = []
        for index in stride(from: 0, to: words.count, by: 2) {
            guard let seconds = Int(words[index]), let changes = Int(words[index + 1]), seconds >= 0, changes >= 0 else {
                throw ConfigError("Invalid save parameters")
            }
            points.append(SavePoint(seconds: seconds, changes: changes))
        }
        return points
    }
}

/// Who may take an action Redis protects (DEBUG, changing file settings):
/// redis.conf's `enable-debug-command` and its siblings.
public enum ProtectedAction: String, CaseIterable, Sendable {
    case no, yes, local

    /// Whether `client` may.
    public func allows(_ client: ClientSession) -> Bool {
        switch self {
        case .yes: true
        case .no: false
        // Redis's test: the Unix socket, or by the address text 127.0.0.1 or ::1 only.
        case .local: client.isUnixSocket || client.address.hasPrefix("127.0.0.1:") || client.address.hasPrefix("[::1]:")
        }
    }
}

/// redis.conf's `supervised`, in Redis's order (its error message lists them so).
public enum Supervision: String, CaseIterable, Sendable {
    case upstart, systemd, auto, no
}

/// How a shutdown goes, from SHUTDOWN's flags or shutdown-on-sigint / -sigterm:
/// save or not whatever the save points say (`save` true or false; nil: as they
/// say), without waiting for replicas (`now`), and exiting even when the last save
/// fails (`force`).
public struct ShutdownOptions: Sendable, Equatable {
    public var save: Bool?
    public var now: Bool
    public var force: Bool

    public init(save: Bool? = nil, now: Bool = false, force: Bool = false) {
        self.save = save
        self.now = now
        self.force = force
    }

    init(_ words: [String]) throws(ConfigError) {
        self.init()
        let words = words.filter { !$0.isEmpty }
        guard !words.isEmpty else { throw Self.unknown }
        for word in words {
            switch word.lowercased() {
            case "default": break
            case "save", "nosave":
                let wanted = word.lowercased() == "save"
                guard save != !wanted else { throw ConfigError("shutdown options SAVE and NOSAVE can't be used simultaneously") }
                save = wanted
            case "now": now = true
            case "force": force = true
            default: throw Self.unknown
            }
        }
    }

    private static let unknown = ConfigError("argument(s) must be one of the following: default, save, nosave, now, force")

    /// As CONFIG GET shows it: the options in Redis's order, or `default`.
    var text: String {
        let words = [save == true ? "save" : nil, save == false ? "nosave" : nil, now ? "now" : nil, force ? "force" : nil].compactMap { $0 }
        return words.isEmpty ? "default" : words.joined(separator: " ")
    }
}

/// `replicaof`'s host and port.
public struct MasterAddress: Sendable, Equatable {
    public var host: String
    public var port: Int
}
