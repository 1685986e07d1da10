"""Client-side caching (CLIENT TRACKING) side by side with Redis 7.0.

Each scenario drives a few connections to redis-server and to SwiftKeyDB in
the same order; every reply and every pushed invalidation message is read and
the two transcripts must match byte for byte (client ids, which differ between
the servers, are replaced by the connection's name).
"""

from __future__ import annotations

import time
from typing import Dict, List

import pytest

from resp_client import ReplyTimeout, RespClient

QUIET = 0.3   # seconds to wait for a message that must not come


def run(server, steps) -> List[bytes]:
    """Runs `steps` against `server`: (name, *command) sends and reads one reply;
    ("read", name) reads one pushed message; ("none", name) checks nothing more
    arrives; ("counts", name) keeps INFO's tracking_* lines; ("send", name,
    *command) sends without reading; ("sleep", seconds) waits; "{id:name}" in a
    command is that connection's client id."""
    conns: Dict[str, RespClient] = {}
    ids: Dict[str, bytes] = {}
    out: List[bytes] = []

    def conn(name: str) -> RespClient:
        if name not in conns:
            conns[name] = RespClient(server.host, server.port, timeout=3)
            ids[name] = conns[name].call("CLIENT", "ID")[1:-2]
        return conns[name]

    def masked(raw: bytes) -> bytes:
        # Ids appear as a whole reply (GETREDIR) or after these field names.
        for name, id_ in ids.items():
            tag = b"<" + name.encode() + b">"
            if raw == b":" + id_ + b"\r\n":
                return b":" + tag + b"\r\n"
            for field in (b"$2\r\nid\r\n", b"redirect\r\n", b"tracking-redir-broken\r\n"):
                raw = raw.replace(field + b":" + id_ + b"\r\n", field + b":" + tag + b"\r\n")
        return raw

    try:
        conn("admin").call("FLUSHALL")
        for step in steps:
            if step[0] == "read":
                out.append(masked(conn(step[1]).read_reply()))
            elif step[0] == "send":
                conn(step[1]).send_command(*step[2:])
            elif step[0] == "sleep":
                time.sleep(step[1])
            elif step[0] == "any-key":
                # An invalidation of a key picked at random: its name is not compared.
                out.append(conn(step[1]).call(*step[2:]).rstrip(b"123\r\n"))
            elif step[0] == "counts":
                info = conn(step[1]).call("INFO", "everything")
                out.append(b"\n".join(line for line in info.split(b"\r\n") if line.startswith(b"tracking_")))
            elif step[0] == "none":
                try:
                    extra = conn(step[1]).read_reply(timeout=QUIET)
                    out.append(b"<unexpected> " + extra)
                except ReplyTimeout:
                    out.append(b"<nothing>")
            else:
                name, *command = step
                args = []
                for arg in command:
                    for other in list(conns):
                        arg = arg.replace("{id:%s}" % other, ids[other].decode())
                    args.append(arg)
                out.append(masked(conn(name).call(*args)))
    finally:
        for c in conns.values():
            c.close()
        with RespClient(server.host, server.port) as admin:
            admin.call("CONFIG", "SET", "tracking-table-max-keys", "1000000", "busy-reply-threshold", "5000")
    return out


def same(redis_server, sut_server, steps):
    expected = run(redis_server.require(), steps)
    actual = run(sut_server.require(), steps)
    for i, (e, a) in enumerate(zip(expected, actual)):
        assert a == e, f"step {i} {steps[i]}:\n  redis     : {e!r}\n  swiftkeydb: {a!r}"


def test_default_mode_over_resp3(redis_server, sut_server):
    same(redis_server, sut_server, [
        ("c", "HELLO", "3"), ("c", "CLIENT", "TRACKING", "on"), ("w", "SET", "a", "1"),
        ("c", "GET", "a"), ("c", "MGET", "b", "c"), ("w", "SET", "a", "2"), ("read", "c"),
        # Forgotten once told: a second change sends nothing.
        ("w", "SET", "a", "3"), ("w", "MSET", "c", "1", "b", "2"), ("read", "c"), ("read", "c"), ("none", "c"),
        # Its own change: the invalidation follows the reply.
        ("c", "GET", "a"), ("c", "SET", "a", "4"), ("read", "c"),
        ("c", "GET", "a"), ("c", "DEL", "a", "nokey"), ("read", "c"),
        # Inside MULTI, after EXEC's whole reply.
        ("c", "GET", "x"), ("c", "MULTI"), ("c", "SET", "x", "1"), ("c", "GET", "x"), ("c", "EXEC"), ("read", "c"),
        ("c", "CLIENT", "TRACKINGINFO"), ("c", "CLIENT", "GETREDIR"),
        ("c", "CLIENT", "TRACKING", "off"), ("c", "CLIENT", "TRACKINGINFO"), ("c", "CLIENT", "GETREDIR"),
        ("w", "SET", "x", "2"), ("none", "c"),
    ])


def test_a_served_blocked_client_gets_only_its_own_invalidations(redis_server, sut_server):
    same(redis_server, sut_server, [
        ("a", "HELLO", "3"), ("a", "CLIENT", "TRACKING", "on"), ("a", "LLEN", "l"), ("a", "GET", "k"),
        ("b", "HELLO", "3"), ("send", "b", "BLPOP", "l", "0"), ("sleep", 0.2),
        ("a", "RPUSH", "l", "x"), ("read", "a"), ("read", "b"), ("none", "b"),
        ("send", "b", "BLPOP", "l", "0"), ("sleep", 0.2),
        ("a", "MULTI"), ("a", "SET", "k", "1"), ("a", "RPUSH", "l", "y"), ("a", "EXEC"), ("read", "a"),
        ("read", "b"), ("none", "b"),
        # A blocked BLMOVE's destination changes as it is served: its reader is told after the reply.
        ("b", "CLIENT", "TRACKING", "on"), ("b", "LRANGE", "dst", "0", "-1"),
        ("send", "b", "BLMOVE", "src", "dst", "LEFT", "LEFT", "0"), ("sleep", 0.2),
        ("a", "RPUSH", "src", "z"), ("read", "b"), ("read", "b"), ("none", "b"),
    ])


def test_keys_a_write_command_only_reads_are_not_invalidated(redis_server, sut_server):
    same(redis_server, sut_server, [
        ("w", "SADD", "s1", "a"), ("w", "SADD", "s2", "a"), ("w", "RPUSH", "l1", "x"), ("w", "SET", "src", "v"),
        ("a", "HELLO", "3"), ("a", "CLIENT", "TRACKING", "on"),
        ("a", "SMEMBERS", "s1"), ("a", "SMEMBERS", "s2"), ("a", "LLEN", "l1"), ("a", "LLEN", "l2"), ("a", "GET", "src"),
        ("w", "SINTERSTORE", "d", "s1", "s2"), ("w", "SUNIONSTORE", "d", "s1", "s2"), ("w", "COPY", "src", "dst"),
        ("w", "LMPOP", "2", "l2", "l1", "LEFT"), ("read", "a"), ("none", "a"),
        ("w", "SADD", "s1", "b"), ("read", "a"), ("w", "SWAPDB", "0", "1"), ("none", "a"),
    ])


def test_pushes_pass_client_reply_off(redis_server, sut_server):
    same(redis_server, sut_server, [
        ("c", "HELLO", "3"), ("c", "SUBSCRIBE", "ch"), ("c", "CLIENT", "TRACKING", "on"), ("c", "GET", "k"),
        ("send", "c", "CLIENT", "REPLY", "OFF"), ("send", "c", "PUBLISH", "ch", "m"), ("send", "c", "SET", "k", "1"),
        ("c", "CLIENT", "REPLY", "ON"), ("read", "c"), ("none", "c"),
    ])


def test_a_paused_script_keeps_its_callers_tracking(redis_server, sut_server):
    busy = ("local t0 = redis.call('time') local now repeat now = redis.call('time') "
            "until (now[1] - t0[1]) * 1000000 + (now[2] - t0[2]) > 400000 "
            "redis.call('set', KEYS[1], '1') return 1")
    same(redis_server, sut_server, [
        ("admin", "CONFIG", "SET", "busy-reply-threshold", "100"),
        ("a", "HELLO", "3"), ("a", "CLIENT", "TRACKING", "on", "NOLOOP"), ("a", "GET", "k"), ("a", "GET", "j"),
        ("send", "a", "EVAL", busy, "1", "k"), ("sleep", 0.2), ("b", "PING"), ("read", "a"), ("none", "a"),
        ("a", "CLIENT", "TRACKING", "on"), ("a", "GET", "j"),
        ("send", "a", "EVAL", busy, "1", "j"), ("sleep", 0.2), ("b", "PING"), ("read", "a"), ("read", "a"),
    ])


def test_noloop_and_resp2_without_redirect(redis_server, sut_server):
    same(redis_server, sut_server, [
        ("c", "HELLO", "3"), ("c", "CLIENT", "TRACKING", "on", "NOLOOP"), ("c", "GET", "k"),
        ("c", "SET", "k", "1"), ("none", "c"), ("c", "GET", "k"), ("w", "SET", "k", "2"), ("read", "c"),
        # RESP2 without a redirect has nowhere to push: nothing arrives.
        ("r2", "CLIENT", "TRACKING", "on"), ("r2", "GET", "k"), ("w", "SET", "k", "3"), ("r2", "PING"),
        ("r2", "CLIENT", "TRACKINGINFO"),
    ])


def test_redirect_to_a_resp2_subscriber_and_a_broken_redirect(redis_server, sut_server):
    same(redis_server, sut_server, [
        ("sub", "SUBSCRIBE", "__redis__:invalidate"),
        ("c", "CLIENT", "TRACKING", "on", "REDIRECT", "{id:sub}"), ("c", "GET", "k"), ("c", "GET", "j"),
        ("w", "SET", "k", "1"), ("read", "sub"), ("w", "FLUSHALL"), ("read", "sub"),
        ("c", "CLIENT", "GETREDIR"), ("c", "CLIENT", "TRACKINGINFO"),
        # A RESP3 tracker redirecting to a client that leaves is told so, when a message would go.
        ("t3", "HELLO", "3"), ("gone", "PING"), ("t3", "CLIENT", "TRACKING", "on", "REDIRECT", "{id:gone}"),
        ("gone", "QUIT"), ("t3", "GET", "k"), ("w", "SET", "k", "2"), ("read", "t3"),
        ("t3", "CLIENT", "TRACKINGINFO"),
    ])


def test_bcast_prefixes_and_noloop(redis_server, sut_server):
    same(redis_server, sut_server, [
        ("b", "HELLO", "3"), ("b", "CLIENT", "TRACKING", "on", "BCAST", "PREFIX", "user:", "PREFIX", "obj:"),
        ("w", "MSET", "user:2", "a", "user:1", "b", "other", "c", "obj:9", "d"), ("read", "b"), ("read", "b"),
        ("w", "SET", "other", "x"), ("none", "b"),
        # Prefixes add up; overlapping ones and switching modes are refused.
        ("b", "CLIENT", "TRACKING", "on", "BCAST", "PREFIX", "z"), ("b", "CLIENT", "TRACKINGINFO"),
        ("b", "CLIENT", "TRACKING", "on", "BCAST", "PREFIX", "user:x"),
        ("b", "CLIENT", "TRACKING", "on", "BCAST", "PREFIX", "q", "PREFIX", "qq"),
        ("b", "CLIENT", "TRACKING", "on"),
        ("n", "HELLO", "3"), ("n", "CLIENT", "TRACKING", "on", "BCAST", "NOLOOP"),
        ("n", "MSET", "k1", "1", "k2", "2"), ("w", "SET", "k3", "3"), ("read", "n"),
        ("n", "CLIENT", "TRACKINGINFO"), ("counts", "admin"),
    ])


def test_optin_and_optout(redis_server, sut_server):
    same(redis_server, sut_server, [
        ("i", "HELLO", "3"), ("i", "CLIENT", "CACHING", "yes"),
        ("i", "CLIENT", "TRACKING", "on", "OPTIN"), ("i", "CLIENT", "CACHING", "no"),
        ("i", "GET", "a"), ("i", "CLIENT", "CACHING", "yes"), ("i", "GET", "b"), ("i", "GET", "c"),
        ("w", "MSET", "a", "1", "b", "2", "c", "3"), ("read", "i"), ("none", "i"),
        ("i", "CLIENT", "TRACKINGINFO"), ("i", "CLIENT", "TRACKING", "on", "OPTOUT"),
        ("o", "HELLO", "3"), ("o", "CLIENT", "TRACKING", "on", "OPTOUT"), ("o", "CLIENT", "CACHING", "no"),
        ("o", "CLIENT", "TRACKINGINFO"), ("o", "GET", "a"), ("o", "GET", "b"),
        ("w", "MSET", "a", "1", "b", "2"), ("read", "o"), ("none", "o"),
    ])


def test_scripts_remember_their_declared_keys(redis_server, sut_server):
    same(redis_server, sut_server, [
        ("c", "HELLO", "3"), ("c", "CLIENT", "TRACKING", "on"),
        ("c", "EVAL", "redis.call('set', 'k3', 'bar')", "2", "k1", "k2"), ("w", "MSET", "k1", "1", "k2", "2"),
        ("c", "EVAL", "return redis.call('get', 'k3')", "2", "k1", "k2"), ("w", "MSET", "k2", "2", "k1", "2"),
        ("read", "c"), ("read", "c"), ("none", "c"),
        ("c", "EVAL_RO", "return redis.call('get', 'k1')", "1", "k2"), ("w", "SET", "k2", "3"), ("read", "c"),
    ])


def test_errors_and_introspection(redis_server, sut_server):
    same(redis_server, sut_server, [
        ("c", "CLIENT", "TRACKING"), ("c", "CLIENT", "TRACKING", "maybe"), ("c", "CLIENT", "TRACKING", "on", "foo"),
        ("c", "CLIENT", "TRACKING", "on", "REDIRECT", "abc"), ("c", "CLIENT", "TRACKING", "on", "REDIRECT", "999999"),
        ("c", "CLIENT", "TRACKING", "on", "REDIRECT", "{id:c}", "REDIRECT", "{id:c}"),
        ("c", "CLIENT", "TRACKING", "on", "PREFIX", "a"), ("c", "CLIENT", "TRACKING", "on", "BCAST", "OPTIN"),
        ("c", "CLIENT", "TRACKING", "on", "OPTIN", "OPTOUT"), ("c", "CLIENT", "TRACKING", "on", "OPTIN"),
        ("c", "CLIENT", "TRACKING", "on", "OPTOUT"), ("c", "CLIENT", "CACHING", "maybe"),
        ("c", "CLIENT", "TRACKING", "off", "REDIRECT", "999999"), ("c", "CLIENT", "TRACKING", "off"),
        ("c", "CLIENT", "CACHING", "yes"), ("c", "CLIENT", "GETREDIR", "x"), ("c", "CLIENT", "TRACKINGINFO", "x"),
        ("c", "COMMAND", "INFO", "client|tracking", "client|caching", "client|getredir", "client|trackinginfo"),
        ("c", "CONFIG", "GET", "tracking-table-max-keys"), ("c", "CONFIG", "SET", "tracking-table-max-keys", "-1"),
    ])


def test_tracking_table_limit_evicts_keys(redis_server, sut_server):
    same(redis_server, sut_server, [
        ("c", "HELLO", "3"), ("c", "CLIENT", "TRACKING", "on"), ("c", "GET", "k1"), ("c", "GET", "k2"),
        ("counts", "admin"), ("admin", "CONFIG", "SET", "tracking-table-max-keys", "2"), ("c", "GET", "k3"),
        ("counts", "admin"),
        # The next command of a tracking client brings the table back within the limit,
        # dropping a key picked at random (its readers told before the reply).
        ("any-key", "c", "PING"), ("read", "c"), ("none", "c"), ("counts", "admin"),
    ])


def test_client_list_shows_tracking(sut_server):
    c = sut_server.client()
    sub = sut_server.client()
    try:
        sub_id = sub.call("CLIENT", "ID")[1:-2]
        assert c.call("CLIENT", "TRACKING", "on", "BCAST", "REDIRECT", sub_id) == b"+OK\r\n"
        info = c.call("CLIENT", "INFO")
        assert b" flags=tB " in info and b" redir=" + sub_id + b" " in info
        sub.close()
        time.sleep(0.3)
        c.call("SET", "k", "1")  # a broadcast to a client that left marks the redirect broken
        c.call("PING")
        assert b" flags=tRB " in c.call("CLIENT", "INFO")
        assert c.call("CLIENT", "TRACKING", "off") == b"+OK\r\n"
        assert b" flags=N " in c.call("CLIENT", "INFO") and b" redir=-1 " in c.call("CLIENT", "INFO")
    finally:
        c.close()
