import DequeModule
import KeyDBRESP

/// Redis's slow log: the latest commands that ran for at least
/// `slowlog-log-slower-than` µs, newest first, at most `slowlog-max-len` of them.
public struct SlowLog: Sendable {
    /// An entry keeps at most this many arguments (the last one then says how many
    /// were left out) and this many bytes of each: a log of huge commands stays small.
    static let maxArguments = 32
    static let maxArgumentBytes = 128
    static let redacted = Bytes("(redacted)")

    public struct Entry: Sendable {
        public let id: Int64
        /// Unix seconds when it was logged.
        public let time: Int64
        public let microseconds: Int64
        public let arguments: [Bytes]
        /// The client's address ("ip:port") and name ("" without one).
        public let peer: String
        public let clientName: Bytes
    }

    /// Newest first.
    public private(set) var entries: Deque<Entry> = []
    /// Ids keep counting across SLOWLOG RESET, as Redis's do.
    private var nextID: Int64 = 0

    public init() {}

    /// Logs a command that took `microseconds` if the threshold asks for it, then
    /// drops the oldest entries over `maxLength` (also when nothing was logged, so a
    /// lowered slowlog-max-len applies at the next command, as in Redis).
    mutating func record(_ arguments: @autoclosure () -> [Bytes], microseconds: Int64, by client: ClientSession,
                         threshold: Int, maxLength: Int, time: @autoclosure () -> Int64) {
        guard threshold >= 0 else { return }  // the log is off
        if microseconds >= Int64(threshold) {
            entries.prepend(Entry(id: nextID, time: time(), microseconds: microseconds, arguments: arguments(),
                                  peer: client.address, clientName: client.name ?? .empty))
            nextID += 1
        }
        trim(to: maxLength)
    }

    mutating func reset() { entries.removeAll() }

    mutating func trim(to maxLength: Int) {
        if entries.count > maxLength { entries.removeLast(entries.count - maxLength) }
    }

    /// The arguments as an entry keeps them: redacted ones replaced, too many
    /// arguments and too long ones cut with a note of what was cut.
    static func kept(_ args: Arguments, redacting redacted: [Int]) -> [Bytes] {
        let kept = min(args.count, maxArguments)
        return (0..<kept).map { index in
            if kept < args.count && index == kept - 1 {
                return Bytes("... (\(args.count - kept + 1) more arguments)")
            }
            if redacted.contains(index) { return Self.redacted }
            let argument = args[index]
            guard argument.count > maxArgumentBytes else { return Bytes(argument) }
            return Bytes(Array(argument.prefix(maxArgumentBytes)) + Array("... (\(argument.count - maxArgumentBytes) more bytes)".utf8))
        }
    }
}

extension Engine {
    /// Puts a command that ran for `microseconds` into the slow log if it was slow
    /// enough (never EXEC: the commands it ran are logged one by one).
    @inline(__always)
    func logSlow(_ command: CommandSpec, _ args: Arguments, microseconds: Int64, by client: ClientSession) {
        // The arguments are kept only for a slow command: capturing the client's
        // redactions up front cost a retain on every command.
        guard isSlow(command, microseconds: microseconds) else { return }
        recordSlow(SlowLog.kept(args, redacting: client.redactedArguments), microseconds: microseconds, by: client)
    }

    /// The same for a blocking command served later, its arguments already kept.
    func logSlow(_ command: CommandSpec, kept arguments: [Bytes], microseconds: Int64, by client: ClientSession) {
        guard isSlow(command, microseconds: microseconds) else { return }
        recordSlow(arguments, microseconds: microseconds, by: client)
    }

    /// Whether to log; when not, a lowered slowlog-max-len still applies at this command, as in Redis.
    @inline(__always)
    private func isSlow(_ command: CommandSpec, microseconds: Int64) -> Bool {
        guard slowlogThreshold >= 0 && !command.flags.contains(.skipSlowlog) else { return false }
        guard microseconds >= Int64(slowlogThreshold) else {
            if slowLog.entries.count > slowlogMaxLength { slowLog.trim(to: slowlogMaxLength) }
            return false
        }
        return true
    }

    private func recordSlow(_ arguments: [Bytes], microseconds: Int64, by client: ClientSession) {
        slowLog.record(arguments, microseconds: microseconds, by: client, threshold: slowlogThreshold,
                       maxLength: slowlogMaxLength, time: (clock?() ?? Clock.milliseconds()) / 1000)
    }
}
