import KeyDBEngine
import Testing

/// SORT's effects beyond its reply: what STORE writes and logs, the sorted
/// set it converts, and the order a set is given where order must not depend
/// on how its members lie.
@Suite struct SortCommandTests {
    let harness = EngineHarness()

    @Test func storeWritesAListLogsTheCommandAndAnEmptyResultDeletes() {
        let feed = AppendOnlyFeed()
        harness.engine.appendOnlyFeed = feed
        harness.run("RPUSH", "l", "3", "1", "2")
        harness.run("SET", "dst", "old", "EX", "100")
        feed.buffer.clear()
        #expect(harness.run("SORT", "l", "STORE", "dst") == ":3\r\n")
        #expect(harness.run("LRANGE", "dst", "0", "-1") == "*3\r\n$1\r\n1\r\n$1\r\n2\r\n$1\r\n3\r\n")
        #expect(harness.run("TTL", "dst") == ":-1\r\n")
        #expect(harness.run("SORT", "missing", "STORE", "dst") == ":0\r\n")
        #expect(harness.run("EXISTS", "dst") == ":0\r\n")
        let logged = feed.buffer.getString(at: feed.buffer.readerIndex, length: feed.buffer.readableBytes) ?? ""
        #expect(logged.contains("*4\r\n$4\r\nSORT\r\n$1\r\nl\r\n$5\r\nSTORE\r\n$3\r\ndst\r\n*4\r\n$4\r\nSORT\r\n$7\r\nmissing"))
        // Nothing to delete and nothing stored: no record.
        feed.buffer.clear()
        #expect(harness.run("SORT", "missing", "STORE", "dst") == ":0\r\n")
        #expect(feed.buffer.readableBytes == 0)
    }

    @Test func sortingAListpackSortedSetLeavesItASkiplist() {
        harness.run("ZADD", "z", "2", "b", "1", "a")
        #expect(harness.run("OBJECT", "ENCODING", "z") == "$8\r\nlistpack\r\n")
        #expect(harness.run("SORT", "z", "BY", "nosort") == "*2\r\n$1\r\na\r\n$1\r\nb\r\n")
        #expect(harness.run("OBJECT", "ENCODING", "z") == "$8\r\nskiplist\r\n")
        #expect(harness.run("ZRANGE", "z", "0", "-1", "WITHSCORES") == "*4\r\n$1\r\na\r\n$1\r\n1\r\n$1\r\nb\r\n$1\r\n2\r\n")
    }

    @Test func aSetStoredOrSeenByAScriptIsSortedEvenByNosort() {
        harness.run("SADD", "s", "c", "a", "b")
        #expect(harness.run("SORT", "s", "BY", "nosort", "STORE", "out") == ":3\r\n")
        #expect(harness.run("LRANGE", "out", "0", "-1") == "*3\r\n$1\r\na\r\n$1\r\nb\r\n$1\r\nc\r\n")
        #expect(harness.run("EVAL", "return redis.call('SORT', KEYS[1], 'BY', 'nosort')", "1", "s")
            == "*3\r\n$1\r\na\r\n$1\r\nb\r\n$1\r\nc\r\n")
    }

    @Test func byAndGetNeedReadAccessToEveryKey() {
        harness.run("RPUSH", "l", "1")
        harness.run("ACL", "SETUSER", "limited", "on", "nopass", "+@all", "~l", "~w_*")
        harness.run("AUTH", "limited", "x")
        #expect(harness.run("SORT", "l", "BY", "w_*") == "-ERR BY option of SORT denied due to insufficient ACL permissions.\r\n")
        #expect(harness.run("SORT", "l", "GET", "#") == "-ERR GET option of SORT denied due to insufficient ACL permissions.\r\n")
        #expect(harness.run("SORT", "l", "BY", "nosort") == "*1\r\n$1\r\n1\r\n")
        harness.run("AUTH", "default", "x")
        harness.run("ACL", "SETUSER", "readall", "on", "nopass", "+@all", "%R~*")
        harness.run("AUTH", "readall", "x")
        #expect(harness.run("SORT", "l", "BY", "w_*", "GET", "#") == "*1\r\n$1\r\n1\r\n")
    }
}
