/// Redis 7.0 settings kept as text: replication's (read where replication uses
/// them), and those of machinery SwiftKeyDB does not have: cluster, TLS, syslog,
/// and Redis's own memory and CPU tuning (lazy freeing, rehashing, jemalloc,
/// defragmentation, CPU pinning).
///
/// A Redis config file or command line that sets them still loads: each value
/// is checked as Redis checks it, kept, shown by CONFIG GET and written by
/// CONFIG REWRITE. Tuning values change nothing here. A value that would turn
/// an absent feature on (a TLS port, cluster mode...) is refused, so no one
/// believes they have it.
extension Configuration {
    static let keptOptions: [ConfigOption] = [
        // Replication: stored here and read where used (`Replication`, `MasterLink`: the backlog,
        // timeouts, diskless sync, what a replica serves); the rest change nothing.
        aliased("slaveof", replicaOf),
        kept("masterauth", .text("")), kept("masteruser", .text("")),  // redacted as ConfigCommand.sensitive says
        kept("repl-backlog-size", .memory(1...Int64.max, 1024 * 1024)),
        kept("repl-backlog-ttl", .integer(0...Int(Int64.max), 3600)),
        kept("repl-timeout", .integer(1...Int(Int32.max), 60)),
        kept("repl-ping-replica-period", alias: "repl-ping-slave-period", .integer(1...Int(Int32.max), 10)),
        kept("repl-disable-tcp-nodelay", .yesNo(false)),
        kept("repl-diskless-sync", .yesNo(true)),
        kept("repl-diskless-sync-delay", .integer(0...Int(Int32.max), 5)),
        kept("repl-diskless-sync-max-replicas", .integer(0...Int(Int32.max), 0)),
        kept("repl-diskless-load", .choice(["disabled", "on-empty-db", "swapdb"])),
        kept("replica-serve-stale-data", alias: "slave-serve-stale-data", .yesNo(true)),
        kept("replica-read-only", alias: "slave-read-only", .yesNo(true)),
        kept("replica-lazy-flush", alias: "slave-lazy-flush", .yesNo(false)),
        kept("replica-ignore-maxmemory", alias: "slave-ignore-maxmemory", .yesNo(true)),
        kept("replica-priority", alias: "slave-priority", .integer(0...Int(Int32.max), 100)),
        kept("replica-announce-ip", alias: "slave-announce-ip", .text("")),
        kept("replica-announce-port", alias: "slave-announce-port", .integer(0...65535, 0)),
        kept("replica-announced", .yesNo(true)),
        kept("replica-ignore-disk-write-errors", .yesNo(false)),
        kept("rdb-del-sync-files", .yesNo(false)),
        kept("bind-source-addr", .text("")),
        kept("propagation-error-behavior", .choice(["ignore", "panic", "panic-on-replicas"])),
        kept("shutdown-timeout", .integer(0...Int(Int32.max), 10)),  // how long SHUTDOWN waits for replicas

        // Cluster.
        kept("cluster-enabled", immutable: true, .yesNo(false), on: "SwiftKeyDB has no cluster mode"),
        kept("cluster-config-file", immutable: true, .text("nodes.conf")),
        kept("cluster-port", immutable: true, .integer(0...65535, 0)),
        kept("cluster-node-timeout", .integer(0...Int(Int64.max), 15000)),
        kept("cluster-announce-ip", .text("")), kept("cluster-announce-hostname", .text("")),
        kept("cluster-announce-port", .integer(0...65535, 0)),
        kept("cluster-announce-bus-port", .integer(0...65535, 0)),
        kept("cluster-announce-tls-port", .integer(0...65535, 0)),
        kept("cluster-preferred-endpoint-type", .choice(["ip", "hostname", "unknown-endpoint"])),
        kept("cluster-require-full-coverage", .yesNo(true)),
        kept("cluster-replica-no-failover", alias: "cluster-slave-no-failover", .yesNo(false)),
        kept("cluster-replica-validity-factor", alias: "cluster-slave-validity-factor", .integer(0...Int(Int32.max), 10)),
        kept("cluster-migration-barrier", .integer(0...Int(Int32.max), 1)),
        kept("cluster-allow-replica-migration", .yesNo(true)),
        kept("cluster-allow-reads-when-down", .yesNo(false)),
        kept("cluster-allow-pubsubshard-when-down", .yesNo(true)),
        kept("cluster-link-sendbuf-limit", .memory(0...Int64.max, 0)),

        // TLS: there is no TLS listener, so no port may be given; the files alone do nothing, as in Redis.
        kept("tls-port", .integer(0...65535, 0), on: "SwiftKeyDB has no TLS support"),
        kept("tls-cert-file", .text("")), kept("tls-key-file", .text("")), kept("tls-key-file-pass", .text("")),
        kept("tls-client-cert-file", .text("")), kept("tls-client-key-file", .text("")),
        kept("tls-client-key-file-pass", .text("")), kept("tls-dh-params-file", .text("")),
        kept("tls-ca-cert-file", .text("")), kept("tls-ca-cert-dir", .text("")),
        kept("tls-protocols", .text("")), kept("tls-ciphers", .text("")), kept("tls-ciphersuites", .text("")),
        kept("tls-auth-clients", .choice(["no", "yes", "optional"], standard: "yes")),
        kept("tls-prefer-server-ciphers", .yesNo(false)),
        kept("tls-session-caching", .yesNo(true)),
        kept("tls-session-cache-size", .integer(0...Int(Int32.max), 20 * 1024)),
        kept("tls-session-cache-timeout", .integer(0...Int(Int32.max), 300)),
        kept("tls-replication", .yesNo(false)), kept("tls-cluster", .yesNo(false)),

        // Other ways in and out.
        kept("socket-mark-id", immutable: true, .integer(0...Int(UInt32.max), 0)),
        kept("syslog-enabled", immutable: true, .yesNo(false), on: "SwiftKeyDB logs to a file or standard output, not to syslog"),
        kept("syslog-ident", immutable: true, .text("redis")),
        kept("syslog-facility", immutable: true, .choice(["user", "local0", "local1", "local2", "local3", "local4", "local5", "local6", "local7"], standard: "local0")),
        kept("maxmemory-clients", .memoryOrPercent, on: "SwiftKeyDB does not evict clients"),


        // Redis's tuning of its own allocator, hash tables and threads.
        kept("activerehashing", .yesNo(true)),
        kept("activedefrag", .yesNo(false), on: "Active defragmentation cannot be enabled: it requires a Redis server compiled with a modified Jemalloc like the one shipped by default with the Redis source distribution"),
        kept("active-defrag-ignore-bytes", .memory(1...Int64.max, 100 << 20)),
        kept("active-defrag-threshold-lower", .integer(0...1000, 10)),
        kept("active-defrag-threshold-upper", .integer(0...1000, 100)),
        kept("active-defrag-cycle-min", .integer(1...99, 1)),
        kept("active-defrag-cycle-max", .integer(1...99, 25)),
        kept("active-defrag-max-scan-fields", .integer(1...Int(Int64.max), 1000)),
        kept("active-expire-effort", .integer(1...10, 1)),
        kept("dynamic-hz", .yesNo(true)),
        kept("jemalloc-bg-thread", .yesNo(true)),
        kept("io-threads-do-reads", immutable: true, .yesNo(false)),
        kept("disable-thp", immutable: true, .yesNo(true)),
        kept("server_cpulist", immutable: true, .text("")), kept("bio_cpulist", immutable: true, .text("")),
        kept("aof_rewrite_cpulist", immutable: true, .text("")), kept("bgsave_cpulist", immutable: true, .text("")),
        kept("oom-score-adj", .choice(["no", "yes", "relative", "absolute"], synonyms: ["relative": "yes"])),
        oomScoreAdjValues,
        kept("rdb-save-incremental-fsync", .yesNo(true)),
        kept("aof-rewrite-incremental-fsync", .yesNo(true)),
        kept("no-appendfsync-on-rewrite", .yesNo(false)),
        kept("aof-timestamp-enabled", .yesNo(false), on: "SwiftKeyDB does not write timestamp annotations in the append-only file"),
        kept("aof-disable-auto-gc", .yesNo(false)),
        kept("sanitize-dump-payload", .choice(["no", "yes", "clients"])),

        // The process and its start.
        kept("always-show-logo", immutable: true, .yesNo(false)),
        kept("set-proc-title", immutable: true, .yesNo(true)),
        procTitleTemplate,
        kept("crash-log-enabled", .yesNo(true)), kept("crash-memcheck-enabled", .yesNo(true)),
        kept("ignore-warnings", .text("")),

        // Redis's test hooks: CONFIG GET shows them only by exact name.
        kept("rdb-key-save-delay", hidden: true, .integer(Int(Int32.min)...Int(Int32.max), 0)),
        kept("key-load-delay", hidden: true, .integer(Int(Int32.min)...Int(Int32.max), 0)),
        kept("loading-process-events-interval-bytes", hidden: true, .integer(1024...Int(Int32.max), 2 * 1024 * 1024)),
        kept("use-exit-on-panic", hidden: true, .yesNo(false)),
        kept("watchdog-period", hidden: true, .integer(0...Int(Int32.max), 0)),
    ].flatMap { $0 }

    /// What a kept setting accepts, and the text CONFIG GET shows for its default.
    enum KeptValue: Sendable {
        case yesNo(Bool)
        case integer(ClosedRange<Int>, Int)
        case octal(ClosedRange<Int>, Int)
        case memory(ClosedRange<Int64>, Int64)
        /// In Redis's order (its error lists them so); the default is the first
        /// unless `standard` says otherwise; a synonym shows as the word it stands for.
        case choice([String], synonyms: [String: String] = [:], standard: String? = nil)
        case text(String)
        /// maxmemory-clients: bytes, or a percentage of maxmemory; 0 by default.
        case memoryOrPercent

        var defaultText: String {
            switch self {
            case .yesNo(let value): value ? "yes" : "no"
            case .integer(_, let value): String(value)
            case .octal(_, let value): String(value, radix: 8)
            case .memory(_, let value): String(value)
            case .choice(let values, _, let standard): standard ?? values[0]
            case .text(let value): value
            case .memoryOrPercent: "0"
            }
        }

        /// The value as CONFIG GET shows it, or Redis's error for it.
        func normalized(_ word: String) throws(ConfigError) -> String {
            switch self {
            case .yesNo: return try Configuration.yesNo(word) ? "yes" : "no"
            case .integer(let range, _), .octal(let range, _):
                let octal = if case .octal = self { true } else { false }
                guard let value = octal ? Int(word, radix: 8) : Configuration.parseInteger(word) else {
                    throw ConfigError(octal ? "argument couldn't be parsed as an octal number" : "argument couldn't be parsed into an integer")
                }
                guard range.contains(value) else {
                    let bounds = octal ? (String(range.lowerBound, radix: 8), String(range.upperBound, radix: 8))
                                       : (String(range.lowerBound), String(range.upperBound))
                    throw ConfigError("argument must be between \(bounds.0) and \(bounds.1) inclusive")
                }
                return String(value, radix: octal ? 8 : 10)
            case .memory(let range, _):
                guard let bytes = Configuration.parseMemory(word) else { throw ConfigError("argument must be a memory value") }
                guard range.contains(bytes) else {
                    throw ConfigError("argument must be between \(range.lowerBound) and \(range.upperBound) inclusive")
                }
                return String(bytes)
            case .choice(let values, let synonyms, _):
                let lower = word.lowercased()
                guard values.contains(lower) else {
                    throw ConfigError("argument(s) must be one of the following: \(values.joined(separator: ", "))")
                }
                return synonyms[lower] ?? lower
            case .text:
                return word
            case .memoryOrPercent:
                let percent = word.hasSuffix("%")
                guard let value = percent ? Int64(word.dropLast()) : Configuration.parseMemory(word), value >= 0 else {
                    throw ConfigError("argument must be a memory or percent value")
                }
                if percent && value > 100 { throw ConfigError("percentage argument must be less or equal to 100") }
                return value == 0 ? "0" : percent ? "\(value)%" : String(value)
            }
        }

        var rewriteStyle: ConfigOption.RewriteStyle {
            switch self {
            case .text: .quoted
            case .memory: .memory
            default: .plain
            }
        }
    }

    /// The setting (and its older alias, as Redis lists both). With `on`, any value
    /// but the default is refused with that text: it would need what SwiftKeyDB lacks.
    static func kept(_ name: String, alias: String? = nil, immutable: Bool = false, hidden: Bool = false,
                     _ value: KeptValue, on refusal: String? = nil) -> [ConfigOption] {
        let standard = value.defaultText
        var option = ConfigOption(name: name, immutable: immutable, get: { $0.keptSettings[name] ?? standard },
                                  set: { config, words throws(ConfigError) in
            let text = try value.normalized(words[0])
            if let refusal, text != standard { throw ConfigError(refusal) }
            config.keptSettings[name] = text
        }, multiWord: false)
        option.rewriteStyle = value.rewriteStyle
        option.isHidden = hidden
        return alias.map { aliased($0, option) } ?? [option]
    }

    /// `replicaof <host> <port>` (or `no one`): the master to follow from the start.
    static let replicaOf = ConfigOption(name: "replicaof", immutable: true, get: { config in
        config.replicaOf.map { "\($0.host) \($0.port)" } ?? ""
    }, set: { config, words throws(ConfigError) in
        guard words.count == 2 else { throw ConfigError("wrong number of arguments") }
        config.replicaOf = nil
        if words[0].lowercased() == "no" && words[1].lowercased() == "one" { return }
        guard let port = Int(words[1]), (0...65535).contains(port) else { throw ConfigError("Invalid master port") }
        config.replicaOf = MasterAddress(host: words[0], port: port)
    }, multiWord: true)

    /// Three scores from -2000 to 2000 (master, replica, background child).
    static let oomScoreAdjValues: [ConfigOption] = [
        ConfigOption(name: "oom-score-adj-values", immutable: false,
                     get: { $0.keptSettings["oom-score-adj-values"] ?? "0 200 800" }, set: { config, words throws(ConfigError) in
            let words = words.filter { !$0.isEmpty }
            guard words.count == 3 else { throw ConfigError("wrong number of arguments") }
            var values: [Int] = []
            for word in words {
                guard let value = Int(word), (-2000...2000).contains(value) else {
                    throw ConfigError("Invalid oom-score-adj-values, elements must be between -2000 and 2000.")
                }
                values.append(value)
            }
            config.keptSettings["oom-score-adj-values"] = values.map(String.init).joined(separator: " ")
        }, multiWord: true),
    ]

    /// Redis's placeholders, `{{` and `}}` for braces; the expansion may not be empty.
    static let procTitleTemplate: [ConfigOption] = {
        let standard = "{title} {listen-addr} {server-mode}"
        var option = ConfigOption(name: "proc-title-template", immutable: false,
                                  get: { $0.keptSettings["proc-title-template"] ?? standard }, set: { config, words throws(ConfigError) in
            guard expandsToText(words[0]) else { throw ConfigError("template format is invalid or contains unknown variables") }
            config.keptSettings["proc-title-template"] = words[0]
        }, multiWord: false)
        option.rewriteStyle = .quoted
        return [option]
    }()

    /// Whether a process title template is well formed and gives some text
    /// with an empty title, no server mode and no Unix socket, as Redis checks.
    static func expandsToText(_ template: String) -> Bool {
        let expansions = ["title": "", "server-mode": "", "unixsocket": "", "listen-addr": "*:6379",
                          "port": "6379", "tls-port": "0", "config-file": "-"]
        var characters = template[...]
        var length = 0
        while let character = characters.popFirst() {
            switch character {
            case "{":
                if characters.first == "{" { characters.removeFirst(); length += 1; continue }
                guard let close = characters.firstIndex(of: "}"),
                      let expansion = expansions[String(characters[..<close])] else { return false }
                length += expansion.count
                characters = characters[characters.index(after: close)...]
            case "}":
                guard characters.first == "}" else { return false }
                characters.removeFirst()
                length += 1
            default:
                length += 1
            }
        }
        return length > 0
    }
}
