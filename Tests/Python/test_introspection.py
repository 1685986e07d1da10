"""SLOWLOG, LATENCY and MONITOR, side by side with redis-server 7.0.15.

The same steps run against the reference and the server under test (each on
its own pair, DEBUG allowed on Redis so DEBUG SLEEP can make slow commands).
Replies are compared byte for byte where they are deterministic (help texts,
errors, trimming notes, redaction, config values); where they hold times,
durations, ids or ports those fields are masked or checked for shape and the
rest compared.
"""

from __future__ import annotations

import re
import time
from typing import List

import pytest

from conftest import ServerProcess, redis_server_bin, sut_bin
from durability_support import info_fields, wait_for
from resp_client import ReplyTimeout, RespClient, parse_reply
from test_durability import FSYNC_DELAY, build_slow_fsync_shim

# Every LATENCY HISTOGRAM bucket label Redis can print (µs): the top of the sub-bucket
# holding each power of two from 1024 ns, then the last one past a second.
HISTOGRAM_LABELS = [1, 2, 4, 8, 16, 33, 66, 132, 264, 528, 1056, 2113, 4227, 8454, 16908, 33816, 67633,
                    135266, 270532, 541065, 1073741]


# Both servers refuse DEBUG unless told otherwise.
DEBUG_ALLOWED = ["--enable-debug-command", "yes"]


@pytest.fixture(scope="module")
def pair():
    servers = [ServerProcess("redis-server (reference)", redis_server_bin(),
                             ["--daemonize", "no", *DEBUG_ALLOWED]),
               ServerProcess("swiftkeydb (under test)", sut_bin(), DEBUG_ALLOWED)]
    for server in servers:
        server.start()
    yield servers
    for server in servers:
        server.cleanup()


@pytest.fixture
def clients(pair):
    """One fresh connection per server, on a server with empty logs and statistics."""
    opened = []
    for server in pair:
        c = server.client()
        for step in (("FLUSHALL",), ("CONFIG", "SET", "slowlog-log-slower-than", "10000"),
                     ("CONFIG", "SET", "slowlog-max-len", "128"), ("CONFIG", "SET", "latency-monitor-threshold", "0"),
                     ("CONFIG", "SET", "latency-tracking", "yes"), ("SLOWLOG", "RESET"), ("LATENCY", "RESET"),
                     ("CONFIG", "RESETSTAT")):
            c.call(*step)
        opened.append(c)
    yield opened
    for c in opened:
        c.close()


def decode(raw: bytes):
    """A raw reply as Python values: bytes, int, None, lists; errors as ("error", text)."""
    reply = parse_reply(raw)
    kind = chr(raw[0])
    if reply.is_array:
        return [decode(item) for item in reply.items]
    line = raw[1:raw.find(b"\r\n")]
    if kind == "-":
        return ("error", line)
    if kind == ":":
        return int(line)
    if kind == "+":
        return line
    if kind == "$":
        n = int(line)
        return None if n < 0 else raw[raw.find(b"\r\n") + 2:][:n]
    return raw  # *-1


def same(clients: List[RespClient], *args) -> bytes:
    """Runs a command on both; the replies must be byte-identical."""
    redis, sut = (c.call(*args) for c in clients)
    assert sut == redis, f"{args!r}\n  redis: {redis!r}\n  sut:   {sut!r}"
    return redis


def both(clients: List[RespClient], *args) -> List[bytes]:
    return [c.call(*args) for c in clients]


def addr(c: RespClient) -> bytes:
    return re.search(rb"addr=(\S+)", decode(c.call("CLIENT", "INFO"))).group(1)


def slowlog(c: RespClient, count: str = "-1"):
    """SLOWLOG GET as (arguments, client name) pairs, newest first, after checking
    the masked fields: consecutive ids, a current time, a duration, this client's address."""
    entries = decode(c.call("SLOWLOG", "GET", count))
    now = time.time()
    mine = addr(c)
    for newer, older in zip(entries, entries[1:]):
        assert newer[0] > older[0]
    for entry in entries:
        assert len(entry) == 6
        assert abs(entry[1] - now) < 10 and entry[2] >= 0
        assert entry[4] == mine
    return [(entry[3], entry[5]) for entry in entries]


# ---------------------------------------------------------------------------
# Byte-identical replies
# ---------------------------------------------------------------------------


ARG_ERRORS = [
    ("SLOWLOG", "HELP"), ("SLOWLOG",), ("SLOWLOG", "foo"), ("SLOWLOG", "LEN", "x"), ("SLOWLOG", "RESET", "x"),
    ("SLOWLOG", "GET", "-2"), ("SLOWLOG", "GET", "-222"), ("SLOWLOG", "GET", "abc"), ("SLOWLOG", "GET", "1.5"),
    ("SLOWLOG", "GET", "99999999999999999999"), ("SLOWLOG", "GET", "1", "2"), ("SLOWLOG", "HELP", "x"),
    ("LATENCY", "HELP"), ("LATENCY",), ("LATENCY", "foo"), ("LATENCY", "HELP", "xxx"), ("LATENCY", "LATEST", "x"),
    ("LATENCY", "HISTORY"), ("LATENCY", "HISTORY", "a", "b"), ("LATENCY", "HISTORY", "nosuch"),
    ("LATENCY", "GRAPH"), ("LATENCY", "GRAPH", "nosuch"), ("LATENCY", "GRAPH", "a\r\nb"), ("LATENCY", "DOCTOR", "x"),
    ("LATENCY", "RESET"), ("LATENCY", "RESET", "a", "b"), ("LATENCY", "LATEST"), ("LATENCY", "DOCTOR"),
    ("LATENCY", "HISTOGRAM", "nosuch"), ("LATENCY", "HISTOGRAM", "nosuch|x", "get|x", "client|"),
    ("MONITOR", "x"),
    ("CONFIG", "GET", "slowlog-log-slower-than"), ("CONFIG", "GET", "slowlog-max-len"),
    ("CONFIG", "GET", "latency-monitor-threshold"), ("CONFIG", "GET", "latency-tracking"),
    ("CONFIG", "GET", "latency-tracking-info-percentiles"),
    ("CONFIG", "SET", "slowlog-log-slower-than", "-2"), ("CONFIG", "SET", "slowlog-log-slower-than", "x"),
    ("CONFIG", "SET", "slowlog-max-len", "-1"), ("CONFIG", "SET", "latency-monitor-threshold", "-1"),
    ("CONFIG", "SET", "latency-tracking", "maybe"),
    ("CONFIG", "SET", "latency-tracking-info-percentiles", "50 abc"),
    ("CONFIG", "SET", "latency-tracking-info-percentiles", "50 101"),
    ("CONFIG", "SET", "latency-tracking-info-percentiles", "-1"),
    ("CONFIG", "SET", "latency-tracking-info-percentiles", "99.90000 1e1 0x10"),
    ("CONFIG", "GET", "latency-tracking-info-percentiles"),
    ("CONFIG", "SET", "latency-tracking-info-percentiles", ""),
    ("CONFIG", "GET", "latency-tracking-info-percentiles"),
    ("CONFIG", "SET", "latency-tracking-info-percentiles", "50 99 99.9"),
    ("CONFIG", "SET", "slowlog-log-slower-than", "-1"), ("CONFIG", "GET", "slowlog-log-slower-than"),
    ("CONFIG", "SET", "slowlog-max-len", "9223372036854775807"), ("CONFIG", "GET", "slowlog-max-len"),
    ("COMMAND", "COUNT"),
]


def test_help_texts_errors_and_options(clients):
    for args in ARG_ERRORS:
        if args == ("COMMAND", "COUNT"):
            continue  # SwiftKeyDB has fewer commands; its table is checked elsewhere
        same(clients, *args)


def test_debug_and_memory_usage_replies(clients, pair):
    """DEBUG's status replies and errors, and MEMORY USAGE's refusals, as Redis's."""
    for step in (("SET", "k", "v"), ("RPUSH", "l", "a", "b")):
        both(clients, *step)
    for args in (("DEBUG", "NOSUCH"), ("DEBUG", "SLEEP", "abc"), ("DEBUG", "SLEEP", "0.01x"), ("DEBUG", "SLEEP", "nan"),
                 ("MEMORY", "USAGE", "l", "SAMPLES", "-1"), ("MEMORY", "USAGE", "l", "SAMPLES", "x")):
        same(clients, *args)
    same(clients, "DEBUG", "DIGEST")
    same(clients, "DEBUG", "DIGEST-VALUE", "k", "missing")
    same(clients, "DEBUG", "DIGEST-VALUE")
    for args in (("DEBUG", "LOG", "### marker"), ("DEBUG", "LOG"), ("DEBUG", "LOG", "a", "b"), ("DEBUG", "CHANGE-REPL-ID"),
                 ("DEBUG", "CHANGE-REPL-ID", "x")):
        same(clients, *args)
    assert "DEBUG LOG: ### marker" in pair[1].log_tail(200)


def test_debug_populate_makes_redis_keys(clients):
    """DEBUG POPULATE's keys and values as Redis makes them (the digest covers every byte),
    existing keys left alone, and its errors."""
    def changes():
        return [decode(c.call("INFO", "persistence")).split(b"rdb_changes_since_last_save:")[1].split(b"\r")[0]
                for c in clients]

    same(clients, "SET", "key:3", "mine")
    before = changes()
    for args in (("DEBUG", "POPULATE", "10"), ("DEBUG", "POPULATE", "5", "p"),
                 ("DEBUG", "POPULATE", "12", "sized", "3"), ("DEBUG", "POPULATE", "3", "pad", "20"),
                 ("DEBUG", "POPULATE", "2", b"nul\x00after"), ("DEBUG", "POPULATE", "2", "x" * 200),
                 ("DEBUG", "POPULATE", "0"), ("DEBUG", "POPULATE", "-1"), ("DEBUG", "POPULATE", "abc"),
                 ("DEBUG", "POPULATE", "1", "p", "-5"), ("DEBUG", "POPULATE", "1", "p", "x"),
                 ("DEBUG", "POPULATE"), ("DEBUG", "POPULATE", "1", "p", "1", "extra"),
                 ("DBSIZE",), ("GET", "key:3"), ("GET", "pad:1"), ("GET", "sized:11"),
                 ("EXISTS", "nul:0", "nul:1", b"nul\x00after:0", "x" * 200 + ":0", ("x" * 200 + ":0")[:127]),
                 ("DEBUG", "DIGEST"), ("INFO", "keyspace")):
        same(clients, *args)
    # Not a change to save or propagate, in either.
    assert changes() == before


def test_set_encodings_after_debug_reload(clients):
    """A set that became a hash table stays one while it lives, and a reload works its
    encoding out again from the members, as Redis loads a snapshot's sets."""
    for step in (("SADD", "ints", *map(str, range(100))), ("SADD", "large", *map(str, range(1280))),
                 ("SADD", "was-mixed", "3", "1", "a"), ("SREM", "was-mixed", "a"), ("SADD", "words", "a", "b")):
        both(clients, *step)
    keys = ("ints", "large", "was-mixed", "words")
    for key in keys:
        same(clients, "OBJECT", "ENCODING", key)
    both(clients, "DEBUG", "RELOAD")
    for key in keys:
        same(clients, "OBJECT", "ENCODING", key)
    same(clients, "SMEMBERS", "was-mixed")
    same(clients, "DEBUG", "DIGEST")


def test_debug_digest_is_redis_digest_for_every_type_and_encoding(clients):
    """DEBUG DIGEST and DIGEST-VALUE give Redis's digits for the same data: every type,
    small and large encodings, awkward scores, binary keys, expiry, several databases."""
    steps = [("SET", "s", "text"), ("SET", "n", "12345"), ("SET", "big", "x" * 5000), ("SET", b"\x00bin\xff", b"\r\n"),
             ("RPUSH", "l", "a", "1", "-5", ""), ("RPUSH", "ql", *[str(i) * 20 for i in range(700)]),
             ("SADD", "is", "3", "1", "2"), ("SADD", "ps", "a", "b", "1"), ("SADD", "hs", *[f"m{i}" for i in range(300)]),
             ("ZADD", "pz", "1.1", "a", "-0", "b", "inf", "c", "-inf", "d", "1e17", "e", "3", "7", "0.1", "f"),
             ("ZADD", "bz", *[x for i in range(200) for x in (str(i / 7), f"m{i}")]),
             ("HSET", "ph", "f", "1", "g", "two"), ("HSET", "bh", *[x for i in range(300) for x in (f"f{i}", str(i))]),
             ("XADD", "x", "1-1", "a", "1"), ("XADD", "x", "2-5", "b", "2", "c", "3"), ("XADD", "x", "3-0", "d", "4"),
             ("XDEL", "x", "2-5"), ("XGROUP", "CREATE", "x", "g", "0"), ("XREADGROUP", "GROUP", "g", "c", "STREAMS", "x", ">"),
             ("XADD", "ex", "5-1", "f", "v"), ("XDEL", "ex", "5-1"),
             ("SET", "ttl", "v", "EX", "1000"), ("HSET", "ttlh", "f", "v"), ("PEXPIREAT", "ttlh", "99999999999999"),
             ("SELECT", "3"), ("SET", "s", "text"), ("LPUSH", "other", "z"), ("SELECT", "0")]
    for step in steps:
        both(clients, *step)
    same(clients, "DEBUG", "DIGEST")
    same(clients, "DEBUG", "DIGEST-VALUE", "s", "n", "big", b"\x00bin\xff", "l", "ql", "is", "ps", "hs", "pz", "bz",
         "ph", "bh", "x", "ex", "ttl", "ttlh", "missing")
    # A key logically expired but not yet deleted is still part of both.
    for step in (("DEBUG", "SET-ACTIVE-EXPIRE", "0"), ("SET", "gone", "v", "PX", "1")):
        both(clients, *step)
    time.sleep(0.05)
    same(clients, "DEBUG", "DIGEST")
    same(clients, "DEBUG", "DIGEST-VALUE", "gone")
    both(clients, "DEBUG", "SET-ACTIVE-EXPIRE", "1")


def test_info_stats_and_cpu_fields_are_redis_70s(clients):
    """The same field names, in the same order (their values are each server's own)."""
    for section in ("stats", "cpu"):
        redis, sut = ([line.split(b":")[0] for line in c.call("INFO", section).split(b"\r\n")[1:] if line]
                      for c in clients)
        assert sut == redis, section


def test_command_info_arity_and_flags(clients):
    """COMMAND INFO's whole entry: name, arity, flags, keys, categories, tips, key specs, subcommands."""
    names = ["slowlog", "slowlog|get", "slowlog|len", "slowlog|reset", "slowlog|help", "latency", "latency|latest",
             "latency|history", "latency|reset", "latency|graph", "latency|doctor", "latency|histogram",
             "latency|help", "monitor"]
    for name in names:
        redis, sut = (decode(c.call("COMMAND", "INFO", name))[0] for c in clients)
        # Redis lists subcommands in its dict's order, which changes from process to process.
        assert sut[:9] == redis[:9] and sorted(map(repr, sut[9])) == sorted(map(repr, redis[9])), name


# ---------------------------------------------------------------------------
# SLOWLOG
# ---------------------------------------------------------------------------


def test_slowlog_entries(clients):
    steps = [("CONFIG", "SET", "slowlog-log-slower-than", "0"), ("SLOWLOG", "RESET"),
             ("CLIENT", "SETNAME", "worker"), ("SET", "k", "v"), ("GET", "k"), ("GET",), ("NOSUCH",),
             ("MULTI",), ("INCR", "n"), ("LPUSH", "l", "a"), ("EXEC",),
             ("SADD", "set", *[str(i) for i in range(3, 34)]), ("SADD", "set", "foo", "A" * 129),
             ("ECHO", "b" * 128), ("DEL", *[f"k{i}" for i in range(31)]),
             ("AUTH", "not-real"), ("AUTH", "u", "not-real"), ("HELLO", "2", "AUTH", "default", "x", "SETNAME", "n"),
             ("HELLO", "3", "AUTH", "u", "p"), ("HELLO", "4", "AUTH", "u", "p"),
             ("CONFIG", "SET", "requirepass", "secret"), ("AUTH", "secret"), ("CONFIG", "SET", "requirepass", ""),
             ("CLIENT", "SETNAME", "other")]
    for step in steps:
        both(clients, *step)
    redis, sut = (slowlog(c) for c in clients)
    assert sut == redis
    same(clients, "SLOWLOG", "LEN")
    # The notes and redactions are there (not just equal on both sides).
    arguments = [entry[0] for entry in redis]
    assert [b"SADD", b"set"] + [str(i).encode() for i in range(3, 32)] + [b"... (2 more arguments)"] in arguments
    assert [b"SADD", b"set", b"foo", b"A" * 128 + b"... (1 more bytes)"] in arguments
    assert [b"CONFIG", b"SET", b"requirepass", b"(redacted)"] in arguments
    assert [b"HELLO", b"3", b"AUTH", b"(redacted)", b"(redacted)"] in arguments


def test_slowlog_max_len_and_threshold(clients):
    for step in [("CONFIG", "SET", "slowlog-log-slower-than", "0"), ("CONFIG", "SET", "slowlog-max-len", "3"),
                 ("SLOWLOG", "RESET"), ("SET", "key", "test"), ("SADD", "set", "a", "b", "c"), ("INCR", "num"),
                 ("LPUSH", "list", "a")]:
        both(clients, *step)
    same(clients, "SLOWLOG", "LEN")
    for count in ("0", "1", "-1", "3", "100"):
        redis, sut = (slowlog(c, count) for c in clients)
        assert sut == redis and len(redis) == min(3, 100 if count == "-1" else int(count)), count
    # Off: neither logged nor trimmed; on again: trimmed at the next command.
    for step in [("CONFIG", "SET", "slowlog-max-len", "10"), *[("PING",)] * 12,
                 ("CONFIG", "SET", "slowlog-log-slower-than", "-1"), ("CONFIG", "SET", "slowlog-max-len", "2")]:
        both(clients, *step)
    assert same(clients, "SLOWLOG", "LEN") == b":10\r\n"
    both(clients, "CONFIG", "SET", "slowlog-log-slower-than", "100000")
    assert same(clients, "SLOWLOG", "LEN") == b":2\r\n"
    both(clients, "SLOWLOG", "RESET")
    both(clients, "DEBUG", "SLEEP", "0.12")
    redis, sut = (slowlog(c) for c in clients)
    assert sut == redis == [([b"DEBUG", b"SLEEP", b"0.12"], b"")]


def test_slowlog_blocking_commands(pair, clients):
    """Served: logged after the push that served it. Timed out: not logged."""
    both(clients, "CONFIG", "SET", "slowlog-log-slower-than", "0")
    results = []
    for server, c in zip(pair, clients):
        waiter = server.client()
        waiter_addr = addr(waiter)
        c.call("SLOWLOG", "RESET")
        waiter.send_command("BLPOP", "nolist", "0.1")
        assert waiter.read_reply(timeout=3) == b"*-1\r\n"
        waiter.send_command("BLPOP", "l", "0")
        time.sleep(0.2)
        c.call("LPUSH", "l", "a")
        assert waiter.read_reply(timeout=3) == b"*2\r\n$1\r\nl\r\n$1\r\na\r\n"
        entries = decode(c.call("SLOWLOG", "GET", "-1"))
        results.append([(e[3], e[4] == waiter_addr) for e in entries])
        waiter.close()
    assert results[1] == results[0]
    assert [e[0] for e in results[0]] == [[b"BLPOP", b"l", b"0"], [b"LPUSH", b"l", b"a"], [b"SLOWLOG", b"RESET"]]


# ---------------------------------------------------------------------------
# MONITOR
# ---------------------------------------------------------------------------


MONITOR_LINE = re.compile(rb"^\+(\d{10})\.(\d{6}) \[(\d+) (?:127\.0\.0\.1:(\d+)|lua)\] (.*)\r\n$", re.S)


def monitor_lines(monitor: RespClient, sender_addr: bytes, until: bytes) -> List[bytes]:
    """Monitor lines up to the one ending in `until`, timestamps and the sender's port masked."""
    lines = []
    while True:
        raw = monitor.read_reply(timeout=3)
        match = MONITOR_LINE.match(raw)
        assert match, raw
        assert abs(int(match.group(1)) - time.time()) < 10
        port = match.group(4)
        who = b"LUA" if port is None else b"SENDER" if sender_addr.endswith(b":" + port) else b"OTHER"
        lines.append(b"[%s %s] %s" % (match.group(3), who, match.group(5)))
        if match.group(5).endswith(until):
            return lines


MONITOR_SCRIPT = [
    ("SET", "k", 'a"b\\c\n\r\t\x07\x08 ~'), ("SET", "bin", b"\x00\xff\x80 \xc3\xa9"), ("GET", "k"), ("GET",),
    ("NOSUCH", "x"), ("CONFIG", "GET", "hz"), ("SLOWLOG", "LEN"), ("SLOWLOG", "HELP"), ("CLIENT", "LIST"),
    ("CLIENT", "ID"), ("DEBUG", "SLEEP", "0"), ("INFO", "server"), ("AUTH", "not-real"),
    ("AUTH", "not-real", "not-a-password"), ("HELLO", "2", "AUTH", "not-real", "not-a-password"),
    ("CONFIG", "SET", "requirepass", ""), ("SELECT", "3"), ("SET", "x", "1"), ("SELECT", "0"),
    ("MULTI",), ("SET", "foo", "bar"), ("EXEC",), ("MULTI",), ("SYNTAX", "error"), ("EXEC",),
    ("BLPOP", "nolist", "0.01"), ("PUBLISH", "ch", "m"),
    # A script shows before the commands it runs, which show as lua's.
    ("EVAL", "redis.call('set', KEYS[1], ARGV[1])", "1", "foo", "bar"),
    ("FUNCTION", "LOAD", "REPLACE", "#!lua name=mon\nredis.register_function('mon', function() return redis.call('set', 'foo', 'baz') end)"),
    ("FCALL", "mon", "0"), ("ECHO", "the end"),
]


def test_monitor_lines(pair, clients):
    seen = []
    for server in pair:
        monitor, sender = server.client(), server.client()
        assert monitor.call("MONITOR") == b"+OK\r\n"
        for step in MONITOR_SCRIPT:
            sender.call(*step)
        seen.append(monitor_lines(monitor, addr(sender), b'"the end"'))
        monitor.close()
        sender.close()
    assert seen[1] == seen[0]
    assert b'[0 SENDER] "SET" "k" "a\\"b\\\\c\\n\\r\\t\\a\\b ~"' in seen[0]
    assert b'[0 SENDER] "AUTH" "(redacted)" "(redacted)"' in seen[0]
    at = seen[0].index(b'[0 SENDER] "FCALL" "mon" "0"')
    assert seen[0][at + 1] == b'[0 LUA] "set" "foo" "baz"'
    assert b'[0 LUA] "set" "foo" "bar"' in seen[0]


def test_monitor_mode(pair, clients):
    """What a monitor may run, and that RESET and closing end monitoring."""
    transcripts = []
    for server in pair:
        monitor, other = server.client(), server.client()
        out = [monitor.call("MONITOR")]
        for step in [("GET", "k"), ("SET", "k", "v"), ("PUBLISH", "c", "m"), ("MULTI",), ("SET", "a", "b"),
                     ("PING",), ("EXEC",), ("CLIENT", "GETNAME"), ("MONITOR",), ("RESET",), ("GET", "k")]:
            monitor.send_command(*step)
            while True:
                try:
                    reply = monitor.read_reply(timeout=0.3)
                except ReplyTimeout:
                    break
                # Its own commands come back as monitor lines too: keep their shape only.
                out.append(MONITOR_LINE.sub(rb"+TIME [\3 ADDR] \5\r\n", reply))
        listing = decode(other.call("CLIENT", "LIST"))
        out.append(b"flags=O" in listing)
        second = server.client()
        assert second.call("MONITOR") == b"+OK\r\n"
        out.append(b"flags=O" in decode(other.call("CLIENT", "LIST")))
        second.close()
        time.sleep(0.2)
        out.append(b"flags=O" in decode(other.call("CLIENT", "LIST")))
        out.append(other.call("MULTI"))
        out.append(other.call("MONITOR"))
        out.append(other.call("EXEC"))
        transcripts.append(out)
        monitor.close()
        other.close()
    assert transcripts[1] == transcripts[0]
    assert b"-ERR Replica can't interact with the keyspace\r\n" in transcripts[0]
    assert transcripts[0][-1] == b"*1\r\n-ERR MONITOR isn't allowed for DENY BLOCKING client\r\n"


# ---------------------------------------------------------------------------
# LATENCY
# ---------------------------------------------------------------------------


def masked(text: bytes) -> bytes:
    return re.sub(rb"\d+", b"N", text)


def graph_sample(graph: bytes) -> tuple:
    """A one-sample LATENCY GRAPH's bar and age: below the two header lines, the bar's
    rows, then the age ("1s") written down the column."""
    column = b"".join(line.strip() for line in graph.split(b"\n")[2:])
    match = re.fullmatch(rb"(\D*)(\d+)s", column)
    assert match, graph
    return match.group(1), int(match.group(2))


def test_latency_events(clients):
    for step in [("CONFIG", "SET", "latency-monitor-threshold", "20"), ("CONFIG", "SET", "slowlog-log-slower-than", "10000"),
                 ("LATENCY", "RESET"), ("DEBUG", "SLEEP", "0.05")]:
        both(clients, *step)
    latest = [decode(c.call("LATENCY", "LATEST")) for c in clients]
    for events in latest:
        assert [e[0] for e in events] == [b"command"]
        event = events[0]
        assert abs(event[1] - time.time()) < 10 and 50 <= event[2] < 1000 and event[3] == event[2]
    history = [decode(c.call("LATENCY", "HISTORY", "command")) for c in clients]
    assert [len(h) for h in history] == [1, 1]
    graphs = [decode(c.call("LATENCY", "GRAPH", "command")) for c in clients]
    assert masked(graphs[1]) == masked(graphs[0])
    # The one sample's bar, and under it how many seconds ago it came: the two
    # servers' samples are a few milliseconds apart, so a second may tick between.
    (redis_bar, redis_age), (sut_bar, sut_age) = (graph_sample(g) for g in graphs)
    assert sut_bar == redis_bar and abs(sut_age - redis_age) <= 1, graphs
    doctors = [decode(c.call("LATENCY", "DOCTOR")) for c in clients]
    assert masked(doctors[1]) == masked(doctors[0])
    assert b"- Check your Slow Log to understand" in doctors[0]
    same(clients, "LATENCY", "RESET", "nosuch", "COMMAND")
    same(clients, "LATENCY", "LATEST")
    same(clients, "LATENCY", "DOCTOR")
    both(clients, "CONFIG", "SET", "latency-monitor-threshold", "0")
    same(clients, "LATENCY", "DOCTOR")


def histogram(c: RespClient, *names):
    reply = decode(c.call("LATENCY", "HISTOGRAM", *names))
    result = {}
    for name, value in zip(reply[::2], reply[1::2]):
        assert value[0] == b"calls" and value[2] == b"histogram_usec"
        steps = value[3]
        labels, counts = steps[::2], steps[1::2]
        assert all(label in HISTOGRAM_LABELS for label in labels), labels
        assert labels == sorted(labels) and counts == sorted(counts) and counts[-1] == value[1]
        result[name] = value[1]
    return result, [name for name in reply[::2]]


def test_latency_histogram(clients):
    for step in [("CONFIG", "RESETSTAT")]:
        both(clients, *step)
    redis, sut = (histogram(c) for c in clients)
    assert sut[0] == redis[0] == {b"config|resetstat": 1}
    for step in [("CONFIG", "RESETSTAT"), ("SET", "a", "b"), ("SET", "c", "d"), ("GET", "a"), ("HSET", "f", "k", "v"),
                 ("CLIENT", "ID"), ("CLIENT", "GETNAME")]:
        both(clients, *step)
    redis, sut = (histogram(c) for c in clients)
    assert sut[0] == redis[0]  # the same commands and calls (orders differ: Redis's follow its hash tables)
    for names in [("set", "hset"), ("hgetall", "get", "zadd"), ("blabla", "blabla2", "set", "get"), ("CLIENT|ID",),
                  ("set", "set")]:
        redis, sut = (histogram(c, *names) for c in clients)
        assert sut == redis, names
    redis, sut = (histogram(c, "client") for c in clients)
    assert sut[0] == redis[0] == {b"client|id": 1, b"client|getname": 1}
    both(clients, "CONFIG", "SET", "latency-tracking", "no")
    both(clients, "CONFIG", "RESETSTAT")
    both(clients, "GET", "a")
    same(clients, "LATENCY", "HISTOGRAM")
    same(clients, "INFO", "latencystats")


def test_info_latencystats(clients):
    both(clients, "CONFIG", "SET", "latency-tracking-info-percentiles", "50 99.9 100 0")
    both(clients, "CONFIG", "RESETSTAT")
    both(clients, "PING")
    both(clients, "SET", "k", "v")
    texts = [decode(c.call("INFO", "latencystats")) for c in clients]
    shapes = [sorted(re.sub(rb"=\d+\.\d{3}", b"=V", line) for line in text.split(b"\r\n")) for text in texts]
    assert shapes[1] == shapes[0]
    assert b"latency_percentiles_usec_ping:p50=V,p99.9=V,p100=V,p0=V" in shapes[0]
    both(clients, "CONFIG", "SET", "latency-tracking-info-percentiles", "50 99 99.9")
    sections = [re.findall(rb"^# (\w+)", decode(c.call("INFO", "everything")), re.M) for c in clients]
    assert sections[1] == sections[0]


def test_latency_fsync_always_event(tmp_path, monkeypatch):
    """With every fsync made slow (the durability tests' LD_PRELOAD shim), a write under
    appendfsync always leaves an aof-fsync-always sample on both servers."""
    shim = build_slow_fsync_shim(tmp_path)
    monkeypatch.setenv("LD_PRELOAD", str(shim))
    monkeypatch.setenv("FSYNC_DELAY_US", str(int(FSYNC_DELAY * 1e6)))
    monkeypatch.setenv("FSYNC_LOG", str(tmp_path / "fsync.log"))
    args = ["--appendonly", "yes", "--appendfsync", "always", "--latency-monitor-threshold", "100"]
    servers = [ServerProcess("redis-server (reference)", redis_server_bin(), ["--daemonize", "no", *args]),
               ServerProcess("swiftkeydb (under test)", sut_bin(), args)]
    try:
        for server in servers:
            server.start()
        monkeypatch.delenv("LD_PRELOAD")  # only the servers get the shim
        events = []
        for server in servers:
            with server.client(timeout=30) as c:
                c.call("LATENCY", "RESET")
                assert c.call("SET", "k", "v") == b"+OK\r\n"
                latest = decode(c.call("LATENCY", "LATEST"))
                events.append(sorted(e[0] for e in latest))
                for event in latest:
                    assert event[2] >= FSYNC_DELAY * 1000 * 0.9 and event[3] >= event[2], event
        assert events[1] == events[0] == [b"aof-fsync-always"]
    finally:
        for server in servers:
            server.cleanup()


def info(c: RespClient, section: str) -> dict:
    return info_fields(decode(c.call("INFO", section)))


def child_done(c: RespClient) -> bool:
    persistence = info(c, "persistence")
    return persistence["rdb_bgsave_in_progress"] == persistence["aof_rewrite_in_progress"] == "0"


def test_info_counts_forks(clients):
    """total_forks and latest_fork_usec follow the BGSAVE and BGREWRITEAOF children,
    and CONFIG RESETSTAT zeroes them (they were fixed at 0)."""
    for c in clients:
        stats = info(c, "stats")
        assert (stats["total_forks"], stats["latest_fork_usec"]) == ("0", "0")
    both(clients, "SET", "forked", "yes")
    for command in ("BGSAVE", "BGREWRITEAOF"):
        both(clients, command)
        for c in clients:
            wait_for(lambda: child_done(c), 20, what="the %s child to finish" % command)
    for c in clients:
        stats = info(c, "stats")
        assert stats["total_forks"] == "2" and 0 < int(stats["latest_fork_usec"]) < 10_000_000, stats
    both(clients, "CONFIG", "RESETSTAT")
    for c in clients:
        stats = info(c, "stats")
        assert (stats["total_forks"], stats["latest_fork_usec"]) == ("0", "0")
