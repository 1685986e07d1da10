import KeyDBEngine
import KeyDBRESP
import Testing

/// Lua scripting without sockets: values crossing between RESP and Lua, the
/// sandbox, the script cache, what reaches the log, and a script pausing past
/// busy-reply-threshold. Texts as redis-server 7.0.15 gives them (the case files
/// Tests/Python/cases/scripting*.txt and functions.txt compare many more).
@Suite("scripting")
struct ScriptingTests {
    @Test("Lua values become Redis's replies")
    func luaToRESP() {
        let h = EngineHarness()
        h.script([
            ("EVAL \"return 'hi'\" 0", "$2\r\nhi\r\n"),
            ("EVAL \"return 3.99\" 0", ":3\r\n"),
            ("EVAL \"return -3.99\" 0", ":-3\r\n"),
            ("EVAL \"return true\" 0", ":1\r\n"),
            ("EVAL \"return false\" 0", "$-1\r\n"),
            ("EVAL \"return nil\" 0", "$-1\r\n"),
            ("EVAL \"return {1, 'a', {2}}\" 0", "*3\r\n:1\r\n$1\r\na\r\n*1\r\n:2\r\n"),
            ("EVAL \"return {1, nil, 3}\" 0", "*1\r\n:1\r\n"),
            ("EVAL \"return {ok = 'FINE'}\" 0", "+FINE\r\n"),
            ("EVAL \"return {err = 'MY bad'}\" 0", "-MY bad\r\n"),
            ("EVAL \"return {double = 1.5}\" 0", "$3\r\n1.5\r\n"),
            ("EVAL \"return redis.error_reply('oops')\" 0", "-ERR oops\r\n"),
            ("EVAL \"return redis.status_reply('PONG')\" 0", "+PONG\r\n"),
            ("EVAL \"return {KEYS[1], ARGV[1]}\" 1 k a", "*2\r\n$1\r\nk\r\n$1\r\na\r\n"),
        ])
    }

    @Test("replies become Lua values")
    func respToLua() {
        let h = EngineHarness()
        h.run("SET", "s", "text")
        h.script([
            ("EVAL \"return type(redis.call('get', 'missing'))\" 0", "$7\r\nboolean\r\n"),
            ("EVAL \"return type(redis.call('incr', 'n'))\" 0", "$6\r\nnumber\r\n"),
            ("EVAL \"return redis.call('ping')['ok']\" 0", "$4\r\nPONG\r\n"),
            ("EVAL \"return redis.pcall('incr', 's')['err']\" 0", "$43\r\nERR value is not an integer or out of range\r\n"),
            ("EVAL \"return redis.call('set', 'pi', 3.14159265358979)\" 0", "+OK\r\n"),
            ("GET pi", "$16\r\n3.14159265358979\r\n"),
        ])
    }

    @Test("errors name the script and the line, as Redis's do")
    func errorReplies() {
        let h = EngineHarness()
        h.run("SET", "s", "text")
        let sha = "70abbef89e172316f9219e67e313f248a5b98d9b"
        h.script([
            ("EVAL \"return redis.call('incr', 's')\" 0",
             "-ERR value is not an integer or out of range script: \(sha), on @user_script:1.\r\n"),
            ("EVAL \"return 1 +\" 0", "-ERR Error compiling script (new function): user_script:1: unexpected symbol near '<eof>'\r\n"),
            ("EVAL \"return redis.call('nosuch')\" 0",
             "-ERR Unknown Redis command called from script script: 206396248e12c6e742fd7296250433c8d7343b74, on @user_script:1.\r\n"),
            ("EVAL \"return 1\" 2 a", "-ERR Number of keys can't be greater than number of args\r\n"),
            ("EVAL \"return 1\" -1", "-ERR Number of keys can't be negative\r\n"),
            ("EVALSHA 0000000000000000000000000000000000000000 0", "-NOSCRIPT No matching script. Please use EVAL.\r\n"),
        ])
    }

    @Test("the sandbox: globals and libraries are read-only, the file system unreachable")
    func sandbox() {
        let h = EngineHarness()
        let readonly = "Attempt to modify a readonly table"
        #expect(h.run(line: "EVAL \"x = 1\" 0").contains("user_script:1: \(readonly)"))
        #expect(h.run(line: "EVAL \"redis.call = nil\" 0").contains(readonly))
        #expect(h.run(line: "EVAL \"rawset(_G, 'x', 1)\" 0").hasPrefix("-ERR \(readonly) script:"))
        #expect(h.run(line: "EVAL \"setmetatable(_G, {})\" 0").hasPrefix("-ERR \(readonly) script:"))
        #expect(h.run(line: "EVAL \"getmetatable(_G).__index = {}\" 0").contains(readonly))
        #expect(h.run(line: "EVAL \"return os\" 0").contains("Script attempted to access nonexistent global variable 'os'"))
        #expect(h.run(line: "EVAL \"dofile('/etc/passwd')\" 0").contains("nonexistent global variable 'dofile'"))
        #expect(h.run(line: "EVAL \"return loadstring(string.dump(function() return 1 end))()\" 0").contains("attempt to call a nil value"))
        // A global set by one script is never seen by the next.
        h.run(line: "EVAL \"pcall(function() y = 1 end)\" 0")
        #expect(h.run(line: "EVAL \"return y\" 0").contains("nonexistent global variable 'y'"))
    }

    @Test("no script changes what the next one sees, through metatables, strings' methods or environments")
    func sandboxHoldsAcrossScripts() {
        let h = EngineHarness()
        for attempt in ["getmetatable(redis).__index.call = function() return 'HIJACKED' end",
                        "getmetatable(_G).__index.newglobal = 42",
                        "getmetatable('').__index.upper = function() return 'EVIL' end",
                        "getmetatable(getmetatable(_G)).__index.x = 1",
                        "setfenv(0, {})", "getfenv(1).x = 1"] {
            #expect(h.run("EVAL", attempt, "0").hasPrefix("-ERR"), "\(attempt)")
        }
        #expect(h.run("EVAL", "return redis.call('ping')", "0") == "+PONG\r\n")
        #expect(h.run("EVAL", "return newglobal", "0").contains("nonexistent global variable 'newglobal'"))
        #expect(h.run("EVAL", "return ('abc'):upper() .. string.upper('d')", "0") == "$4\r\nABCD\r\n")
    }

    @Test("inputs that crash Debian's unpatched Lua libraries are refused")
    func hardenedLibraries() {
        let h = EngineHarness()
        #expect(h.run("EVAL", "return #{unpack({}, -2147483648, 2147483647)}", "0").contains("too many results to unpack"))
        #expect(h.run("EVAL", "return {unpack({1, 2, 3}, 2)}", "0") == "*2\r\n:2\r\n:3\r\n")
        #expect(h.run("EVAL", "return bit.tohex(65535, -2147483648)", "0") == "$8\r\n0000FFFF\r\n")
        #expect(h.run("EVAL", "return bit.tohex(65535, 2147483648)", "0") == "$8\r\n0000FFFF\r\n")
        #expect(h.run("EVAL", "return bit.tohex(255, 4)", "0") == "$4\r\n00ff\r\n")
        #expect(h.run("EVAL", "return cjson.encode({a = 'x'})", "0") == "$9\r\n{\"a\":\"x\"}\r\n")
    }

    @Test("pcall and coroutines behave as Lua's, with Redis 7's error text for tables")
    func protectedCallsAndCoroutines() {
        let h = EngineHarness()
        h.script([
            ("EVAL \"return {pcall(function() error({err = 'TAB x'}) end)}\" 0", "*2\r\n$-1\r\n$5\r\nTAB x\r\n"),
            ("EVAL \"return {pcall(function(a, b) return a + b end, 2, 3)}\" 0", "*2\r\n:1\r\n:5\r\n"),
            ("EVAL \"return {pcall(error)}\" 0", "*1\r\n$-1\r\n"),
            ("EVAL \"local co = coroutine.wrap(function(a) local b = coroutine.yield(a + 1) return b * 2 end) return {co(1), co(10)}\" 0",
             "*2\r\n:2\r\n:20\r\n"),
        ])
    }

    @Test("redis.sha1hex: the FIPS 180 examples, across one and two final blocks")
    func sha1Vectors() {
        let h = EngineHarness()
        let million = String(repeating: "a", count: 1_000_000)
        #expect(h.value("EVAL", "return redis.sha1hex(ARGV[1])", "0", "abc").string == "a9993e364706816aba3e25717850c26c9cd0d89d")
        #expect(h.value("EVAL", "return redis.sha1hex(ARGV[1])", "0", "abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq").string
            == "84983e441c3bd26ebaae4aa1f95129e5e54670f1")
        #expect(h.value("EVAL", "return redis.sha1hex(ARGV[1])", "0", million).string == "34aa973cd4c4daa4f61eeb2bdbad27316534016f")
        #expect(h.value("EVAL", "return redis.sha1hex('')", "0").string == "da39a3ee5e6b4b0d3255bfef95601890afd80709")
    }

    @Test("SCRIPT LOAD, EXISTS and FLUSH")
    func scriptCache() {
        let h = EngineHarness()
        let sha = h.value("SCRIPT", "LOAD", "return 'cached'").string!
        #expect(sha == "952f49ffc8f7b098d8ab5da45d3164ca36ed18b1")
        #expect(h.run("EVALSHA", sha, "0") == "$6\r\ncached\r\n")
        #expect(h.run("EVALSHA", sha.uppercased(), "0") == "$6\r\ncached\r\n")
        #expect(h.run("SCRIPT", "EXISTS", sha, "ffffffffffffffffffffffffffffffffffffffff") == "*2\r\n:1\r\n:0\r\n")
        #expect(h.run("SCRIPT", "FLUSH") == "+OK\r\n")
        #expect(h.run("EVALSHA", sha, "0") == "-NOSCRIPT No matching script. Please use EVAL.\r\n")
        #expect(h.run("SCRIPT", "FLUSH", "LATER") == "-ERR SCRIPT FLUSH only support SYNC|ASYNC option\r\n")
    }

    @Test("a script's writes are logged as writes, framed as one unit; the script never is")
    func effectsReachTheLog() {
        let h = EngineHarness()
        let feed = AppendOnlyFeed()
        h.engine.appendOnlyFeed = feed
        h.run("EVAL", "redis.call('set', KEYS[1], 'v') redis.call('incr', 'n') redis.call('get', 'n') return 1", "1", "k")
        let logged = feed.buffer.getString(at: feed.buffer.readerIndex, length: feed.buffer.readableBytes)!
        #expect(logged.hasSuffix("*1\r\n$5\r\nMULTI\r\n*3\r\n$3\r\nset\r\n$1\r\nk\r\n$1\r\nv\r\n*2\r\n$4\r\nincr\r\n$1\r\nn\r\n*1\r\n$4\r\nEXEC\r\n"))
        #expect(!logged.contains("EVAL") && !logged.contains("get"))
        feed.buffer.clear()
        h.run("EVAL", "redis.set_repl(redis.REPL_NONE) redis.call('set', 'quiet', 1) return 1", "0")
        #expect(feed.buffer.readableBytes == 0)
        h.run("EVAL_RO", "return redis.call('get', 'k')", "0")
        #expect(feed.buffer.readableBytes == 0)
    }

    @Test("read-only scripts refuse writes; shebang flags apply")
    func readOnly() {
        let h = EngineHarness()
        #expect(h.run(line: "EVAL_RO \"return redis.call('set', 'k', 'v')\" 0").hasPrefix("-ERR Write commands are not allowed from read-only scripts. script:"))
        #expect(h.run(line: "EVAL \"#!lua flags=no-writes\nreturn redis.call('set', 'k', 'v')\" 0").hasPrefix("-ERR Write commands are not allowed from read-only scripts."))
        #expect(h.run(line: "EVAL_RO \"#!lua\nreturn 1\" 0") == "-ERR Can not execute a script with write flag using *_ro command.\r\n")
        #expect(h.run(line: "EVAL \"#!lua flags=bogus\nreturn 1\" 0") == "-ERR Unexpected flag in script shebang: bogus\r\n")
        #expect(h.run("EXISTS", "k") == ":0\r\n")
    }

    @Test("a script past busy-reply-threshold pauses: others get -BUSY, SCRIPT KILL ends it")
    func pauseAndKill() {
        let h = Self.busyAfter5ms()
        let other = h.connect()
        // The caller's command returns with the script paused: no reply yet.
        #expect(h.run("EVAL", "local i = 0 while true do i = i + 1 end", "0") == "")
        #expect(h.session.runsScript)
        #expect(other.run("GET", "k") == "-BUSY Redis is busy running a script. You can only call SCRIPT KILL or SHUTDOWN NOSAVE.\r\n")
        #expect(other.run("FUNCTION", "KILL") == "-BUSY Redis is busy running a script. You can only call SCRIPT KILL or SHUTDOWN NOSAVE.\r\n")
        #expect(other.run("SCRIPT", "KILL") == "+OK\r\n")
        h.engine.scripting.continueScript(of: h.session)
        #expect(!h.session.runsScript)
        #expect(h.client.takeDelivered().hasPrefix("-ERR Script killed by user with SCRIPT KILL... script:"))
        #expect(other.run("PING") == "+PONG\r\n")
        #expect(other.run("SCRIPT", "KILL") == "-NOTBUSY No scripts in execution right now.\r\n")
    }

    @Test("a script pauses and can be killed wherever it loops, C frames in between or not",
          arguments: [
              "local t = setmetatable({}, {__index = function() while true do end end}) return t.x",
              "local function forever() while true do end end for k in forever do end return 1",
              "local t = {3, 1, 2} table.sort(t, function(a, b) while true do end end) return t",
              "return string.gsub('abc', '%w', function(c) while true do end end)",
              "local co = coroutine.wrap(function() while true do end end) co() return 1",
              "local ok = pcall(function() while true do end end) redis.call('set', 'x', 1) return ok",
              "return xpcall(function() while true do end end, function(e) return e end)",
          ])
    func pausesAnywhere(script: String) {
        let h = Self.busyAfter5ms()
        let other = h.connect()
        #expect(h.run("EVAL", script, "0") == "")
        #expect(other.run("PING").hasPrefix("-BUSY"))
        #expect(other.run("SCRIPT", "KILL") == "+OK\r\n")
        Self.runToEnd(h)
        #expect(h.client.takeDelivered().hasPrefix("-ERR Script killed by user with SCRIPT KILL... script:"))
        // Killed where it looped: nothing after the caught kill ran.
        #expect(other.run("EXISTS", "x") == ":0\r\n")
    }

    @Test("a script inside EXEC pauses too; the rest of the transaction runs after it, logged as one unit")
    func pausesInsideExec() {
        let h = Self.busyAfter5ms()
        let feed = AppendOnlyFeed()
        h.engine.appendOnlyFeed = feed
        let other = h.connect()
        // It writes first, so SCRIPT KILL cannot stop it: only the loop after it is killed.
        let slow = "redis.call('set', 'c', 3) " + Self.spin(microseconds: 200_000) + " return 'slow'"
        h.run("MULTI")
        h.run("SET", "a", "1")
        h.run("EVAL", slow, "0")
        h.run("EVAL", "local i = 0 while true do i = i + 1 end", "0")
        h.run("SET", "b", "2")
        // The commands before the script answered; the rest waits for it.
        #expect(h.run("EXEC") == "*4\r\n+OK\r\n")
        #expect(h.session.runsScript)
        #expect(feed.unitOpen)
        #expect(other.run("GET", "a").hasPrefix("-BUSY"))
        while other.run("SCRIPT", "KILL") != "+OK\r\n" { h.engine.scripting.continueScript(of: h.session) }
        Self.runToEnd(h)
        let rest = h.client.takeDelivered()
        #expect(rest.hasPrefix("$4\r\nslow\r\n-ERR Script killed by user with SCRIPT KILL... script:"))
        #expect(rest.hasSuffix("+OK\r\n"))
        #expect(!feed.unitOpen)
        let logged = feed.buffer.getString(at: feed.buffer.readerIndex, length: feed.buffer.readableBytes)!
        #expect(logged.hasSuffix("*1\r\n$5\r\nMULTI\r\n*3\r\n$3\r\nSET\r\n$1\r\na\r\n$1\r\n1\r\n*3\r\n$3\r\nset\r\n$1\r\nc\r\n$1\r\n3\r\n*3\r\n$3\r\nSET\r\n$1\r\nb\r\n$1\r\n2\r\n*1\r\n$4\r\nEXEC\r\n"))
        #expect(other.run("MGET", "a", "b") == "*2\r\n$1\r\n1\r\n$1\r\n2\r\n")
        // EXEC counts once, and so does each script in it: the killed one as failed.
        let stats = other.run("INFO", "commandstats").split(separator: "\r\n")
        let eval = stats.first { $0.hasPrefix("cmdstat_eval:") }.map(String.init) ?? ""
        let exec = stats.first { $0.hasPrefix("cmdstat_exec:") }.map(String.init) ?? ""
        #expect(eval.hasPrefix("cmdstat_eval:calls=2,") && eval.hasSuffix("rejected_calls=0,failed_calls=1"), "\(eval)")
        #expect(exec.hasPrefix("cmdstat_exec:calls=1,") && exec.hasSuffix("rejected_calls=0,failed_calls=0"), "\(exec)")
    }

    @Test("a script that paused counts as one call with its whole time: commandstats and the slow log")
    func pausedScriptIsAccountedWhole() {
        let h = Self.busyAfter5ms()
        let other = h.connect()
        h.run("CONFIG", "SET", "slowlog-log-slower-than", "100000")
        let script = Self.spin(microseconds: 150_000) + " return 1"
        #expect(h.run("EVAL", script, "0") == "")
        #expect(other.run("PING").hasPrefix("-BUSY"))
        Self.runToEnd(h)
        #expect(h.client.takeDelivered() == ":1\r\n")
        let stats = h.run("INFO", "commandstats")
        let line = stats.split(separator: "\r\n").first { $0.hasPrefix("cmdstat_eval:") }.map(String.init) ?? ""
        #expect(line.hasPrefix("cmdstat_eval:calls=1,usec="), "\(line)")
        let usec = Int(line.split(separator: ",")[1].dropFirst(5)) ?? 0
        #expect(usec >= 150_000, "the whole run, not its first slice: \(usec)")
        #expect(line.hasSuffix("rejected_calls=0,failed_calls=0"))
        // The slow log holds it once, with its whole time.
        #expect(h.run("SLOWLOG", "LEN") == ":1\r\n")
        #expect(h.run("SLOWLOG", "GET").contains("$4\r\nEVAL\r\n"))
    }

    @Test("a refused EXEC discards the transaction, even while a script is busy")
    func refusedExecDiscards() {
        let h = Self.busyAfter5ms()
        let other = h.connect()
        #expect(h.run("EVAL", "local i = 0 while true do i = i + 1 end", "0") == "")
        #expect(other.run("MULTI") == "+OK\r\n")
        #expect(other.run("GET", "k").hasPrefix("-BUSY"))
        #expect(other.run("EXEC") == "-EXECABORT Transaction discarded because of: BUSY Redis is busy running a script. You can only call SCRIPT KILL or SHUTDOWN NOSAVE.\r\n")
        #expect(other.run("SCRIPT", "KILL") == "+OK\r\n")
        Self.runToEnd(h)
        #expect(other.run("EXEC") == "-ERR EXEC without MULTI\r\n")
    }

    @Test("a paused script that wrote cannot be killed; its writes are logged as one unit when it ends")
    func pausedWriterIsUnkillable() {
        let h = Self.busyAfter5ms()
        let feed = AppendOnlyFeed()
        h.engine.appendOnlyFeed = feed
        let other = h.connect()
        let script = "redis.call('set', 'a', 1) " + Self.spin(microseconds: 300_000) + " redis.call('set', 'b', 2) return 'done'"
        h.run("SET", "acked", "1")
        let acked = feed.buffer.readableBytes
        #expect(h.run("EVAL", script, "0") == "")
        #expect(other.run("SCRIPT", "KILL").hasPrefix("-UNKILLABLE Sorry the script already executed write commands"))
        #expect(feed.unitOpen, "the unit stays open while the script is paused")
        // What finished before the script may go to the log; the script's own records may not.
        #expect(feed.settledBytes == acked)
        Self.runToEnd(h)
        #expect(h.client.takeDelivered() == "$4\r\ndone\r\n")
        let logged = feed.buffer.getString(at: feed.buffer.readerIndex, length: feed.buffer.readableBytes)!
        #expect(logged.contains("MULTI") && logged.hasSuffix("*1\r\n$4\r\nEXEC\r\n"))
        #expect(!feed.unitOpen)
        #expect(other.run("GET", "b") == "$1\r\n2\r\n")
    }

    @Test("functions: load, call case-insensitively, list, delete")
    func functions() {
        let h = EngineHarness()
        let code = "#!lua name=lib\nredis.register_function('Hello', function(keys, args) return 'hi ' .. args[1] end)"
        #expect(h.run("FUNCTION", "LOAD", code) == "$3\r\nlib\r\n")
        #expect(h.run("FCALL", "hello", "0", "you") == "$6\r\nhi you\r\n")
        #expect(h.run("FUNCTION", "LOAD", code) == "-ERR Library 'lib' already exists\r\n")
        #expect(h.run("FUNCTION", "LIST").contains("Hello"))
        #expect(h.run("FUNCTION", "DELETE", "lib") == "+OK\r\n")
        #expect(h.run("FCALL", "Hello", "0") == "-ERR Function not found\r\n")
        #expect(h.run("FUNCTION", "LOAD", "#!lua name=x\nreturn 1") == "-ERR No functions registered\r\n")
    }

    @Test("FUNCTION DUMP and RESTORE round-trip, and refuse a damaged payload")
    func dumpAndRestore() {
        let h = EngineHarness()
        h.run("FUNCTION", "LOAD", "#!lua name=a\nredis.register_function('fa', function() return 1 end)")
        let dump = RESPValue.decode(h.run(bytes: Array("FUNCTION".utf8), Array("DUMP".utf8)))
        guard case .bulk(let payload?) = dump else { Issue.record("no payload"); return }
        h.run("FUNCTION", "FLUSH")
        #expect(h.run(bytes: Array("FUNCTION".utf8), Array("RESTORE".utf8), payload) == Array("+OK\r\n".utf8))
        #expect(h.run("FCALL", "fa", "0") == ":1\r\n")
        var damaged = payload
        damaged[damaged.count - 1] ^= 0xFF
        #expect(h.run(bytes: Array("FUNCTION".utf8), Array("RESTORE".utf8), damaged) == Array("-ERR DUMP payload version or checksum are wrong\r\n".utf8))
        #expect(h.run(bytes: Array("FUNCTION".utf8), Array("RESTORE".utf8), payload) == Array("-ERR Library a already exists\r\n".utf8))
    }

    // MARK: - Busy scripts

    /// A harness whose scripts pause past 5 ms.
    static func busyAfter5ms() -> EngineHarness {
        var configuration = Configuration()
        configuration.busyReplyThreshold = 5
        return EngineHarness(configuration: configuration)
    }

    /// Lua that loops for `microseconds` of the server's TIME, then goes on. Each turn runs
    /// a few thousand Lua instructions besides its TIME call, so the count hook (every 100,000)
    /// fires often however slow redis.call is (a debug build's TIME took ~30 µs: too few turns).
    static func spin(microseconds: Int) -> String {
        "local t = redis.call('time') local s = t[1] * 1000000 + t[2] "
            + "while true do for i = 1, 2000 do end local n = redis.call('time') "
            + "if n[1] * 1000000 + n[2] - s > \(microseconds) then break end end"
    }

    /// Continues the caller's paused command until it ends.
    static func runToEnd(_ h: EngineHarness) {
        while h.session.runsScript { h.engine.scripting.continueScript(of: h.session) }
    }
}
