"""CLIENT KILL / PAUSE / UNPAUSE / NO-EVICT / NO-TOUCH and OBJECT, side by side with redis-server 7.0.

Each test runs the same steps against a fresh reference server and a fresh
SwiftKeyDB (its own pair: kills and pauses reach every client of a server) and
compares what the clients see: reply bytes, which connections close, and
whether a reply waits for a pause. Waits are generous (a held reply is checked
absent for 0.3 s and expected within 2 s of the pause ending) so load does not flake them.
"""

from __future__ import annotations

import re
import time

import pytest

from conftest import serve_pair
from resp_client import ReplyTimeout, RespClient


@pytest.fixture
def pair():
    yield from serve_pair()


def _field(text: bytes, name: str) -> str:
    match = re.search(rf"(?:^|[ \r\n]){re.escape(name)}[=:]([^ \r\n]*)", text.decode())
    assert match, f"{name} missing from {text!r}"
    return match.group(1)


def _compare(pair, steps):
    """Runs `steps(server)` on the reference, then on SwiftKeyDB; the results must be
    equal. Returns the reference's, for checks of what Redis itself did."""
    ref, sut = (steps(server) for server in pair)
    assert sut == ref
    return ref


def _replies(server, commands):
    """The raw replies to `commands`, sent one by one on a new connection."""
    c = server.client()
    try:
        return [c.call(*command) for command in commands]
    finally:
        c.close()


def _held(client: RespClient, seconds: float = 0.3) -> bool:
    """True when no reply arrives within `seconds` (the command is held)."""
    try:
        client.read_reply(timeout=seconds)
    except ReplyTimeout:
        return True
    return False


# ---------------------------------------------------------------------------
# OBJECT


ENCODING_SETUP = [
    ("SET", "int", "12345"), ("SET", "shared", "42"), ("SET", "neg", "-9223372036854775808"),
    ("SET", "lead0", "0123"), ("SET", "emb", "x" * 44), ("SET", "raw", "x" * 45),
    ("SET", "app", "12"), ("APPEND", "app", "3"), ("APPEND", "newapp", "77"),
    ("SETRANGE", "rng", "2", "ab"), ("SETBIT", "bit", "9", "1"),
    ("INCRBYFLOAT", "flt", "2"), ("INCR", "ctr"), ("INCRBY", "ctr2", "123456"),
    ("RPUSH", "list", "a", "b"), ("RPUSH", "biglist", *[str(i) for i in range(300)]),
    ("HSET", "hash", "f", "v"), ("HSET", "bighash", "f", "v" * 65),
    ("SADD", "ints", "1", "-2", "300"), ("SADD", "strs", "1", "a"),
    ("SADD", "manyints", *[str(i) for i in range(513)]),
    ("ZADD", "zs", "1", "a"), ("ZADD", "bigz", "1", "m" * 65),
]
ENCODING_KEYS = ["int", "shared", "neg", "lead0", "emb", "raw", "app", "newapp", "rng", "bit", "flt", "ctr",
                 "ctr2", "list", "biglist", "hash", "bighash", "ints", "strs", "manyints", "zs", "bigz", "missing"]


def test_object_encoding_and_refcount(pair):
    def steps(server):
        c = server.client()
        for command in ENCODING_SETUP:
            c.call(*command)
        out = []
        for key in ENCODING_KEYS:
            out.append((key, c.call("OBJECT", "ENCODING", key), c.call("OBJECT", "REFCOUNT", key)))
        c.close()
        return out
    _compare(pair, steps)


def test_object_help_and_errors(pair):
    """IDLETIME of a key just set is 0, or 1 when a second of the server's clock
    ticks between the SET and the OBJECT (both servers count whole seconds), so
    it is checked apart from the byte-for-byte comparison."""
    def steps(server):
        replies = _replies(server, [
            ("SET", "k", "v"), ("OBJECT", "HELP"), ("object", "help"), ("OBJECT",), ("OBJECT", "ENCODING"),
            ("OBJECT", "ENCODING", "a", "b"), ("OBJECT", "NOPE", "k"), ("OBJECT", "HELP", "extra"),
            ("OBJECT", "FREQ", "k"), ("OBJECT", "FREQ", "missing"), ("OBJECT", "IDLETIME", "missing"),
            ("OBJECT", "IDLETIME", "k"),
        ])
        assert replies[-1] in (b":0\r\n", b":1\r\n")
        return replies[:-1]
    _compare(pair, steps)


def test_object_idletime_and_touch(pair):
    """2.2 s of idleness shows as 2 or 3 (both servers count whole seconds of a clock,
    so the boundary may fall either way); reads and TOUCH reset it; EXISTS, TYPE,
    TTL and OBJECT do not."""
    def steps(server):
        c = server.client()
        for key in ("read", "touched", "peeked"):
            c.call("SET", key, "v")
        time.sleep(2.2)
        c.call("GET", "read")
        c.call("TOUCH", "touched", "nokey")
        for command in ("EXISTS", "TYPE", "TTL", "PTTL"):
            c.call(command, "peeked")
        c.call("OBJECT", "ENCODING", "peeked")
        idle = {key: int(c.call("OBJECT", "IDLETIME", key)[1:-2]) for key in ("read", "touched", "peeked")}
        c.close()
        return idle
    ref, sut = (steps(server) for server in pair)
    for idle in (ref, sut):
        # 0, or 1 when a second of the clock ticks between the read and the OBJECT.
        assert idle["read"] <= 1 and idle["touched"] <= 1
        assert 2 <= idle["peeked"] <= 3


def test_object_freq_under_lfu(pair):
    def steps(server):
        c = server.client()
        out = [c.call("CONFIG", "SET", "maxmemory-policy", "allkeys-lfu"), c.call("SET", "k", "v"),
               c.call("OBJECT", "FREQ", "k")]
        c.call("GET", "k")  # the first increment from 5 is certain
        out += [c.call("OBJECT", "FREQ", "k"), c.call("OBJECT", "IDLETIME", "k"),
                c.call("CONFIG", "GET", "lfu-log-factor"), c.call("CONFIG", "GET", "lfu-decay-time"),
                c.call("CONFIG", "SET", "maxmemory-policy", "noeviction")]
        c.close()
        return out
    _compare(pair, steps)


# ---------------------------------------------------------------------------
# CLIENT KILL


def test_client_kill_filters(pair):
    def steps(server):
        boss = server.client()
        victims = [server.client() for _ in range(4)]
        ids = [v.call("CLIENT", "ID")[1:-2].decode() for v in victims]
        addrs = [_field(v.call("CLIENT", "INFO"), "addr") for v in victims]
        laddr = _field(victims[0].call("CLIENT", "INFO"), "laddr")
        victims[3].call("SUBSCRIBE", "ch")
        out = [
            boss.call("CLIENT", "KILL", "ADDR", "10.9.9.9:1"),
            boss.call("CLIENT", "KILL", "ADDR", addrs[0]),
            boss.call("CLIENT", "KILL", "ID", ids[1], "ADDR", addrs[2]),  # both must match: none
            boss.call("CLIENT", "KILL", "id", ids[1], "laddr", laddr, "user", "default"),
            boss.call("CLIENT", "KILL", "TYPE", "master"),
            boss.call("CLIENT", "KILL", "TYPE", "replica"),
            boss.call("CLIENT", "KILL", "TYPE", "pubsub"),
            boss.call("CLIENT", "KILL", addrs[2]),  # old form
            boss.call("CLIENT", "KILL", addrs[2]),
        ]
        out.append([v.wait_closed(2.0) for v in victims])
        out.append(boss.call("CLIENT", "KILL", "TYPE", "normal", "SKIPME", "yes"))
        out.append(boss.call("CLIENT", "KILL", "USER", "default", "SKIPME", "no"))
        out.append(boss.wait_closed(2.0))
        for v in victims:
            v.close()
        return out
    ref = _compare(pair, steps)
    assert ref[2] == b":0\r\n" and ref[3] == b":1\r\n" and ref[-1] is True


@pytest.fixture
def pair_on_both_loopbacks():
    yield from serve_pair(["--bind", "127.0.0.1 ::1"])


def test_client_addresses_over_ipv4_and_ipv6(pair_on_both_loopbacks):
    """addr / laddr as Redis writes them, from the sockets' own ends; ::1 is local to
    protected mode (on, with no password) as 127.0.0.1 is; CLIENT KILL ADDR finds both."""
    def steps(server):
        boss = server.client()
        seen = []
        for host, shown in (("127.0.0.1", "127.0.0.1"), ("::1", "[::1]")):
            c = RespClient(host, server.port)
            info = c.call("CLIENT", "INFO")
            port = c.sock.getsockname()[1]
            assert _field(info, "addr") == f"{shown}:{port}", server.name
            assert _field(info, "laddr") == f"{shown}:{server.port}", server.name
            seen.append(boss.call("CLIENT", "KILL", "ADDR", f"{shown}:{port}"))
            seen.append(c.wait_closed(2.0))
        boss.close()
        return seen
    assert _compare(pair_on_both_loopbacks, steps) == [b":1\r\n", True] * 2


def test_client_list_cmd_is_the_command_last_looked_up(pair):
    """cmd= names the command as soon as it is looked up, whether it then runs, is
    queued or is refused, and is NULL after an unknown one (Redis's lastcmd)."""
    sequences = [
        [("MULTI",), ("GET", "k")], [("MULTI",), ("GET", "k"), ("EXEC",)], [("PING",), ("GET",)],
        [("SUBSCRIBE", "x"), ("GET", "x")], [("PING",), ("NOSUCH",)], [("MULTI",), ("NOSUCH",)],
        [("PING",), ("CONFIG", "NOSUCH")], [("PING",), ("EVAL", "return redis.call('ping')", "0")],
        [("ACL", "SETUSER", "limited", "on", "nopass", "+@all", "-get", "~*"), ("AUTH", "limited", "x"), ("GET", "k")],
    ]

    def steps(server):
        seen = []
        for sequence in sequences:
            watched, observer = server.client(), server.client()
            watched.call("CLIENT", "SETNAME", "watched")
            for command in sequence:
                watched.call(*command)
            line = [row for row in observer.call("CLIENT", "LIST").split(b"\n") if b" name=watched " in row]
            seen.append(_field(line[0], "cmd"))
            observer.call("ACL", "DELUSER", "limited")
            watched.close()
            observer.close()
        return seen

    assert _compare(pair, steps) == ["get", "exec", "get", "get", "NULL", "NULL", "NULL", "eval", "get"]


def test_client_kill_self_old_form_replies_first(pair):
    def steps(server):
        c = server.client()
        addr = _field(c.call("CLIENT", "INFO"), "addr")
        reply = c.call("CLIENT", "KILL", addr)
        return reply, c.wait_closed(2.0)
    assert _compare(pair, steps) == (b"+OK\r\n", True)


def test_client_kill_errors(pair):
    commands = [
        ("CLIENT", "KILL"), ("CLIENT", "KILL", "ID", "0"), ("CLIENT", "KILL", "ID", "-3"),
        ("CLIENT", "KILL", "ID", "x"), ("CLIENT", "KILL", "TYPE", "bogus"), ("CLIENT", "KILL", "USER", "nobody"),
        ("CLIENT", "KILL", "SKIPME", "maybe"), ("CLIENT", "KILL", "ID", "1", "TYPE"), ("CLIENT", "KILL", "FOO", "bar"),
        ("CLIENT", "KILL", "1.2.3.4:5"), ("CLIENT", "KILL", "ID", "99999", "TYPE", "normal"),
        ("CLIENT", "LIST", "TYPE", "bogus"), ("CLIENT", "LIST", "ID", "x"),
        ("CLIENT", "NO-EVICT", "maybe"), ("CLIENT", "NO-EVICT"), ("CLIENT", "NO-EVICT", "on"),
    ]

    def steps(server):
        c = server.client()
        out = [c.call(*command) for command in commands]
        out.append(_field(c.call("CLIENT", "INFO"), "flags"))
        out.append(c.call("CLIENT", "NO-EVICT", "OFF"))
        out.append(_field(c.call("CLIENT", "INFO"), "flags"))
        c.close()
        return out
    _compare(pair, steps)


def test_client_help_is_redis_70_plus_72_lines(pair):
    """CLIENT HELP is Redis 7.0's text, plus the lines 7.2 added for SETINFO and NO-TOUCH."""
    added = {b"SETINFO <option> <value>", b"    Set client meta attr. Options are:",
             b"    * LIB-NAME: the client lib name.", b"    * LIB-VER: the client lib version.",
             b"NO-TOUCH (ON|OFF)", b"    Will not touch LRU/LFU stats when this mode is on."}
    ref_client, sut_client = pair[0].client(), pair[1].client()
    ref_lines = ref_client.call("CLIENT", "HELP").split(b"\r\n")[1:-1]
    sut_lines = sut_client.call("CLIENT", "HELP").split(b"\r\n")[1:-1]
    assert [line for line in sut_lines if line[1:] not in added] == ref_lines


# ---------------------------------------------------------------------------
# CLIENT PAUSE / UNPAUSE


def test_pause_write_holds_writes_in_order(pair):
    def steps(server):
        boss, reader, w1, w2 = (server.client() for _ in range(4))
        w1_id = w1.call("CLIENT", "ID")[1:-2].decode()
        out = [boss.call("CLIENT", "PAUSE", "20000", "WRITE")]
        reader.send_command("GET", "k")
        out.append(reader.read_reply(timeout=2))
        # w1: a write and a read pipelined behind it; w2: a write sent later.
        w1.send_command("SET", "k", "first")
        w1.send_command("GET", "k")
        time.sleep(0.1)
        w2.send_command("APPEND", "k", "+second")
        w2.send_command("PUBLISH", "ch", "m")
        out.append(_held(w1) and _held(w2))
        info = boss.call("INFO", "clients")
        out.append(_field(info, "blocked_clients"))
        out.append(_field(boss.call("CLIENT", "LIST", "ID", w1_id), "flags"))
        out.append(boss.call("GET", "k"))
        out.append(boss.call("CLIENT", "UNPAUSE"))
        out += [w1.read_reply(timeout=2), w1.read_reply(timeout=2), w2.read_reply(timeout=2), w2.read_reply(timeout=2)]
        out.append(boss.call("GET", "k"))
        out.append(_field(boss.call("INFO", "clients"), "blocked_clients"))
        return out
    ref = _compare(pair, steps)
    assert ref[2] is True and ref[3] == "2"


def test_pause_all_ends_by_itself(pair):
    """ALL holds even PING, from every client, and ends on its own after its timeout."""
    def steps(server):
        boss, other = server.client(), server.client()
        out = [boss.call("CLIENT", "PAUSE", "700", "ALL")]
        started = time.monotonic()
        other.send_command("PING")
        out.append(_held(other, 0.3))
        out.append(other.read_reply(timeout=3))
        waited = time.monotonic() - started
        out.append(0.5 <= waited <= 2.5)
        return out
    assert _compare(pair, steps) == [b"+OK\r\n", True, b"+PONG\r\n", True]


def test_pause_combines_and_transactions(pair):
    """A shorter or weaker pause does not shorten or weaken the current one; under
    WRITE, EXEC of a transaction with a write waits, one of reads runs, and a write
    sent inside MULTI waits before it is even queued."""
    def steps(server):
        boss, tx_write, tx_read, queued = (server.client() for _ in range(4))
        tx_write.call("MULTI")
        tx_write.call("SET", "t", "1")
        tx_read.call("MULTI")
        tx_read.call("GET", "t")
        queued.call("MULTI")
        out = [boss.call("CLIENT", "PAUSE", "20000", "WRITE"), boss.call("CLIENT", "PAUSE", "10", "WRITE")]
        time.sleep(0.1)
        tx_write.send_command("EXEC")
        tx_read.send_command("EXEC")
        queued.send_command("DEL", "t")
        out.append(tx_read.read_reply(timeout=2))
        out.append(_held(tx_write) and _held(queued))
        out.append(boss.call("CLIENT", "UNPAUSE"))
        out += [tx_write.read_reply(timeout=2), queued.read_reply(timeout=2), queued.call("EXEC"), boss.call("EXISTS", "t")]
        return out
    _compare(pair, steps)


def test_pause_holds_expiry(pair):
    def steps(server):
        c = server.client()
        expired_before = _field(c.call("INFO", "stats"), "expired_keys")
        # PX 1000: the pause must begin before the key expires, even on a loaded machine.
        out = [c.call("SET", "k", "v", "PX", "1000"), c.call("CLIENT", "PAUSE", "20000", "WRITE")]
        time.sleep(1.3)
        out += [c.call("GET", "k"), c.call("EXISTS", "k"), c.call("DBSIZE"),
                _field(c.call("INFO", "stats"), "expired_keys") == expired_before]
        out.append(c.call("CLIENT", "UNPAUSE"))
        out += [c.call("GET", "k"), c.call("DBSIZE"),
                int(_field(c.call("INFO", "stats"), "expired_keys")) - int(expired_before)]
        return out
    ref = _compare(pair, steps)
    assert ref[4] == b":1\r\n" and ref[-1] == 1


def test_pause_errors(pair):
    # The last SET waits for the 1 ms pause to be lifted (within a cron tick).
    _compare(pair, lambda server: _replies(server, [
        ("CLIENT", "PAUSE"), ("CLIENT", "PAUSE", "10", "foo"), ("CLIENT", "PAUSE", "abc"), ("CLIENT", "PAUSE", "-1"),
        ("CLIENT", "PAUSE", "1", "ALL", "x"), ("CLIENT", "UNPAUSE", "x"), ("CLIENT", "PAUSE", "0"), ("CLIENT", "UNPAUSE"),
        ("client", "pause", "1", "write"), ("SET", "after", "pause"),
    ]))


def test_pause_holds_eviction(pair):
    """While clients are paused no key is evicted, whatever maxmemory says; after, they are."""
    def steps(server):
        c = server.client()
        value = "v" * 500
        for start in range(0, 20000, 500):
            c.call("MSET", *[x for i in range(start, start + 500) for x in (f"k:{i}", value)])
        out = [c.call("CONFIG", "SET", "maxmemory-policy", "allkeys-random"),
               c.call("CLIENT", "PAUSE", "20000", "WRITE"), c.call("CONFIG", "SET", "maxmemory", "3mb"),
               c.call("DBSIZE"), c.call("GET", "k:7"), c.call("DBSIZE"), c.call("CLIENT", "UNPAUSE")]
        evicted = int(c.call("DBSIZE")[1:-2]) < 20000
        c.call("CONFIG", "SET", "maxmemory", "0")
        c.close()
        return out + [evicted]
    ref = _compare(pair, steps)
    assert ref[3] == b":20000\r\n" and ref[-1] is True
