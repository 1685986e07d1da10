"""maxmemory and eviction side by side with redis-server 7.0: the same steps
on both, comparing what a client sees — the -OOM text, which commands are
refused, whether the limit holds, which keys a policy may delete. The two
servers lay memory out differently, so key counts are compared as outcomes
(under the limit, evictions happened, a key survived), not as numbers."""

from __future__ import annotations

import random
import re

import pytest

from conftest import serve_pair


@pytest.fixture
def both():
    yield from serve_pair()


def _info(client, field):
    section = "stats" if field == "evicted_keys" else "memory"
    return int(re.search(rf"^{field}:(\d+)\r$", client.call("INFO", section).decode(), re.M).group(1))


def _limit(client, headroom, policy):
    limit = _info(client, "used_memory") + headroom
    assert client.call("CONFIG", "SET", "maxmemory-policy", policy) == b"+OK\r\n"
    assert client.call("CONFIG", "SET", "maxmemory", str(limit)) == b"+OK\r\n"
    return limit


def test_noeviction_refuses_growth_with_redis_text(both):
    outcomes = []
    for server in both:
        c = server.client()
        _limit(c, 512 * 1024, "noeviction")
        value = "x" * 10_000
        for index in range(1000):
            reply = c.call("SET", f"key:{index}", value)
            if reply != b"+OK\r\n":
                break
        steps = [reply, c.call("GET", "key:0")[:8], c.call("LPUSH", "list", "a"), c.call("DEL", "key:0"),
                 c.call("MULTI"), c.call("GET", "key:1")[:20], c.call("EXEC"),
                 c.call("FLUSHALL"), c.call("SET", "after", "flush"), c.call("CONFIG", "SET", "maxmemory", "0")]
        outcomes.append(steps)
    assert outcomes[0] == outcomes[1]
    assert outcomes[0][0] == b"-OOM command not allowed when used memory > 'maxmemory'.\r\n"


@pytest.mark.parametrize("policy", ["allkeys-random", "allkeys-lru", "allkeys-lfu", "volatile-lru", "volatile-lfu",
                                    "volatile-random", "volatile-ttl"])
def test_the_limit_holds_under_every_policy(both, policy):
    # Redis's own check (tests/unit/maxmemory.tcl): fill to the limit with volatile keys,
    # add as many again, and memory must stay within 4 KB of it.
    for server in both:
        c = server.client()
        limit = _limit(c, 100 * 1024, policy)
        keys = 0
        while _info(c, "used_memory") + 4096 <= limit:
            assert c.call("SETEX", f"key:{random.randrange(10**9)}", "10000", "x") == b"+OK\r\n"
            keys += 1
        assert keys > 10, server.name
        for _ in range(keys):
            assert c.call("SETEX", f"key:{random.randrange(10**9)}", "10000", "x") == b"+OK\r\n", server.name
        assert _info(c, "used_memory") < limit + 4096, server.name
        assert _info(c, "evicted_keys") > 0, server.name


@pytest.mark.parametrize("policy", ["volatile-lru", "volatile-random", "volatile-ttl"])
def test_volatile_policies_never_delete_keys_without_a_ttl(both, policy):
    outcomes = []
    for server in both:
        c = server.client()
        limit = _limit(c, 100 * 1024, policy)
        keys = 0
        while _info(c, "used_memory") + 4096 <= limit:
            c.call("SET", f"key:{keys}", "x")
            keys += 1
        replies = {c.call("SET", f"more:{index}", "x") for index in range(keys)}
        survivors = sum(c.call("EXISTS", f"key:{index}") == b":1\r\n" for index in range(keys))
        outcomes.append((b"-OOM command not allowed when used memory > 'maxmemory'.\r\n" in replies, survivors == keys))
    assert outcomes[0] == outcomes[1] == (True, True)


def test_an_eviction_is_announced(both):
    for server in both:
        c, subscriber = server.client(), server.client()
        c.call("CONFIG", "SET", "notify-keyspace-events", "Ee")
        subscriber.call("SUBSCRIBE", "__keyevent@0__:evicted")
        _limit(c, 200 * 1024, "allkeys-lru")
        for index in range(20_000):
            c.call("SET", f"key:{index}", "x" * 20)
            if _info(c, "evicted_keys") > 0:
                break
        message = subscriber.read_reply(timeout=5)
        assert message.startswith(b"*3\r\n$7\r\nmessage\r\n$22\r\n__keyevent@0__:evicted\r\n"), server.name
        c.call("CONFIG", "SET", "maxmemory", "0")


def test_scripts_that_declared_flags_are_refused_before_they_run(both):
    """A shebang script or a function that may write (no `no-writes`, no `allow-oom`)
    is refused with the generic -OOM before it runs, as any deny-oom command."""
    library = "#!lua name=oomlib\nredis.register_function('plain', function() return 1 end)\n" \
              "redis.register_function{function_name='reader', callback=function() return 2 end, flags={'no-writes'}}"
    outcomes = []
    for server in both:
        c = server.client()
        sha = c.call("SCRIPT", "LOAD", "#!lua\nreturn 3")
        c.call("FUNCTION", "LOAD", library)
        c.call("SET", "filler", "x" * 1000)
        assert c.call("CONFIG", "SET", "maxmemory", "1") == b"+OK\r\n"
        steps = [c.call("EVAL", "#!lua\nreturn 1", "0"), c.call("EVAL", "#!lua\nreturn redis.call('GET', 'a')", "0"),
                 c.call("EVAL", "#!lua flags=no-writes\nreturn 1", "0"), c.call("EVAL", "#!lua flags=allow-oom\nreturn 1", "0"),
                 c.call("EVAL", "return 1", "0"), c.call("EVALSHA", sha.split(b"\r\n")[1].decode(), "0"),
                 c.call("FCALL", "plain", "0"), c.call("FCALL", "reader", "0"), c.call("FCALL_RO", "reader", "0")]
        c.call("CONFIG", "SET", "maxmemory", "0")
        outcomes.append(steps)
    assert outcomes[0] == outcomes[1]
    assert outcomes[0][0] == b"-OOM command not allowed when used memory > 'maxmemory'.\r\n"
