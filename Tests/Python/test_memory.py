"""MEMORY STATS, DOCTOR, MALLOC-STATS, PURGE and HELP, side by side with
redis-server 7.0.15.

Each test runs on a fresh pair of servers, so both start near their start-up
footprint. Help texts, errors and the replies that do not depend on the
allocator are compared byte for byte; MEMORY STATS by shape (the same keys in
the same order, each value of the same RESP type) and by its arithmetic;
MALLOC-STATS by type (Redis's is jemalloc's report, SwiftKeyDB's glibc's).
"""

from __future__ import annotations

from typing import List, Tuple

import pytest

from conftest import ServerProcess, redis_server_bin, sut_bin
from resp_client import RespClient, bulk_value, parse_reply

EMPTY = (b"Hi Sam, this instance is empty or is using very little memory, my issues detector can't be used in "
         b"these conditions. Please, leave for your mission on Earth and fill it with some data. The new Sam and I "
         b"will be back to our programming as soon as I finished rebooting.\n")


@pytest.fixture
def clients():
    servers = [ServerProcess("redis-server (reference)", redis_server_bin(), ["--daemonize", "no"]),
               ServerProcess("swiftkeydb (under test)", sut_bin(), [])]
    opened = []
    try:
        for server in servers:
            server.start()
            opened.append(server.require().client())
        yield opened
    finally:
        for c in opened:
            c.close()
        for server in servers:
            server.cleanup()


def _shape(raw: bytes) -> List[Tuple[bytes, bytes]]:
    """MEMORY STATS as (name, type byte of its value), db.N maps flattened as db.N/field."""
    reply = parse_reply(raw)
    items = reply.items
    shape = []
    for name, value in zip(items[0::2], items[1::2]):
        name = bulk_value(name)
        if value.startswith(b"*"):
            inner = parse_reply(value).items
            shape += [(name + b"/" + bulk_value(k), v[:1]) for k, v in zip(inner[0::2], inner[1::2])]
        else:
            shape.append((name, value[:1]))
    return shape


def _numbers(raw: bytes) -> dict:
    """MEMORY STATS as numbers (ratios as floats), db.N fields as db.N/field."""
    items = parse_reply(raw).items
    out = {}
    for name, value in zip(items[0::2], items[1::2]):
        name = bulk_value(name).decode()
        if value.startswith(b"*"):
            inner = parse_reply(value).items
            for k, v in zip(inner[0::2], inner[1::2]):
                out[f"{name}/{bulk_value(k).decode()}"] = int(v[1:-2])
        elif value.startswith(b":"):
            out[name] = int(value[1:-2])
        else:
            out[name] = float(bulk_value(value))
    return out


def _fill(c: RespClient) -> None:
    c.call("FLUSHALL")
    for db, count, ttl in (("0", 50, False), ("3", 5, True), ("9", 20, False)):
        c.call("SELECT", db)
        for index in range(count):
            args = ("SET", f"key:{index}", "v" * 40) + (("EX", "1000") if ttl and index % 2 else ())
            assert c.call(*args) == b"+OK\r\n"
    c.call("SELECT", "0")


def test_help_errors_and_fixed_replies(clients):
    for args in (("MEMORY", "HELP"), ("MEMORY",), ("MEMORY", "FOO"), ("MEMORY", "HELP", "x"), ("MEMORY", "STATS", "x"),
                 ("MEMORY", "DOCTOR", "x"), ("MEMORY", "PURGE", "x"), ("MEMORY", "MALLOC-STATS", "x"),
                 ("MEMORY", "PURGE"), ("MEMORY", "purge"), ("FLUSHALL",), ("MEMORY", "DOCTOR")):
        replies = [c.call(*args) for c in clients]
        assert replies[0] == replies[1], (args, replies)
    assert clients[0].call("MEMORY", "DOCTOR") == b"$%d\r\n%s\r\n" % (len(EMPTY), EMPTY)


def test_command_info(clients):
    for name in ("memory|stats", "memory|doctor", "memory|malloc-stats", "memory|purge", "memory|help"):
        redis, sut = (parse_reply(c.call("COMMAND", "INFO", name)).items[0] for c in clients)
        assert sut == redis, name


def test_stats_shape_matches_redis(clients):
    assert _shape(clients[0].call("MEMORY", "STATS")) == _shape(clients[1].call("MEMORY", "STATS"))
    for c in clients:
        _fill(c)
    redis, sut = (_shape(c.call("MEMORY", "STATS")) for c in clients)
    assert [name for name, _ in redis if name.startswith(b"db.")] == [
        b"db.%d/overhead.hashtable.%s" % (db, field) for db in (0, 3, 9) for field in (b"main", b"expires", b"slot-to-keys")]
    assert sut == redis


def test_stats_add_up(clients):
    for c in clients:
        _fill(c)
        stats = _numbers(c.call("MEMORY", "STATS"))
        parts = ["startup.allocated", "replication.backlog", "clients.slaves", "clients.normal", "cluster.links",
                 "aof.buffer", "lua.caches", "functions.caches"]
        tables = sum(v for k, v in stats.items() if k.startswith("db."))
        assert stats["overhead.total"] == sum(stats[p] for p in parts) + tables, stats
        assert stats["dataset.bytes"] == stats["total.allocated"] - stats["overhead.total"], stats
        assert stats["keys.count"] == 75
        net = stats["total.allocated"] - stats["startup.allocated"]
        assert stats["keys.bytes-per-key"] == net // 75
        assert 0 < stats["startup.allocated"] <= stats["peak.allocated"]
        assert stats["total.allocated"] <= stats["peak.allocated"]
        # Each database's table holds at least a pointer per key.
        for db, count in ((0, 50), (3, 5), (9, 20)):
            assert stats[f"db.{db}/overhead.hashtable.main"] >= 8 * count
        used = int(dict(line.split(b":", 1) for line in bulk_value(c.call("INFO", "memory")).split(b"\r\n")
                        if b":" in line)[b"used_memory"])
        assert abs(used - stats["total.allocated"]) < 1 << 20


def test_malloc_stats_is_the_allocators_report(clients):
    redis, sut = (c.call("MEMORY", "MALLOC-STATS") for c in clients)
    assert redis[:1] == sut[:1] == b"$"
    report = bulk_value(sut)
    assert report.startswith(b'<malloc version="1">\n') and report.rstrip().endswith(b"</malloc>")


def test_doctor_with_data(clients):
    """Past 5 MB both servers examine the instance: an all-clear or a list of issues, never the empty text."""
    for c in clients:
        c.call("FLUSHALL")
        for index in range(64):
            c.call("SET", f"big:{index}", "x" * 100_000)
        report = bulk_value(c.call("MEMORY", "DOCTOR"))
        assert report != EMPTY
        assert (report == b"Hi Sam, I can't find any memory issue in your instance. I can only account for what "
                          b"occurs on this base.\n"
                or report.startswith(b"Sam, I detected a few issues in this Redis instance memory implants:\n\n * ")
                and report.endswith(b"\n\nI'm here to keep you safe, Sam. I want to help you.\n")), report
        c.call("FLUSHALL")
        assert c.call("MEMORY", "PURGE") == b"+OK\r\n"
