"""Lazy freeing (Redis's lazyfree.c), side by side with redis-server 7.0: which
deletions hand a big value to the background thread, as INFO's lazyfreed_objects
counts them, under each `lazyfree-lazy-*` setting; and that memory comes back.
"""

from __future__ import annotations

import time
from contextlib import closing

import pytest

from conftest import serve_pair


def _info(c, field: str) -> int:
    text = c.call("INFO", "memory").decode()
    for line in text.split("\r\n"):
        if line.startswith(field + ":"):
            return int(line.split(":", 1)[1])
    raise AssertionError(f"no {field} in INFO")


def _freed(c) -> int:
    """lazyfreed_objects once nothing is pending."""
    deadline = time.monotonic() + 5
    while _info(c, "lazyfree_pending_objects") and time.monotonic() < deadline:
        time.sleep(0.01)
    return _info(c, "lazyfreed_objects")


def _big_set(c, key: str, members: int = 1000) -> None:
    """A new set of 1,000 members under `key` (a string left there is deleted first)."""
    if c.call("TYPE", key) == b"+string\r\n":
        assert c.call("DEL", key) == b":1\r\n"
    assert c.call("SADD", key, *[f"m{i}" for i in range(members)]) == b":%d\r\n" % members


# Each step: commands to run, then lazyfreed_objects is read from both servers.
STEPS = [
    [("SADD", "small", "a", "b", "c"), ("UNLINK", "small")],  # one allocation: freed in place
    [("BIG", "s"), ("UNLINK", "s")],  # a 1,000-member set: in the background
    [("SADD", "ints", *range(300)), ("UNLINK", "ints")],  # an intset: freed in place
    [("RPUSH", "l", *range(100)), ("UNLINK", "l")],  # one quicklist node
    [("BIG", "s"), ("DEL", "s")],  # DEL: in place while lazyfree-lazy-user-del is no
    [("CONFIG", "SET", "lazyfree-lazy-user-del", "yes"), ("BIG", "s"), ("DEL", "s")],
    [("BIG", "s"), ("BIG", "t"), ("SET", "x", "1"), ("FLUSHALL", "ASYNC")],  # counts every key
    [("BIG", "s"), ("FLUSHDB", "SYNC")],
    [("CONFIG", "SET", "lazyfree-lazy-user-flush", "yes"), ("BIG", "s"), ("FLUSHDB",)],
    [("BIG", "s"), ("SET", "s", "v")],  # a replaced value: in place while lazy-server-del is no
    [("CONFIG", "SET", "lazyfree-lazy-server-del", "yes"), ("BIG", "s"), ("SET", "s", "v")],
    [("BIG", "s"), ("SET", "t", "v"), ("RENAME", "t", "s")],
    [("BIG", "s"), ("SET", "t", "v"), ("COPY", "t", "s", "REPLACE")],
    [("BIG", "s"), ("SET", "t", "v"), ("RESTORE-OVER", "s", "t")],  # RESTORE s 0 <DUMP t> REPLACE
    [("BIG", "s"), ("SUNIONSTORE", "s", "none1", "none2")],  # an empty result deletes the target
    [("CONFIG", "SET", "lazyfree-lazy-expire", "yes"), ("DEBUG", "SET-ACTIVE-EXPIRE", "0"),
     ("BIG", "s"), ("PEXPIRE", "s", "1"), ("SLEEP",), ("EXISTS", "s")],
    [("BIG", "s"), ("EXPIRE", "s", "-1")],  # a time already past deletes at once
    [("CONFIG", "RESETSTAT",)],
]


@pytest.fixture
def pair():
    yield from serve_pair(["--enable-debug-command", "yes"])


def test_lazyfreed_objects_match_redis(pair):
    counts = {}
    for server in pair:
        with closing(server.client()) as c:
            seen = []
            for step in STEPS:
                for command in step:
                    if command[0] == "BIG":
                        _big_set(c, command[1])
                    elif command[0] == "RESTORE-OVER":
                        payload = c.call("DUMP", command[2])
                        dump = payload[payload.index(b"\r\n") + 2:-2]
                        assert c.call("RESTORE", command[1], "0", dump, "REPLACE") == b"+OK\r\n"
                    elif command[0] == "SLEEP":
                        time.sleep(0.05)
                    else:
                        reply = c.call(*command)
                        assert not reply.startswith(b"-"), (command, reply)
                seen.append(_freed(c))
            counts[server.name] = seen
    redis, sut = (counts[server.name] for server in pair)
    assert redis == [0, 1, 1, 1, 1, 2, 5, 5, 6, 6, 7, 8, 9, 10, 11, 12, 13, 0]  # what the steps are meant to show
    assert sut == redis


@pytest.mark.parametrize("appendonly", ["no", "yes"])
def test_unlinked_memory_comes_back(appendonly):
    """Redis's 'UNLINK can reclaim memory in background': the set's memory, and the
    100,000-argument command's (its arguments, and with the log on its record), are
    given back."""
    pair = serve_pair(["--appendonly", appendonly])
    _, sut = next(pair)
    with closing(pair), closing(sut.client()) as c:
        before = _info(c, "used_memory")
        c.call("SADD", "myset", *range(100000))
        peak = _info(c, "used_memory")
        assert peak > before + 1_000_000
        assert c.call("UNLINK", "myset") == b":1\r\n"
        assert _freed(c) == 1
        after = _info(c, "used_memory")
        assert after < before * 2 and after < peak, (before, peak, after)


def test_script_and_function_flush_match_redis(pair):
    """SCRIPT FLUSH / FUNCTION FLUSH ASYNC hand a cache of more than 64 entries to the
    background, each entry counted (Redis's freeLuaScriptsAsync / freeFunctionsAsync)."""
    functions = "#!lua name=many\n" + "\n".join(
        f"redis.register_function('f{i}', function() return {i} end)" for i in range(70))

    def load_scripts(c, count):
        for i in range(count):
            assert c.call("SCRIPT", "LOAD", f"return {i}").startswith(b"$40")

    seen = {}
    for server in pair:
        with closing(server.client()) as c:
            steps = []
            load_scripts(c, 100)
            c.call("SCRIPT", "FLUSH", "ASYNC")
            steps.append(_freed(c))
            load_scripts(c, 100)
            c.call("SCRIPT", "FLUSH", "SYNC")
            load_scripts(c, 10)
            c.call("SCRIPT", "FLUSH", "ASYNC")
            steps.append(_freed(c))
            assert c.call("FUNCTION", "LOAD", functions) == b"$4\r\nmany\r\n"
            assert c.call("FUNCTION", "FLUSH", "ASYNC") == b"+OK\r\n"
            steps.append(_freed(c))
            c.call("CONFIG", "SET", "lazyfree-lazy-user-flush", "yes")
            load_scripts(c, 65)
            c.call("SCRIPT", "FLUSH")
            steps.append(_freed(c))
            seen[server.name] = steps
    redis, sut = (seen[server.name] for server in pair)
    assert redis == [100, 100, 170, 235]
    assert sut == redis
