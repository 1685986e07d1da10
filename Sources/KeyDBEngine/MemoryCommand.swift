import KeyDBRESP

/// MEMORY STATS, DOCTOR, MALLOC-STATS, PURGE and HELP (Redis's memoryCommand in
/// object.c); MEMORY USAGE is with the other server commands.
enum MemoryCommand {
    /// MEMORY STATS: Redis's map, key for key and in its order.
    static func stats(_ c: ClientSession, _ args: Arguments) {
        let m = c.engine.memoryOverhead()
        c.replyMapHeader(27 + m.databases.count)
        func field(_ name: String, _ value: Int) {
            c.reply.writeBulk(name)
            c.reply.writeIntegerReply(value)
        }
        func field(_ name: String, _ ratio: Float) {
            c.reply.writeBulk(name)
            c.replyDouble(Double(ratio))
        }
        field("peak.allocated", m.peakAllocated)
        field("total.allocated", m.totalAllocated)
        field("startup.allocated", m.startupAllocated)
        field("replication.backlog", m.replicationBacklog)
        field("clients.slaves", m.clientsReplicas)
        field("clients.normal", m.clientsNormal)
        field("cluster.links", m.clusterLinks)
        field("aof.buffer", m.aofBuffer)
        field("lua.caches", m.luaCaches)
        field("functions.caches", m.functionsCaches)
        for db in m.databases {
            c.reply.writeBulk("db.\(db.index)")
            c.replyMapHeader(3)
            field("overhead.hashtable.main", db.main)
            field("overhead.hashtable.expires", db.expires)
            // Cluster mode's slot-to-keys map: none without cluster mode.
            field("overhead.hashtable.slot-to-keys", 0)
        }
        field("overhead.total", m.overheadTotal)
        field("keys.count", m.keyCount)
        field("keys.bytes-per-key", m.bytesPerKey)
        field("dataset.bytes", m.dataset)
        field("dataset.percentage", m.datasetPercentage)
        field("peak.percentage", m.peakPercentage)
        field("allocator.allocated", m.allocatorAllocated)
        field("allocator.active", m.allocatorActive)
        field("allocator.resident", m.allocatorResident)
        field("allocator-fragmentation.ratio", m.allocatorFragmentation)
        field("allocator-fragmentation.bytes", m.allocatorFragmentationBytes)
        field("allocator-rss.ratio", m.allocatorRSS)
        field("allocator-rss.bytes", m.allocatorRSSBytes)
        field("rss-overhead.ratio", m.rssOverhead)
        field("rss-overhead.bytes", m.rssOverheadBytes)
        // The RSS against used_memory: named so for backward compatibility, as in Redis.
        field("fragmentation", m.fragmentation)
        field("fragmentation.bytes", m.fragmentationBytes)
    }

    static func doctor(_ c: ClientSession, _ args: Arguments) {
        c.replyVerbatim(MemoryDoctor.report(c.engine.memoryOverhead()))
    }

    /// MEMORY MALLOC-STATS: Redis prints jemalloc's report; here it is glibc's
    /// (malloc_info's XML), or Redis's answer for an allocator it cannot read.
    /// It walks every arena: slow on a large heap, as Redis's documentation warns.
    static func mallocStats(_ c: ClientSession, _ args: Arguments) {
        guard let report = MemoryStatistics.allocatorReport() else {
            return c.reply.writeBulk("Stats not supported for the current allocator")
        }
        report.withUnsafeBytes { c.replyVerbatim($0) }
    }

    /// MEMORY PURGE: glibc's malloc_trim(0) walks the heap and gives free pages
    /// back to the system; fine for an administrator's explicit ask. Always OK, as
    /// Redis answers when its allocator has nothing to purge.
    static func purge(_ c: ClientSession, _ args: Arguments) {
        MemoryStatistics.returnFreeMemory()
        c.replyOK()
    }

    static func help(_ c: ClientSession, _ args: Arguments) {
        writeHelp(c, command: "MEMORY", lines: [
            "DOCTOR",
            "    Return memory problems reports.",
            "MALLOC-STATS",
            "    Return internal statistics report from the memory allocator.",
            "PURGE",
            "    Attempt to purge dirty pages for reclamation by the allocator.",
            "STATS",
            "    Return information about the memory usage of the server.",
            "USAGE <key> [SAMPLES <count>]",
            "    Return memory in bytes used by <key> and its value. Nested values are",
            "    sampled up to <count> times (default: 5, 0 means sample all).",
        ])
    }
}
