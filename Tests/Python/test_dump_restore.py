"""DUMP and RESTORE across servers: every type in every encoding is dumped by
redis-server 7.0 and restored into SwiftKeyDB, and dumped by SwiftKeyDB and
restored into Redis. The restored value must hold the same contents, and
OBJECT ENCODING must name the encoding the source had, on both sides.
"""

from __future__ import annotations

import random

import pytest
import redis

from durability_support import assert_same_state, build_dataset, copy_aof_dir, dump_state, raw, servers  # noqa: F401

PREFIX = "dumptest:"
KEY = object()  # where the key goes in a step that does not take it first


def _values():
    rng = random.Random(7)
    noise = bytes(rng.randrange(256) for _ in range(60))
    return {
        # name: (command that creates it, expected encoding)
        "string-int": (["SET", "12345"], b"int"),
        "string-int-64bit": (["SET", "-9223372036854775808"], b"int"),
        "string-embstr": (["SET", "hello"], b"embstr"),
        "string-raw": (["SET", "x" * 100], b"raw"),  # LZF-compressed in the payload
        "string-raw-binary": (["SET", noise + b"\x00\r\n" * 10], b"raw"),
        "list-small": (["RPUSH", "a", "1", "-2", "b" * 30, "9223372036854775807"], b"quicklist"),
        "list-big": (["RPUSH", *[f"element-{i}-" + "y" * (i % 50) for i in range(3000)]], b"quicklist"),
        "hash-small": (["HSET", "f1", "v1", "f2", "2", "f3", ""], b"listpack"),
        "hash-big": (["HSET", *[x for i in range(600) for x in (f"field{i}", f"value{i}")]], b"hashtable"),
        "hash-long-value": (["HSET", "f", "v" * 100], b"hashtable"),
        "set-intset": (["SADD", "3", "1", "-2", "70000", "-5000000000"], b"intset"),
        "set-big-integers": (["SADD", *[str(i * 7) for i in range(600)]], b"hashtable"),
        "set-strings": (["SADD", "a", "b", "c"], b"hashtable"),
        "zset-small": (["ZADD", "1.5", "a", "-2", "b", "0", "c", "inf", "d"], b"listpack"),
        "zset-big": (["ZADD", *[x for i in range(200) for x in (str(i / 3), f"member{i}")]], b"skiplist"),
        "zset-long-member": (["ZADD", "1", "m" * 100, "2", "short"], b"skiplist"),
        # Several commands: a stream with deleted entries and a consumer group.
        "stream": ([["XADD", "1-1", "a", "1"], ["XADD", "2-1", "b", "2"], ["XADD", "3-1", "c", "3"],
                    ["XDEL", "2-1"], ["XGROUP", "CREATE", KEY, "g", "0"]], b"stream"),
    }


def _contents(client: redis.Redis, key: str):
    kind = client.type(key)
    if kind == b"string":
        return client.get(key)
    if kind == b"list":
        return client.lrange(key, 0, -1)
    if kind == b"hash":
        return sorted(client.hgetall(key).items())
    if kind == b"set":
        return sorted(client.smembers(key))
    if kind == b"zset":
        return client.zrange(key, 0, -1, withscores=True)
    if kind == b"stream":
        groups = client.execute_command("XINFO", "GROUPS", key)
        return client.xrange(key), client.xlen(key), groups
    return kind


def _create(client: redis.Redis, key: str, command):
    for step in command if isinstance(command[0], list) else [command]:
        if KEY in step:
            client.execute_command(*[key if word is KEY else word for word in step])
        else:
            client.execute_command(step[0], key, *step[1:])


@pytest.fixture(scope="module")
def clients(redis_server, sut_server):
    reference = redis.Redis(host=redis_server.require().host, port=redis_server.port, protocol=2)
    ours = redis.Redis(host=sut_server.require().host, port=sut_server.port, protocol=2)
    yield reference, ours
    for client in (reference, ours):
        keys = client.keys(PREFIX + "*")
        if keys:
            client.delete(*keys)
        client.close()


@pytest.mark.parametrize("name", sorted(_values()))
@pytest.mark.parametrize("direction", ["redis-to-swiftkeydb", "swiftkeydb-to-redis"])
def test_dump_restore_across_servers(clients, name, direction):
    reference, ours = clients
    source, target = (reference, ours) if direction == "redis-to-swiftkeydb" else (ours, reference)
    command, encoding = _values()[name]
    key = PREFIX + name
    for client in (source, target):
        client.delete(key, key + ":copy")
    _create(source, key, command)
    assert source.object("encoding", key) == encoding

    payload = source.dump(key)
    assert payload is not None
    assert target.restore(key + ":copy", 0, payload) == b"OK"
    assert _contents(target, key + ":copy") == _contents(source, key)
    assert target.object("encoding", key + ":copy") == encoding

    # And back again, with a TTL: the value survives a second trip unchanged.
    again = target.dump(key + ":copy")
    assert source.restore(key + ":back", 100000, again, replace=True) == b"OK"
    assert _contents(source, key + ":back") == _contents(source, key)
    assert source.object("encoding", key + ":back") == encoding
    assert 0 < source.pttl(key + ":back") <= 100000
    source.delete(key + ":back")


def test_small_payloads_are_byte_identical(clients):
    """DUMP agrees with Redis byte for byte, LZF-compressed bodies included. Left out:
    hash tables, whose order is Redis's dict order."""
    reference, ours = clients
    for name in ["string-int", "string-int-64bit", "string-embstr", "string-raw", "string-raw-binary",
                 "list-small", "list-big", "hash-small", "set-intset", "zset-small", "zset-big",
                 "zset-long-member", "stream"]:
        command, _ = _values()[name]
        key = PREFIX + "same:" + name
        payloads = []
        for client in (reference, ours):
            client.delete(key)
            _create(client, key, command)
            payloads.append(client.dump(key))
            client.delete(key)
        assert payloads[0] == payloads[1], name


# ---------------------------------------------------------------------------
# RESTORE in the append-only log: replay recreates every value exactly
# ---------------------------------------------------------------------------


def test_restored_values_replay_from_the_log(servers, tmp_path):
    """Every key of the durability dataset (every type and encoding) is DUMPed and
    RESTOREd, half with a relative TTL, into a server logging to an AOF; SORT ... STORE
    and an already-expired RESTORE ... REPLACE are logged too. After SIGKILL the log
    replays to the same state, in SwiftKeyDB and in redis-server 7.0."""
    import time as _time

    source = servers("sut", "source", ["--save", ""]).start()
    build_dataset(source.client(), (int(_time.time()) + 2 * 86400) * 1000)
    r_source = source.client()
    target = servers("sut", "target", ["--save", "", "--appendonly", "yes", "--appendfsync", "always"]).start()
    r_target = target.client()
    keys = sorted(raw(r_source, "KEYS", "*"))
    assert len(keys) > 10
    for index, key in enumerate(keys):
        payload = raw(r_source, "DUMP", key)
        pttl = int(raw(r_source, "PTTL", key))
        if pttl > 0 and index % 2 == 0:
            assert raw(r_target, "RESTORE", key, pttl, payload) == b"OK"  # relative: logged as ABSTTL
        elif pttl > 0:
            at = int(raw(r_source, "PEXPIRETIME", key))
            assert raw(r_target, "RESTORE", key, at, payload, "ABSTTL") == b"OK"
        else:
            assert raw(r_target, "RESTORE", key, 0, payload, "IDLETIME", 10) == b"OK"
    raw(r_target, "RPUSH", "sortme", 3, 1, 2)
    raw(r_target, "SORT", "sortme", "DESC", "STORE", "sorted")
    raw(r_target, "SET", "doomed", "x")
    assert raw(r_target, "RESTORE", "doomed", 1, raw(r_source, "DUMP", keys[0]), "ABSTTL", "REPLACE") == b"OK"
    before = dump_state(r_target)
    assert b"doomed" not in before.get(0, {})
    target.kill()

    target.start()
    assert_same_state(before, dump_state(target.client()), names=("before the crash", "after replay"))
    target.kill()

    reference = servers("redis", "reference", ["--save", "", "--appendonly", "yes"])
    copy_aof_dir(target.dir, reference.dir)
    reference.start()
    assert_same_state(before, dump_state(reference.client()), names=("SwiftKeyDB", "redis-server replaying its log"))
