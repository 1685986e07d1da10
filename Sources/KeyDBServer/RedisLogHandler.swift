import Logging
import Synchronization

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// Log lines in redis-server's format, so log tooling keeps working:
/// `pid:M 25 Nov 2026 11:06:00.123 * message` (`S` instead of `M` on a replica).
struct RedisLogHandler: LogHandler {
    /// Whether the server follows a master, for the role letter.
    static let isReplica = Atomic<Bool>(false)

    var logLevel: Logger.Level
    var metadata: Logger.Metadata = [:]
    /// `logfile`: appended to, opened for each line so that a rotated file is
    /// picked up at once, as Redis does; empty for standard output.
    var file = ""

    subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    /// Redis's `loglevel` names mapped onto swift-log levels.
    static func level(named name: String) -> Logger.Level {
        switch name {
        case "debug": return .debug
        case "verbose": return .info
        case "notice": return .notice
        case "warning": return .warning
        default: return .critical  // "nothing"
        }
    }

    func log(event: LogEvent) {
        let marker: String
        switch event.level {
        case .trace, .debug: marker = "."
        case .info: marker = "-"
        case .notice: marker = "*"
        default: marker = "#"
        }
        var spec = timespec()
        clock_gettime(CLOCK_REALTIME, &spec)
        var seconds = spec.tv_sec
        var parts = tm()
        localtime_r(&seconds, &parts)
        var stamp = [CChar](repeating: 0, count: 64)
        _ = strftime(&stamp, stamp.count, "%d %b %Y %H:%M:%S", &parts)
        let millis = Int(spec.tv_nsec / 1_000_000)
        let paddedMillis = millis < 10 ? "00\(millis)" : millis < 100 ? "0\(millis)" : "\(millis)"
        let time = String(decoding: stamp.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
        let role = Self.isReplica.load(ordering: .relaxed) ? "S" : "M"
        let text = "\(getpid()):\(role) \(time).\(paddedMillis) \(marker) \(event.message)\n"
        // One write(2) per line: lines from different threads never interleave.
        let fd = file.isEmpty ? STDOUT_FILENO : open(file, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0o644)
        guard fd >= 0 else { return }
        var line = text
        line.withUTF8 { _ = write(fd, $0.baseAddress, $0.count) }
        if fd != STDOUT_FILENO { close(fd) }
    }
}
