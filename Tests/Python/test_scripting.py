"""Lua scripting and functions, beyond the reply-by-reply case files
(cases/scripting*.txt, cases/functions.txt): scripts that outrun
busy-reply-threshold, what reaches the log, and the client libraries and job
systems that depend on scripts (redis-py's Lock, a rate limiter, a Celery worker).

Where both servers can run a step, it runs on redis-server 7.0 and on SwiftKeyDB
and what a client sees is compared."""

from __future__ import annotations

import os
import subprocess
import sys
import threading
import time

import pytest
import redis

from conftest import HERE, serve_pair
from durability_support import Server
from resp_client import ReplyTimeout, RespClient, encode_command


def RespClientFor(server, timeout=30.0):
    """A raw client on a durability_support server (commands sent without waiting)."""
    return RespClient("127.0.0.1", server.port, timeout=timeout)

LOOP = "local i = 0 while true do i = i + 1 end"
WRITE_THEN_LOOP = "redis.call('set', KEYS[1], 'written') local i = 0 while true do i = i + 1 end"


@pytest.fixture
def both():
    yield from serve_pair()


def _wait_busy(client, deadline=10.0):
    """PINGs until the server answers -BUSY (the script passed the threshold)."""
    end = time.time() + deadline
    while time.time() < end:
        reply = client.call("PING")
        if reply.startswith(b"-BUSY"):
            return reply
        time.sleep(0.02)
    raise AssertionError("the server never answered -BUSY")


def _wait_busy_py(client, deadline=10.0):
    """The same through redis-py: PINGs until the server answers -BUSY."""
    end = time.time() + deadline
    while True:
        try:
            client.ping()
        except redis.exceptions.ResponseError as error:
            assert str(error).startswith("BUSY"), str(error)
            return
        assert time.time() < end, "the server never answered -BUSY"
        time.sleep(0.02)


def test_script_past_threshold_answers_busy_and_script_kill_ends_it(both):
    seen = []
    for server in both:
        admin = server.client()
        assert admin.call("CONFIG", "SET", "lua-time-limit", "50") == b"+OK\r\n"
        looper = server.client(timeout=30)
        looper.send_command("EVAL", LOOP, "0")
        other = server.client()
        busy = _wait_busy(other)
        refused = other.call("SET", "k", "v")
        # Commands flagged allow-busy still run: MULTI, then a queued command is refused.
        multi = other.call("MULTI")
        queued = other.call("GET", "k")
        discard = other.call("DISCARD")
        function_kill = other.call("FUNCTION", "KILL")
        shutdown = other.call("SHUTDOWN")
        killed = other.call("SCRIPT", "KILL")
        ended = looper.read_reply(timeout=10)
        after = other.call("PING")
        again = other.call("SCRIPT", "KILL")
        seen.append((busy, refused, multi, queued, discard, function_kill, shutdown, killed, ended, after, again))
    assert seen[0] == seen[1]
    busy, refused, *_ , killed, ended, after, again = seen[1]
    assert busy == b"-BUSY Redis is busy running a script. You can only call SCRIPT KILL or SHUTDOWN NOSAVE.\r\n"
    assert killed == b"+OK\r\n" and after == b"+PONG\r\n"
    assert ended.startswith(b"-ERR Script killed by user with SCRIPT KILL...")
    assert again == b"-NOTBUSY No scripts in execution right now.\r\n"


def test_script_kill_is_not_caught_by_pcall(both):
    """A killed script stops even when its loop runs inside pcall (once, the kill was
    caught there and the script went on to write)."""
    seen = []
    for server in both:
        server.client().call("CONFIG", "SET", "busy-reply-threshold", "50")
        # On separate lines: Redis re-raises a kill at the next line, so on one line its
        # pcall would swallow it (SwiftKeyDB's pcall re-raises it wherever it is caught).
        for script in ("pcall(function() while true do end end)\nredis.call('set', 'afterkill', '1')\nreturn 'survived'",
                       "while true do pcall(function() while true do pcall(function() while true do end end) end end) end"):
            looper = server.client(timeout=30)
            looper.send_command("EVAL", script, "0")
            other = server.client()
            _wait_busy(other)
            assert other.call("SCRIPT", "KILL") == b"+OK\r\n"
            reply = looper.read_reply(timeout=10)
            seen.append((reply.split(b" script:")[0], other.call("GET", "afterkill"), other.call("PING")))
        server.client().call("CONFIG", "SET", "busy-reply-threshold", "5000")
    assert seen[:2] == seen[2:]
    assert all(entry == (b"-ERR Script killed by user with SCRIPT KILL...", b"$-1\r\n", b"+PONG\r\n") for entry in seen)


UNYIELDABLE_LOOPS = (
    "local t = setmetatable({}, {__index = function() while true do end end}) return t.x",
    "local function forever() while true do end end for k in forever do end return 1",
    "local t = {3, 1, 2} table.sort(t, function(a, b) while true do end end) return t",
    "return string.gsub('abc', '%w', function(c) while true do end end)",
)


def test_script_kill_reaches_loops_behind_c_frames_and_inside_exec(both):
    """Loops where Lua 5.1 cannot yield (a metamethod, an iterator, table.sort's
    comparator, a gsub callback), and a loop inside MULTI/EXEC: other clients are
    answered -BUSY and SCRIPT KILL ends the loop, as on Redis."""
    seen = []
    for server in both:
        server.client().call("CONFIG", "SET", "busy-reply-threshold", "50")
        outcome = []
        for script in UNYIELDABLE_LOOPS:
            looper = server.client(timeout=30)
            looper.send_command("EVAL", script, "0")
            other = server.client()
            busy = _wait_busy(other)
            killed = other.call("SCRIPT", "KILL")
            outcome.append((busy, killed, looper.read_reply(timeout=10)))
        looper = server.client(timeout=30)
        # BGSAVE inside EXEC is only scheduled: the commands after the pause are still inside it.
        for command in (("MULTI",), ("SET", "before", "1"), ("EVAL", LOOP, "0"), ("SET", "after", "2"), ("BGSAVE",), ("EXEC",)):
            looper.send_command(*command)
        other = server.client()
        busy = _wait_busy(other)
        refused_exec = [other.call("MULTI"), other.call("GET", "before"), other.call("EXEC")]
        killed = other.call("SCRIPT", "KILL")
        replies = [looper.read_reply(timeout=10) for _ in range(6)]
        outcome.append((busy, refused_exec, killed, replies, other.call("MGET", "before", "after")))
        server.client().call("CONFIG", "SET", "busy-reply-threshold", "5000")
        seen.append(outcome)
    assert seen[0] == seen[1]
    for busy, killed, ended in seen[1][:-1]:
        assert busy.startswith(b"-BUSY") and killed == b"+OK\r\n"
        assert ended.startswith(b"-ERR Script killed by user with SCRIPT KILL...")
    busy, refused_exec, killed, replies, values = seen[1][-1]
    assert refused_exec[2].startswith(b"-EXECABORT Transaction discarded because of: BUSY")
    assert replies[5].startswith(b"*4\r\n+OK\r\n-ERR Script killed by user")
    assert replies[5].endswith(b"+OK\r\n+Background saving scheduled\r\n")
    assert values == b"*2\r\n$1\r\n1\r\n$1\r\n2\r\n"


def test_client_reply_off_silences_a_paused_scripts_reply(both):
    seen = []
    for server in both:
        server.client().call("CONFIG", "SET", "busy-reply-threshold", "20")
        caller = server.client(timeout=30)
        script = "local t = redis.call('time') local s = t[1] * 1000000 + t[2] " \
                 "while true do local n = redis.call('time') if (n[1] * 1000000 + n[2]) - s > 300000 then break end end " \
                 "return 'SCRIPT-REPLY'"
        for command in (("CLIENT", "REPLY", "OFF"), ("EVAL", script, "0"), ("CLIENT", "REPLY", "ON"), ("PING",)):
            caller.send_command(*command)
        seen.append([caller.read_reply(timeout=10), caller.read_reply(timeout=10)])
        server.client().call("CONFIG", "SET", "busy-reply-threshold", "5000")
    assert seen[0] == seen[1] == [b"+OK\r\n", b"+PONG\r\n"]


def test_caller_pipeline_waits_for_its_script(both):
    """Commands the caller pipelined behind a paused script run after it, in order."""
    seen = []
    for server in both:
        server.client().call("CONFIG", "SET", "busy-reply-threshold", "20")
        caller = server.client(timeout=30)
        script = "local t = redis.call('time') local s = t[1] * 1000000 + t[2] " \
                 "while true do local n = redis.call('time') if (n[1] * 1000000 + n[2]) - s > 2000000 then break end end " \
                 "return redis.call('incr', 'order')"  # 2 s: long enough to be seen -BUSY on a loaded machine
        caller.send_command("EVAL", script, "0")
        caller.send_command("INCR", "order")
        other = server.client()
        _wait_busy(other)
        replies = [caller.read_reply(timeout=10), caller.read_reply(timeout=10)]
        seen.append((replies, other.call("GET", "order")))
    assert seen[0] == seen[1] == ([b":1\r\n", b":2\r\n"], b"$1\r\n2\r\n")


def test_caller_sending_more_does_not_starve_others(sut_server):
    """Commands the caller sends while its script is paused wait unread; they must not
    give the script extra slices (each read once started another chain of them, and
    with 200 reads the loop spent seconds in the script between other clients)."""
    sut_server.require()
    admin = sut_server.client()
    assert admin.call("CONFIG", "SET", "busy-reply-threshold", "20") == b"+OK\r\n"
    caller = sut_server.client(timeout=30)
    caller.send_command("EVAL", LOOP, "0")
    other = sut_server.client()
    _wait_busy(other)
    for _ in range(200):
        caller.send_command("PING")
        time.sleep(0.002)
    slowest = 0.0
    for _ in range(5):
        started = time.monotonic()
        assert other.call("PING").startswith(b"-BUSY")
        slowest = max(slowest, time.monotonic() - started)
    assert other.call("SCRIPT", "KILL") == b"+OK\r\n"
    assert caller.read_reply(timeout=10).startswith(b"-ERR Script killed by user")
    assert all(caller.read_reply(timeout=10) == b"+PONG\r\n" for _ in range(200))
    # A paused script takes 10 ms slices with a 1 ms gap: one chain answers in milliseconds.
    assert slowest < 1.0, f"another client waited {slowest:.2f} s for -BUSY"
    admin.call("CONFIG", "SET", "busy-reply-threshold", "5000")


def test_script_that_wrote_is_unkillable_and_shutdown_nosave_leaves_it_out(tmp_path):
    """A paused script that wrote cannot be killed; SHUTDOWN NOSAVE ends the server and
    nothing of the script reaches the log, so a restart shows none of it."""
    server = Server("sut", tmp_path / "data", tmp_path / "logs", ["--save", ""]).start()
    try:
        c = server.client()
        c.set("before", "1")
        c.config_set("busy-reply-threshold", "50")
        raw = redis.Redis(host="127.0.0.1", port=server.port, protocol=2, socket_timeout=30)
        errors = []

        def run_script():
            try:
                raw.eval(WRITE_THEN_LOOP, 1, "partial")
            except redis.exceptions.ConnectionError as error:
                errors.append(error)

        thread = threading.Thread(target=run_script)
        thread.start()
        _wait_busy_py(c)
        with pytest.raises(redis.exceptions.ResponseError, match="UNKILLABLE Sorry the script already executed write commands"):
            c.script_kill()
        with pytest.raises(redis.exceptions.ResponseError, match="BUSY"):
            c.execute_command("SHUTDOWN")
        assert server.shutdown("NOSAVE") == 0
        thread.join(10)
        assert errors, "the script's caller should see its connection close"
        server.start()
        c = server.client()
        assert c.get("before") == b"1"
        assert c.get("partial") is None
    finally:
        server.cleanup()


def test_write_acknowledged_before_a_paused_script_survives_a_crash(tmp_path):
    """A SET run in the same batch as a script that then pauses is in the log at once
    (appendfsync always); the paused script's own write is not. Once, the whole
    buffer waited for the script, and a crash lost the SET. Its reply waits for the
    script, as Redis holds a script's caller's output until the script ends."""
    server = Server("sut", tmp_path / "data", tmp_path / "logs",
                    ["--save", "", "--appendfsync", "always", "--busy-reply-threshold", "50"]).start()
    try:
        raw = server.client()
        client = RespClientFor(server)
        # One write, so both arrive in one read (two writes may be read apart, and the
        # SET answered before the script starts).
        client.send(encode_command(("SET", "acked", "1")) + encode_command(("EVAL", WRITE_THEN_LOOP, "1", "partial")))
        _wait_busy_py(raw)
        with pytest.raises(ReplyTimeout):
            client.read_reply(timeout=0.3)
        server.kill()
        server.start()
        c = server.client()
        assert c.get("acked") == b"1"
        assert c.get("partial") is None
    finally:
        server.cleanup()


def test_sigterm_waits_for_a_paused_script(tmp_path):
    """SIGTERM during a paused script lets it finish before the final save, as Redis
    does: the restarted server has all of the script's writes, never half."""
    server = Server("sut", tmp_path / "data", tmp_path / "logs", ["--appendonly", "no", "--busy-reply-threshold", "50"]).start()
    try:
        client = RespClientFor(server)
        script = ("redis.call('set', 'first', 1) local t = redis.call('time') local s = t[1] * 1000000 + t[2] "
                  "while true do local n = redis.call('time') if n[1] * 1000000 + n[2] - s > 1500000 then break end end "
                  "redis.call('set', 'second', 2) return 'done'")
        client.send_command("EVAL", script, "0")
        raw = server.client()
        _wait_busy_py(raw)
        assert server.terminate() == 0
        server.start()
        c = server.client()
        assert (c.get("first"), c.get("second")) == (b"1", b"2")
    finally:
        server.cleanup()


def test_script_effects_are_logged_as_writes(tmp_path):
    """The log holds what a script did, never the script: replay runs no Lua."""
    server = Server("sut", tmp_path / "data", tmp_path / "logs", ["--save", "", "--appendfsync", "always"]).start()
    try:
        c = server.client()
        sha = c.script_load("redis.call('set', KEYS[1], ARGV[1]) redis.call('incr', KEYS[2]) "
                            "redis.call('rpush', KEYS[3], math.random(1000)) return 1")
        assert c.evalsha(sha, 3, "name", "counter", "rolls", "value") == 1
        assert c.eval("redis.set_repl(redis.REPL_NONE) redis.call('set', 'unlogged', 1) return 1", 0) == 1
        assert c.eval("return redis.call('set', 'single', 1)", 0) == b"OK"
        rolled = c.lrange("rolls", 0, -1)
        log = b"".join(p.read_bytes() for p in (tmp_path / "data" / "appendonlydir").glob("*.incr.aof"))
        assert b"EVAL" not in log.upper() and b"math.random" not in log
        # Several writes are one unit: MULTI ... EXEC around them.
        assert b"MULTI" in log and b"EXEC" in log and b"unlogged" not in log
        server.terminate()
        server.start()
        c = server.client()
        assert c.get("name") == b"value" and c.get("counter") == b"1" and c.lrange("rolls", 0, -1) == rolled
        assert c.get("single") == b"1"
        assert c.get("unlogged") is None
        # The script cache is not persisted, as in Redis.
        assert c.script_exists(sha) == [False]
    finally:
        server.cleanup()


def test_functions_survive_a_restart(tmp_path):
    server = Server("sut", tmp_path / "data", tmp_path / "logs", ["--save", ""]).start()
    try:
        c = server.client()
        c.function_load("#!lua name=counter\nredis.register_function('bump', function(keys) return redis.call('incr', keys[1]) end)")
        assert c.fcall("bump", 1, "n") == 1
        server.terminate()
        server.start()
        c = server.client()
        assert c.fcall("bump", 1, "n") == 2
        assert [lib[b"library_name"] if isinstance(lib, dict) else lib[1] for lib in c.function_list()] == [b"counter"]
    finally:
        server.cleanup()


# --- what clients build on scripts ------------------------------------------------------


def _redis_py(server):
    return redis.Redis(host=server.host, port=server.port, protocol=2, socket_timeout=10)


def test_redis_py_lock(both):
    for server in both:
        client = _redis_py(server)
        lock = client.lock("resource", timeout=5)
        assert lock.acquire(blocking=False)
        assert not client.lock("resource", timeout=5).acquire(blocking=False)
        assert lock.extend(10)
        assert 9000 < client.pttl("resource") <= 15000
        assert lock.reacquire()
        lock.release()
        assert client.get("resource") is None
        # A lock taken over by someone else cannot be released or extended by its old owner.
        stale = client.lock("resource", timeout=5)
        assert stale.acquire(blocking=False)
        client.set("resource", "someone-else")
        with pytest.raises(redis.exceptions.LockNotOwnedError):
            stale.extend(5)
        with pytest.raises(redis.exceptions.LockNotOwnedError):
            stale.release()
        client.delete("resource")

        # Contention: each of several threads increments under the lock.
        client.set("shared", 0)

        def worker():
            own = _redis_py(server)
            for _ in range(20):
                with own.lock("resource", timeout=5, blocking_timeout=10):
                    value = int(own.get("shared"))
                    own.set("shared", value + 1)

        threads = [threading.Thread(target=worker) for _ in range(4)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(30)
        assert client.get("shared") == b"80"
        client.delete("shared")


SLIDING_WINDOW = """
local key, now, window, limit = KEYS[1], tonumber(ARGV[1]), tonumber(ARGV[2]), tonumber(ARGV[3])
redis.call('ZREMRANGEBYSCORE', key, '-inf', now - window)
if redis.call('ZCARD', key) < limit then
    redis.call('ZADD', key, now, ARGV[4])
    redis.call('PEXPIRE', key, window)
    return {1, limit - redis.call('ZCARD', key)}
end
return {0, 0}
"""


def test_sliding_window_rate_limiter(both):
    decisions = []
    for server in both:
        client = _redis_py(server)
        limiter = client.register_script(SLIDING_WINDOW)
        run = []
        # Times are given, so both servers see the same clock: 5 per 1000 ms.
        for step, now in enumerate([0, 100, 200, 300, 400, 500, 900, 1150, 1160, 1900, 2000]):
            run.append(limiter(keys=["rate:user"], args=[now, 1000, 5, f"req{step}"]))
        decisions.append(run)
        assert client.pttl("rate:user") > 0
        client.delete("rate:user")
    assert decisions[0] == decisions[1]
    assert [allowed for allowed, _ in decisions[1]] == [1, 1, 1, 1, 1, 0, 0, 1, 1, 1, 1]


def test_celery_worker_processes_jobs(both):
    """A Celery worker (kombu's Redis transport runs its bookkeeping as scripts) takes
    jobs from the server and stores their results there."""
    server = both[1]
    env = dict(os.environ, SKDB_BROKER=f"redis://{server.host}:{server.port}/0",
               PYTHONPATH=str(HERE / "support"))
    worker = subprocess.Popen([sys.executable, "-m", "celery", "-A", "celery_jobs", "worker", "--pool=solo",
                               "--concurrency=1", "--loglevel=warning", "--without-heartbeat",
                               "--without-gossip", "--without-mingle"],
                              env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    try:
        result = subprocess.run([sys.executable, "-c",
                                 "from celery_jobs import add\n"
                                 "pending = [add.delay(i, i) for i in range(25)]\n"
                                 "print([job.get(timeout=30) for job in pending])\n"],
                                env=env, capture_output=True, text=True, timeout=90)
        assert result.returncode == 0, result.stderr[-2000:]
        assert result.stdout.strip() == str([2 * i for i in range(25)])
        stats = server.client().call("INFO", "commandstats").decode()
        assert "cmdstat_evalsha:calls=" in stats, "the worker's scripts never ran"
    finally:
        worker.terminate()
        try:
            worker.wait(15)
        except subprocess.TimeoutExpired:
            worker.kill()
