#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// What the server tells the operator before it serves: warnings about the
/// host and the data folder that would otherwise surface later as failures.
enum StartupChecks {
    /// Warnings for this host, `dataDirectory` and the listen queue asked for; empty when all is well.
    static func warnings(dataDirectory: String, tcpBacklog: Int) -> [String] {
        var warnings: [String] = []
        if let limit = firstLine(of: "/proc/sys/net/core/somaxconn").flatMap({ Int($0) }), limit > 0, limit < tcpBacklog {
            warnings.append("WARNING: The TCP backlog setting of \(tcpBacklog) cannot be enforced because /proc/sys/net/core/somaxconn is set to the lower value of \(limit).")
        }
        if let overcommit = firstLine(of: "/proc/sys/vm/overcommit_memory"), overcommit != "1" {
            warnings.append("WARNING vm.overcommit_memory is \(overcommit): a snapshot or log rewrite runs in a forked child, which the kernel may refuse (or kill) under memory pressure. Set 'vm.overcommit_memory = 1' in /etc/sysctl.conf and run 'sysctl vm.overcommit_memory=1'.")
        }
        if let hugePages = firstLine(of: "/sys/kernel/mm/transparent_hugepage/enabled"), hugePages.contains("[always]") {
            warnings.append("WARNING transparent huge pages are set to 'always': forked snapshots copy 2 MB pages on write, raising latency and memory use. Run 'echo madvise > /sys/kernel/mm/transparent_hugepage/enabled' (or 'never').")
        }
        if access(dataDirectory, W_OK) != 0 {
            warnings.append("WARNING the data directory '\(dataDirectory)' is not writable (\(errorText(errno))): snapshots and the append-only log will fail, and writes will be refused once they do.")
        }
        return warnings
    }

    private static func firstLine(of path: String) -> String? {
        let fd = open(path, O_RDONLY)
        guard fd >= 0 else { return nil }
        defer { close(fd) }
        var buffer = [UInt8](repeating: 0, count: 256)
        let count = buffer.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
        guard count > 0 else { return nil }
        return String(decoding: buffer[0..<count].prefix { $0 != 10 }, as: UTF8.self)
    }
}
