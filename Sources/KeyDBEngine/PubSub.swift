import KeyDBRESP
import OrderedCollections

/// Who listens to what (Redis's pubsub.c): channel and pattern subscriptions,
/// and delivery into the subscribers' reply buffers.
extension Engine {
    /// Sends `message` to every subscriber of `channel` and of a matching pattern;
    /// returns how many received it.
    @discardableResult
    public func publish(channel: Bytes, message: Bytes) -> Int {
        var receivers = 0
        if let subscribers = channelSubscribers[channel] {
            for client in subscribers {
                client.reply.writeArrayHeader(3)
                client.reply.writeBulk("message")
                client.replyBulk(channel)
                client.replyBulk(message)
                deliver(to: client)
                receivers += 1
            }
        }
        for (pattern, subscribers) in patternSubscribers {
            let matches = pattern.withUnsafeBytes { p in channel.withUnsafeBytes { GlobPattern.matches(p, $0) } }
            guard matches else { continue }
            for client in subscribers {
                client.reply.writeArrayHeader(4)
                client.reply.writeBulk("pmessage")
                client.replyBulk(pattern)
                client.replyBulk(channel)
                client.replyBulk(message)
                deliver(to: client)
                receivers += 1
            }
        }
        return receivers
    }

    /// Wakes a client whose reply buffer another command wrote into, once per batch.
    func deliver(to client: ClientSession) {
        if outputLimitExceeded(client) {
            client.killRequested = true
        }
        client.scheduleWakeup()
    }

    func subscribe(_ client: ClientSession, channel: Bytes) -> Bool {
        guard client.subscribedChannels.append(channel).inserted else { return false }
        channelSubscribers[channel, default: []].append(client)
        return true
    }

    func unsubscribe(_ client: ClientSession, channel: Bytes) -> Bool {
        guard client.subscribedChannels.remove(channel) != nil else { return false }
        channelSubscribers[channel]?.removeAll { $0 === client }
        if channelSubscribers[channel]?.isEmpty == true { channelSubscribers[channel] = nil }
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
        for pattern in client.subscribedPatterns { _ = unsubscribe(client, pattern: pattern) }
    }
}

extension ClientSession {
    /// Channels plus patterns: the count subscribe replies carry.
    var subscriptionCount: Int { subscribedChannels.count + subscribedPatterns.count }
    /// RESP2's subscribed mode: only (P)SUBSCRIBE, (P)UNSUBSCRIBE, PING, QUIT and RESET run.
    public var isSubscribed: Bool { subscriptionCount > 0 }
}
