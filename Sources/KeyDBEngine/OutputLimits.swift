/// `client-output-buffer-limit`: how much unsent output a client may pile up
/// before it is disconnected (hard limit at once, soft limit held for N seconds).
public struct OutputBufferLimit: Sendable, Equatable {
    public var hard: Int64
    public var soft: Int64
    public var softSeconds: Int64
}

public struct OutputBufferLimits: Sendable, Equatable {
    public var normal = OutputBufferLimit(hard: 0, soft: 0, softSeconds: 0)
    public var replica = OutputBufferLimit(hard: 256 << 20, soft: 64 << 20, softSeconds: 60)
    public var pubsub = OutputBufferLimit(hard: 32 << 20, soft: 8 << 20, softSeconds: 60)

    /// As CONFIG GET prints it (Redis still calls replicas "slave" here).
    var text: String {
        [("normal", normal), ("slave", replica), ("pubsub", pubsub)]
            .map { "\($0.0) \($0.1.hard) \($0.1.soft) \($0.1.softSeconds)" }.joined(separator: " ")
    }

    /// Parses groups of `<class> <hard> <soft> <seconds>`; all or nothing.
    mutating func apply(_ words: [String]) throws(ConfigError) {
        guard words.count % 4 == 0 else { throw ConfigError("Wrong number of arguments in buffer limit configuration.") }
        var updated = self
        for start in stride(from: 0, to: words.count, by: 4) {
            let hard = Configuration.parseMemory(words[start + 1])
            let soft = Configuration.parseMemory(words[start + 2])
            let seconds = Int64(words[start + 3])
            let classRef: WritableKeyPath<OutputBufferLimits, OutputBufferLimit>
            switch words[start].lowercased() {
            case "normal": classRef = \.normal
            case "replica", "slave": classRef = \.replica
            case "pubsub": classRef = \.pubsub
            default: throw ConfigError("Invalid client class specified in buffer limit configuration.")
            }
            guard let hard, let soft, let seconds, seconds >= 0 else {
                throw ConfigError("Error in hard, soft or soft_seconds setting in buffer limit configuration.")
            }
            updated[keyPath: classRef] = OutputBufferLimit(hard: hard, soft: soft, softSeconds: seconds)
        }
        self = updated
    }
}

extension Engine {
    /// Whether `client` has gone past its class's output limit (Redis's checkClientOutputBufferLimits).
    public func outputLimitExceeded(_ client: ClientSession) -> Bool {
        let limit = outputLimit(of: client)
        // Redis counts only what overflows a client's 16 KB reply buffer: replies that fit
        // are never past a limit, however small it is set. A replica's stream held behind its snapshot counts too.
        let held = client.reply.readableBytes + client.unsentBytes + (client.replica?.pending.readableBytes ?? 0)
        let used = Int64(max(0, held - ClientSession.replyBufferBytes))
        if limit.hard > 0 && used >= limit.hard { return true }
        guard limit.soft > 0 && used >= limit.soft else {
            client.softLimitSince = 0
            return false
        }
        let now = clock?() ?? Clock.milliseconds()
        if client.softLimitSince == 0 {
            client.softLimitSince = now
            return false
        }
        return (now - client.softLimitSince) / 1000 > limit.softSeconds
    }
}

extension Engine {
    /// Whether `client`'s unsent output has a limit to be checked against.
    public func tracksOutput(of client: ClientSession) -> Bool {
        let limit = outputLimit(of: client)
        return limit.hard > 0 || limit.soft > 0 || client.unsentBytes > 0
    }

    private func outputLimit(of client: ClientSession) -> OutputBufferLimit {
        switch client.type {
        case .replica: outputLimits.replica
        case .pubsub: outputLimits.pubsub
        case .normal, .master: outputLimits.normal
        }
    }
}
