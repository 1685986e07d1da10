import KeyDBEngine
import KeyDBRESP
import NIOCore
import Testing

/// Streams in the engine: node boundaries, blocking reads, and what the log
/// records. Reply shapes are held equal to redis-server 7.0.15 by
/// Tests/Python/cases/streams.txt and Redis's own Tcl units.
@Suite("stream commands")
struct StreamCommandTests {
    private func array(_ items: String...) -> String { "*\(items.count)\r\n" + items.joined() }
    private func entry(_ id: String, _ fields: String...) -> String {
        array(bulk(id), "*\(fields.count)\r\n" + fields.map(bulk).joined())
    }

    @Test("~ trimming removes whole nodes only; = trims exactly and marks entries deleted")
    func nodeBoundaries() {
        let h = EngineHarness()
        h.run("CONFIG", "SET", "stream-node-max-entries", "3")
        for i in 1...7 { h.run("XADD", "s", "\(i)-0", "f", "v") }
        // Nodes hold 1-3, 4-6, 7: keeping at least 5 removes nothing, at least 2 removes the first node.
        #expect(h.run("XTRIM", "s", "MAXLEN", "~", "5") == int(0))
        #expect(h.run("XTRIM", "s", "MAXLEN", "~", "2") == int(3))
        #expect(h.run("XTRIM", "s", "MAXLEN", "=", "2") == int(2))
        #expect(h.run("XRANGE", "s", "-", "+") == array(entry("6-0", "f", "v"), entry("7-0", "f", "v")))
        #expect(h.run("XLEN", "s") == int(2))
    }

    @Test("a byte-limited node starts anew when the next entry would reach stream-node-max-bytes")
    func nodeBytes() {
        let h = EngineHarness()
        h.run("CONFIG", "SET", "stream-node-max-bytes", "100")
        for i in 1...4 { h.run("XADD", "s", "\(i)-0", "field", String(repeating: "x", count: 30)) }
        // Redis (checked with XINFO STREAM on 7.0.15) makes one node per two such entries.
        #expect(h.run("XINFO", "STREAM", "s").contains("radix-tree-keys\r\n:2\r\n"))
    }

    @Test("a blocked XREAD is served by another session's XADD")
    func blockingRead() {
        let h = EngineHarness()
        let reader = h.client, writer = h.connect()
        #expect(reader.run("XREAD", "BLOCK", "0", "STREAMS", "s", "$") == "")
        #expect(reader.session.blocked != nil)
        #expect(writer.run("XADD", "s", "5-1", "k", "v") == bulk("5-1"))
        #expect(reader.takeDelivered() == array(array(bulk("s"), array(entry("5-1", "k", "v")))))
        #expect(reader.session.blocked == nil)
    }

    @Test("a blocked XREADGROUP learns its stream was deleted, or its group destroyed")
    func blockedGroupReaderErrors() {
        let h = EngineHarness()
        let reader = h.client, other = h.connect()
        other.run("XGROUP", "CREATE", "s", "g", "$", "MKSTREAM")
        #expect(reader.run("XREADGROUP", "GROUP", "g", "c", "BLOCK", "0", "STREAMS", "s", ">") == "")
        other.run("DEL", "s")
        #expect(reader.takeDelivered() == "-UNBLOCKED the stream key no longer exists\r\n")
        other.run("XGROUP", "CREATE", "s", "g", "$", "MKSTREAM")
        #expect(reader.run("XREADGROUP", "GROUP", "g", "c", "BLOCK", "0", "STREAMS", "s", ">") == "")
        other.run("XGROUP", "DESTROY", "s", "g")
        #expect(reader.takeDelivered() == "-NOGROUP the consumer group this client was blocked on no longer exists\r\n")
        // A plain XREAD keeps waiting through a delete, and is served by the next XADD.
        #expect(reader.run("XREAD", "BLOCK", "0", "STREAMS", "s", "$") == "")
        other.run("DEL", "s")
        #expect(reader.session.blocked != nil)
        other.run("XADD", "s", "9-0", "a", "b")
        #expect(reader.takeDelivered() == array(array(bulk("s"), array(entry("9-0", "a", "b")))))
    }

    @Test("the log gets XADD's chosen ID, ~ trims as exact ones, and group reads as XCLAIM and SETID")
    func propagation() {
        let h = EngineHarness()
        let feed = AppendOnlyFeed()
        h.engine.appendOnlyFeed = feed
        h.advance(milliseconds: 0)
        let now = h.now
        h.run("CONFIG", "SET", "stream-node-max-entries", "2")
        h.run("XADD", "s", "*", "f", "v")
        for i in 1...4 { h.run("XADD", "s", "\(now)-*", "f", "\(i)") }
        h.run("XADD", "s", "MAXLEN", "~", "2", "\(now + 1)-0", "f", "v")
        h.run("XGROUP", "CREATE", "s", "g", "0")
        h.run("XREADGROUP", "GROUP", "g", "alice", "COUNT", "1", "STREAMS", "s", ">")
        h.run("XREADGROUP", "GROUP", "g", "bob", "NOACK", "COUNT", "1", "STREAMS", "s", ">")
        let records = Self.records(feed)
        #expect(records[0] == ["XADD", "s", "\(now)-0", "f", "v"])
        #expect(records[1] == ["XADD", "s", "\(now)-1", "f", "1"])
        #expect(records[5] == ["XADD", "s", "MAXLEN", "=", "2", "\(now + 1)-0", "f", "v"])
        #expect(records[6] == ["XGROUP", "CREATE", "s", "g", "0"])
        // An XCLAIM carries the group's last ID (LASTID), so a read that claims logs no SETID,
        // as Redis; a NOACK read claims nothing and logs its consumer and the group's new last ID.
        #expect(records[7...].map { $0[0] } == ["XCLAIM", "MULTI", "XGROUP", "XGROUP", "EXEC"])
        #expect(Array(records[7].prefix(6)) == ["XCLAIM", "s", "g", "alice", "0", "\(now)-4"])
        #expect(Array(records[7].suffix(2)) == ["LASTID", "\(now)-4"])
        #expect(records[9] == ["XGROUP", "CREATECONSUMER", "s", "g", "bob"])
        #expect(records[10] == ["XGROUP", "SETID", "s", "g", "\(now + 1)-0", "ENTRIESREAD", "6"])
    }

    @Test("an inexact MINID trim that empties the stream logs the largest ID; a NOACK history read logs its new consumer")
    func propagationEdges() {
        let h = EngineHarness()
        let feed = AppendOnlyFeed()
        h.engine.appendOnlyFeed = feed
        h.run("XADD", "s", "MINID", "~", "100", "1-1", "a", "b")
        h.run("XGROUP", "CREATE", "s", "g", "0")
        h.run("XREADGROUP", "GROUP", "g", "newc", "NOACK", "STREAMS", "s", "0")
        let records = Self.records(feed)
        #expect(records[0] == ["XADD", "s", "MINID", "=", "18446744073709551615-18446744073709551615", "1-1", "a", "b"])
        #expect(records.last == ["XGROUP", "CREATECONSUMER", "s", "g", "newc"])
    }

    @Test("a blocked XREADGROUP is answered when SWAPDB or expiry takes its stream away")
    func groupReaderLosesStreamToSwapOrExpiry() {
        let h = EngineHarness()
        let reader = h.client, other = h.connect()
        other.run("XADD", "s", "1-1", "a", "1")
        other.run("XGROUP", "CREATE", "s", "g", "$")
        #expect(reader.run("XREADGROUP", "GROUP", "g", "c", "BLOCK", "0", "STREAMS", "s", ">") == "")
        other.run("SWAPDB", "0", "1")
        #expect(reader.takeDelivered() == "-UNBLOCKED the stream key no longer exists\r\n")
        other.run("SWAPDB", "0", "1")
        #expect(reader.run("XREADGROUP", "GROUP", "g", "c", "BLOCK", "0", "STREAMS", "s", ">") == "")
        other.run("PEXPIRE", "s", "100")
        h.advance(milliseconds: 200)
        h.engine.activeExpireCycle()
        #expect(reader.takeDelivered() == "-UNBLOCKED the stream key no longer exists\r\n")
    }

    static func records(_ feed: AppendOnlyFeed) -> [[String]] {
        var parser = RequestParser()
        var result: [[String]] = []
        feed.buffer.withUnsafeReadableBytes { bytes in
            var position = 0
            while position < bytes.count, case .command(let end) = parser.parse(bytes, from: position) {
                result.append(parser.arguments.map {
                    String(decoding: UnsafeRawBufferPointer(rebasing: bytes[$0.offset..<$0.offset + $0.count]), as: UTF8.self)
                })
                position = end
            }
        }
        return result.filter { $0.first != "SELECT" }
    }
}
