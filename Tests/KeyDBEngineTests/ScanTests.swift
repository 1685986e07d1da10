import KeyDBEngine
import KeyDBTestSupport
import Testing

/// SCAN's guarantees, checked through the command as a client would use it.
@Suite("SCAN")
struct ScanTests {
    /// One SCAN call: the next cursor and the keys returned.
    private func scan(_ client: TestClient, _ cursor: String, _ options: [String] = []) -> (cursor: String, keys: [String]) {
        let reply = RESPValue.decode(client.execute((["SCAN", cursor] + options).map { Array($0.utf8) }))
        let parts = reply.array
        guard parts.count == 2, let next = parts[0].string else {
            Issue.record("unexpected SCAN reply \(reply)")
            return ("0", [])
        }
        return (next, parts[1].array.compactMap(\.string))
    }

    /// A full iteration; `between` runs after every call.
    private func fullScan(_ client: TestClient, _ options: [String] = [], maxCalls: Int = 1_000_000,
                          between: () -> Void = {}) -> (keys: [String], calls: Int) {
        var cursor = "0"
        var keys: [String] = []
        var calls = 0
        repeat {
            let step = scan(client, cursor, options)
            keys += step.keys
            cursor = step.cursor
            calls += 1
            between()
        } while cursor != "0" && calls < maxCalls
        #expect(cursor == "0", "the scan did not finish in \(maxCalls) calls")
        return (keys, calls)
    }

    @Test("a full scan of a fixed keyspace returns every key exactly once", arguments: [1, 3, 10, 100, 5000])
    func fixedKeyspace(_ count: Int) {
        let h = EngineHarness()
        let all = (0..<1000).map { "key:\($0)" }
        for key in all { h.run("SET", key, "v") }
        let result = fullScan(h.client, ["COUNT", "\(count)"])
        #expect(result.keys.count == all.count)
        #expect(Set(result.keys) == Set(all))
        if count == 5000 { #expect(result.calls == 1) }
    }

    @Test("an empty database scans in one call")
    func empty() {
        let h = EngineHarness()
        #expect(h.run("SCAN", "0") == "*2\r\n$1\r\n0\r\n*0\r\n")
        #expect(h.run("SCAN", "-1") == "*2\r\n$1\r\n0\r\n*0\r\n")
        #expect(h.run("SCAN", "18446744073709551615") == "*2\r\n$1\r\n0\r\n*0\r\n")
    }

    @Test("MATCH and TYPE filter what a full scan returns")
    func filters() {
        let h = EngineHarness()
        for i in 0..<300 { h.run("SET", "str:\(i)", "v") }
        for i in 0..<50 { h.run("LPUSH", "list:\(i)", "v") }
        for i in 0..<20 { h.run("SADD", "set:\(i)", "v") }
        #expect(Set(fullScan(h.client, ["MATCH", "list:*"]).keys) == Set((0..<50).map { "list:\($0)" }))
        #expect(Set(fullScan(h.client, ["MATCH", "str:1?"]).keys) == Set((10..<20).map { "str:\($0)" }))
        #expect(Set(fullScan(h.client, ["TYPE", "set"]).keys) == Set((0..<20).map { "set:\($0)" }))
        #expect(Set(fullScan(h.client, ["TYPE", "LIST"]).keys) == Set((0..<50).map { "list:\($0)" }))
        #expect(fullScan(h.client, ["TYPE", "hash"]).keys.isEmpty)
        #expect(fullScan(h.client, ["TYPE", "nosuch"]).keys.isEmpty)
        #expect(Set(fullScan(h.client, ["count", "7", "match", "*:4?", "type", "string"]).keys) == Set((40..<50).map { "str:\($0)" }))
        #expect(fullScan(h.client, ["MATCH", "*"]).keys.count == 370)
    }

    /// dictScan's promise: a key present from the start to the end of a full
    /// iteration is returned at least once, however the table grows or
    /// shrinks in between (keys may repeat).
    @Test("keys present for the whole scan are returned while the table grows and shrinks", arguments: [UInt64(1), 2, 3, 4])
    func growAndShrink(_ seed: UInt64) {
        let h = EngineHarness()
        var rng = SeededGenerator(seed: seed)
        let stable = (0..<100).map { "stable:\($0)" }
        var others: [String] = (0..<900).map { "orig:\($0)" }
        for key in stable + others { h.run("SET", key, "v") }
        var everPresent = Set(stable + others)
        var next = 0
        var calls = 0
        var grew = false, shrank = false
        var largestTable = h.db.bucketCount, smallestTable = h.db.bucketCount

        let result = fullScan(h.client, ["COUNT", "10"], maxCalls: 200_000) {
            calls += 1
            // Grow to ~9,000 keys, shrink to the stable keys only, then churn at random.
            let grow: Bool
            if calls <= 40 { grow = true }
            else if !others.isEmpty && !shrank { grow = false }
            else { grow = Bool.random(using: &rng) || others.count < 300 }
            if grow {
                for _ in 0..<200 {
                    let key = "new:\(next)"
                    next += 1
                    h.run("SET", key, "v")
                    others.append(key)
                    everPresent.insert(key)
                }
            } else {
                for _ in 0..<min(300, others.count) {
                    let index = Int.random(in: 0..<others.count, using: &rng)
                    h.run("DEL", others[index])
                    others.swapAt(index, others.count - 1)
                    others.removeLast()
                }
                if others.isEmpty { shrank = true }
            }
            largestTable = max(largestTable, h.db.bucketCount)
            smallestTable = min(smallestTable, h.db.bucketCount)
            if h.db.bucketCount > 2048 { grew = true }
        }
        let returned = Set(result.keys)
        #expect(grew && shrank, "the table must both grow and shrink during the scan")
        #expect(largestTable >= 8192 && smallestTable <= 512, "table sizes \(smallestTable)...\(largestTable)")
        let missing = stable.filter { !returned.contains($0) }
        #expect(missing.isEmpty, "stable keys never returned: \(missing.prefix(10))")
        #expect(returned.isSubset(of: everPresent), "SCAN returned keys that never existed")
    }

    @Test("a scan started before a big growth still finishes and misses nothing")
    func growthOnly() {
        let h = EngineHarness()
        let stable = (0..<1000).map { "s\($0)" }
        for key in stable { h.run("SET", key, "v") }
        var added = 0
        let result = fullScan(h.client, ["COUNT", "10"], maxCalls: 100_000) {
            guard added < 20_000 else { return }
            for _ in 0..<200 { h.run("SET", "g\(added)", "v"); added += 1 }
        }
        #expect(Set(stable).isSubset(of: Set(result.keys)))
    }

    @Test("SCAN arguments and errors")
    func errors() {
        let h = EngineHarness()
        h.script([
            ("SCAN abc", "-ERR invalid cursor\r\n"), ("SCAN \" 0\"", "-ERR invalid cursor\r\n"), ("SCAN 1x", "-ERR invalid cursor\r\n"),
            ("SCAN 18446744073709551616", "-ERR invalid cursor\r\n"),
            ("SCAN 0 COUNT 0", syntaxError), ("SCAN 0 COUNT -1", syntaxError), ("SCAN 0 COUNT abc", notInteger),
            ("SCAN 0 COUNT", syntaxError), ("SCAN 0 MATCH", syntaxError), ("SCAN 0 TYPE", syntaxError), ("SCAN 0 FOO bar", syntaxError),
            ("SCAN", "-ERR wrong number of arguments for 'scan' command\r\n"),
            ("SET a 1", ok),
            ("SCAN 0 TYPE string", "*2\r\n$1\r\n0\r\n*1\r\n$1\r\na\r\n"), ("SCAN 0 TYPE STRING", "*2\r\n$1\r\n0\r\n*1\r\n$1\r\na\r\n"),
            ("SCAN 0 TYPE list", "*2\r\n$1\r\n0\r\n*0\r\n"),
            ("SCAN 0 MATCH a*", "*2\r\n$1\r\n0\r\n*1\r\n$1\r\na\r\n"), ("SCAN 0 MATCH b*", "*2\r\n$1\r\n0\r\n*0\r\n"),
            ("SCAN \"\"", "*2\r\n$1\r\n0\r\n*1\r\n$1\r\na\r\n"), ("SCAN +0", "*2\r\n$1\r\n0\r\n*1\r\n$1\r\na\r\n"),
            ("SCAN 00", "*2\r\n$1\r\n0\r\n*1\r\n$1\r\na\r\n"),
            ("SCAN 0 COUNT 9223372036854775807", "*2\r\n$1\r\n0\r\n*1\r\n$1\r\na\r\n"),
        ])
    }
}

