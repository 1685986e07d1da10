"""MIGRATE against Redis: each scenario runs with Redis as the source and with
SwiftKeyDB as the source, into the same kind of target (a fresh Redis, then a
fresh SwiftKeyDB), and what the source replies and what both sides hold after
must be the same byte for byte.
"""

from __future__ import annotations

import socket
from pathlib import Path
import threading
import time

import pytest

from conftest import free_port, serve_pair

OK = b"+OK\r\n"


@pytest.fixture(scope="module")
def sources():
    yield from serve_pair()


@pytest.fixture(scope="module", params=["redis target", "swiftkeydb target"])
def targets(request):
    # Two targets of one kind: one for each source, so that the sources do not meet.
    pair_a, pair_b = serve_pair(), serve_pair()
    first, second = next(pair_a), next(pair_b)
    kind = 0 if request.param == "redis target" else 1
    yield first[kind], second[kind]
    for pair in (pair_a, pair_b):
        next(pair, None)


def run_both(sources, targets, scenario):
    """The scenario's transcript with Redis as the source, then with SwiftKeyDB."""
    transcripts = []
    for source, target in zip(sources, targets):
        src, dst = source.client(), target.client()
        try:
            assert src.call("FLUSHALL") == OK and dst.call("FLUSHALL") == OK
            transcripts.append(scenario(src, dst, target))
        finally:
            src.close()
            dst.close()
    assert transcripts[0] == transcripts[1]
    return transcripts[1]


def migrate(src, target, *args):
    return src.call("MIGRATE", target.host, target.port, *args)


def test_moves_a_key_and_its_ttl(sources, targets):
    def scenario(src, dst, target):
        src.call("SET", "k", "v")
        src.call("SET", "t", "v", "PX", 100000)
        steps = [migrate(src, target, "k", 0, 5000), src.call("EXISTS", "k"), dst.call("GET", "k"), dst.call("TTL", "k"),
                 migrate(src, target, "t", 0, 5000)]
        ttl = int(dst.call("PTTL", "t")[1:])
        steps.append(90000 < ttl <= 100000)
        steps.append(migrate(src, target, "k", 0, 5000))  # gone from the source now
        steps.append([line for line in src.call("INFO", "stats").split(b"\r\n") if line.startswith(b"migrate_cached_sockets:")])
        return steps
    assert run_both(sources, targets, scenario)[:5] == [OK, b":0\r\n", b"$1\r\nv\r\n", b":-1\r\n", OK]


def test_copy_replace_and_a_busy_target_key(sources, targets):
    def scenario(src, dst, target):
        src.call("SET", "c", "mine")
        dst.call("SET", "c", "theirs")
        return [migrate(src, target, "c", 0, 5000), src.call("GET", "c"), dst.call("GET", "c"),
                migrate(src, target, "c", 0, 5000, "COPY"),
                migrate(src, target, "c", 0, 5000, "COPY", "REPLACE"), src.call("GET", "c"), dst.call("GET", "c"),
                migrate(src, target, "c", 0, 5000, "REPLACE"), src.call("EXISTS", "c"), dst.call("GET", "c")]
    steps = run_both(sources, targets, scenario)
    assert steps[0] == b"-ERR Target instance replied with error: BUSYKEY Target key name already exists.\r\n"


def test_keys_option_databases_and_nokey(sources, targets):
    def scenario(src, dst, target):
        src.call("MSET", "a", "1", "b", "2", "c", "3")
        return [migrate(src, target, "", 0, 5000, "KEYS", "a", "missing", "b"), src.call("DBSIZE"), dst.call("MGET", "a", "b"),
                migrate(src, target, "", 4, 5000, "KEYS", "c"), dst.call("EXISTS", "c"), dst.call("SELECT", 4), dst.call("GET", "c"),
                migrate(src, target, "", 4, 5000, "KEYS", "missing", "other"), migrate(src, target, "missing", 0, 5000),
                migrate(src, target, "", 0, 5000, "KEYS")]
    run_both(sources, targets, scenario)


def test_every_type_arrives_whole(sources, targets):
    def scenario(src, dst, target):
        src.call("RPUSH", "list", "a", "b", "c")
        src.call("HSET", "hash", "f1", "v1", "f2", "v2")
        src.call("SADD", "set", "x", "y", "1", "2")
        src.call("ZADD", "zset", "1.5", "m1", "-2", "m2")
        src.call("XADD", "stream", "1-1", "f", "v")
        src.call("XGROUP", "CREATE", "stream", "g", "0")
        src.call("SETRANGE", "big", 100000, "x")
        keys = ["list", "hash", "set", "zset", "stream", "big"]
        # (Not the set: a hash-table set's DUMP lists members in table order, which a RESTORE changes.)
        dumps = [src.call("DUMP", key) for key in keys if key != "set"]
        steps = [migrate(src, target, "", 0, 5000, "KEYS", *keys), src.call("DBSIZE"),
                 dst.call("LRANGE", "list", 0, -1), dst.call("HGETALL", "hash"), dst.call("SORT", "set", "ALPHA"),
                 dst.call("ZRANGE", "zset", 0, -1, "WITHSCORES"), dst.call("XRANGE", "stream", "-", "+"),
                 dst.call("XINFO", "GROUPS", "stream"), dst.call("STRLEN", "big")]
        # What arrived is what left: the target's DUMP of each is the source's.
        steps.append([dst.call("DUMP", key) for key in keys if key != "set"] == dumps)
        return steps
    assert run_both(sources, targets, scenario)[-1] is True


def test_authentication(sources, targets):
    def scenario(src, dst, target):
        dst.call("ACL", "SETUSER", "mover", "on", ">pw", "+@all", "~*")
        src.call("MSET", "k1", "v", "k2", "v", "k3", "v")
        steps = [migrate(src, target, "k1", 0, 5000, "AUTH2", "mover", "pw"),
                 migrate(src, target, "k2", 0, 5000, "AUTH2", "mover", "wrong"), src.call("EXISTS", "k2"),
                 migrate(src, target, "k2", 0, 5000, "AUTH", "wrong"),
                 migrate(src, target, "k3", 0, 5000, "AUTH2", "mover", "pw", "REPLACE"),
                 dst.call("MGET", "k1", "k2", "k3")]
        # The password is hidden from the slow log.
        src.call("CONFIG", "SET", "slowlog-log-slower-than", 0)
        migrate(src, target, "k2", 0, 5000, "AUTH", "secret")
        entry = src.call("SLOWLOG", "GET", 1)
        src.call("CONFIG", "SET", "slowlog-log-slower-than", 10000)
        steps.append(b"secret" not in entry and b"(redacted)" in entry)
        dst.call("ACL", "DELUSER", "mover")
        return steps
    steps = run_both(sources, targets, scenario)
    assert steps[1] == (b"-ERR Target instance replied with error: WRONGPASS invalid username-password pair "
                        b"or user is disabled.\r\n")
    assert steps[-1] is True


def test_a_stale_cached_connection_is_reopened(sources, targets):
    def scenario(src, dst, target):
        src.call("MSET", "a", "1", "b", "2")
        steps = [migrate(src, target, "a", 0, 5000)]
        # The target drops the source's connection (cmd=restore): the next MIGRATE reconnects.
        listed = dst.call("CLIENT", "LIST").decode()
        movers = [line.split()[1].split("=")[1] for line in listed.split("\n") if " cmd=restore " in line]
        steps.append(len(movers))
        for address in movers:
            dst.call("CLIENT", "KILL", address)
        time.sleep(0.1)
        steps += [migrate(src, target, "b", 0, 5000), dst.call("MGET", "a", "b"), src.call("DBSIZE")]
        return steps
    assert run_both(sources, targets, scenario)[1] == 1


def test_bad_arguments(sources, targets):
    def scenario(src, dst, target):
        src.call("SET", "k", "v")
        return [migrate(src, target, "k", 0, 5000, "FOO"), migrate(src, target, "k", 0, 5000, "AUTH"),
                migrate(src, target, "k", 0, 5000, "AUTH2", "user"), migrate(src, target, "k", 0, 5000, "KEYS", "k"),
                migrate(src, target, "k", 0, "x"), migrate(src, target, "k", "x", 5000), migrate(src, target, "k", 0, 1.5),
                src.call("MIGRATE", target.host, target.port, "k", 0), src.call("MIGRATE"),
                migrate(src, target, "k", -1, 5000), src.call("EXISTS", "k"), dst.call("DBSIZE"),
                src.call("COMMAND", "GETKEYS", "MIGRATE", "h", 1, "k", 0, 5000),
                src.call("COMMAND", "GETKEYS", "MIGRATE", "h", 1, "", 0, 5000, "COPY", "KEYS", "a", "b"),
                src.call("COMMAND", "GETKEYS", "MIGRATE", "h", 1, "", 0, 5000, "AUTH", "keys", "a")]
    run_both(sources, targets, scenario)


class FakeTarget:
    """A listening socket that accepts every connection and sends each `greeting`
    (nothing: a target that never answers)."""

    def __init__(self, greeting: bytes = b""):
        self.socket = socket.socket()
        self.socket.bind(("127.0.0.1", 0))
        self.socket.listen(16)
        self.port = self.socket.getsockname()[1]
        self.accepted = []
        self.stop = threading.Event()
        self.thread = threading.Thread(target=self._accept, args=(greeting,), daemon=True)
        self.thread.start()

    def _accept(self, greeting):
        self.socket.settimeout(0.1)
        while not self.stop.is_set():
            try:
                connection = self.socket.accept()[0]
            except OSError:
                continue
            self.accepted.append(connection)
            connection.sendall(greeting)

    def close(self):
        self.stop.set()
        self.thread.join()
        self.socket.close()
        for connection in self.accepted:
            connection.close()


def test_unreachable_silent_and_garbled_targets(sources):
    """Nothing listening: Redis 7.0 counts a non-blocking connect as made and
    finds the refusal when it writes (IOERR writing, after one retry), also with
    a timeout past any wait. A target that accepts and never answers: IOERR
    reading once the timeout has passed. A target answering one endless line:
    read 1023 bytes at a time, the first taken as the SELECT's error. The key
    stays every time."""
    silent, garbled = FakeTarget(), FakeTarget(b"-" + b"x" * 5000 + b"\r\n")
    closed_port = free_port()
    try:
        results = []
        for source in sources:
            src = source.client(timeout=10)
            try:
                src.call("SET", "k", "v")
                steps = [src.call("MIGRATE", "127.0.0.1", closed_port, "k", 0, 1000),
                         src.call("MIGRATE", "127.0.0.1", closed_port, "k", 0, 9223372036854775807)]
                started = time.monotonic()
                steps.append(src.call("MIGRATE", "127.0.0.1", silent.port, "k", 0, 300))
                steps.append(0.25 < time.monotonic() - started < 5)
                steps += [src.call("MIGRATE", "127.0.0.1", garbled.port, "k", 0, 1000), src.call("EXISTS", "k")]
                results.append(steps)
            finally:
                src.close()
        assert results[0] == results[1]
        assert results[1] == [b"-IOERR error or timeout writing to target instance\r\n"] * 2 + [
            b"-IOERR error or timeout reading to target instance\r\n", True,
            b"-ERR Target instance replied with error: " + b"x" * 1022 + b"\r\n", b":1\r\n"]
    finally:
        silent.close()
        garbled.close()


def test_the_log_records_the_keys_moved_as_one_del():
    """With the log on, a MIGRATE is recorded as DEL of the keys the target took
    (a key named twice, twice), never as MIGRATE; COPY records nothing."""
    logged = []
    for pair in (serve_pair(["--appendonly", "yes", "--appendfsync", "always"]),):
        servers = next(pair)
        target_pair = serve_pair()
        target = next(target_pair)[0]
        try:
            for source in servers:
                src = source.client()
                try:
                    src.call("MSET", "a", "1", "b", "2", "c", "3")
                    assert migrate(src, target, "", 0, 5000, "REPLACE", "KEYS", "a", "b", "a") == OK
                    assert migrate(src, target, "c", 0, 5000, "COPY", "REPLACE") == OK
                    assert src.call("DBSIZE") == b":1\r\n"
                finally:
                    src.close()
                aof = b"".join(path.read_bytes() for path in sorted((Path(source.dir) / "appendonlydir").glob("*.incr.aof")))
                logged.append((b"*4\r\n$3\r\nDEL\r\n$1\r\na\r\n$1\r\nb\r\n$1\r\na\r\n" in aof, b"MIGRATE" in aof.upper(),
                               aof.count(b"DEL")))
        finally:
            next(target_pair, None)
            next(pair, None)
    assert logged == [(True, False, 1), (True, False, 1)]
