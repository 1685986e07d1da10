import KeyDBRESP

/// SUBSCRIBE, PUBLISH and friends (Redis's pubsub.c).
enum PubSubCommands {
    static func subscribe(_ c: ClientSession, _ args: Arguments) {
        subscribe(c, args, "subscribe") { c.engine.subscribe(c, channel: $0) }
    }

    static func psubscribe(_ c: ClientSession, _ args: Arguments) {
        subscribe(c, args, "psubscribe") { c.engine.subscribe(c, pattern: $0) }
    }

    static func unsubscribe(_ c: ClientSession, _ args: Arguments) {
        unsubscribe(c, args, "unsubscribe", current: Array(c.subscribedChannels)) { c.engine.unsubscribe(c, channel: $0) }
    }

    static func punsubscribe(_ c: ClientSession, _ args: Arguments) {
        unsubscribe(c, args, "punsubscribe", current: Array(c.subscribedPatterns)) { c.engine.unsubscribe(c, pattern: $0) }
    }

    /// The one implementation behind SUBSCRIBE and PSUBSCRIBE: one confirmation per name.
    private static func subscribe(_ c: ClientSession, _ args: Arguments, _ kind: StaticString, _ add: (Bytes) -> Bool) {
        for index in 1..<args.count {
            let name = Bytes(args[index])
            _ = add(name)
            writeEvent(c, kind, name)
        }
    }

    /// The one implementation behind UNSUBSCRIBE and PUNSUBSCRIBE: no names means all
    /// `current` ones, and with none at all Redis still confirms once, with a nil name.
    private static func unsubscribe(_ c: ClientSession, _ args: Arguments, _ kind: StaticString, current: [Bytes],
                                    _ remove: (Bytes) -> Bool) {
        let names = args.count == 1 ? current : (1..<args.count).map { Bytes(args[$0]) }
        if names.isEmpty { return writeEvent(c, kind, nil) }
        for name in names {
            _ = remove(name)
            writeEvent(c, kind, name)
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
