/// MEMORY DOCTOR: the memory problems Redis's getMemoryDoctorReport looks for,
/// reported in its words (people and tools compare the text).
enum MemoryDoctor {
    /// The problems, in the order the report gives them. Redis's checks of replica
    /// buffers and of the script cache have nothing to look at here: no replication,
    /// no scripting.
    enum Issue: CaseIterable {
        case bigPeak, highFragmentation, highAllocatorFragmentation, highAllocatorRSS, highProcessRSS, bigClientBuffers
    }

    /// Redis's thresholds: a ratio above its limit counts only past 10 MB.
    static func issues(_ memory: MemoryOverhead) -> [Issue] {
        let tenMegabytes = 10 << 20
        var found: [Issue] = []
        if Float(memory.peakAllocated) / Float(memory.totalAllocated) > 1.5 { found.append(.bigPeak) }
        if memory.fragmentation > 1.4 && memory.fragmentationBytes > tenMegabytes { found.append(.highFragmentation) }
        if memory.allocatorFragmentation > 1.1 && memory.allocatorFragmentationBytes > tenMegabytes {
            found.append(.highAllocatorFragmentation)
        }
        if memory.allocatorRSS > 1.1 && memory.allocatorRSSBytes > tenMegabytes { found.append(.highAllocatorRSS) }
        if memory.rssOverhead > 1.1 && memory.rssOverheadBytes > tenMegabytes { found.append(.highProcessRSS) }
        // Per client, the one asking included.
        if memory.clientsNormal / max(1, memory.clientCount) > 200 * 1024 { found.append(.bigClientBuffers) }
        return found
    }

    static func report(_ memory: MemoryOverhead) -> String {
        // Below 5 MB the detector says nothing else.
        if memory.totalAllocated < 5 << 20 {
            return "Hi Sam, this instance is empty or is using very little memory, my issues detector can't be used in these conditions. Please, leave for your mission on Earth and fill it with some data. The new Sam and I will be back to our programming as soon as I finished rebooting.\n"
        }
        let found = issues(memory)
        if found.isEmpty {
            return "Hi Sam, I can't find any memory issue in your instance. I can only account for what occurs on this base.\n"
        }
        return "Sam, I detected a few issues in this Redis instance memory implants:\n\n"
            + found.map { " * \(text($0))\n\n" }.joined()
            + "I'm here to keep you safe, Sam. I want to help you.\n"
    }

    static func text(_ issue: Issue) -> String {
        switch issue {
        case .bigPeak:
            "Peak memory: In the past this instance used more than 150% the memory that is currently using. The allocator is normally not able to release memory after a peak, so you can expect to see a big fragmentation ratio, however this is actually harmless and is only due to the memory peak, and if the Redis instance Resident Set Size (RSS) is currently bigger than expected, the memory will be used as soon as you fill the Redis instance with more data. If the memory peak was only occasional and you want to try to reclaim memory, please try the MEMORY PURGE command, otherwise the only other option is to shutdown and restart the instance."
        case .highFragmentation:
            "High total RSS: This instance has a memory fragmentation and RSS overhead greater than 1.4 (this means that the Resident Set Size of the Redis process is much larger than the sum of the logical allocations Redis performed). This problem is usually due either to a large peak memory (check if there is a peak memory entry above in the report) or may result from a workload that causes the allocator to fragment memory a lot. If the problem is a large peak memory, then there is no issue. Otherwise, make sure you are using the Jemalloc allocator and not the default libc malloc. Note: The currently used allocator is \"\(MemoryStatistics.allocatorName)\"."
        case .highAllocatorFragmentation:
            "High allocator fragmentation: This instance has an allocator external fragmentation greater than 1.1. This problem is usually due either to a large peak memory (check if there is a peak memory entry above in the report) or may result from a workload that causes the allocator to fragment memory a lot. You can try enabling 'activedefrag' config option."
        case .highAllocatorRSS:
            "High allocator RSS overhead: This instance has an RSS memory overhead is greater than 1.1 (this means that the Resident Set Size of the allocator is much larger than the sum what the allocator actually holds). This problem is usually due to a large peak memory (check if there is a peak memory entry above in the report), you can try the MEMORY PURGE command to reclaim it."
        case .highProcessRSS:
            "High process RSS overhead: This instance has non-allocator RSS memory overhead is greater than 1.1 (this means that the Resident Set Size of the Redis process is much larger than the RSS the allocator holds). This problem may be due to Lua scripts or Modules."
        case .bigClientBuffers:
            "Big client buffers: The clients output buffers in this instance are greater than 200K per client (on average). This may result from different causes, like Pub/Sub clients subscribed to channels bot not receiving data fast enough, so that data piles on the Redis instance output buffer, or clients sending commands with large replies or very large sequences of commands in the same pipeline. Please use the CLIENT LIST command in order to investigate the issue if it causes problems in your instance, or to understand better why certain clients are using a big amount of memory."
        }
    }
}
