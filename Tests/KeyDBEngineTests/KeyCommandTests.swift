import KeyDBEngine
import Testing

/// Generic key commands; expected replies checked against redis-server 7.0.15.
@Suite("key commands")
struct KeyCommandTests {
    @Test("DEL, UNLINK, EXISTS, TOUCH, DBSIZE")
    func basics() {
        let h = EngineHarness()
        h.script([
            ("DEL a b c", int(0)), ("SET a 1", ok), ("SET b 1", ok), ("DBSIZE", int(2)),
            ("EXISTS a a a", int(3)), ("EXISTS a b c", int(2)),
            ("DEL a b c", int(2)), ("EXISTS a a a", int(0)), ("DBSIZE", int(0)),
            ("SET a 1", ok), ("TOUCH a a missing", int(2)), ("UNLINK a", int(1)), ("TOUCH a", int(0)),
            ("RANDOMKEY", nullBulk), ("SET only 1", ok), ("RANDOMKEY", bulk("only")),
        ])
    }

    @Test("TYPE for every type")
    func types() {
        let h = EngineHarness()
        h.script([
            ("SET s 1", ok), ("LPUSH l a", int(1)), ("HSET h f v", int(1)), ("SADD st m", int(1)),
            ("TYPE s", "+string\r\n"), ("TYPE l", "+list\r\n"), ("TYPE h", "+hash\r\n"), ("TYPE st", "+set\r\n"),
            ("TYPE none", "+none\r\n"),
        ])
        // No sorted-set command exists yet: put one in directly.
        h.db.insert(Bytes("z"), .sortedSet(SortedSetValue([Bytes("m"): 1])), expireAt: 0)
        #expect(h.run("TYPE", "z") == "+zset\r\n")
        #expect(h.run("SCAN", "0", "TYPE", "zset") == "*2\r\n$1\r\n0\r\n*1\r\n$1\r\nz\r\n")
        #expect(h.run("DBSIZE") == int(5))
    }

    @Test("WRONGTYPE from commands of another type")
    func wrongTypeErrors() {
        let h = EngineHarness()
        h.script([
            ("SET s 1", ok), ("LPUSH l a", int(1)), ("HSET h f v", int(1)), ("SADD st m", int(1)),
            ("GET l", wrongType), ("GET h", wrongType), ("GET st", wrongType), ("STRLEN h", wrongType), ("INCR st", wrongType),
            ("LPUSH s x", wrongType), ("LLEN h", wrongType), ("HGET s f", wrongType), ("SADD l x", wrongType),
            ("SISMEMBER h f", wrongType), ("LRANGE st 0 -1", wrongType),
        ])
    }

    @Test("RENAME and RENAMENX")
    func rename() {
        let h = EngineHarness()
        h.script([
            ("RENAME missing x", "-ERR no such key\r\n"), ("RENAMENX missing x", "-ERR no such key\r\n"),
            ("SET a 1", ok), ("RENAME a a", ok), ("RENAMENX a a", int(0)),
            ("RENAME a b", ok), ("GET b", bulk("1")), ("EXISTS a", int(0)),
            ("SET c 3", ok), ("RENAMENX b c", int(0)), ("RENAMENX b d", int(1)),
            ("RENAME d c", ok), ("GET c", bulk("1")), ("DBSIZE", int(1)),
            ("LPUSH l x", int(1)), ("RENAME l c", ok), ("TYPE c", "+list\r\n"), ("LRANGE c 0 -1", "*1\r\n$1\r\nx\r\n"),
            ("SET p v EX 100", ok), ("SET q w", ok), ("RENAME q p", ok), ("TTL p", int(-1)), ("GET p", bulk("w")),
        ])
    }

    @Test("COPY, with DB and REPLACE")
    func copy() {
        let h = EngineHarness()
        h.script([
            ("SET c 1", ok),
            ("COPY c c", "-ERR source and destination objects are the same\r\n"),
            ("COPY missing missing", "-ERR source and destination objects are the same\r\n"),
            ("COPY c c2", int(1)), ("GET c2", bulk("1")), ("COPY c c2", int(0)),
            ("SET c 30", ok), ("COPY c c2 REPLACE", int(1)), ("GET c2", bulk("30")),
            ("COPY c c DB 1", int(1)), ("SELECT 1", ok), ("GET c", bulk("30")), ("SELECT 0", ok),
            ("COPY c c DB 1", int(0)), ("SET c 31", ok), ("COPY c c db 1 replace", int(1)),
            ("COPY c c DB 0", "-ERR source and destination objects are the same\r\n"),
            ("COPY c c DB 16", "-ERR DB index is out of range\r\n"), ("COPY c c DB -1", "-ERR DB index is out of range\r\n"),
            ("COPY c c DB abc", notInteger),
            ("COPY c c DB 99999999999", "-ERR value is out of range, value must between -2147483648 and 2147483647\r\n"),
            ("COPY c c FOO", syntaxError), ("COPY c c DB", syntaxError),
            ("COPY missing x", int(0)),
            ("COPY c", "-ERR wrong number of arguments for 'copy' command\r\n"),
            ("SELECT 1", ok), ("GET c", bulk("31")),
        ])
    }

    @Test("COPY of a collection is deep")
    func copyDeep() {
        let h = EngineHarness()
        h.script([
            ("LPUSH l a b", int(2)), ("COPY l l2", int(1)), ("LPUSH l c", int(3)),
            ("LRANGE l2 0 -1", "*2\r\n$1\r\nb\r\n$1\r\na\r\n"), ("LRANGE l 0 -1", "*3\r\n$1\r\nc\r\n$1\r\nb\r\n$1\r\na\r\n"),
            ("HSET h f v", int(1)), ("COPY h h2", int(1)), ("HSET h g w", int(1)), ("HLEN h2", int(1)),
            ("SADD s a", int(1)), ("COPY s s2", int(1)), ("SADD s b", int(1)), ("SCARD s2", int(1)),
        ])
    }

    @Test("MOVE")
    func move() {
        let h = EngineHarness()
        h.script([
            ("SET c 1", ok), ("SET c2 2", ok),
            ("MOVE c 0", "-ERR source and destination objects are the same\r\n"),
            ("MOVE c 16", "-ERR DB index is out of range\r\n"), ("MOVE c -1", "-ERR DB index is out of range\r\n"),
            ("MOVE c abc", notInteger),
            ("MOVE c 99999999999", "-ERR value is out of range, value must between -2147483648 and 2147483647\r\n"),
            ("MOVE c2 1", int(1)), ("EXISTS c2", int(0)), ("MOVE missing 1", int(0)),
            ("SELECT 1", ok), ("GET c2", bulk("2")), ("SET c other", ok), ("SELECT 0", ok),
            ("MOVE c 1", int(0)), ("GET c", bulk("1")),
            ("SELECT 1", ok), ("GET c", bulk("other")),
        ])
    }

    @Test("SWAPDB")
    func swapdb() {
        let h = EngineHarness()
        let other = h.connect()
        #expect(other.run("SELECT", "1") == ok)
        h.script([
            ("SET a 0", ok), ("SELECT 1", ok), ("SET b 1", ok), ("SELECT 0", ok),
            ("SWAPDB 0 1", ok), ("GET a", nullBulk), ("GET b", bulk("1")),
            ("SWAPDB 0 0", ok), ("GET b", bulk("1")),
            ("SWAPDB a 1", "-ERR invalid first DB index\r\n"), ("SWAPDB 0 b", "-ERR invalid second DB index\r\n"),
            ("SWAPDB 0 16", "-ERR DB index is out of range\r\n"), ("SWAPDB -1 0", "-ERR DB index is out of range\r\n"),
            ("SWAPDB 99999999999 0", "-ERR invalid first DB index\r\n"), ("SWAPDB 0 99999999999", "-ERR invalid second DB index\r\n"),
        ])
        // The other client still has db 1 selected, and now sees what db 0 held.
        #expect(other.run("GET", "a") == bulk("0"))
        #expect(other.run("GET", "b") == nullBulk)
    }

    @Test("FLUSHDB and FLUSHALL")
    func flush() {
        let h = EngineHarness()
        h.script([
            ("SET a 1", ok), ("SELECT 1", ok), ("SET b 1", ok), ("SET c 1 EX 100", ok),
            ("FLUSHDB foo", syntaxError), ("FLUSHDB sync async", syntaxError), ("FLUSHALL foo", syntaxError),
            ("FLUSHDB", ok), ("DBSIZE", int(0)), ("SELECT 0", ok), ("DBSIZE", int(1)),
            ("FLUSHDB ASYNC", ok), ("SET a 1", ok), ("FLUSHDB sync", ok), ("DBSIZE", int(0)),
            ("SET a 1", ok), ("SELECT 5", ok), ("SET z 1", ok),
            ("FLUSHALL", ok), ("DBSIZE", int(0)), ("SELECT 0", ok), ("DBSIZE", int(0)),
            ("SET a 1", ok), ("FLUSHALL ASYNC", ok), ("FLUSHALL SYNC", ok), ("DBSIZE", int(0)),
        ])
        #expect(h.engine.keyspace.keyCount == 0)
        #expect(h.engine.keyspace.databases.allSatisfy { $0.volatileCount == 0 })
        // The table works again after a flush.
        for i in 0..<100 { h.run("SET", "k\(i)", "v") }
        #expect(h.run("DBSIZE") == int(100))
    }

    @Test("SELECT")
    func select() {
        let h = EngineHarness()
        h.script([
            ("SELECT 15", ok), ("SET k fifteen", ok), ("SELECT 0", ok), ("GET k", nullBulk),
            ("SELECT 16", "-ERR DB index is out of range\r\n"), ("SELECT -1", "-ERR DB index is out of range\r\n"),
            ("SELECT abc", notInteger),
            ("SELECT 99999999999", "-ERR value is out of range, value must between -2147483648 and 2147483647\r\n"),
            ("SELECT 15", ok), ("GET k", bulk("fifteen")),
        ])
    }

    @Test("KEYS with glob patterns")
    func keys() {
        let h = EngineHarness()
        for key in ["hello", "hallo", "hxllo", "hllo", "heeeello", "a*b", "user:1:name", "user:2:age", "", "ab"] {
            h.run("SET", key, "v")
        }
        func keys(_ pattern: String) -> Set<String> {
            Set(h.value("KEYS", pattern).array.compactMap(\.string))
        }
        #expect(keys("*") == ["hello", "hallo", "hxllo", "hllo", "heeeello", "a*b", "user:1:name", "user:2:age", "", "ab"])
        #expect(keys("h?llo") == ["hello", "hallo", "hxllo"])
        #expect(keys("h*llo") == ["hello", "hallo", "hxllo", "hllo", "heeeello"])
        #expect(keys("h[ae]llo") == ["hello", "hallo"])
        #expect(keys("h[^e]llo") == ["hallo", "hxllo"])
        #expect(keys("h[a-b]llo") == ["hallo"])
        #expect(keys("a\\*b") == ["a*b"])
        #expect(keys("a*b") == ["a*b", "ab"])
        #expect(keys("user:*:name") == ["user:1:name"])
        #expect(keys("nomatch*") == [])
        #expect(keys("") == [""])
        #expect(h.run("KEYS", "hello") == "*1\r\n$5\r\nhello\r\n")
        #expect(h.run("KEYS") == "-ERR wrong number of arguments for 'keys' command\r\n")
    }
}
