#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// LATENCY DOCTOR: each event's statistics, then advice picked from the events
/// seen, in Redis's words (clients and people compare the text).
enum LatencyDoctor {
    /// What the advice depends on besides the events.
    struct Settings {
        var latencyThreshold: Int
        var slowlogThreshold: Int
        var fsyncAlways: Bool
        var hz: Int
        var hugePages: Bool
        /// GB/s of the last fork.
        var forkRate: Double = 0
    }

    /// The pieces of advice, in the order the report gives them.
    enum Advice: CaseIterable {
        case betterVM, enableSlowlog, tuneSlowlog, inspectSlowlog, scheduler, localDisk, ssd, dataWriteback,
             diskContention, noAppendfsyncOnRewrite, relaxFsync, writeLoad, hz, largeObjects, massEviction, hugePages
    }

    /// Advice each event calls for ("command" also depends on the slow log settings).
    static let adviceByEvent: [String: [Advice]] = [
        "command": [.inspectSlowlog, .largeObjects],
        "fast-command": [.scheduler],
        "aof-write-pending-fsync": [.localDisk, .diskContention, .ssd, .dataWriteback],
        "aof-write-active-child": [.noAppendfsyncOnRewrite, .dataWriteback, .ssd],
        "aof-write-alone": [.localDisk, .dataWriteback, .ssd],
        "aof-fsync-always": [.relaxFsync],
        "aof-fstat": [.diskContention, .localDisk],
        "rdb-unlink-temp-file": [.diskContention, .localDisk],
        "aof-rewrite-diff-write": [.writeLoad, .dataWriteback, .ssd, .localDisk],
        "aof-rename": [.writeLoad, .dataWriteback, .ssd, .localDisk],
        "expire-cycle": [.hz, .largeObjects],
        "eviction-del": [.largeObjects],
        "eviction-cycle": [.massEviction],
    ]

    static func report(_ events: [(event: String, series: LatencyMonitor.Series)], settings: Settings, now: Int64) -> String {
        if events.isEmpty && settings.latencyThreshold == 0 {
            return "I'm sorry, Dave, I can't do that. Latency monitoring is disabled in this Redis instance. You may use \"CONFIG SET latency-monitor-threshold <milliseconds>.\" in order to enable it. If we weren't in a deep space mission I'd suggest to take a look at https://redis.io/topics/latency-monitor.\n"
        }
        var text = events.isEmpty ? "" : "Dave, I have observed latency spikes in this Redis instance. You don't mind talking about it, do you Dave?\n\n"
        var advice = Set<Advice>()
        // Counted as Redis counts, including advice that is then not printed.
        var adviceCount = 0
        for (number, (event, series)) in events.enumerated() {
            let samples = series.history.map(\.milliseconds)
            let average = samples.reduce(0, +) / Int64(samples.count)
            let deviation = samples.reduce(0) { $0 + abs(average - $1) } / Int64(samples.count)
            let elapsed = now - (series.history.map(\.time).min() ?? now)
            let period = elapsed == 0 ? 1 : elapsed
            text += "\(number + 1). \(event): \(samples.count) latency spikes (average \(average)ms, mean deviation \(deviation)ms, period \(formatFixed(Double(period) / Double(samples.count), decimals: 2)) sec). Worst all time event \(series.maximum)ms."
            var wanted = adviceByEvent[event.lowercased()] ?? []
            if event.lowercased() == "fork" {
                let rate = settings.forkRate
                let quality = rate < 10 ? "terrible" : rate < 25 ? "poor" : rate < 100 ? "good" : "excellent"
                if rate < 25 { wanted.append(.betterVM) }
                text += " Fork rate is \(formatFixed(rate, decimals: 2)) GB/sec (\(quality))."
            }
            text += "\n"
            if event.lowercased() == "command" {
                if settings.slowlogThreshold < 0 {
                    wanted.append(.enableSlowlog)
                } else if settings.slowlogThreshold / 1000 > settings.latencyThreshold {
                    wanted.append(.tuneSlowlog)
                }
            }
            advice.formUnion(wanted)
            adviceCount += wanted.count
        }
        if settings.hugePages {
            advice.insert(.hugePages)
            adviceCount += 1
        }
        if events.isEmpty && adviceCount == 0 {
            return text + "Dave, no latency spike was observed during the lifetime of this Redis instance, not in the slightest bit. I honestly think you ought to sit down calmly, take a stress pill, and think things over.\n"
        }
        if adviceCount == 0 {
            return text + "\nWhile there are latency events logged, I'm not able to suggest any easy fix. Please use the Redis community to get some help, providing this report in your help request.\n"
        }
        text += "\nI have a few advices for you:\n\n"
        for item in Advice.allCases where advice.contains(item) {
            text += words(item, settings)
        }
        return text
    }

    /// One piece of advice as a "- ..." paragraph ("" where the settings make it moot).
    static func words(_ advice: Advice, _ settings: Settings) -> String {
        let suggested = settings.latencyThreshold * 1000
        switch advice {
        case .betterVM:
            return "- If you are using a virtual machine, consider upgrading it with a faster one using a hypervisior that provides less latency during fork() calls. Xen is known to have poor fork() performance. Even in the context of the same VM provider, certain kinds of instances can execute fork faster than others.\n"
        case .enableSlowlog:
            return "- There are latency issues with potentially slow commands you are using. Try to enable the Slow Log Redis feature using the command 'CONFIG SET slowlog-log-slower-than \(suggested)'. If the Slow log is disabled Redis is not able to log slow commands execution for you.\n"
        case .tuneSlowlog:
            return "- Your current Slow Log configuration only logs events that are slower than your configured latency monitor threshold. Please use 'CONFIG SET slowlog-log-slower-than \(suggested)'.\n"
        case .inspectSlowlog:
            return "- Check your Slow Log to understand what are the commands you are running which are too slow to execute. Please check https://redis.io/commands/slowlog for more information.\n"
        case .scheduler:
            return "- The system is slow to execute Redis code paths not containing system calls. This usually means the system does not provide Redis CPU time to run for long periods. You should try to:\n"
                + "  1) Lower the system load.\n"
                + "  2) Use a computer / VM just for Redis if you are running other software in the same system.\n"
                + "  3) Check if you have a \"noisy neighbour\" problem.\n"
                + "  4) Check with 'redis-cli --intrinsic-latency 100' what is the intrinsic latency in your system.\n"
                + "  5) Check if the problem is allocator-related by recompiling Redis with MALLOC=libc, if you are using Jemalloc. However this may create fragmentation problems.\n"
        case .localDisk:
            return "- It is strongly advised to use local disks for persistence, especially if you are using AOF. Remote disks provided by platform-as-a-service providers are known to be slow.\n"
        case .ssd:
            return "- SSD disks are able to reduce fsync latency, and total time needed for snapshotting and AOF log rewriting (resulting in smaller memory usage). With extremely high write load SSD disks can be a good option. However Redis should perform reasonably with high load using normal disks. Use this advice as a last resort.\n"
        case .dataWriteback:
            return "- Mounting ext3/4 filesystems with data=writeback can provide a performance boost compared to data=ordered, however this mode of operation provides less guarantees, and sometimes it can happen that after a hard crash the AOF file will have a half-written command at the end and will require to be repaired before Redis restarts.\n"
        case .diskContention:
            return "- Try to lower the disk contention. This is often caused by other disk intensive processes running in the same computer (including other Redis instances).\n"
        case .noAppendfsyncOnRewrite:
            return "- Assuming from the point of view of data safety this is viable in your environment, you could try to enable the 'no-appendfsync-on-rewrite' option, so that fsync will not be performed while there is a child rewriting the AOF file or producing an RDB file (the moment where there is high disk contention).\n"
        case .relaxFsync:
            guard settings.fsyncAlways else { return "" }
            return "- Your fsync policy is set to 'always'. It is very hard to get good performances with such a setup, if possible try to relax the fsync policy to 'onesec'.\n"
        case .writeLoad:
            return "- Latency during the AOF atomic rename operation or when the final difference is flushed to the AOF file at the end of the rewrite, sometimes is caused by very high write load, causing the AOF buffer to get very large. If possible try to send less commands to accomplish the same work, or use Lua scripts to group multiple operations into a single EVALSHA call.\n"
        case .hz:
            guard settings.hz < 100 else { return "" }
            return "- In order to make the Redis keys expiring process more incremental, try to set the 'hz' configuration parameter to 100 using 'CONFIG SET hz 100'.\n"
        case .largeObjects:
            return "- Deleting, expiring or evicting (because of maxmemory policy) large objects is a blocking operation. If you have very large objects that are often deleted, expired, or evicted, try to fragment those objects into multiple smaller objects.\n"
        case .massEviction:
            return "- Sudden changes to the 'maxmemory' setting via 'CONFIG SET', or allocation of large objects via sets or sorted sets intersections, STORE option of SORT, Redis Cluster large keys migrations (RESTORE command), may create sudden memory pressure forcing the server to block trying to evict keys. \n"
        case .hugePages:
            return "- I detected a non zero amount of anonymous huge pages used by your process. This creates very serious latency events in different conditions, especially when Redis is persisting on disk. To disable THP support use the command 'echo never > /sys/kernel/mm/transparent_hugepage/enabled', make sure to also add it into /etc/rc.local so that the command will be executed again after a reboot. Note that even if you have already disabled THP, you still need to restart the Redis process to get rid of the huge pages already created.\n"
        }
    }

    /// Whether this process has transparent huge pages (AnonHugePages in /proc/self/smaps).
    static func usesHugePages() -> Bool {
        guard let file = fopen("/proc/self/smaps", "r") else { return false }
        defer { fclose(file) }
        var line: UnsafeMutablePointer<CChar>? = nil
        var capacity = 0
        defer { free(line) }
        let field = "AnonHugePages:"
        while getline(&line, &capacity, file) > 0, let line {
            let text = String(cString: line)
            guard text.hasPrefix(field) else { continue }
            if let kilobytes = Int(text.dropFirst(field.count).split(separator: " ").first ?? ""), kilobytes > 0 { return true }
        }
        return false
    }
}
