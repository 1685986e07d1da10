import KeyDBRESP

/// SUBSCRIBE, PUBLISH and friends (Redis's pubsub.c).
enum PubSubCommands {
    static func subscribe(_ c: ClientSession, _ args: Arguments) {
        for index in 1..<args.count {
            let channel = Bytes(args[index])
            _ = c.engine.subscribe(c, channel: channel)
            writeEvent(c, "subscribe", channel)
        }
    }

    static func psubscribe(_ c: ClientSession, _ args: Arguments) {
        for index in 1..<args.count {
            let pattern = Bytes(args[index])
            _ = c.engine.subscribe(c, pattern: pattern)
            writeEvent(c, "psubscribe", pattern)
        }
    }

    static func unsubscribe(_ c: ClientSession, _ args: Arguments) {
        let channels = args.count == 1 ? Array(c.subscribedChannels) : (1..<args.count).map { Bytes(args[$0]) }
        if channels.isEmpty { return writeEvent(c, "unsubscribe", nil) }
        for channel in channels {
            _ = c.engine.unsubscribe(c, channel: channel)
            writeEvent(c, "unsubscribe", channel)
        }
    }

    static func punsubscribe(_ c: ClientSession, _ args: Arguments) {
        let patterns = args.count == 1 ? Array(c.subscribedPatterns) : (1..<args.count).map { Bytes(args[$0]) }
        if patterns.isEmpty { return writeEvent(c, "punsubscribe", nil) }
        for pattern in patterns {
            _ = c.engine.unsubscribe(c, pattern: pattern)
            writeEvent(c, "punsubscribe", pattern)
        }
    }

    /// [kind, channel or nil, subscriptions left]
    private static func writeEvent(_ c: ClientSession, _ kind: StaticString, _ name: Bytes?) {
        c.reply.writeArrayHeader(3)
        c.reply.writeBulk("\(kind)")
        c.replyBulk(name)
        c.reply.writeIntegerReply(c.subscriptionCount)
    }

    static func publish(_ c: ClientSession, _ args: Arguments) {
        c.reply.writeIntegerReply(c.engine.publish(channel: Bytes(args[1]), message: Bytes(args[2])))
    }

    /// PUBSUB CHANNELS [pattern]
    static func channels(_ c: ClientSession, _ args: Arguments) {
        guard args.count <= 3 else { return c.replyError(bytes: ErrorReply.subcommandSyntax(args)) }
        let pattern = args.count == 3 ? Bytes(args[2]) : nil
        let names = c.engine.channelSubscribers.keys.filter { channel in
            guard let pattern else { return true }
            return pattern.withUnsafeBytes { p in channel.withUnsafeBytes { GlobPattern.matches(p, $0) } }
        }
        c.reply.writeBulkArray(names)
    }

    /// PUBSUB NUMSUB [channel ...]
    static func numsub(_ c: ClientSession, _ args: Arguments) {
        c.reply.writeArrayHeader((args.count - 2) * 2)
        for index in 2..<max(2, args.count) {
            c.reply.writeBulk(args[index])
            c.reply.writeIntegerReply(c.engine.channelSubscribers[Bytes(args[index])]?.count ?? 0)
        }
    }

    static func numpat(_ c: ClientSession, _ args: Arguments) {
        c.reply.writeIntegerReply(c.engine.patternSubscribers.count)
    }

    /// SHARDCHANNELS / SHARDNUMSUB: no shard channels exist without cluster mode.
    static func shardchannels(_ c: ClientSession, _ args: Arguments) {
        guard args.count <= 3 else { return c.replyError(bytes: ErrorReply.subcommandSyntax(args)) }
        c.reply.writeArrayHeader(0)
    }

    static func shardnumsub(_ c: ClientSession, _ args: Arguments) {
        c.reply.writeArrayHeader((args.count - 2) * 2)
        for index in 2..<max(2, args.count) {
            c.reply.writeBulk(args[index])
            c.reply.writeIntegerReply(0)
        }
    }

    static func help(_ c: ClientSession, _ args: Arguments) {
        writeHelp(c, command: "PUBSUB", lines: [
            "CHANNELS [<pattern>]", "    List the channels with subscribers, optionally only those matching <pattern>.",
            "NUMPAT", "    Count the pattern subscriptions.",
            "NUMSUB [<channel> ...]", "    Count each channel's subscribers (pattern subscriptions not included).",
            "SHARDCHANNELS [<pattern>]", "    List the shard channels with subscribers (none without cluster mode).",
            "SHARDNUMSUB [<shardchannel> ...]", "    Count each shard channel's subscribers (none without cluster mode).",
        ])
    }
}
