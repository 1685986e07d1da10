import KeyDBEngine
import Testing

/// Sharded pub/sub (SSUBSCRIBE, SUNSUBSCRIBE, SPUBLISH) beside classic channels:
/// separate namespaces, separate counts, one subscribed mode.
@Suite("pub/sub")
struct PubSubTests {
    /// [kind, channel, count] as a subscribe or unsubscribe confirmation.
    private func event(_ kind: String, _ channel: String?, _ count: Int64) -> String {
        "*3\r\n" + bulk(kind) + (channel.map(bulk) ?? nullBulk) + int(count)
    }

    private func message(_ kind: String, _ channel: String, _ payload: String) -> String {
        "*3\r\n" + bulk(kind) + bulk(channel) + bulk(payload)
    }

    @Test("SSUBSCRIBE confirms each channel with the shard count; SPUBLISH delivers an smessage")
    func subscribeAndPublish() {
        let h = EngineHarness()
        let subscriber = h.connect()
        #expect(subscriber.run("SSUBSCRIBE", "a", "b", "a") == event("ssubscribe", "a", 1) + event("ssubscribe", "b", 2) + event("ssubscribe", "a", 2))
        #expect(h.run("SPUBLISH", "a", "hello") == int(1))
        #expect(h.run("SPUBLISH", "nobody", "x") == int(0))
        #expect(subscriber.takeDelivered() == message("smessage", "a", "hello"))
        #expect(subscriber.run("SUNSUBSCRIBE", "a", "zz") == event("sunsubscribe", "a", 1) + event("sunsubscribe", "zz", 1))
        #expect(h.run("SPUBLISH", "a", "gone") == int(0))
        #expect(h.run("SPUBLISH", "b", "still") == int(1))
        #expect(subscriber.takeDelivered() == message("smessage", "b", "still"))
    }

    @Test("SUNSUBSCRIBE without names leaves every shard channel; with none it still confirms, with a nil channel")
    func unsubscribeAll() {
        let h = EngineHarness()
        let subscriber = h.connect()
        #expect(subscriber.run("SUNSUBSCRIBE") == event("sunsubscribe", nil, 0))
        _ = subscriber.run("SSUBSCRIBE", "x", "y")
        _ = subscriber.run("SUBSCRIBE", "classic")
        #expect(subscriber.run("SUNSUBSCRIBE") == event("sunsubscribe", "x", 1) + event("sunsubscribe", "y", 0))
        // The classic subscription stays: still in subscribed mode.
        #expect(subscriber.run("GET", "k").hasPrefix("-ERR Can't execute 'get'"))
        #expect(h.run("PUBSUB", "SHARDNUMSUB", "x", "y") == "*4\r\n" + bulk("x") + int(0) + bulk("y") + int(0))
        #expect(h.run("PUBLISH", "classic", "m") == int(1))
    }

    @Test("shard channels and channels of the same name are different channels; patterns match neither way")
    func separateNamespaces() {
        let h = EngineHarness()
        let shard = h.connect(), classic = h.connect(), patterns = h.connect()
        _ = shard.run("SSUBSCRIBE", "news")
        _ = classic.run("SUBSCRIBE", "news")
        _ = patterns.run("PSUBSCRIBE", "*")
        #expect(h.run("SPUBLISH", "news", "s") == int(1))
        #expect(h.run("PUBLISH", "news", "p") == int(2))
        #expect(shard.takeDelivered() == message("smessage", "news", "s"))
        #expect(classic.takeDelivered() == message("message", "news", "p"))
        #expect(patterns.takeDelivered() == "*4\r\n" + bulk("pmessage") + bulk("*") + bulk("news") + bulk("p"))
        #expect(h.run("PUBSUB", "NUMSUB", "news") == "*2\r\n" + bulk("news") + int(1))
        #expect(h.run("PUBSUB", "SHARDNUMSUB", "news", "none") == "*4\r\n" + bulk("news") + int(1) + bulk("none") + int(0))
        #expect(h.run("PUBSUB", "SHARDCHANNELS") == "*1\r\n" + bulk("news"))
        #expect(h.run("PUBSUB", "SHARDCHANNELS", "n*") == "*1\r\n" + bulk("news"))
        #expect(h.run("PUBSUB", "SHARDCHANNELS", "x*") == "*0\r\n")
        #expect(h.run("PUBSUB", "CHANNELS") == "*1\r\n" + bulk("news"))
        #expect(h.run("PUBSUB", "NUMPAT") == int(1))
        #expect(h.run("PUBSUB", "SHARDCHANNELS", "a", "b").hasPrefix("-ERR unknown subcommand or wrong number of arguments for 'SHARDCHANNELS'"))
    }

    @Test("each kind's confirmations count its own subscriptions: channels plus patterns, or shard channels")
    func separateCounts() {
        let h = EngineHarness()
        let c = h.connect()
        #expect(c.run("SUBSCRIBE", "a") == event("subscribe", "a", 1))
        #expect(c.run("PSUBSCRIBE", "p*") == event("psubscribe", "p*", 2))
        #expect(c.run("SSUBSCRIBE", "a") == event("ssubscribe", "a", 1))
        #expect(c.run("UNSUBSCRIBE", "a") == event("unsubscribe", "a", 1))
        #expect(c.run("SUNSUBSCRIBE", "a") == event("sunsubscribe", "a", 0))
        #expect(c.run("PUNSUBSCRIBE") == event("punsubscribe", "p*", 0))
        #expect(c.run("PING") == "+PONG\r\n")
    }

    @Test("a shard subscription alone is subscribed mode: only (P|S)(UN)SUBSCRIBE, PING, QUIT and RESET run")
    func subscribedMode() {
        let h = EngineHarness()
        let c = h.connect()
        _ = c.run("SSUBSCRIBE", "s")
        #expect(c.run("SET", "k", "v") == "-ERR Can't execute 'set': only (P|S)SUBSCRIBE / (P|S)UNSUBSCRIBE / PING / QUIT / RESET are allowed in this context\r\n")
        #expect(c.run("PING", "hi") == "*2\r\n" + bulk("pong") + bulk("hi"))
        #expect(c.run("SUBSCRIBE", "c") == event("subscribe", "c", 1))
        #expect(c.run("UNSUBSCRIBE") == event("unsubscribe", "c", 0))
        #expect(c.run("GET", "k").hasPrefix("-ERR Can't execute"))
        _ = c.run("SUNSUBSCRIBE")
        #expect(c.run("GET", "k") == nullBulk)
    }

    @Test("SSUBSCRIBE is refused inside EXEC, where SUBSCRIBE runs")
    func insideTransaction() {
        let h = EngineHarness()
        h.script([("MULTI", ok), ("SSUBSCRIBE a", "+QUEUED\r\n"),
                  ("EXEC", "*1\r\n-ERR SSUBSCRIBE isn't allowed for a DENY BLOCKING client\r\n")])
        #expect(h.run("SPUBLISH", "a", "m") == int(0))
        h.script([("MULTI", ok), ("SUBSCRIBE x", "+QUEUED\r\n"), ("EXEC", "*1\r\n" + event("subscribe", "x", 1))])
    }

    @Test("RESET and disconnecting drop shard subscriptions")
    func resetAndDisconnect() {
        let h = EngineHarness()
        let resetting = h.connect(), leaving = h.connect()
        _ = resetting.run("SSUBSCRIBE", "r", "both")
        _ = leaving.run("SSUBSCRIBE", "both")
        #expect(h.run("PUBSUB", "SHARDNUMSUB", "both") == "*2\r\n" + bulk("both") + int(2))
        #expect(resetting.run("RESET") == "+RESET\r\n")
        #expect(resetting.run("GET", "k") == nullBulk)
        h.engine.unregister(leaving.session)
        #expect(h.run("PUBSUB", "SHARDNUMSUB", "r", "both") == "*4\r\n" + bulk("r") + int(0) + bulk("both") + int(0))
        #expect(h.run("PUBSUB", "SHARDCHANNELS") == "*0\r\n")
        #expect(h.run("SPUBLISH", "both", "m") == int(0))
        #expect(resetting.takeDelivered() == "")
    }

    @Test("keyspace notifications go to channels, never to shard channels of the same name")
    func notificationsStayClassic() {
        let h = EngineHarness()
        let shard = h.connect(), classic = h.connect()
        h.run("CONFIG", "SET", "notify-keyspace-events", "KEA")
        _ = shard.run("SSUBSCRIBE", "__keyspace@0__:k")
        _ = classic.run("SUBSCRIBE", "__keyspace@0__:k")
        h.run("SET", "k", "v")
        #expect(classic.takeDelivered() == message("message", "__keyspace@0__:k", "set"))
        #expect(shard.takeDelivered() == "")
    }

    @Test("CLIENT REPLY OFF hides replies, not subscription confirmations")
    func replyOff() {
        let h = EngineHarness()
        let c = h.connect()
        #expect(c.run("CLIENT", "REPLY", "OFF") == "")
        #expect(c.run("SSUBSCRIBE", "a") == event("ssubscribe", "a", 1))
        #expect(c.run("SUNSUBSCRIBE", "a") == event("sunsubscribe", "a", 0))
    }

    @Test("CLIENT LIST counts shard subscriptions (ssub=), flags the client P and lists it as TYPE pubsub")
    func clientList() {
        let h = EngineHarness()
        let c = h.connect()
        _ = c.run("SSUBSCRIBE", "a", "b")
        _ = c.run("PSUBSCRIBE", "p")
        let line = h.value("CLIENT", "LIST", "TYPE", "pubsub").string ?? ""
        #expect(line.contains("id=\(c.session.id) "))
        #expect(line.contains(" flags=P db=0 sub=0 psub=1 ssub=2 "))
        #expect(!(h.value("CLIENT", "LIST", "TYPE", "normal").string ?? "").contains("id=\(c.session.id) "))
        _ = c.run("PUNSUBSCRIBE")
        _ = c.run("SUNSUBSCRIBE")
        #expect(h.value("CLIENT", "LIST", "TYPE", "pubsub").string == "")
    }

    @Test("a shard subscriber is a pubsub client: held to the pubsub output limit, exempt from the idle timeout")
    func pubsubClass() {
        let h = EngineHarness()
        h.run("CONFIG", "SET", "client-output-buffer-limit", "pubsub 1000 0 0")
        h.run("CONFIG", "SET", "timeout", "1")
        let shard = h.connect(), idle = h.connect()
        _ = shard.run("SSUBSCRIBE", "big")
        // Idle time is measured on the real clock, from each client's last read.
        h.engine.closeIdleClients(now: max(idle.session.lastInteraction, shard.session.lastInteraction) + 5000)
        #expect(idle.session.killRequested)
        #expect(!shard.session.killRequested)
        // Limits count what overflows the 16 KB reply buffer, as Redis's do.
        #expect(h.run("SPUBLISH", "big", String(repeating: "x", count: 2000)) == int(1))
        #expect(!shard.session.killRequested)
        #expect(h.run("SPUBLISH", "big", String(repeating: "x", count: 20_000)) == int(1))
        #expect(shard.session.killRequested)
    }

    @Test("INFO counts shard channels apart (pubsubshard_channels)")
    func info() {
        let h = EngineHarness()
        let a = h.connect(), b = h.connect()
        _ = a.run("SSUBSCRIBE", "x", "y")
        _ = b.run("SSUBSCRIBE", "x")
        _ = b.run("SUBSCRIBE", "z")
        let text = h.value("INFO", "stats").string ?? ""
        #expect(text.contains("\r\npubsub_channels:1\r\npubsub_patterns:0\r\npubsubshard_channels:2\r\n"))
    }

    @Test("ACL SETUSER that takes a shard channel away closes its subscribers; keeping it pardons them")
    func aclRevocation() {
        let h = EngineHarness()
        h.run("ACL", "SETUSER", "ps", "on", "nopass", "+@all", "resetchannels", "&orders", "&foo:*")
        let kept = h.connect(), revoked = h.connect()
        for c in [kept, revoked] { #expect(c.run("AUTH", "ps", "x") == ok) }
        _ = kept.run("SSUBSCRIBE", "foo:1")
        _ = revoked.run("SSUBSCRIBE", "orders")
        #expect(revoked.run("SSUBSCRIBE", "other") == "-NOPERM this user has no permissions to access one of the channels used as arguments\r\n")
        #expect(revoked.run("SPUBLISH", "nope", "m") == "-NOPERM this user has no permissions to access one of the channels used as arguments\r\n")
        h.run("ACL", "SETUSER", "ps", "resetchannels", "&foo:*")
        #expect(revoked.session.killRequested)
        #expect(!kept.session.killRequested)
        #expect(h.run("PUBSUB", "SHARDNUMSUB", "orders", "foo:1") == "*4\r\n" + bulk("orders") + int(0) + bulk("foo:1") + int(1))
    }

    @Test("the channel is no key: COMMAND GETKEYS finds none")
    func notKey() {
        let h = EngineHarness()
        #expect(h.run("COMMAND", "GETKEYS", "SSUBSCRIBE", "a", "b") == "-ERR The command has no key arguments\r\n")
        #expect(h.run("COMMAND", "GETKEYS", "SPUBLISH", "a", "m") == "-ERR The command has no key arguments\r\n")
    }
}
