import KeyDBEngine
import Testing

/// Client-side caching without sockets (test_tracking.py compares the same with Redis).
@Suite("client-side caching")
struct TrackingTests {
    private func invalidate(_ keys: String...) -> String {
        ">2\r\n" + bulk("invalidate") + "*\(keys.count)\r\n" + keys.map(bulk).joined()
    }

    private func tracker(_ h: EngineHarness, _ options: String...) -> TestClient {
        let c = h.connect()
        _ = c.run("HELLO", "3")
        #expect(c.run(["CLIENT", "TRACKING", "on"] + options) == "+OK\r\n")
        return c
    }

    @Test("a key read is invalidated once when another client changes it; its own change follows its reply")
    func defaultMode() {
        let h = EngineHarness()
        let c = tracker(h)
        #expect(c.run("GET", "k") == "_\r\n")
        #expect(h.run("SET", "k", "1") == "+OK\r\n")
        #expect(c.takeDelivered() == invalidate("k"))
        #expect(h.run("SET", "k", "2") == "+OK\r\n")
        #expect(c.takeDelivered().isEmpty)
        _ = c.run("GET", "k")
        #expect(c.run("INCR", "k") == int(3) + invalidate("k"))
        #expect(c.run("CLIENT", "TRACKING", "off") == "+OK\r\n")
        #expect(h.run("INFO", "clients").contains("tracking_clients:0\r\n"))
    }

    @Test("BCAST sends a prefix's changed keys together, in byte order, once the batch ends; NOLOOP leaves out the client's own")
    func broadcast() {
        let h = EngineHarness()
        let c = tracker(h, "BCAST", "PREFIX", "u:")
        let n = tracker(h, "BCAST", "NOLOOP")
        _ = h.run("MSET", "u:2", "a", "u:1", "b", "x", "c")
        _ = n.run("SET", "mine", "1")
        h.engine.endBatch()
        #expect(c.takeDelivered() == invalidate("u:1", "u:2"))
        #expect(n.takeDelivered() == invalidate("u:1", "u:2", "x"))
    }

    @Test("a RESP2 client redirects to a subscriber of __redis__:invalidate; FLUSHALL invalidates everything with a null")
    func redirect() {
        let h = EngineHarness()
        let subscriber = h.connect()
        _ = subscriber.run("SUBSCRIBE", "__redis__:invalidate")
        let c = h.connect()
        #expect(c.run("CLIENT", "TRACKING", "on", "REDIRECT", "\(subscriber.session.id)") == "+OK\r\n")
        _ = c.run("GET", "k")
        _ = h.run("SET", "k", "1")
        let message = "*3\r\n" + bulk("message") + bulk("__redis__:invalidate")
        #expect(subscriber.takeDelivered() == message + "*1\r\n" + bulk("k"))
        _ = h.run("FLUSHALL")
        #expect(subscriber.takeDelivered() == message + nullBulk)
        #expect(c.run("CLIENT", "GETREDIR") == int(subscriber.session.id))
    }

    @Test("OPTIN tracks only the command after CLIENT CACHING YES")
    func optIn() {
        let h = EngineHarness()
        let c = tracker(h, "OPTIN")
        _ = c.run("GET", "a")
        #expect(c.run("CLIENT", "CACHING", "yes") == "+OK\r\n")
        _ = c.run("GET", "b")
        _ = c.run("GET", "c")
        _ = h.run("MSET", "a", "1", "b", "2", "c", "3")
        #expect(c.takeDelivered() == invalidate("b"))
    }

    @Test("keys a key that expires or is served to a blocked BLMOVE are invalidated too")
    func expiryAndServedMove() {
        let h = EngineHarness()
        let c = tracker(h)
        _ = h.run("SET", "e", "v", "PX", "10")
        _ = c.run("GET", "e")
        h.advance(milliseconds: 20)
        #expect(h.run("EXISTS", "e") == int(0))
        #expect(c.takeDelivered() == invalidate("e"))
        _ = c.run("LRANGE", "dst", "0", "-1")
        let blocked = h.connect()
        #expect(blocked.run("BLMOVE", "src", "dst", "LEFT", "LEFT", "0").isEmpty)
        _ = h.run("RPUSH", "src", "x")
        #expect(c.takeDelivered() == invalidate("dst"))
    }
}
