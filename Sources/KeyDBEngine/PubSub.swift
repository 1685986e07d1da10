import KeyDBRESP
import OrderedCollections

/// Redis's two channel namespaces (pubsub.c's pubSubType and pubSubShardType):
/// a shard channel and a channel of the same name are different channels.
enum ChannelKind {
    /// SUBSCRIBE / PUBLISH channels, which patterns also match.
    case global
    /// SSUBSCRIBE / SPUBLISH channels (bound to a cluster slot; one shard without cluster mode).
    case shard

    /// Subscribers per channel, in subscription order (messages are delivered in that order).
    var subscribers: ReferenceWritableKeyPath<Engine, [Bytes: [ClientSession]]> {
        switch self {
        case .global: \.channelSubscribers
        case .shard: \.shardChannelSubscribers
        }
    }

    /// A client's channels of this kind.
    var subscriptions: ReferenceWritableKeyPath<ClientSession, OrderedSet<Bytes>> {
        switch self {
        case .global: \.subscribedChannels
        case .shard: \.subscribedShardChannels
        }
    }

    /// The first element of a delivered message.
    var messageName: String {
        switch self {
        case .global: "message"
        case .shard: "smessage"
        }
    }
}

/// Who listens to what (Redis's pubsub.c): channel, shard channel and pattern
/// subscriptions, and delivery into the subscribers' reply buffers.
extension Engine {
    /// Sends `message` to every subscriber of `channel` (and, for a global channel, of a
    /// matching pattern: shard channels ignore patterns); returns how many received it.
    @discardableResult
    public func publish(channel: Bytes, message: Bytes) -> Int {
        var receivers = publish(channel: channel, message: message, kind: .global)
        for (pattern, subscribers) in patternSubscribers {
            let matches = pattern.withUnsafeBytes { p in channel.withUnsafeBytes { GlobPattern.matches(p, $0) } }
            guard matches else { continue }
            for client in subscribers {
                client.push {
                    client.replyPushHeader(4)
                    client.reply.writeBulk("pmessage")
                    client.replyBulk(pattern)
                    client.replyBulk(channel)
                    client.replyBulk(message)
                }
                deliver(to: client)
                receivers += 1
            }
        }
        return receivers
    }

    /// Sends `message` to the subscribers of `channel` of `kind` alone.
    func publish(channel: Bytes, message: Bytes, kind: ChannelKind) -> Int {
        guard let subscribers = self[keyPath: kind.subscribers][channel] else { return 0 }
        for client in subscribers {
            client.push {
                client.replyPushHeader(3)
                client.reply.writeBulk(kind.messageName)
                client.replyBulk(channel)
                client.replyBulk(message)
            }
            deliver(to: client)
        }
        return subscribers.count
    }

    /// Wakes a client whose reply buffer another command wrote into, once per batch.
    func deliver(to client: ClientSession) {
        if outputLimitExceeded(client) {
            client.killRequested = true
        }
        client.scheduleWakeup()
    }

    func subscribe(_ client: ClientSession, channel: Bytes, kind: ChannelKind = .global) -> Bool {
        guard client[keyPath: kind.subscriptions].append(channel).inserted else { return false }
        self[keyPath: kind.subscribers][channel, default: []].append(client)
        return true
    }

    func unsubscribe(_ client: ClientSession, channel: Bytes, kind: ChannelKind = .global) -> Bool {
        guard client[keyPath: kind.subscriptions].remove(channel) != nil else { return false }
        // The entry goes with its last subscriber, so unused channels cost nothing.
        let subscribers = kind.subscribers
        self[keyPath: subscribers][channel]?.removeAll { $0 === client }
        if self[keyPath: subscribers][channel]?.isEmpty == true { self[keyPath: subscribers][channel] = nil }
        return true
    }

    func subscribe(_ client: ClientSession, pattern: Bytes) -> Bool {
        guard client.subscribedPatterns.append(pattern).inserted else { return false }
        patternSubscribers[pattern, default: []].append(client)
        return true
    }

    func unsubscribe(_ client: ClientSession, pattern: Bytes) -> Bool {
        guard client.subscribedPatterns.remove(pattern) != nil else { return false }
        patternSubscribers[pattern]?.removeAll { $0 === client }
        if patternSubscribers[pattern]?.isEmpty == true { patternSubscribers[pattern] = nil }
        return true
    }

    /// Drops every subscription (disconnect, RESET).
    func unsubscribeAll(_ client: ClientSession) {
        for channel in client.subscribedChannels { _ = unsubscribe(client, channel: channel) }
        for channel in client.subscribedShardChannels { _ = unsubscribe(client, channel: channel, kind: .shard) }
        for pattern in client.subscribedPatterns { _ = unsubscribe(client, pattern: pattern) }
    }
}

extension ClientSession {
    /// The count (un)subscribe replies of `kind` carry: channels plus patterns, or
    /// shard channels alone (Redis's clientSubscriptionsCount / clientShardSubscriptionsCount).
    func subscriptionCount(_ kind: ChannelKind) -> Int {
        switch kind {
        case .global: subscribedChannels.count + subscribedPatterns.count
        case .shard: subscribedShardChannels.count
        }
    }

    /// A pub/sub client (Redis's CLIENT_PUBSUB flag): any subscription, shard channels
    /// included. In RESP2 only (P|S)(UN)SUBSCRIBE, PING, QUIT and RESET run; it is
    /// exempt from `timeout` and held to the pubsub output limit.
    public var isSubscribed: Bool {
        !subscribedChannels.isEmpty || !subscribedPatterns.isEmpty || !subscribedShardChannels.isEmpty
    }
}
