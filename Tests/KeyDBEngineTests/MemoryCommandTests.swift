@testable import KeyDBEngine
import Testing

/// MEMORY STATS, DOCTOR, MALLOC-STATS, PURGE and HELP.
@Suite("memory")
struct MemoryCommandTests {
    static let topKeys = ["peak.allocated", "total.allocated", "startup.allocated", "replication.backlog", "clients.slaves",
                          "clients.normal", "cluster.links", "aof.buffer", "lua.caches", "functions.caches"]
    static let bottomKeys = ["overhead.total", "keys.count", "keys.bytes-per-key", "dataset.bytes", "dataset.percentage",
                             "peak.percentage", "allocator.allocated", "allocator.active", "allocator.resident",
                             "allocator-fragmentation.ratio", "allocator-fragmentation.bytes", "allocator-rss.ratio",
                             "allocator-rss.bytes", "rss-overhead.ratio", "rss-overhead.bytes", "fragmentation",
                             "fragmentation.bytes"]

    /// MEMORY STATS as (name, value) pairs.
    private func stats(_ h: EngineHarness) -> [(String, RESPValue)] {
        let items = h.value("MEMORY", "STATS").array
        return stride(from: 0, to: items.count, by: 2).map { (items[$0].string ?? "?", items[$0 + 1]) }
    }

    @Test("MEMORY STATS: Redis's keys in Redis's order, a db.N map for each database with keys")
    func statsShape() {
        let h = EngineHarness()
        h.run("SET", "a", "1")
        h.run("SELECT", "9")
        h.run("SET", "b", "2", "EX", "100")
        h.run("SET", "c", "3")
        h.run("SELECT", "0")
        let pairs = stats(h)
        #expect(pairs.map(\.0) == Self.topKeys + ["db.0", "db.9"] + Self.bottomKeys)
        for (name, value) in pairs where name.hasPrefix("db.") {
            #expect(value.array.compactMap(\.string) == ["overhead.hashtable.main", "overhead.hashtable.expires", "overhead.hashtable.slot-to-keys"])
        }
        // Ratios are bulk strings (Redis's addReplyDouble), counts integers.
        let values = Dictionary(uniqueKeysWithValues: pairs)
        #expect(values["keys.count"] == .integer(3))
        #expect(values["dataset.percentage"]?.string != nil)
        #expect(values["fragmentation"]?.string != nil)
        #expect(values["fragmentation.bytes"]?.integer != nil)
    }

    @Test("MEMORY STATS adds up: overhead.total is its parts, dataset.bytes the rest, per key the growth since start-up")
    func statsArithmetic() {
        let h = EngineHarness()
        for index in 0..<100 { h.run("SET", "key:\(index)", String(repeating: "v", count: 100)) }
        let values = Dictionary(uniqueKeysWithValues: stats(h))
        func number(_ name: String) -> Int64 { values[name]?.integer ?? -1 }
        let tables = h.value("MEMORY", "STATS").array.compactMap { item -> Int64? in
            let fields = item.array
            return fields.count == 6 ? (fields[1].integer ?? 0) + (fields[3].integer ?? 0) + (fields[5].integer ?? 0) : nil
        }
        #expect(tables.count == 1 && tables[0] >= 100 * 64)
        let parts = Self.topKeys.dropFirst(2).reduce(0) { $0 + number($1) } + tables[0]
        #expect(number("overhead.total") == parts)
        #expect(number("dataset.bytes") == number("total.allocated") - number("overhead.total"))
        #expect(number("keys.count") == 100)
        #expect(number("keys.bytes-per-key") == (number("total.allocated") - number("startup.allocated")) / 100)
        #expect(number("peak.allocated") >= number("total.allocated"))
        #expect(number("clients.normal") > 0)
    }

    @Test("the key table's own bytes grow with its entries and buckets")
    func keyTableOverhead() {
        let h = EngineHarness()
        h.run("SET", "first", "v")
        let small = h.db.tableOverheadBytes
        for index in 0..<1000 { h.run("SET", "k\(index)", "v") }
        #expect(h.db.tableOverheadBytes >= 1000 * (64 + 4))
        #expect(h.db.tableOverheadBytes > small)
    }

    /// An accounting with round numbers: 64 MB used, RSS a little above, one client.
    private func memory(used: Int = 64 << 20, rss: Int? = nil, peak: Int? = nil, clientsNormal: Int = 0, clients: Int = 1) -> MemoryOverhead {
        MemoryOverhead(peakAllocated: peak ?? used, totalAllocated: used, startupAllocated: 1 << 20, clientsNormal: clientsNormal,
                       aofBuffer: 0, databases: [], keyCount: 10, clientCount: clients, rss: rss ?? used + (1 << 20))
    }

    @Test("MEMORY DOCTOR: below 5 MB the empty-instance text, else Redis's all-clear")
    func doctorVerdicts() {
        #expect(MemoryDoctor.report(memory(used: 4 << 20, rss: 400 << 20)) == "Hi Sam, this instance is empty or is using very little memory, my issues detector can't be used in these conditions. Please, leave for your mission on Earth and fill it with some data. The new Sam and I will be back to our programming as soon as I finished rebooting.\n")
        #expect(MemoryDoctor.report(memory()) == "Hi Sam, I can't find any memory issue in your instance. I can only account for what occurs on this base.\n")
    }

    @Test("MEMORY DOCTOR: each problem past its ratio and 10 MB, in Redis's order and framing")
    func doctorIssues() {
        #expect(MemoryDoctor.issues(memory(peak: 97 << 20)) == [.bigPeak])
        #expect(MemoryDoctor.issues(memory(peak: 96 << 20)) == [])
        // With libc's view (allocator active = RSS) high RSS is both of these, as in Redis built with libc.
        #expect(MemoryDoctor.issues(memory(rss: 100 << 20)) == [.highFragmentation, .highAllocatorFragmentation])
        #expect(MemoryDoctor.issues(memory(used: 6 << 20, rss: 15 << 20)) == [])  // ratio high, not 10 MB
        var split = memory(rss: 100 << 20)
        split.allocatorActive = 64 << 20
        split.allocatorResident = 80 << 20
        #expect(MemoryDoctor.issues(split) == [.highFragmentation, .highAllocatorRSS, .highProcessRSS])
        #expect(MemoryDoctor.issues(memory(clientsNormal: 401 << 10, clients: 2)) == [.bigClientBuffers])
        #expect(MemoryDoctor.issues(memory(clientsNormal: 400 << 10, clients: 2)) == [])

        let report = MemoryDoctor.report(memory(rss: 100 << 20, peak: 200 << 20))
        #expect(report.hasPrefix("Sam, I detected a few issues in this Redis instance memory implants:\n\n * Peak memory: In the past"))
        #expect(report.contains("please try the MEMORY PURGE command, otherwise the only other option is to shutdown and restart the instance.\n\n * High total RSS:"))
        #expect(report.contains("Note: The currently used allocator is \"libc\".\n\n * High allocator fragmentation:"))
        #expect(report.hasSuffix("You can try enabling 'activedefrag' config option.\n\nI'm here to keep you safe, Sam. I want to help you.\n"))
    }

    @Test("MEMORY DOCTOR answers a bulk string; PURGE answers OK; MALLOC-STATS glibc's report")
    func replies() {
        let h = EngineHarness()
        let report = h.value("MEMORY", "DOCTOR").string ?? ""
        #expect(report.hasPrefix("Hi Sam") || report.hasPrefix("Sam, I detected"))
        #expect(h.run("MEMORY", "PURGE") == ok)
        #expect(h.value("MEMORY", "MALLOC-STATS").string?.hasPrefix("<malloc version=\"1\">") == true)
        #expect(h.run("MEMORY", "STATS", "x") == "-ERR wrong number of arguments for 'memory|stats' command\r\n")
        #expect(h.run("MEMORY", "PURGE", "x") == "-ERR wrong number of arguments for 'memory|purge' command\r\n")
    }

    @Test("MEMORY HELP lists every subcommand in Redis's words")
    func help() {
        let lines = EngineHarness().value("MEMORY", "HELP").array.compactMap(\.string)
        #expect(lines == [
            "MEMORY <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
            "DOCTOR", "    Return memory problems reports.",
            "MALLOC-STATS", "    Return internal statistics report from the memory allocator.",
            "PURGE", "    Attempt to purge dirty pages for reclamation by the allocator.",
            "STATS", "    Return information about the memory usage of the server.",
            "USAGE <key> [SAMPLES <count>]",
            "    Return memory in bytes used by <key> and its value. Nested values are",
            "    sampled up to <count> times (default: 5, 0 means sample all).",
            "HELP", "    Prints this help.",
        ])
    }

    @Test("INFO memory: Redis's fields in its order, from the same accounting")
    func infoMemory() {
        let h = EngineHarness()
        h.run("SET", "k", "v")
        let text = h.value("INFO", "memory").string ?? ""
        let names = text.split(separator: "\r\n").dropFirst().map { String($0.prefix { $0 != ":" }) }
        #expect(names == ["used_memory", "used_memory_human", "used_memory_rss", "used_memory_rss_human", "used_memory_peak",
                          "used_memory_peak_human", "used_memory_peak_perc", "used_memory_overhead", "used_memory_startup",
                          "used_memory_dataset", "used_memory_dataset_perc", "allocator_allocated", "allocator_active",
                          "allocator_resident", "total_system_memory", "total_system_memory_human", "used_memory_lua",
                          "used_memory_vm_eval", "used_memory_lua_human", "used_memory_scripts_eval", "number_of_cached_scripts",
                          "number_of_functions", "number_of_libraries", "used_memory_vm_functions", "used_memory_vm_total",
                          "used_memory_vm_total_human", "used_memory_functions", "used_memory_scripts", "used_memory_scripts_human",
                          "maxmemory", "maxmemory_human", "maxmemory_policy", "allocator_frag_ratio", "allocator_frag_bytes",
                          "allocator_rss_ratio", "allocator_rss_bytes", "rss_overhead_ratio", "rss_overhead_bytes",
                          "mem_fragmentation_ratio", "mem_fragmentation_bytes", "mem_not_counted_for_evict",
                          "mem_replication_backlog", "mem_total_replication_buffers", "mem_clients_slaves", "mem_clients_normal",
                          "mem_cluster_links", "mem_aof_buffer", "mem_allocator", "active_defrag_running",
                          "lazyfree_pending_objects", "lazyfreed_objects"])
        #expect(text.contains("\r\nmem_allocator:libc\r\n"))
    }
}

@Suite("MEMORY USAGE")
struct MemoryUsageTests {
    @Test("an existing key's estimate, nil for a missing one, Redis's errors for bad options")
    func usage() {
        let h = EngineHarness()
        h.run("SET", "small", "v")
        h.run("SET", "large", String(repeating: "x", count: 1000))
        guard let small = h.value("MEMORY", "USAGE", "small").integer, let large = h.value("MEMORY", "USAGE", "large").integer else {
            Issue.record("MEMORY USAGE did not answer an integer for an existing key")
            return
        }
        #expect(small > 0 && large >= small + 1000)
        #expect(h.run("MEMORY", "USAGE", "missing") == "$-1\r\n")
        #expect(h.value("MEMORY", "USAGE", "small", "SAMPLES", "5").integer == small)
        #expect(h.run("MEMORY", "USAGE", "small", "SAMPLES", "x") == "-ERR value is not an integer or out of range\r\n")
        #expect(h.run("MEMORY", "USAGE", "small", "FOO") == "-ERR syntax error\r\n")
    }
}
