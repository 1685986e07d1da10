/// Where the memory goes, as Redis's getMemoryOverheadData accounts it: what
/// the server holds besides the data, and what the allocator and the kernel
/// make of it. Behind MEMORY STATS, MEMORY DOCTOR and INFO memory.
///
/// Redis's ratios are single-precision floats: they are computed as Float so
/// the replies print the same digits.
struct MemoryOverhead {
    /// One database with keys: its key table's own bytes.
    struct DatabaseOverhead {
        var index: Int
        var main: Int
        /// 0: expiries live in the key table's entries, counted in `main`
        /// (Redis keeps them in a second table).
        var expires = 0
    }

    var peakAllocated: Int
    var totalAllocated: Int
    var startupAllocated: Int
    /// No replication yet: no backlog, no replicas, no cluster links.
    var replicationBacklog = 0
    var clientsReplicas = 0
    var clientsNormal: Int
    var clusterLinks = 0
    var aofBuffer: Int
    /// No scripting yet: no script or function caches.
    var luaCaches = 0
    var functionsCaches = 0
    var databases: [DatabaseOverhead]
    var keyCount: Int
    var clientCount: Int
    /// The process's resident set size.
    var rss: Int
    /// What the allocator says it holds. glibc can tell only by walking its heap
    /// (mallinfo2), so, as Redis built with libc does, it is seen through
    /// used_memory (allocated) and the RSS (active and resident).
    var allocatorAllocated: Int
    var allocatorActive: Int
    var allocatorResident: Int

    init(peakAllocated: Int, totalAllocated: Int, startupAllocated: Int, clientsNormal: Int, aofBuffer: Int,
         databases: [DatabaseOverhead], keyCount: Int, clientCount: Int, rss: Int) {
        self.peakAllocated = peakAllocated
        self.totalAllocated = totalAllocated
        self.startupAllocated = startupAllocated
        self.clientsNormal = clientsNormal
        self.aofBuffer = aofBuffer
        self.databases = databases
        self.keyCount = keyCount
        self.clientCount = clientCount
        self.rss = rss
        allocatorAllocated = totalAllocated
        allocatorActive = rss
        allocatorResident = rss
    }

    /// Everything but the data: what the server started with, buffers, key tables.
    var overheadTotal: Int {
        startupAllocated + replicationBacklog + clientsReplicas + clientsNormal + clusterLinks + aofBuffer
            + luaCaches + functionsCaches + databases.reduce(0) { $0 + $1.main + $1.expires }
    }

    /// Never below 0: the estimates may exceed a heap that shrank since start-up.
    var dataset: Int { max(0, totalAllocated - overheadTotal) }
    /// Memory grown since start-up (at least 1, as Redis divides by it).
    var netUsage: Int { totalAllocated > startupAllocated ? totalAllocated - startupAllocated : 1 }
    var bytesPerKey: Int { keyCount > 0 ? netUsage / keyCount : 0 }
    var datasetPercentage: Float { Float(dataset) * 100 / Float(netUsage) }
    var peakPercentage: Float { Float(totalAllocated) * 100 / Float(peakAllocated) }

    var allocatorFragmentation: Float { Float(allocatorActive) / Float(allocatorAllocated) }
    var allocatorFragmentationBytes: Int { allocatorActive - allocatorAllocated }
    var allocatorRSS: Float { Float(allocatorResident) / Float(allocatorActive) }
    var allocatorRSSBytes: Int { allocatorResident - allocatorActive }
    var rssOverhead: Float { Float(rss) / Float(allocatorResident) }
    var rssOverheadBytes: Int { rss - allocatorResident }
    /// The RSS against used_memory (INFO mem_fragmentation_ratio).
    var fragmentation: Float { Float(rss) / Float(totalAllocated) }
    var fragmentationBytes: Int { rss - totalAllocated }
}

extension Engine {
    /// The accounting now; raises the peak first, as Redis's INFO does, so the
    /// peak is never below the current figure.
    func memoryOverhead() -> MemoryOverhead {
        let used = recordMemoryPeak()
        let databases = keyspace.databases.filter { $0.count > 0 }
        // Reply buffers, and the bytes handed to the network layer not yet sent: an
        // estimate (query buffers live in the network layer and are not counted).
        let clientBytes = clients.values.reduce(0) { $0 + ($1.replica == nil ? $1.reply.capacity + $1.unsentBytes : 0) }
        let replicaBytes = replication.replicas.reduce(0) { $0 + $1.session.reply.capacity + $1.session.unsentBytes + $1.pending.capacity }
        var overhead = MemoryOverhead(
            peakAllocated: peakMemory, totalAllocated: used, startupAllocated: startupMemory,
            clientsNormal: clientBytes, aofBuffer: appendOnlyFeed?.buffer.capacity ?? 0,
            databases: databases.map { MemoryOverhead.DatabaseOverhead(index: $0.index, main: $0.tableOverheadBytes) },
            keyCount: databases.reduce(0) { $0 + $1.count }, clientCount: clients.count,
            rss: MemoryStatistics.residentBytes())
        overhead.replicationBacklog = replication.backlogBytes
        overhead.clientsReplicas = replicaBytes
        overhead.luaCaches = scripting.scriptsMemory
        overhead.functionsCaches = functions.codeBytes
        return overhead
    }

    /// Raises used_memory_peak to the current figure, which it returns (Redis does
    /// this in its cron and whenever memory is reported).
    @discardableResult
    public func recordMemoryPeak() -> Int {
        let used = usedMemory()
        peakMemory = max(peakMemory, used)
        return used
    }

    /// Notes used_memory once the server is up, before the dataset loads.
    public func recordStartupMemory() {
        startupMemory = usedMemory()
    }
}
