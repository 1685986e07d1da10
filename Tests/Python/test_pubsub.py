"""Pub/sub, keyspace notifications and WATCH, compared between redis-server
and the server under test.

Most tests run the same scenario against both servers and compare what the
clients saw, byte for byte (the Redis run shows the expectation is Redis's).
Raw sockets (`RespClient`) with timeouts everywhere.  The two stress tests at
the end talk to SwiftKeyDB only.
"""

from __future__ import annotations

import socket
import threading
import time
from typing import List, Sequence, Tuple

import pytest

from resp_client import RespClient, bulk_value, parse_reply

DB = 5           # notification scenarios run in their own database
WAIT = 3.0
SENTINEL = b"__pubsub_test_sentinel__"


@pytest.fixture(params=["redis", "swiftkeydb"])
def server(request, redis_server, sut_server):
    srv = redis_server if request.param == "redis" else sut_server
    return srv.require()


def _both(redis_server, sut_server):
    return redis_server.require(), sut_server.require()


def _same_on_both(scenario, redis_server, sut_server) -> List[bytes]:
    """Runs `scenario` on each server; the replies must agree one by one. Returns Redis's."""
    ref, sut = _both(redis_server, sut_server)
    expected, got = scenario(ref), scenario(sut)
    for index, (a, b) in enumerate(zip(expected, got)):
        assert a == b, (index, a, b)
    assert expected == got
    return expected


def _ok(raw: bytes) -> None:
    assert raw == b"+OK\r\n", raw


def _decode_push(raw: bytes) -> Tuple[bytes, ...]:
    reply = parse_reply(raw)
    assert reply.is_array, raw
    out = []
    for item in reply.items:
        out.append(item[1:-2] if item.startswith(b":") else bulk_value(item))
    return tuple(out)


# ---------------------------------------------------------------------------
# Keyspace notifications
# ---------------------------------------------------------------------------

EVENT_SCRIPT: List[Sequence] = [
    # strings
    ("SET", "s1", "v"), ("SET", "s1", "v2", "EX", "100"), ("SET", "s1", "x", "NX"),
    ("SET", "s1", "y", "XX", "KEEPTTL"), ("SETNX", "s2", "1"), ("SETNX", "s2", "2"),
    ("SETEX", "s3", "100", "v"), ("PSETEX", "s4", "100000", "v"), ("GETSET", "s2", "5"),
    ("MSET", "m1", "a", "m2", "b"), ("MSETNX", "m3", "a", "m1", "b"), ("MSETNX", "m3", "a", "m4", "b"),
    ("APPEND", "s5", "ab"), ("APPEND", "s5", "cd"), ("SETRANGE", "s5", "1", "ZZ"), ("SETRANGE", "s5", "1", ""),
    ("SETRANGE", "s6", "2", "q"), ("INCR", "n"), ("DECR", "n"), ("INCRBY", "n", "5"), ("DECRBY", "n", "2"),
    ("INCRBYFLOAT", "f", "1.5"), ("SETBIT", "b", "7", "1"), ("GETEX", "s2", "EX", "100"),
    ("GETEX", "s2", "PERSIST"), ("GETEX", "s2", "PERSIST"), ("GETEX", "s2"), ("GETEX", "s3", "PXAT", "1"),
    ("GETDEL", "s4"), ("GETDEL", "s4"), ("INCR", "s1"),
    # generic
    ("DEL", "m1", "m2", "nokey"), ("UNLINK", "m3"), ("EXPIRE", "s5", "100"), ("PEXPIRE", "s5", "100000", "NX"),
    ("PERSIST", "s5"), ("PERSIST", "s5"), ("EXPIREAT", "s6", "100000000000"), ("PEXPIREAT", "f", "1"),
    ("EXPIRE", "nokey", "10"), ("RENAME", "s6", "s7"), ("RENAMENX", "s7", "s5"), ("RENAMENX", "s7", "s8"),
    ("RENAME", "s8", "s8"), ("COPY", "s8", "s9"), ("COPY", "s8", "s9"), ("COPY", "s8", "s9", "REPLACE"),
    ("COPY", "s8", "s9", "DB", "6"), ("MOVE", "s9", "6"), ("MOVE", "s8", "6"), ("EXPIRE", "n", "-1"),
    # lists
    ("LPUSH", "l", "a", "b", "c"), ("RPUSH", "l", "d"), ("LPUSHX", "l", "e"), ("RPUSHX", "nolist", "e"),
    ("LINSERT", "l", "BEFORE", "a", "z"), ("LINSERT", "l", "BEFORE", "nope", "z"), ("LSET", "l", "0", "E"),
    ("LREM", "l", "0", "nope"), ("LREM", "l", "1", "z"), ("LTRIM", "l", "0", "-1"), ("LTRIM", "l", "0", "3"),
    ("LPOP", "l"), ("RPOP", "l", "2"), ("LPOP", "l", "0"), ("RPUSH", "l", "1", "2", "3"),
    ("LMOVE", "l", "l2", "LEFT", "RIGHT"), ("RPOPLPUSH", "l", "l"), ("LMOVE", "l", "l2", "RIGHT", "LEFT"),
    ("LMOVE", "l", "l2", "LEFT", "LEFT"), ("LMPOP", "2", "nolist", "l2", "RIGHT", "COUNT", "2"),
    ("LMPOP", "1", "l2", "LEFT", "COUNT", "5"), ("RPUSH", "l3", "x", "y"), ("BLPOP", "nolist", "l3", "1"),
    ("BRPOP", "l3", "1"), ("RPUSH", "l4", "a"), ("BLMOVE", "l4", "l5", "LEFT", "RIGHT", "1"),
    ("BRPOPLPUSH", "l5", "l4", "1"), ("BLMPOP", "1", "1", "l4", "LEFT"), ("RPUSH", "l6", "a", "b"),
    ("LTRIM", "l6", "5", "10"), ("RPUSH", "l7", "a", "a"), ("LREM", "l7", "0", "a"),
    # hashes
    ("HSET", "h", "a", "1", "b", "2"), ("HSET", "h", "a", "1"), ("HMSET", "h", "c", "3"), ("HSETNX", "h", "a", "9"),
    ("HSETNX", "h", "d", "4"), ("HINCRBY", "h", "n", "3"), ("HINCRBYFLOAT", "h", "f", "0.5"),
    ("HDEL", "h", "nope"), ("HDEL", "h", "a", "b"), ("HDEL", "h", "c", "d", "n", "f"),
    # sets
    ("SADD", "st", "a", "b", "c"), ("SADD", "st", "a"), ("SREM", "st", "nope"), ("SREM", "st", "a"),
    ("SMOVE", "st", "st2", "b"), ("SMOVE", "st", "st2", "nope"), ("SADD", "st2", "c"), ("SMOVE", "st", "st2", "c"),
    ("SADD", "sa", "1", "2", "3"), ("SADD", "sb", "2", "3", "4"), ("SINTERSTORE", "sd", "sa", "sb"),
    ("SUNIONSTORE", "sd", "sa", "sb"), ("SDIFFSTORE", "sd", "sa", "sb"), ("SINTERSTORE", "sd", "sa", "nope"),
    ("SINTERSTORE", "sd", "sa", "nope"), ("SDIFFSTORE", "sd", "sa", "sa"), ("SPOP", "sa"), ("SPOP", "sa", "0"),
    ("SPOP", "sb", "1"), ("SPOP", "sb", "10"), ("SPOP", "nope"), ("SADD", "sc", "x"), ("SPOP", "sc"),
    # sorted sets
    ("ZADD", "z", "1", "a", "2", "b", "3", "c"), ("ZADD", "z", "1", "a"), ("ZADD", "z", "NX", "5", "a"),
    ("ZADD", "z", "XX", "5", "a"), ("ZADD", "nozset", "XX", "1", "a"), ("ZINCRBY", "z", "1", "b"),
    ("ZADD", "z", "INCR", "1", "c"), ("ZADD", "z", "GT", "0", "c"), ("ZREM", "z", "nope"), ("ZREM", "z", "a"),
    ("ZADD", "z", "4", "d", "6", "e", "7", "f", "8", "g"), ("ZREMRANGEBYRANK", "z", "10", "20"),
    ("ZREMRANGEBYRANK", "z", "0", "0"), ("ZREMRANGEBYSCORE", "z", "(4", "6"), ("ZREMRANGEBYSCORE", "z", "100", "200"),
    ("ZADD", "zl", "0", "a", "0", "b", "0", "c"), ("ZREMRANGEBYLEX", "zl", "[a", "[b"),
    ("ZREMRANGEBYLEX", "zl", "-", "+"), ("ZPOPMIN", "z"), ("ZPOPMAX", "z", "2"), ("ZPOPMIN", "nozset"),
    ("ZADD", "za", "1", "a", "2", "b"), ("ZADD", "zb", "2", "b", "3", "c"),
    ("ZUNIONSTORE", "zd", "2", "za", "zb"), ("ZINTERSTORE", "zd", "2", "za", "zb"),
    ("ZDIFFSTORE", "zd", "2", "za", "zb"), ("ZINTERSTORE", "zd", "2", "za", "nozset"),
    ("ZINTERSTORE", "zd", "2", "za", "nozset"), ("ZRANGESTORE", "zd", "za", "0", "-1"),
    ("ZRANGESTORE", "zd", "za", "5", "10"), ("ZMPOP", "2", "nozset", "za", "MIN", "COUNT", "5"),
    ("BZPOPMIN", "zb", "1"), ("BZPOPMAX", "zb", "1"), ("ZADD", "ze", "1", "x", "2", "y"),
    ("BZMPOP", "1", "1", "ze", "MAX", "COUNT", "1"), ("ZMPOP", "1", "ze", "MIN"),
    # misc: reads and failures send nothing
    ("GET", "s1"), ("LRANGE", "l", "0", "-1"), ("HGETALL", "h"), ("LPUSH", "s1", "x"), ("EXISTS", "s1"),
    ("SELECT", "6"), ("DEL", "s8", "s9", "s1"), ("SELECT", str(DB)), ("DEL", "s1", "s5", "s7", "b", "zd", "l5"),
    ("SWAPDB", str(DB), "7"), ("FLUSHDB",),
]


def _subscriber(srv, patterns=("__key*__:*",)) -> RespClient:
    sub = srv.client()
    sub.send_command("PSUBSCRIBE", *patterns)
    for _ in patterns:
        sub.read_reply()
    sub.send_command("SUBSCRIBE", SENTINEL)
    sub.read_reply()
    return sub


def _collect(sub: RespClient, admin: RespClient) -> List[Tuple[bytes, ...]]:
    """Every message up to the sentinel, which `admin` publishes now."""
    assert admin.call("PUBLISH", SENTINEL, "end") == b":1\r\n"
    messages = []
    deadline = time.monotonic() + WAIT
    while True:
        assert time.monotonic() < deadline, messages
        message = _decode_push(sub.read_reply(timeout=WAIT))
        if message[0] == b"message" and message[1] == SENTINEL:
            return messages
        messages.append(message)


def _run_events(srv, flags: str, script, block_step=None) -> Tuple[List[bytes], List[Tuple[bytes, ...]]]:
    admin = srv.client()
    sub = None
    try:
        for db in (DB, 6, 7):
            admin.call("SELECT", str(db))
            admin.call("FLUSHDB")
        admin.call("SELECT", str(DB))
        _ok(admin.call("CONFIG", "SET", "notify-keyspace-events", flags))
        sub = _subscriber(srv)
        replies = []
        for command in script:
            raw = admin.call(*command)
            # Replies carrying random picks are left out of the comparison.
            replies.append(b"~" if command[0] in ("SPOP",) else raw)
        if block_step:
            replies.extend(block_step(srv, admin))
        return replies, _collect(sub, admin)
    finally:
        admin.call("CONFIG", "SET", "notify-keyspace-events", "")
        for db in (DB, 6, 7):
            admin.call("SELECT", str(db))
            admin.call("FLUSHDB")
        admin.close()
        if sub:
            sub.close()


def _blocked_pops(srv, admin) -> List[bytes]:
    """Clients blocked first, served by later pushes (events from the serving)."""
    replies = []
    waiters = []
    try:
        for command in (("BLPOP", "bl", "0"), ("BLMOVE", "bm", "bm2", "RIGHT", "LEFT", "0"),
                        ("BZPOPMIN", "bz", "0"), ("BLMPOP", "0", "1", "bl2", "LEFT", "COUNT", "3")):
            w = srv.client()
            w.call("SELECT", str(DB))
            w.send_command(*command)
            waiters.append(w)
        deadline = time.monotonic() + WAIT
        while b"blocked_clients:4" not in admin.call("INFO", "clients"):
            assert time.monotonic() < deadline, "waiters did not block"
            time.sleep(0.02)
        for command in (("RPUSH", "bl", "a", "b"), ("LPUSH", "bm", "x"), ("ZADD", "bz", "1", "m"),
                        ("RPUSH", "bl2", "p", "q")):
            replies.append(admin.call(*command))
        for w in waiters:
            replies.append(w.read_reply(timeout=WAIT))
    finally:
        for w in waiters:
            w.close()
    return replies


def test_keyspace_events_match_redis(redis_server, sut_server):
    ref, sut = _both(redis_server, sut_server)
    ref_replies, ref_events = _run_events(ref, "KEA", EVENT_SCRIPT, _blocked_pops)
    sut_replies, sut_events = _run_events(sut, "KEA", EVENT_SCRIPT, _blocked_pops)
    assert len(ref_events) > 200
    for index, (a, b) in enumerate(zip(ref_replies, sut_replies)):
        assert a == b, (index, (EVENT_SCRIPT + [("blocked",)] * 20)[index], a, b)
    for index, (a, b) in enumerate(zip(ref_events, sut_events)):
        assert a == b, (index, a, b, ref_events[max(0, index - 3):index + 3], sut_events[max(0, index - 3):index + 3])
    assert ref_events == sut_events


@pytest.mark.parametrize("flags", ["El", "Kg", "E$x", "Kzh", "Es", "KEA"])
def test_keyspace_event_masking(redis_server, sut_server, flags):
    ref, sut = _both(redis_server, sut_server)
    script = [("RPUSH", "l", "a", "b"), ("LPOP", "l"), ("SET", "s", "1", "EX", "10"), ("INCR", "s"),
              ("HSET", "h", "a", "1"), ("SADD", "t", "x"), ("ZADD", "z", "1", "a"), ("DEL", "l", "h", "t", "z"),
              ("LPUSH", "l2", "x"), ("RPOP", "l2")]
    _, ref_events = _run_events(ref, flags, script)
    _, sut_events = _run_events(sut, flags, script)
    assert ref_events == sut_events
    if flags == "El":
        assert ref_events and all(e[2].startswith(b"__keyevent@") and e[3] in (b"l", b"l2") for e in ref_events)


def test_config_get_notify_flags(server):
    c = server.client()
    try:
        for flags, shown in (("KEA", b"AKE"), ("El", b"lE"), ("gx$K", b"g$xK"), ("", b"")):
            _ok(c.call("CONFIG", "SET", "notify-keyspace-events", flags))
            reply = parse_reply(c.call("CONFIG", "GET", "notify-keyspace-events"))
            assert bulk_value(reply.items[1]) == shown
        assert c.call("CONFIG", "SET", "notify-keyspace-events", "Q").startswith(b"-ERR")
    finally:
        c.call("CONFIG", "SET", "notify-keyspace-events", "")
        c.close()


def test_expired_event(server):
    admin = server.client()
    sub = server.client()
    try:
        admin.call("SELECT", str(DB))
        _ok(admin.call("CONFIG", "SET", "notify-keyspace-events", "Ex"))
        sub.send_command("SUBSCRIBE", f"__keyevent@{DB}__:expired")
        sub.read_reply()
        _ok(admin.call("SET", "soon", "v", "PX", "50"))
        message = _decode_push(sub.read_reply(timeout=WAIT))
        assert message == (b"message", f"__keyevent@{DB}__:expired".encode(), b"soon")
        assert admin.call("EXISTS", "soon") == b":0\r\n"
    finally:
        admin.call("CONFIG", "SET", "notify-keyspace-events", "")
        admin.call("FLUSHDB")
        admin.close()
        sub.close()


def test_no_events_when_disabled(server):
    admin = server.client()
    sub = _subscriber(server)
    try:
        _ok(admin.call("CONFIG", "SET", "notify-keyspace-events", ""))
        admin.call("SET", "quiet", "1")
        admin.call("DEL", "quiet")
        assert _collect(sub, admin) == []
    finally:
        admin.close()
        sub.close()


# ---------------------------------------------------------------------------
# WATCH
# ---------------------------------------------------------------------------


def _watch_scenarios(srv) -> List[bytes]:
    a, b = srv.client(), srv.client()
    out = []
    try:
        for c in (a, b):
            c.call("SELECT", "8")
        b.call("FLUSHALL")
        # Another client modifies the watched key.
        b.call("SET", "w", "1")
        out += [a.call("WATCH", "w"), b.call("SET", "w", "2"), a.call("MULTI"), a.call("INCR", "w"), a.call("EXEC")]
        # Unchanged: EXEC runs.
        out += [a.call("WATCH", "w"), a.call("MULTI"), a.call("INCR", "w"), a.call("EXEC")]
        # A watched key that expires before EXEC.
        # PX 500: WATCH must come before the expiry, even on a loaded machine.
        out += [b.call("SET", "e", "1", "PX", "500"), a.call("WATCH", "e")]
        time.sleep(0.7)
        out += [a.call("MULTI"), a.call("PING"), a.call("EXEC")]
        # FLUSHALL touches every watched key that exists.
        out += [a.call("WATCH", "w"), b.call("FLUSHALL"), a.call("MULTI"), a.call("PING"), a.call("EXEC")]
        # ...but not a missing one.
        out += [a.call("WATCH", "missing"), b.call("FLUSHALL"), a.call("MULTI"), a.call("PING"), a.call("EXEC")]
        # SWAPDB brings a key into the watched database.
        out += [b.call("SELECT", "9"), b.call("SET", "sw", "x"), a.call("WATCH", "sw"),
                b.call("SWAPDB", "8", "9"), a.call("MULTI"), a.call("PING"), a.call("EXEC"),
                b.call("SWAPDB", "8", "9")]
        b.call("SELECT", "8")
        # WATCH inside MULTI.
        out += [a.call("MULTI"), a.call("WATCH", "w"), a.call("PING"), a.call("EXEC")]
        # UNWATCH forgets.
        out += [a.call("WATCH", "w"), a.call("UNWATCH"), b.call("SET", "w", "9"), a.call("MULTI"),
                a.call("GET", "w"), a.call("EXEC")]
        # DISCARD forgets too.
        out += [a.call("WATCH", "w"), a.call("MULTI"), a.call("DISCARD"), b.call("SET", "w", "10"),
                a.call("MULTI"), a.call("GET", "w"), a.call("EXEC")]
        # A blocked pop takes from a watched list.
        waiter = srv.client()
        try:
            waiter.call("SELECT", "8")
            waiter.send_command("BLPOP", "wl", "0")
            deadline = time.monotonic() + WAIT
            while b"blocked_clients:1" not in b.call("INFO", "clients"):
                assert time.monotonic() < deadline
                time.sleep(0.02)
            out += [b.call("RPUSH", "wl", "x", "y"), a.call("WATCH", "wl")]
            out += [waiter.call("BLPOP", "wl", "0")]  # first reply pending from the blocked call
            out += [waiter.read_reply(timeout=WAIT), a.call("MULTI"), a.call("LLEN", "wl"), a.call("EXEC")]
        finally:
            waiter.close()
        b.call("FLUSHALL")
    finally:
        a.close()
        b.close()
    return out


def test_watch_matches_redis(redis_server, sut_server):
    expected = _same_on_both(_watch_scenarios, redis_server, sut_server)
    assert expected.count(b"*-1\r\n") >= 5
    assert b"-ERR WATCH inside MULTI is not allowed\r\n" in expected


# ---------------------------------------------------------------------------
# Pub/sub
# ---------------------------------------------------------------------------


def _pubsub_scenario(srv) -> List[bytes]:
    s1, s2, pub = srv.client(), srv.client(), srv.client()
    out = []
    try:
        s1.send_command("SUBSCRIBE", "ch1", "ch2", "ch1")
        out += [s1.read_reply() for _ in range(3)]
        s2.send_command("PSUBSCRIBE", "ch*", "x?")
        out += [s2.read_reply() for _ in range(2)]
        s2.send_command("SUBSCRIBE", "ch2")
        out.append(s2.read_reply())
        out += [pub.call("PUBLISH", "ch1", "hello"), pub.call("PUBLISH", "ch2", "two"),
                pub.call("PUBLISH", "xy", "pat"), pub.call("PUBLISH", "nobody", "z")]
        out += [s1.read_reply(), s1.read_reply()]
        out += [s2.read_reply() for _ in range(4)]
        out.append(pub.call("PUBSUB", "NUMSUB", "ch1", "ch2", "nobody"))
        channels = parse_reply(pub.call("PUBSUB", "CHANNELS", "ch*")).items
        out.append(b"".join(sorted(channels)))
        out.append(pub.call("PUBSUB", "CHANNELS", "nomatch*"))
        out.append(pub.call("PUBSUB", "NUMPAT"))
        # Subscribed mode: only (un)subscribe commands, PING and QUIT/RESET.
        out += [s1.call("GET", "k"), s1.call("PING"), s1.call("PING", "hi")]
        s1.send_command("UNSUBSCRIBE", "ch2")
        out.append(s1.read_reply())
        s1.send_command("UNSUBSCRIBE")
        out.append(s1.read_reply())
        s1.send_command("UNSUBSCRIBE")
        out.append(s1.read_reply())
        out += [s1.call("PING"), s1.call("GET", "nokey")]
        s2.send_command("PUNSUBSCRIBE", "nope")
        out.append(s2.read_reply())
        s2.send_command("PUNSUBSCRIBE")
        out += [s2.read_reply(), s2.read_reply()]
        s2.send_command("UNSUBSCRIBE")
        out.append(s2.read_reply())
        out.append(pub.call("PUBSUB", "NUMPAT"))
        out.append(pub.call("PUBSUB", "NUMSUB", "ch1", "ch2"))
        out.append(pub.call("PUBLISH", "ch1", "gone"))
    finally:
        for c in (s1, s2, pub):
            c.close()
    return out


def test_pubsub_replies_match_redis(redis_server, sut_server):
    _same_on_both(_pubsub_scenario, redis_server, sut_server)


def _client_fields(line: bytes) -> bytes:
    """The pub/sub fields of a CLIENT LIST line (addresses and ids differ)."""
    fields = dict(part.split(b"=", 1) for part in line.split(b" ") if b"=" in part)
    return b" ".join(b"%s=%s" % (name, fields[name]) for name in (b"name", b"flags", b"sub", b"psub", b"ssub"))


def _shard_scenario(srv) -> List[bytes]:
    s1, s2, s3, pub = srv.client(), srv.client(), srv.client(), srv.client()
    out = []
    try:
        for c, name in ((s1, "s1"), (s2, "s2"), (s3, "s3")):
            out.append(c.call("CLIENT", "SETNAME", name))
        s1.send_command("SSUBSCRIBE", "sc1", "sc2", "sc1")
        out += [s1.read_reply() for _ in range(3)]
        # The same name as a channel and as a pattern's match: other namespaces.
        s2.send_command("SUBSCRIBE", "sc1")
        out.append(s2.read_reply())
        s2.send_command("PSUBSCRIBE", "sc*")
        out.append(s2.read_reply())
        s2.send_command("SSUBSCRIBE", "sc2")
        out.append(s2.read_reply())
        out += [pub.call("SPUBLISH", "sc1", "hello"), pub.call("PUBLISH", "sc1", "classic"),
                pub.call("SPUBLISH", "sc2", "two"), pub.call("SPUBLISH", "nobody", "z")]
        out += [s1.read_reply(), s1.read_reply()]
        out += [s2.read_reply() for _ in range(3)]
        out.append(pub.call("PUBSUB", "SHARDNUMSUB", "sc1", "sc2", "nobody"))
        out.append(pub.call("PUBSUB", "SHARDNUMSUB"))
        out.append(b"".join(sorted(parse_reply(pub.call("PUBSUB", "SHARDCHANNELS")).items)))
        out += [pub.call("PUBSUB", "SHARDCHANNELS", "*1"), pub.call("PUBSUB", "SHARDCHANNELS", "no*"),
                pub.call("PUBSUB", "NUMSUB", "sc1", "sc2"), pub.call("PUBSUB", "CHANNELS"), pub.call("PUBSUB", "HELP")]
        stats = pub.call("INFO", "stats")
        out.append(b"".join(line for line in stats.split(b"\r\n") if line.startswith(b"pubsub")))
        listed = bulk_value(pub.call("CLIENT", "LIST", "TYPE", "pubsub")).splitlines()
        out.append(b"|".join(sorted(_client_fields(line) for line in listed)))
        # Subscribed mode holds for shard channels alone.
        out += [s1.call("GET", "k"), s1.call("PING"), s1.call("PING", "hi"), s1.call("PUBSUB", "SHARDNUMSUB")]
        s1.send_command("SUBSCRIBE", "plain")
        out.append(s1.read_reply())
        s1.send_command("SUNSUBSCRIBE", "sc2", "never")
        out += [s1.read_reply(), s1.read_reply()]
        s1.send_command("SUNSUBSCRIBE")
        out.append(s1.read_reply())
        s1.send_command("SUNSUBSCRIBE")
        out.append(s1.read_reply())
        out.append(s1.call("GET", "k"))
        s1.send_command("UNSUBSCRIBE")
        out.append(s1.read_reply())
        out += [s1.call("PING"), s1.call("GET", "k")]
        # Confirmations are pushed even with replies off; SSUBSCRIBE is refused inside EXEC.
        out += [s3.call("MULTI"), s3.call("SSUBSCRIBE", "tx"), s3.call("EXEC"), pub.call("SPUBLISH", "tx", "m")]
        s3.send_command("CLIENT", "REPLY", "OFF")
        s3.send_command("SSUBSCRIBE", "quiet")
        out.append(s3.read_reply())
        # RESET drops shard subscriptions.
        out += [s2.call("RESET"), s2.call("GET", "k"), pub.call("PUBSUB", "SHARDNUMSUB", "sc1", "sc2", "quiet")]
        out += [pub.call("COMMAND", "GETKEYS", "SSUBSCRIBE", "a"), pub.call("COMMAND", "GETKEYS", "SPUBLISH", "a", "b"),
                pub.call("SSUBSCRIBE"), pub.call("SPUBLISH", "a")]
    finally:
        for c in (s1, s2, s3, pub):
            c.close()
    return out


def test_shard_pubsub_replies_match_redis(redis_server, sut_server):
    _same_on_both(_shard_scenario, redis_server, sut_server)


def _shard_disconnect(srv) -> List[bytes]:
    """A subscriber that closes its connection leaves its shard channels."""
    sub, pub = srv.client(), srv.client()
    try:
        sub.send_command("SSUBSCRIBE", "leaving")
        sub.read_reply()
        out = [pub.call("PUBSUB", "SHARDNUMSUB", "leaving")]
        sub.close()
        deadline = time.monotonic() + WAIT
        while pub.call("PUBSUB", "SHARDNUMSUB", "leaving") != b"*2\r\n$7\r\nleaving\r\n:0\r\n":
            assert time.monotonic() < deadline, "closed subscriber still counted"
            time.sleep(0.02)
        out += [pub.call("SPUBLISH", "leaving", "x"), pub.call("PUBSUB", "SHARDCHANNELS")]
        return out
    finally:
        pub.close()


def test_shard_subscriptions_end_with_the_connection(redis_server, sut_server):
    _same_on_both(_shard_disconnect, redis_server, sut_server)


def test_keyspace_events_skip_shard_channels(server):
    admin, shard = server.client(), server.client()
    try:
        _ok(admin.call("CONFIG", "SET", "notify-keyspace-events", "KEA"))
        shard.send_command("SSUBSCRIBE", "__keyspace@0__:nk", SENTINEL)
        shard.read_reply()
        shard.read_reply()
        admin.call("SET", "nk", "v")
        assert admin.call("SPUBLISH", SENTINEL, "end") == b":1\r\n"
        # The first message is the sentinel: the SET notified no shard subscriber.
        assert _decode_push(shard.read_reply(timeout=WAIT)) == (b"smessage", SENTINEL, b"end")
    finally:
        admin.call("CONFIG", "SET", "notify-keyspace-events", "")
        admin.call("DEL", "nk")
        admin.close()
        shard.close()


def _acl_revocation(srv) -> List[bytes]:
    """ACL SETUSER closes a user's shard subscribers whose channels it takes away."""
    admin, kept, revoked = srv.client(), srv.client(), srv.client()
    try:
        out = [admin.call("ACL", "SETUSER", "shardy", "on", "nopass", "+@all", "resetchannels", "&orders", "&foo:*")]
        for c, name in ((kept, "kept"), (revoked, "revoked")):
            out += [c.call("AUTH", "shardy", "pw"), c.call("CLIENT", "SETNAME", name)]
        kept.send_command("SSUBSCRIBE", "foo:1")
        out.append(kept.read_reply())
        revoked.send_command("SSUBSCRIBE", "orders")
        out.append(revoked.read_reply())
        out += [revoked.call("SSUBSCRIBE", "other"), kept.call("SPUBLISH", "elsewhere", "m")]
        out.append(admin.call("ACL", "SETUSER", "shardy", "resetchannels", "&foo:*"))
        out.append(b"closed" if revoked.wait_closed() else b"open")
        names = sorted(_client_fields(line).split(b" ")[0] for line in
                       bulk_value(admin.call("CLIENT", "LIST", "TYPE", "pubsub")).splitlines())
        out += [b",".join(names), admin.call("PUBSUB", "SHARDNUMSUB", "orders", "foo:1")]
        return out
    finally:
        admin.call("ACL", "DELUSER", "shardy")
        for c in (admin, kept, revoked):
            c.close()


def test_acl_revocation_closes_shard_subscribers(redis_server, sut_server):
    assert b"closed" in _same_on_both(_acl_revocation, redis_server, sut_server)


def test_subscribed_mode_error_text(server):
    c = server.client()
    try:
        c.send_command("SUBSCRIBE", "only")
        c.read_reply()
        assert c.call("GET", "k") == (b"-ERR Can't execute 'get': only (P|S)SUBSCRIBE / (P|S)UNSUBSCRIBE / "
                                      b"PING / QUIT / RESET are allowed in this context\r\n")
        assert c.call("PING") == b"*2\r\n$4\r\npong\r\n$0\r\n\r\n"
    finally:
        c.close()


def test_message_order_from_one_publisher(server):
    sub, pub = server.client(), server.client()
    try:
        sub.send_command("SUBSCRIBE", "ordered")
        sub.read_reply()
        pub.send(b"".join(b"*3\r\n$7\r\nPUBLISH\r\n$7\r\nordered\r\n$%d\r\n%d\r\n" % (len(str(i)), i)
                          for i in range(1000)))
        for i in range(1000):
            assert pub.read_reply() == b":1\r\n"
        for i in range(1000):
            assert _decode_push(sub.read_reply(timeout=WAIT)) == (b"message", b"ordered", str(i).encode())
    finally:
        sub.close()
        pub.close()


# ---------------------------------------------------------------------------
# Stress (SwiftKeyDB only)
# ---------------------------------------------------------------------------


def test_watch_multi_exec_counters_stress(sut_server):
    redis = pytest.importorskip("redis")
    srv = sut_server.require()
    keys = ["ctr:a", "ctr:b", "ctr:c"]
    admin = redis.Redis(host=srv.host, port=srv.port, db=10, socket_timeout=10, protocol=2)
    admin.delete(*keys)
    errors: List[BaseException] = []

    def worker(seed: int) -> None:
        try:
            r = redis.Redis(host=srv.host, port=srv.port, db=10, socket_timeout=10, protocol=2)
            for i in range(200):
                key = keys[(seed + i) % 3]
                while True:
                    with r.pipeline() as p:
                        try:
                            p.watch(key)
                            current = int(p.get(key) or 0)
                            p.multi()
                            p.set(key, current + 1)
                            p.execute()
                            break
                        except redis.WatchError:
                            continue
            r.close()
        except BaseException as e:  # noqa: BLE001
            errors.append(e)

    threads = [threading.Thread(target=worker, args=(n,)) for n in range(20)]
    start = time.monotonic()
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    assert not any(t.is_alive() for t in threads), "workers did not finish"
    assert not errors, errors
    total = sum(int(admin.get(k) or 0) for k in keys)
    admin.delete(*keys)
    admin.close()
    assert total == 4000, total
    assert time.monotonic() - start < 120


def test_slow_subscriber_is_disconnected(sut_server):
    srv = sut_server.require()
    slow = socket.create_connection((srv.host, srv.port), timeout=5)
    slow.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
    pub = srv.client(timeout=10)
    other = srv.client()
    try:
        slow.sendall(b"*2\r\n$9\r\nSUBSCRIBE\r\n$4\r\nslow\r\n")
        deadline = time.monotonic() + WAIT
        while pub.call("PUBSUB", "NUMSUB", "slow") != b"*2\r\n$4\r\nslow\r\n:1\r\n":
            assert time.monotonic() < deadline
            time.sleep(0.02)
        payload = b"x" * 65536
        start = time.monotonic()
        receivers = []
        for _ in range(640):  # ~40 MB, past the 32 MB hard limit
            receivers.append(pub.call("PUBLISH", "slow", payload))
            if receivers[-1] == b":0\r\n":
                break
            assert time.monotonic() - start < 20
        # The subscriber is dropped; everyone else is still served.
        deadline = time.monotonic() + 20
        while pub.call("PUBSUB", "NUMSUB", "slow") != b"*2\r\n$4\r\nslow\r\n:0\r\n":
            assert time.monotonic() < deadline, "slow subscriber still connected"
            time.sleep(0.05)
        assert time.monotonic() - start < 20
        assert other.call("PING") == b"+PONG\r\n"
        info = other.call("INFO", "clients")
        assert b"connected_clients:" in info
        assert pub.call("PUBLISH", "slow", "x") == b":0\r\n"
    finally:
        slow.close()
        pub.close()
        other.close()
