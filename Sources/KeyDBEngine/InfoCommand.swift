import KeyDBRESP

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// INFO [section ...]: Redis's field names, so dashboards and exporters keep working.
enum InfoCommand {
    static let defaultSections = ["server", "clients", "memory", "persistence", "stats", "replication", "cpu", "modules", "errorstats", "cluster", "keyspace"]
    static let allSections = defaultSections.filter { $0 != "modules" } + ["commandstats", "latencystats"]
    /// Every section in the order Redis prints them.
    static let order = ["server", "clients", "memory", "persistence", "stats", "replication", "cpu", "modules",
                        "commandstats", "errorstats", "latencystats", "cluster", "keyspace"]

    static func info(_ c: ClientSession, _ args: Arguments) {
        var wanted: [String] = []
        if args.count == 1 { wanted = defaultSections }
        for index in 1..<max(1, args.count) {
            switch args.string(index).lowercased() {
            case "default": wanted += defaultSections
            case "all": wanted += allSections
            case "everything": wanted += allSections + ["modules"]
            case let section: wanted.append(section)
            }
        }
        var seen = Set<String>()
        let sections = order.filter { wanted.contains($0) && seen.insert($0).inserted }
        let text = sections.compactMap { section(named: $0, c) }.joined(separator: "\r\n")
        c.replyVerbatim(text)
    }

    private static func section(named name: String, _ c: ClientSession) -> String? {
        let engine = c.engine
        let fields: [(String, String)]
        switch name {
        case "server": fields = server(engine)
        case "clients":
            // Replicas are not counted (Redis: server.clients less server.slaves).
            fields = [("connected_clients", "\(engine.clients.count - engine.replication.replicas.count)"), ("cluster_connections", "0"),
                      ("maxclients", "\(engine.configuration.maxClients)"), ("client_recent_max_input_buffer", "0"),
                      ("client_recent_max_output_buffer", "0"), ("blocked_clients", "\(engine.blockedClientCount)"),
                      ("tracking_clients", "\(engine.tracking.clients)"), ("clients_in_timeout_table", "0")]
        case "memory": fields = memory(engine)
        case "persistence":
            fields = [("loading", engine.loading ? "1" : "0")] + (engine.persistence?.infoFields ?? [])
        case "stats": fields = stats(engine)
        case "replication":
            fields = engine.replication.infoFields(engine: engine)
        case "cpu":
            var usage = rusage()
            getrusage(__rusage_who_t(RUSAGE_SELF.rawValue), &usage)
            func seconds(_ t: timeval) -> String { formatFixed(Double(t.tv_sec) + Double(t.tv_usec) / 1e6, decimals: 6) }
            // The main thread's share: the event loop's that runs this command.
            var thread = rusage()
            getrusage(__rusage_who_t(1), &thread)  // RUSAGE_THREAD, which Swift's Glibc module does not export
            fields = [("used_cpu_sys", seconds(usage.ru_stime)), ("used_cpu_user", seconds(usage.ru_utime)),
                      ("used_cpu_sys_children", "0.000000"), ("used_cpu_user_children", "0.000000"),
                      ("used_cpu_sys_main_thread", seconds(thread.ru_stime)), ("used_cpu_user_main_thread", seconds(thread.ru_utime))]
        case "modules": fields = []
        case "errorstats":
            fields = engine.errorCounts.sorted { $0.key < $1.key }.map { ("errorstat_\($0.key)", "count=\($0.value)") }
        case "cluster": fields = [("cluster_enabled", "0")]
        case "keyspace":
            fields = engine.keyspace.databases.filter { $0.count > 0 }.map { db in
                ("db\(db.index)", "keys=\(db.count),expires=\(db.volatileCount),avg_ttl=0")
            }
        case "commandstats":
            fields = engine.commandStatistics.map { (name, stat) in
                let perCall = stat.calls == 0 ? 0 : Double(stat.microseconds) / Double(stat.calls)
                return ("cmdstat_\(name)", "calls=\(stat.calls),usec=\(stat.microseconds),usec_per_call=\(formatFixed(perCall, decimals: 2)),rejected_calls=\(stat.rejectedCalls),failed_calls=\(stat.failedCalls)")
            }
        case "latencystats":
            guard engine.configuration.latencyTracking else { fields = []; break }
            let percentiles = engine.configuration.latencyTrackingPercentiles
            fields = engine.commands.allSpecs.compactMap { spec in
                spec.statistics.latencies.map { histogram in
                    ("latency_percentiles_usec_\(spec.fullName)", percentiles.map { percentile in
                        "p\(Configuration.trimmedDecimal(percentile))=\(formatFixed(Double(histogram.value(atPercentile: percentile)) / 1000, decimals: 3))"
                    }.joined(separator: ","))
                }
            }
        default: return nil
        }
        let title = name == "cpu" ? "CPU" : name.prefix(1).uppercased() + name.dropFirst()
        return (["# \(title)"] + fields.map { "\($0.0):\($0.1)" }).joined(separator: "\r\n") + "\r\n"
    }

    private static func server(_ engine: Engine) -> [(String, String)] {
        var system = utsname()
        uname(&system)
        func field<T>(_ value: inout T) -> String {
            withUnsafeBytes(of: &value) { String(decoding: $0.prefix { $0 != 0 }, as: UTF8.self) }
        }
        let uptime = (Clock.monotonicMicroseconds() - engine.startedAt) / 1_000_000
        let facts = engine.serverFacts
        // While SHUTDOWN waits for replicas, after io_threads_active as in Redis.
        let shutdown = engine.shutdownInMilliseconds.map { [("shutdown_in_milliseconds", "\($0)")] } ?? []
        return [
            ("redis_version", ServerIdentity.redisVersion), ("redis_git_sha1", "00000000"), ("redis_git_dirty", "0"),
            ("redis_build_id", "0"), ("redis_mode", "standalone"),
            ("os", "\(field(&system.sysname)) \(field(&system.release)) \(field(&system.machine))"),
            ("arch_bits", "64"), ("monotonic_clock", "POSIX clock_gettime"), ("multiplexing_api", "epoll"),
            ("atomicvar_api", "c11-builtin"), ("gcc_version", "0.0.0"), ("process_id", "\(facts.processID)"),
            ("process_supervised", facts.supervisedBy), ("run_id", engine.runID), ("tcp_port", "\(facts.tcpPort)"),
            ("server_time_usec", "\(Clock.microseconds())"), ("uptime_in_seconds", "\(uptime)"),
            ("uptime_in_days", "\(uptime / 86400)"), ("hz", "\(engine.configuration.hz)"),
            ("configured_hz", "\(engine.configuration.hz)"), ("lru_clock", "\((Clock.milliseconds() / 1000) & 0xFFFFFF)"),
            ("executable", facts.executablePath), ("config_file", engine.configuration.configFile),
            ("io_threads_active", "0"),
        ] + shutdown + [("swiftkeydb_version", ServerIdentity.version), ("event_loops", "\(facts.eventLoops)")]
    }

    /// Redis's fields in its order, from the same accounting as MEMORY STATS. No
    /// replication or lazy freeing yet: their fields are 0.
    private static func memory(_ engine: Engine) -> [(String, String)] {
        let m = engine.memoryOverhead()
        let evalVM = engine.scripting.evalMemory, functionsVM = engine.functions.memory
        let system = MemoryStatistics.systemBytes()
        let maxMemory = engine.configuration.maxMemory
        let (lazyFreePending, lazyFreed) = (engine.keyspace.lazyFree.pending, engine.keyspace.lazyFree.freed)
        func ratio(_ value: Float) -> String { formatFixed(Double(value), decimals: 2) }
        return [
            ("used_memory", "\(m.totalAllocated)"), ("used_memory_human", humanBytes(m.totalAllocated)),
            ("used_memory_rss", "\(m.rss)"), ("used_memory_rss_human", humanBytes(m.rss)),
            ("used_memory_peak", "\(m.peakAllocated)"), ("used_memory_peak_human", humanBytes(m.peakAllocated)),
            ("used_memory_peak_perc", ratio(m.peakPercentage) + "%"), ("used_memory_overhead", "\(m.overheadTotal)"),
            ("used_memory_startup", "\(m.startupAllocated)"), ("used_memory_dataset", "\(m.dataset)"),
            ("used_memory_dataset_perc", ratio(m.datasetPercentage) + "%"),
            ("allocator_allocated", "\(m.allocatorAllocated)"), ("allocator_active", "\(m.allocatorActive)"),
            ("allocator_resident", "\(m.allocatorResident)"),
            ("total_system_memory", "\(system)"), ("total_system_memory_human", humanBytes(system)),
            ("used_memory_lua", "\(evalVM)"), ("used_memory_vm_eval", "\(evalVM)"), ("used_memory_lua_human", humanBytes(evalVM)),
            ("used_memory_scripts_eval", "\(m.luaCaches)"), ("number_of_cached_scripts", "\(engine.scripting.scripts.count)"),
            ("number_of_functions", "\(engine.functions.functions.count)"), ("number_of_libraries", "\(engine.functions.libraries.count)"),
            ("used_memory_vm_functions", "\(functionsVM)"),
            ("used_memory_vm_total", "\(evalVM + functionsVM)"), ("used_memory_vm_total_human", humanBytes(evalVM + functionsVM)),
            ("used_memory_functions", "\(m.functionsCaches)"), ("used_memory_scripts", "\(m.luaCaches + m.functionsCaches)"),
            ("used_memory_scripts_human", humanBytes(m.luaCaches + m.functionsCaches)),
            ("maxmemory", "\(maxMemory)"), ("maxmemory_human", humanBytes(Int(maxMemory))),
            ("maxmemory_policy", engine.configuration.maxMemoryPolicy),
            ("allocator_frag_ratio", ratio(m.allocatorFragmentation)), ("allocator_frag_bytes", "\(m.allocatorFragmentationBytes)"),
            ("allocator_rss_ratio", ratio(m.allocatorRSS)), ("allocator_rss_bytes", "\(m.allocatorRSSBytes)"),
            ("rss_overhead_ratio", ratio(m.rssOverhead)), ("rss_overhead_bytes", "\(m.rssOverheadBytes)"),
            ("mem_fragmentation_ratio", ratio(m.fragmentation)), ("mem_fragmentation_bytes", "\(m.fragmentationBytes)"),
            ("mem_not_counted_for_evict", "0"), ("mem_replication_backlog", "\(m.replicationBacklog)"),
            // Redis 7 keeps one buffer for the backlog and every replica's unsent stream; here they
            // are the backlog's ring and each replica's buffers, so the total is their sum.
            ("mem_total_replication_buffers", "\(m.replicationBacklog + m.clientsReplicas)"), ("mem_clients_slaves", "\(m.clientsReplicas)"),
            ("mem_clients_normal", "\(m.clientsNormal)"), ("mem_cluster_links", "\(m.clusterLinks)"),
            ("mem_aof_buffer", "\(m.aofBuffer)"), ("mem_allocator", MemoryStatistics.allocatorName),
            ("active_defrag_running", "0"), ("lazyfree_pending_objects", "\(lazyFreePending)"),
            ("lazyfreed_objects", "\(lazyFreed)"),
        ]
    }

    private static func stats(_ engine: Engine) -> [(String, String)] {
        let s = engine.stats
        return [
            ("total_connections_received", "\(s.connectionsReceived)"), ("total_commands_processed", "\(s.commandsProcessed)"),
            ("instantaneous_ops_per_sec", "\(engine.instantaneousOpsPerSecond)"),
            ("total_net_input_bytes", "\(s.netInputBytes + s.netReplicationInputBytes)"), ("total_net_output_bytes", "\(s.netOutputBytes)"),
            ("total_net_repl_input_bytes", "\(s.netReplicationInputBytes)"), ("total_net_repl_output_bytes", "0"),
            ("instantaneous_input_kbps", "0.00"), ("instantaneous_output_kbps", "0.00"),
            ("instantaneous_input_repl_kbps", "0.00"), ("instantaneous_output_repl_kbps", "0.00"),
            ("rejected_connections", "\(s.rejectedConnections)"), ("sync_full", "\(engine.replication.fullSyncs)"),
            ("sync_partial_ok", "\(engine.replication.partialSyncsAccepted)"), ("sync_partial_err", "\(engine.replication.partialSyncsRefused)"), ("expired_keys", "\(s.expiredKeys + engine.keyspace.databases.reduce(0) { $0 + $1.expiredKeys })"),
            ("expired_stale_perc", "0.00"), ("expired_time_cap_reached_count", "0"), ("expire_cycle_cpu_milliseconds", "0"),
            ("evicted_keys", "\(s.evictedKeys)"), ("evicted_clients", "0"), ("total_eviction_exceeded_time", "0"),
            ("current_eviction_exceeded_time", "0"), ("keyspace_hits", "\(s.keyspaceHits)"),
            ("keyspace_misses", "\(s.keyspaceMisses)"), ("pubsub_channels", "\(engine.channelSubscribers.count)"),
            ("pubsub_patterns", "\(engine.patternSubscribers.count)"), ("pubsubshard_channels", "\(engine.shardChannelSubscribers.count)"),
            ("latest_fork_usec", "\(s.latestForkMicroseconds)"), ("total_forks", "\(s.forks)"), ("migrate_cached_sockets", "\(engine.migrationLinks.count)"),
            ("slave_expires_tracked_keys", "\(engine.keyspace.replicaKeyExpiry.count)"), ("active_defrag_hits", "0"), ("active_defrag_misses", "0"),
            ("active_defrag_key_hits", "0"), ("active_defrag_key_misses", "0"), ("total_active_defrag_time", "0"),
            ("current_active_defrag_time", "0"), ("tracking_total_keys", "\(engine.tracking.readers.count)"),
            ("tracking_total_items", "\(engine.tracking.items)"), ("tracking_total_prefixes", "\(engine.tracking.prefixes.count)"), ("unexpected_error_replies", "\(s.unexpectedErrorReplies)"), ("total_error_replies", "\(s.errorReplies)"),
            ("dump_payload_sanitizations", "0"), ("total_reads_processed", "\(s.readsProcessed)"),
            ("total_writes_processed", "\(s.writesProcessed)"), ("io_threaded_reads_processed", "0"),
            ("io_threaded_writes_processed", "0"),
            // Redis resizes each client's reply buffer as its traffic changes; these buffers are not, so none happen.
            ("reply_buffer_shrinks", "0"), ("reply_buffer_expands", "0"),
        ]
    }
}

/// Redis's human-readable sizes (1.23M).
func humanBytes(_ bytes: Int) -> String {
    let value = Double(bytes)
    if value < 1024 { return "\(bytes)B" }
    let units = ["K", "M", "G", "T", "P"]
    var scaled = value / 1024
    var unit = 0
    while scaled >= 1024 && unit < units.count - 1 {
        scaled /= 1024
        unit += 1
    }
    return formatFixed(scaled, decimals: 2) + units[unit]
}

/// `%.Nf` without Foundation.
func formatFixed(_ value: Double, decimals: Int) -> String {
    var buffer = [CChar](repeating: 0, count: 64)
    _ = withVaList([value]) { vsnprintf(&buffer, buffer.count, "%.\(decimals)f", $0) }
    return String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
}
