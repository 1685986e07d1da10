import KeyDBEngine
import Testing

/// CLIENT PAUSE / UNPAUSE: which commands wait, in what order they run, how
/// pauses combine and end, and expiry standing still meanwhile.
@Suite("CLIENT PAUSE")
struct ClientPauseTests {
    @Test("WRITE holds writes, in order, and everything sent after them; reads run")
    func writePause() {
        let h = EngineHarness()
        let a = h.connect(), b = h.connect()
        #expect(h.run("CLIENT", "PAUSE", "10000", "WRITE") == ok)
        a.send("GET", "k")
        #expect(a.received() == nullBulk)
        a.send("SET", "k", "a")
        a.send("GET", "k")  // behind the held write: waits with it
        b.send("SET", "k", "b")
        b.send("PUBLISH", "ch", "m")  // may replicate: held too
        #expect(a.received() == "" && b.received() == "")
        #expect(h.run("INFO", "clients").contains("blocked_clients:2"))
        let line = h.run("CLIENT", "LIST").split(separator: "\n").first { $0.contains("id=\(a.session.id) ") }
        #expect(line?.contains(" flags=b ") == true)
        #expect(h.run("GET", "k") == nullBulk)
        #expect(h.run("CLIENT", "UNPAUSE") == ok)
        #expect(a.woken.value && b.woken.value)
        a.resume(); b.resume()
        #expect(a.received() == ok + bulk("a"))
        #expect(b.received() == ok + int(0))
        #expect(h.run("GET", "k") == bulk("b"))
        #expect(h.run("INFO", "clients").contains("blocked_clients:0"))
    }

    @Test("WRITE lets scripts and functions that declared no-writes run; other scripts wait")
    func writePauseAndScriptFlags() {
        let h = EngineHarness()
        let a = h.connect(), b = h.connect()
        h.run("FUNCTION", "LOAD", "#!lua name=lib\nredis.register_function{function_name='ro', callback=function() return 'ro' end, flags={'no-writes'}}\nredis.register_function('rw', function() return 'rw' end)")
        #expect(h.run("CLIENT", "PAUSE", "10000", "WRITE") == ok)
        a.send("EVAL", "#!lua flags=no-writes\nreturn 'free'", "0")
        #expect(a.received() == bulk("free"))
        a.send("FCALL", "ro", "0")
        #expect(a.received() == bulk("ro"))
        b.send("EVAL", "return 'compat'", "0")  // no shebang: EVAL's own may-replicate flag holds it
        #expect(b.received() == "")
        a.send("FCALL", "rw", "0")
        #expect(a.received() == "")
        #expect(h.run("CLIENT", "UNPAUSE") == ok)
        a.resume(); b.resume()
        #expect(a.received() == bulk("rw"))
        #expect(b.received() == bulk("compat"))
    }

    @Test("WRITE lets EXEC of no-writes scripts run; one write script in the queue holds it")
    func writePauseAndQueuedScripts() {
        let h = EngineHarness()
        let a = h.connect(), b = h.connect()
        #expect(h.run("CLIENT", "PAUSE", "10000", "WRITE") == ok)
        a.send("MULTI")
        a.send("EVAL", "#!lua flags=no-writes\nreturn 12", "0")
        a.send("EVAL", "#!lua flags=no-writes\nreturn 13", "0")
        a.send("EXEC")
        #expect(a.received() == ok + "+QUEUED\r\n+QUEUED\r\n*2\r\n:12\r\n:13\r\n")
        b.send("MULTI")
        b.send("EVAL", "#!lua flags=no-writes\nreturn 12", "0")
        b.send("EVAL", "return 14", "0")  // no shebang: may replicate, held as it is queued
        b.send("EXEC")
        #expect(b.received() == ok + "+QUEUED\r\n")
        #expect(h.run("CLIENT", "UNPAUSE") == ok)
        b.resume()
        #expect(b.received() == "+QUEUED\r\n*2\r\n:12\r\n:14\r\n")
    }

    @Test("ALL holds every command; argument errors still answer at once")
    func allPause() {
        let h = EngineHarness()
        let a = h.connect()
        #expect(h.run("CLIENT", "PAUSE", "10000") == ok)
        a.send("SET", "k")
        #expect(a.received() == "-ERR wrong number of arguments for 'set' command\r\n")
        a.send("PING")
        #expect(a.received() == "")
        // The pausing client is held as well.
        h.client.send("PING")
        #expect(h.client.received() == "")
        h.advance(milliseconds: 10_001)
        #expect(!h.engine.checkPauseTimeout(now: h.now))
        a.resume(); h.client.resume()
        #expect(a.received() == "+PONG\r\n")
        #expect(h.client.received() == "+PONG\r\n")
    }

    @Test("the background cycle ends a pause on time also with active expiry off")
    func endsWithActiveExpiryOff() {
        let h = EngineHarness()
        #expect(h.run("DEBUG", "SET-ACTIVE-EXPIRE", "0") == ok)
        #expect(h.run("CLIENT", "PAUSE", "100", "WRITE") == ok)
        let a = h.connect()
        a.send("SET", "k", "v")
        #expect(a.received() == "")
        h.advance(milliseconds: 200)
        h.engine.activeExpireCycle()
        #expect(a.woken.value && h.engine.pause == nil)
        a.resume()
        #expect(a.received() == ok)
    }

    @Test("a new pause keeps the stricter kind and the later end")
    func combining() {
        let h = EngineHarness()
        let start = h.now
        #expect(h.run("CLIENT", "PAUSE", "5000", "WRITE") == ok)
        #expect(h.run("CLIENT", "PAUSE", "1000", "WRITE") == ok)
        #expect(h.engine.pause?.kind == .write && h.engine.pause?.end == start + 5000)
        #expect(h.run("CLIENT", "PAUSE", "8000", "WRITE") == ok)
        #expect(h.engine.pause?.end == start + 8000)
        #expect(h.run("CLIENT", "PAUSE", "100", "ALL") == ok)
        #expect(h.engine.pause?.kind == .all && h.engine.pause?.end == start + 8000)
        let a = h.connect()
        a.send("GET", "k")
        h.advance(milliseconds: 7000)
        #expect(h.engine.checkPauseTimeout(now: h.now))
        #expect(a.received() == "")
        h.advance(milliseconds: 1001)
        #expect(!h.engine.checkPauseTimeout(now: h.now))
        a.resume()
        #expect(a.received() == nullBulk)
        // A pause of 0 ms is over at once.
        #expect(h.run("CLIENT", "PAUSE", "0") == ok)
        #expect(!h.engine.checkPauseTimeout(now: h.now))
    }

    @Test("transactions: a write is held before it is queued; EXEC of writes is held, of reads runs")
    func transactions() {
        let h = EngineHarness()
        let a = h.connect(), b = h.connect()
        a.send("MULTI"); a.send("SET", "k", "v")
        b.send("MULTI"); b.send("GET", "k")
        #expect(a.received() == ok + "+QUEUED\r\n")
        h.run("CLIENT", "PAUSE", "10000", "WRITE")
        b.send("EXEC")
        #expect(b.received() == ok + "+QUEUED\r\n" + "*1\r\n" + nullBulk)
        a.send("EXEC")
        #expect(a.received() == "")
        let c = h.connect()
        c.send("MULTI"); c.send("DEL", "k")
        #expect(c.received() == ok)
        h.run("CLIENT", "UNPAUSE")
        a.resume(); c.resume()
        #expect(a.received() == "*1\r\n" + ok)
        #expect(c.received() == "+QUEUED\r\n")
    }

    @Test("a pause started inside EXEC holds nothing of that transaction")
    func pauseInsideExec() {
        let h = EngineHarness()
        h.script([("MULTI", ok), ("SET a 1", "+QUEUED\r\n"), ("CLIENT PAUSE 10000 WRITE", "+QUEUED\r\n"), ("SET b 2", "+QUEUED\r\n"),
                  ("EXEC", "*3\r\n" + ok + ok + ok), ("MGET a b", "*2\r\n" + bulk("1") + bulk("2"))])
        h.client.send("SET", "c", "3")
        #expect(h.client.received() == "")
    }

    @Test("keys past their time read as gone but stay until the pause ends")
    func expiryHeld() {
        let h = EngineHarness()
        h.run("SET", "k", "v", "PX", "10")
        h.run("CLIENT", "PAUSE", "10000", "WRITE")
        h.advance(milliseconds: 100)
        #expect(h.run("GET", "k") == nullBulk)
        #expect(h.run("EXISTS", "k") == int(0))
        h.engine.activeExpireCycle()
        #expect(h.run("DBSIZE") == int(1))
        #expect(h.run("INFO", "stats").contains("expired_keys:0"))
        h.run("CLIENT", "UNPAUSE")
        #expect(h.run("GET", "k") == nullBulk)
        #expect(h.run("DBSIZE") == int(0))
        #expect(h.run("INFO", "stats").contains("expired_keys:1"))
    }

    @Test("a held client that is killed leaves the wait")
    func killHeld() {
        let h = EngineHarness()
        let a = h.connect()
        h.run("CLIENT", "PAUSE", "10000", "WRITE")
        a.send("SET", "k", "v")
        #expect(h.run("CLIENT", "KILL", "ID", "\(a.session.id)") == int(1))
        #expect(h.run("INFO", "clients").contains("blocked_clients:0"))
        h.run("CLIENT", "UNPAUSE")
        #expect(h.run("EXISTS", "k") == int(0))
    }

    @Test("errors, in Redis's words")
    func errors() {
        let h = EngineHarness()
        h.script([
            ("CLIENT PAUSE", "-ERR wrong number of arguments for 'client|pause' command\r\n"),
            ("CLIENT PAUSE 10 foo", "-ERR CLIENT PAUSE mode must be WRITE or ALL\r\n"),
            ("CLIENT PAUSE abc", "-ERR timeout is not an integer or out of range\r\n"),
            ("CLIENT PAUSE -1", "-ERR timeout is negative\r\n"),
            ("CLIENT PAUSE 10 ALL x", "-ERR unknown subcommand or wrong number of arguments for 'PAUSE'. Try CLIENT HELP.\r\n"),
            ("CLIENT UNPAUSE x", "-ERR wrong number of arguments for 'client|unpause' command\r\n"),
            ("CLIENT UNPAUSE", ok),
        ])
    }
}
