import KeyDBRESP

/// SUBSCRIBE, PUBLISH and friends, and their shard-channel twins SSUBSCRIBE,
/// SUNSUBSCRIBE and SPUBLISH (Redis's pubsub.c).
enum PubSubCommands {
    static func subscribe(_ c: ClientSession, _ args: Arguments) {
        subscribe(c, args, "subscribe", counting: .global) { c.engine.subscribe(c, channel: $0) }
    }

    static func psubscribe(_ c: ClientSession, _ args: Arguments) {
        subscribe(c, args, "psubscribe", counting: .global) { c.engine.subscribe(c, pattern: $0) }
    }

    /// SSUBSCRIBE shardchannel [shardchannel ...]. Unlike SUBSCRIBE, refused inside EXEC
    /// too: Redis makes no exception for transactions here.
    static func ssubscribe(_ c: ClientSession, _ args: Arguments) {
        guard !c.denyBlocking else { return c.replyError(ErrorReply.ssubscribeDenyBlocking) }
        subscribe(c, args, "ssubscribe", counting: .shard) { c.engine.subscribe(c, channel: $0, kind: .shard) }
    }

    static func unsubscribe(_ c: ClientSession, _ args: Arguments) {
        unsubscribe(c, args, "unsubscribe", counting: .global, current: Array(c.subscribedChannels)) {
            c.engine.unsubscribe(c, channel: $0)
        }
    }

    static func punsubscribe(_ c: ClientSession, _ args: Arguments) {
        unsubscribe(c, args, "punsubscribe", counting: .global, current: Array(c.subscribedPatterns)) {
            c.engine.unsubscribe(c, pattern: $0)
        }
    }

    static func sunsubscribe(_ c: ClientSession, _ args: Arguments) {
        unsubscribe(c, args, "sunsubscribe", counting: .shard, current: Array(c.subscribedShardChannels)) {
            c.engine.unsubscribe(c, channel: $0, kind: .shard)
        }
    }

    /// The one implementation behind the subscribe commands: one confirmation per name,
    /// carrying the client's subscription count of `kind`.
    private static func subscribe(_ c: ClientSession, _ args: Arguments, _ name: String, counting kind: ChannelKind,
                                  _ add: (Bytes) -> Bool) {
        for index in 1..<args.count {
            let channel = Bytes(args[index])
            _ = add(channel)
            writeEvent(c, name, channel, kind)
        }
    }

    /// The one implementation behind the unsubscribe commands: no names means all
    /// `current` ones, and with none at all Redis still confirms once, with a nil name.
    private static func unsubscribe(_ c: ClientSession, _ args: Arguments, _ name: String, counting kind: ChannelKind,
                                    current: [Bytes], _ remove: (Bytes) -> Bool) {
        let channels = args.count == 1 ? current : (1..<args.count).map { Bytes(args[$0]) }
        if channels.isEmpty { return writeEvent(c, name, nil, kind) }
        for channel in channels {
            _ = remove(channel)
            writeEvent(c, name, channel, kind)
        }
    }

    /// [name, channel or nil, subscriptions of `kind` left]: a pushed message, sent even
    /// under CLIENT REPLY OFF.
    private static func writeEvent(_ c: ClientSession, _ name: String, _ channel: Bytes?, _ kind: ChannelKind) {
        c.push {
            c.replyPushHeader(3)
            c.reply.writeBulk(name)
            c.replyBulk(channel)
            c.reply.writeIntegerReply(c.subscriptionCount(kind))
        }
    }

    static func publish(_ c: ClientSession, _ args: Arguments) {
        c.reply.writeIntegerReply(c.engine.publish(channel: Bytes(args[1]), message: Bytes(args[2])))
        // Subscribers of the replicas hear it too.
        c.propagateToReplicas(args)
    }

    /// SPUBLISH shardchannel message: reaches SSUBSCRIBE subscribers only, never patterns.
    static func spublish(_ c: ClientSession, _ args: Arguments) {
        c.reply.writeIntegerReply(c.engine.publish(channel: Bytes(args[1]), message: Bytes(args[2]), kind: .shard))
        c.propagateToReplicas(args)
    }

    /// PUBSUB CHANNELS [pattern]
    static func channels(_ c: ClientSession, _ args: Arguments) {
        channelList(c, args, .global)
    }

    /// PUBSUB SHARDCHANNELS [pattern]
    static func shardchannels(_ c: ClientSession, _ args: Arguments) {
        channelList(c, args, .shard)
    }

    /// PUBSUB NUMSUB [channel ...]
    static func numsub(_ c: ClientSession, _ args: Arguments) {
        subscriberCounts(c, args, .global)
    }

    /// PUBSUB SHARDNUMSUB [shardchannel ...]
    static func shardnumsub(_ c: ClientSession, _ args: Arguments) {
        subscriberCounts(c, args, .shard)
    }

    static func numpat(_ c: ClientSession, _ args: Arguments) {
        c.reply.writeIntegerReply(c.engine.patternSubscribers.count)
    }

    /// The channels of `kind` with subscribers, those matching the optional pattern.
    private static func channelList(_ c: ClientSession, _ args: Arguments, _ kind: ChannelKind) {
        guard args.count <= 3 else { return c.replyError(bytes: ErrorReply.subcommandSyntax(args)) }
        let pattern = args.count == 3 ? Bytes(args[2]) : nil
        let names = c.engine[keyPath: kind.subscribers].keys.filter { channel in
            guard let pattern else { return true }
            return pattern.withUnsafeBytes { p in channel.withUnsafeBytes { GlobPattern.matches(p, $0) } }
        }
        c.reply.writeBulkArray(names)
    }

    /// [channel, subscribers of that channel of `kind`, ...] (pattern subscriptions not counted;
    /// a flat array in RESP3 too, as Redis 7.0 answers).
    private static func subscriberCounts(_ c: ClientSession, _ args: Arguments, _ kind: ChannelKind) {
        let subscribers = c.engine[keyPath: kind.subscribers]
        c.reply.writeArrayHeader((args.count - 2) * 2)
        for index in 2..<max(2, args.count) {
            c.reply.writeBulk(args[index])
            c.reply.writeIntegerReply(subscribers[Bytes(args[index])]?.count ?? 0)
        }
    }

    static func help(_ c: ClientSession, _ args: Arguments) {
        writeHelp(c, command: "PUBSUB", lines: [
            "CHANNELS [<pattern>]",
            "    Return the currently active channels matching a <pattern> (default: '*').",
            "NUMPAT",
            "    Return number of subscriptions to patterns.",
            "NUMSUB [<channel> ...]",
            "    Return the number of subscribers for the specified channels, excluding",
            "    pattern subscriptions(default: no channels).",
            "SHARDCHANNELS [<pattern>]",
            "    Return the currently active shard level channels matching a <pattern> (default: '*').",
            "SHARDNUMSUB [<shardchannel> ...]",
            "    Return the number of subscribers for the specified shard level channel(s)",
        ])
    }
}
