"""Durability: the append-only log (Redis 7 multi-part AOF), RDB snapshots,
loading, crash recovery and file compatibility with real Redis 7.0.

Every test starts its own servers, each in its own temporary directory (the
session-wide fixtures of conftest.py run with `--appendonly no --save ""` and
are not used here), and kills them at teardown.  Server output goes to
`<tmp>/logs/<kind>-<dir>.log`; the tail is printed at teardown (pytest shows
it for failing tests).  Crashes are SIGKILL of the server process: the kernel
keeps what the process wrote, so "acknowledged writes survive" is exactly the
guarantee a process crash must give under every fsync policy.

Cross-checks with redis-server 7.0 (the same directories loaded by the other
server, redis-check-aof / redis-check-rdb) make the file formats part of what
is tested, not just SwiftKeyDB reading back its own files.
"""

from __future__ import annotations

import os
import re
import shutil
import signal
import socket
import threading
import time
from pathlib import Path
from typing import Dict, List

import pytest
import redis

from conftest import HOST
from durability_support import (  # noqa: F401 (servers is a fixture)
    LOADING_ERROR, Server, aof_dir, assert_same_state, base_file, build_dataset, copy_aof_dir,
    count_keys, dir_contents, dump_state, last_incr_file, manifest_entries, manifest_path,
    info_fields, pipeline_raw, raw, raw_pipeline, redis_tool, refuse_to_start, run_to_exit,
    run_write_stream, servers, wait_for, wait_persistence_idle)
from resp_client import ReplyTimeout, RespClient, encode_command

# Options every SwiftKeyDB here gets unless a test says otherwise: no save
# schedule, so no snapshot is written behind a test's back.
NO_SAVE = ["--save", ""]


def sut(servers, name: str, *args: str) -> Server:
    return servers("sut", name, [*NO_SAVE, *args])


def redis_ref(servers, name: str, *args: str) -> Server:
    return servers("redis", name, ["--save", "", *args])


def far_future_ms() -> int:
    """An absolute expiry (ms) two days ahead, on a whole second."""
    return (int(time.time()) + 2 * 86400) * 1000


def load_into(servers, kind: str, name: str, src_data: Path, what: str, *args: str) -> dict:
    """Copies `what` ('rdb' = dump.rdb, 'aof' = appendonlydir) from `src_data` into a new
    directory, starts a `kind` server there and returns its full state."""
    dst = Path(src_data).parent / name  # every test directory is a sibling under tmp_path
    dst.mkdir(parents=True, exist_ok=False)
    if what == "rdb":
        shutil.copy2(Path(src_data) / "dump.rdb", dst / "dump.rdb")
        mode = ["--appendonly", "no"]
    else:
        copy_aof_dir(src_data, dst)
        mode = ["--appendonly", "yes"]
    s = servers(kind, name, ["--save", "", *mode, *args])
    s.start()
    state = dump_state(s.client())
    s.kill()
    return state


# ---------------------------------------------------------------------------
# 1, 2. Acknowledged writes survive SIGKILL (appendfsync always / everysec / no)
# ---------------------------------------------------------------------------


class Writer(threading.Thread):
    """Writes SET k:t:i, INCR counter, RPUSH list:t, HSET h:t in a loop and records
    every acknowledged reply, until the connection breaks."""

    def __init__(self, port: int, t: int):
        super().__init__(daemon=True)
        self.t = t
        self.r = redis.Redis(host=HOST, port=port, protocol=2, single_connection_client=True,
                             socket_timeout=30, socket_connect_timeout=10)
        self.set_acked: List[int] = []
        self.incr_replies: List[int] = []
        self.incr_sent = 0
        self.rpush_acked: List[bytes] = []
        self.hset_acked: List[int] = []
        self.iterations = 0
        self.error: BaseException = None
        self.unexpected: List[str] = []

    def run(self) -> None:
        t, r = self.t, self.r
        i = 0
        try:
            while True:
                if raw(r, "SET", f"k:{t}:{i}", f"v:{t}:{i}") != b"OK":
                    self.unexpected.append(f"SET k:{t}:{i}")
                self.set_acked.append(i)
                self.incr_sent += 1
                self.incr_replies.append(int(raw(r, "INCR", "counter")))
                item = f"item:{t}:{i}".encode()
                if raw(r, "RPUSH", f"list:{t}", item) != len(self.rpush_acked) + 1:
                    self.unexpected.append(f"RPUSH list:{t} at {i}")
                self.rpush_acked.append(item)
                if raw(r, "HSET", f"h:{t}", f"f:{i}", f"v:{i}") != 1:
                    self.unexpected.append(f"HSET h:{t} f:{i}")
                self.hset_acked.append(i)
                i += 1
                self.iterations = i
        except (redis.ConnectionError, redis.TimeoutError, OSError) as e:
            self.error = e
        except Exception as e:  # noqa: BLE001 - reported by the test
            self.unexpected.append(repr(e))
        finally:
            try:
                self.r.close()
            except Exception:
                pass


@pytest.mark.parametrize("mode", ["always", "everysec", "no", "everysec-with-rewrites"])
def test_sigkill_keeps_every_acknowledged_write(servers, mode):
    """Four clients write concurrently; the server is SIGKILLed mid-stream.

    Under every appendfsync policy the record reaches the file before the reply
    leaves (only power loss may lose up to a second under everysec/no), so each
    write a client saw acknowledged must be there after restart. The last mode
    runs BGREWRITEAOFs meanwhile (new incr file, new base) and crashes during
    one more."""
    policy = mode.split("-")[0]
    s = sut(servers, "data", "--appendonly", "yes", "--appendfsync", policy)
    s.start()
    assert raw(s.client(), "CONFIG", "GET", "appendfsync") == [b"appendfsync", policy.encode()]
    writers = [Writer(s.port, t) for t in range(4)]
    for w in writers:
        w.start()
    # Let them run ~1.5 s (and at least 50 iterations each), then crash the server.
    started = time.monotonic()
    wait_for(lambda: all(w.iterations >= 50 for w in writers), 30, 0.01, "50 iterations per writer")
    if mode.endswith("rewrites"):
        for _ in range(2):
            assert raw(s.client(), "BGREWRITEAOF") == b"Background append only file rewriting started"
            info = wait_persistence_idle(s)
            assert info["aof_last_bgrewrite_status"] == "ok"
        assert base_file(s.dir).name == "appendonly.aof.3.base.rdb", manifest_entries(s.dir)
        time.sleep(0.3)
        assert raw(s.client(), "BGREWRITEAOF") == b"Background append only file rewriting started"
    else:
        time.sleep(max(0.0, 1.5 - (time.monotonic() - started)))
    assert all(w.is_alive() for w in writers), [repr(w.error) for w in writers]
    s.proc.send_signal(signal.SIGKILL)
    s.proc.wait(timeout=30)
    for w in writers:
        w.join(timeout=30)
        assert not w.is_alive(), f"writer {w.t} still running after the crash"
        assert w.error is not None, f"writer {w.t} stopped without a connection error"
        assert w.unexpected == [], f"writer {w.t} got unexpected replies: {w.unexpected[:5]}"

    s.start()
    r = s.client()
    total_incr_acked = sum(len(w.incr_replies) for w in writers)
    total_incr_sent = sum(w.incr_sent for w in writers)
    counter = int(raw(r, "GET", "counter"))
    highest_ack = max(max(w.incr_replies, default=0) for w in writers)
    assert counter >= highest_ack, f"INCR counter {counter} < highest acknowledged INCR reply {highest_ack}"
    assert counter >= total_incr_acked, f"INCR counter {counter} < {total_incr_acked} acknowledged INCRs"
    assert counter <= total_incr_sent, f"INCR counter {counter} > {total_incr_sent} INCRs sent"
    expected_keys = 1
    for w in writers:
        t = w.t
        # SET: every acknowledged key with its value; nothing beyond the one in flight.
        keys = [f"k:{t}:{i}" for i in w.set_acked]
        for start in range(0, len(keys), 1000):
            values = raw(r, "MGET", *keys[start:start + 1000])
            want = [f"v:{t}:{i}".encode() for i in w.set_acked[start:start + 1000]]
            missing = [k for k, v, x in zip(keys[start:], values, want) if v != x]
            assert not missing, f"writer {t}: acknowledged SETs lost: {missing[:5]} ({len(missing)})"
        n = len(w.set_acked)
        assert raw(r, "EXISTS", f"k:{t}:{n + 1}") == 0
        in_flight_set = raw(r, "EXISTS", f"k:{t}:{n}")
        # RPUSH: the acknowledged items are a prefix, in order; at most one more.
        items = raw(r, "LRANGE", f"list:{t}", 0, -1)
        assert items[:len(w.rpush_acked)] == w.rpush_acked, (
            f"writer {t}: list:{t} lost acknowledged items: has {len(items)}, acked {len(w.rpush_acked)}")
        assert len(items) <= len(w.rpush_acked) + 1
        # HSET: every acknowledged field; at most the one in flight more.
        fields = raw(r, "HGETALL", f"h:{t}")
        got = dict(zip(fields[0::2], fields[1::2]))
        for i in w.hset_acked:
            assert got.get(f"f:{i}".encode()) == f"v:{i}".encode(), f"writer {t}: HSET h:{t} f:{i} lost"
        assert len(got) <= len(w.hset_acked) + 1
        expected_keys += n + in_flight_set + 2
    assert raw(r, "DBSIZE") == expected_keys


# ---------------------------------------------------------------------------
# 1b. appendfsync always: replies wait for the fsync, one fsync serves many
# ---------------------------------------------------------------------------

SLOW_FSYNC_SHIM = r"""
#define _GNU_SOURCE
#include <dlfcn.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

/* Every fsync/fdatasync takes FSYNC_DELAY_US longer and is recorded in FSYNC_LOG. */
static void slow(const char *what, int fd) {
    const char *delay = getenv("FSYNC_DELAY_US");
    const char *path = getenv("FSYNC_LOG");
    struct timespec start, end;
    clock_gettime(CLOCK_MONOTONIC, &start);
    if (delay) usleep((useconds_t)atoi(delay));
    clock_gettime(CLOCK_MONOTONIC, &end);
    if (path) {
        char line[128];
        int n = snprintf(line, sizeof line, "%s %d %.6f %.6f\n", what, fd,
                         start.tv_sec + start.tv_nsec / 1e9, end.tv_sec + end.tv_nsec / 1e9);
        int log = open(path, O_WRONLY | O_APPEND | O_CREAT, 0644);
        if (log >= 0) { write(log, line, (size_t)n); close(log); }
    }
}

int fdatasync(int fd) {
    static int (*real)(int);
    if (!real) real = (int (*)(int))dlsym(RTLD_NEXT, "fdatasync");
    slow("fdatasync", fd);
    return real(fd);
}

int fsync(int fd) {
    static int (*real)(int);
    if (!real) real = (int (*)(int))dlsym(RTLD_NEXT, "fsync");
    slow("fsync", fd);
    return real(fd);
}
"""

FSYNC_DELAY = 0.2


def build_slow_fsync_shim(tmp_path: Path) -> Path:
    compiler = shutil.which("cc") or shutil.which("gcc") or shutil.which("clang")
    if compiler is None:
        pytest.fail("no C compiler (cc, gcc or clang) on PATH to build the slow-fsync shim", pytrace=False)
    source = tmp_path / "slow_fsync.c"
    source.write_text(SLOW_FSYNC_SHIM)
    shim = tmp_path / "slow_fsync.so"
    rc, out, err = run_to_exit(compiler, ["-shared", "-fPIC", "-O2", "-o", str(shim), str(source), "-ldl"])
    assert rc == 0, f"building the shim failed:\n{out}{err}"
    return shim


def fsync_calls(log: Path, since: float, until: float) -> List[tuple]:
    calls = []
    if log.exists():
        for line in log.read_text().splitlines():
            what, fd, start, end = line.split()
            if since <= float(start) <= until:
                calls.append((what, int(fd), float(start), float(end)))
    return calls


def timed_set(port: int, key: str) -> float:
    with RespClient(HOST, port, timeout=30) as c:
        started = time.monotonic()
        assert c.call("SET", key, "v") == b"+OK\r\n"
        return time.monotonic() - started


def test_appendfsync_always_waits_for_fsync_with_group_commit(servers, tmp_path, monkeypatch):
    """With every fsync made 200 ms slower (an LD_PRELOAD shim): under always a
    reply comes only after an fsync that covers its write, and concurrent
    writers share fsyncs (group commit); under everysec replies do not wait."""
    shim = build_slow_fsync_shim(tmp_path)
    log = tmp_path / "fsync.log"
    monkeypatch.setenv("LD_PRELOAD", str(shim))
    monkeypatch.setenv("FSYNC_DELAY_US", str(int(FSYNC_DELAY * 1e6)))
    monkeypatch.setenv("FSYNC_LOG", str(log))

    s = sut(servers, "always", "--appendonly", "yes", "--appendfsync", "always")
    s.start()
    monkeypatch.delenv("LD_PRELOAD")  # only the server gets the shim
    latencies = [timed_set(s.port, f"single:{i}") for i in range(3)]
    assert min(latencies) >= FSYNC_DELAY * 0.95, f"replies did not wait for the fsync: {latencies}"

    # 8 clients, one SET each, at the same moment.
    n = 8
    barrier = threading.Barrier(n + 1)
    done: Dict[int, tuple] = {}

    def one(i: int) -> None:
        with RespClient(HOST, s.port, timeout=30) as c:
            barrier.wait()
            sent = time.monotonic()
            assert c.call("SET", f"group:{i}", "v") == b"+OK\r\n"
            done[i] = (sent, time.monotonic())

    threads = [threading.Thread(target=one, args=(i,)) for i in range(n)]
    for t in threads:
        t.start()
    window_start = time.clock_gettime(time.CLOCK_MONOTONIC)
    barrier.wait()
    for t in threads:
        t.join(timeout=60)
    window_end = time.clock_gettime(time.CLOCK_MONOTONIC)
    assert len(done) == n, "some writers failed"
    latencies = [end - sent for sent, end in done.values()]
    elapsed = max(end for _, end in done.values()) - min(sent for sent, _ in done.values())
    syncs = [c for c in fsync_calls(log, window_start, window_end) if c[0] == "fdatasync"]
    assert min(latencies) >= FSYNC_DELAY * 0.95, f"a reply did not wait for an fsync: {latencies}"
    assert len(syncs) <= n // 2, f"{len(syncs)} fsyncs for {n} concurrent writes: no group commit"
    assert elapsed < FSYNC_DELAY * (n // 2), f"{n} concurrent writes took {elapsed:.2f}s: fsyncs not shared"
    s.kill()

    # everysec: the reply does not wait for the (slow) background fsync.
    monkeypatch.setenv("LD_PRELOAD", str(shim))
    e = sut(servers, "everysec", "--appendonly", "yes", "--appendfsync", "everysec")
    e.start()
    monkeypatch.delenv("LD_PRELOAD")
    latencies = sorted(timed_set(e.port, f"k:{i}") for i in range(9))
    assert latencies[4] < FSYNC_DELAY * 0.5, f"everysec replies waited for fsync: {latencies}"


# ---------------------------------------------------------------------------
# 3. Torn tail
# ---------------------------------------------------------------------------

TORN_RECORD = b"*3\r\n$3\r\nSET\r\n$1\r\nx"


def write_some(r, prefix: str, n: int = 200) -> None:
    cmds = []
    for i in range(n):
        cmds.append(["SET", f"{prefix}:{i}", f"value:{i}"])
        if i % 10 == 0:
            cmds.append(["RPUSH", f"{prefix}:list", i])
    raw_pipeline(r, cmds)


def check_some(r, prefix: str, n: int = 200) -> None:
    values = raw(r, "MGET", *[f"{prefix}:{i}" for i in range(n)])
    assert values == [f"value:{i}".encode() for i in range(n)], f"{prefix}:* keys lost or wrong"
    assert raw(r, "LRANGE", f"{prefix}:list", 0, -1) == [str(i).encode() for i in range(0, n, 10)]


def truncation_lines(log: str, name: str) -> List[str]:
    return [line for line in log.splitlines() if re.search(r"(?i)truncat", line) and name in line]


def stopped_with_tail(servers, tail: bytes):
    """A stopped server whose log holds write_some("a") and then `tail`; returns
    (server, last incr file, its length before the tail)."""
    s = sut(servers, "data", "--appendonly", "yes")
    s.start()
    write_some(s.client(), "a")
    assert s.shutdown("NOSAVE") == 0
    incr = last_incr_file(s.dir)
    valid = incr.stat().st_size
    with open(incr, "ab") as f:
        f.write(tail)
    return s, incr, valid


def test_torn_tail_is_truncated_and_logging_continues(servers, tmp_path):
    s, incr, valid = stopped_with_tail(servers, TORN_RECORD)

    # Redis 7.0 on a copy: the reference behaviour for the same directory.
    copy_aof_dir(s.dir, tmp_path / "redis-copy")
    ref = redis_ref(servers, "redis-copy", "--appendonly", "yes")
    ref.start()
    assert raw(ref.client(), "EXISTS", "x") == 0
    check_some(ref.client(), "a")
    ref.kill()
    assert (aof_dir(ref.dir) / incr.name).stat().st_size == valid, "redis-server truncates to the valid length"

    s.start()
    r = s.client()
    check_some(r, "a")
    assert raw(r, "EXISTS", "x") == 0
    lines = truncation_lines(s.run_log(), incr.name)
    assert lines, f"the log does not say it truncated {incr.name}:\n{s.log_tail()}"
    assert any(re.search(rf"\b{valid}\b", line) for line in lines), (
        f"the truncation message does not give the offset {valid}: {lines}")
    assert incr.stat().st_size == valid, "the file was not truncated to its valid length"
    assert incr.read_bytes()[-2:] == b"\r\n"

    # Writes after the restart follow the last complete record and persist.
    raw(r, "SET", "after", "1")
    raw(r, "RPUSH", "a:list", "new")
    s.kill()
    s.start()
    r = s.client()
    assert raw(r, "GET", "after") == b"1"
    assert raw(r, "EXISTS", "x") == 0
    assert raw(r, "LRANGE", "a:list", -1, -1) == [b"new"]
    assert raw(r, "DBSIZE") == 202
    assert s.shutdown("NOSAVE") == 0

    # aof-load-truncated no: refuses to start, leaves the files alone.
    with open(last_incr_file(s.dir), "ab") as f:
        f.write(TORN_RECORD)
    before = dir_contents(s.dir)
    rc, output, _ = refuse_to_start("sut", s.dir, "--appendonly", "yes", "--aof-load-truncated", "no")
    assert rc == 1, f"exit status {rc}, expected 1; output:\n{output}"
    assert last_incr_file(s.dir).name in output, f"the error does not name the file:\n{output}"
    assert dir_contents(s.dir) == before, "files changed although the server refused to start"
    # Redis refuses the same directory the same way.
    shutil.rmtree(tmp_path / "redis-copy")
    copy_aof_dir(s.dir, tmp_path / "redis-copy")
    rc, output, _ = refuse_to_start("redis", tmp_path / "redis-copy", "--appendonly", "yes",
                                    "--aof-load-truncated", "no")
    assert rc == 1, f"redis-server: exit status {rc}\n{output}"


# ---------------------------------------------------------------------------
# 4. Corruption in the middle
# ---------------------------------------------------------------------------


def test_corruption_in_the_middle_refuses_to_start(servers, tmp_path):
    s = sut(servers, "data", "--appendonly", "yes")
    s.start()
    write_some(s.client(), "a", 400)
    assert s.shutdown("NOSAVE") == 0
    incr = last_incr_file(s.dir)
    data = bytearray(incr.read_bytes())
    pos = data.index(b"\r\n$", len(data) // 2) + 2
    assert data[pos] == ord("$")
    record_start = data.rindex(b"*", 0, pos)
    data[pos] = ord("!")
    incr.write_bytes(bytes(data))
    before = dir_contents(s.dir)

    rc, output, _ = refuse_to_start("sut", s.dir, "--appendonly", "yes")  # aof-load-truncated yes (default)
    assert rc == 1, f"exit status {rc}, expected 1; output:\n{output}"
    assert incr.name in output, f"the error does not name {incr.name}:\n{output}"
    offsets = [int(m) for m in re.findall(r"offset (\d+)", output)]
    assert offsets, f"the error gives no offset:\n{output}"
    assert any(record_start <= o <= pos for o in offsets), (
        f"offsets {offsets} do not point at the corrupt record ({record_start}..{pos}):\n{output}")
    assert dir_contents(s.dir) == before, "files changed although the server refused to start"

    # The same directory is refused by redis-server too (the corruption is real).
    copy_aof_dir(s.dir, tmp_path / "redis-copy")
    rc, output, _ = refuse_to_start("redis", tmp_path / "redis-copy", "--appendonly", "yes")
    assert rc == 1, f"redis-server: exit status {rc}\n{output}"


@pytest.mark.parametrize("preamble", ["yes", "no"])
def test_damaged_base_file_refuses_to_start(servers, tmp_path, preamble):
    """A base file cut short is not the last file: refused even with
    aof-load-truncated yes (as Redis: "the truncated file ... is not the last
    file"); an RDB base with a changed byte fails its checksum."""
    s = sut(servers, "data", "--appendonly", "yes", "--aof-use-rdb-preamble", preamble)
    s.start()
    r = s.client()
    write_some(r, "a", 400)
    assert raw(r, "BGREWRITEAOF") == b"Background append only file rewriting started"
    wait_persistence_idle(s)
    write_some(r, "b", 50)
    assert s.shutdown("NOSAVE") == 0
    base = base_file(s.dir)
    data = base.read_bytes()
    if preamble == "yes":
        assert data[:5] == b"REDIS"
        pos = data.index(b"value:123")
        base.write_bytes(data[:pos] + b"V" + data[pos + 1:])
    else:
        assert data[:1] == b"*"
        base.write_bytes(data[:-5])
    before = dir_contents(s.dir)
    rc, output, _ = refuse_to_start("sut", s.dir, "--appendonly", "yes")
    assert rc == 1, f"exit status {rc}, expected 1; output:\n{output}"
    assert base.name in output, f"the error does not name {base.name}:\n{output}"
    assert dir_contents(s.dir) == before, "files changed although the server refused to start"
    copy_aof_dir(s.dir, tmp_path / "redis-copy")
    rc, output, _ = refuse_to_start("redis", tmp_path / "redis-copy", "--appendonly", "yes")
    assert rc == 1, f"redis-server: exit status {rc}\n{output}"


# ---------------------------------------------------------------------------
# 5. Unterminated MULTI at the end
# ---------------------------------------------------------------------------

OPEN_MULTI = (b"*1\r\n$5\r\nMULTI\r\n"
              b"*3\r\n$3\r\nSET\r\n$4\r\nmkey\r\n$1\r\nv\r\n"
              b"*3\r\n$5\r\nRPUSH\r\n$6\r\na:list\r\n$4\r\nlost\r\n")


def test_unterminated_multi_is_dropped_whole(servers, tmp_path):
    s, incr, valid = stopped_with_tail(servers, OPEN_MULTI)

    # aof-load-truncated no: refused (as Redis), files untouched.
    before = dir_contents(s.dir)
    rc, output, _ = refuse_to_start("sut", s.dir, "--appendonly", "yes", "--aof-load-truncated", "no")
    assert rc == 1, f"exit status {rc}, expected 1; output:\n{output}"
    assert dir_contents(s.dir) == before

    # Reference: redis-server reverts the transaction and truncates before MULTI.
    copy_aof_dir(s.dir, tmp_path / "redis-copy")
    ref = redis_ref(servers, "redis-copy", "--appendonly", "yes")
    ref.start()
    assert raw(ref.client(), "EXISTS", "mkey") == 0
    ref.kill()
    assert (aof_dir(ref.dir) / incr.name).stat().st_size == valid

    s.start()
    r = s.client()
    assert raw(r, "EXISTS", "mkey") == 0, "a MULTI without EXEC was applied"
    check_some(r, "a")  # includes a:list without "lost"
    assert raw(r, "DBSIZE") == 201
    assert incr.stat().st_size == valid, "the open transaction was not cut off the file"
    # Later writes must not end up inside the dropped transaction.
    raw(r, "SET", "after", "1")
    s.kill()
    s.start()
    r = s.client()
    assert raw(r, "GET", "after") == b"1"
    assert raw(r, "EXISTS", "mkey") == 0
    check_some(r, "a")


# ---------------------------------------------------------------------------
# 6. Loading state
# ---------------------------------------------------------------------------

LOADING_KEYS = 400_000


def test_clients_get_loading_while_the_log_is_replayed(servers):
    s = sut(servers, "data", "--appendonly", "yes")
    s.start()
    replies = pipeline_raw(s.port, [("SET", f"key:{i}", f"value:{i}") for i in range(LOADING_KEYS)],
                           chunk=20000)
    assert replies == [b"+OK"] * LOADING_KEYS
    s.kill()  # everything is in the incr file, nothing in the base
    assert last_incr_file(s.dir).stat().st_size > 15_000_000

    s.spawn()
    probe = encode_command(["GET", "key:1"]) + encode_command(["INFO", "persistence"])
    value = b"$7\r\nvalue:1\r\n"
    observed = []  # (GET reply, INFO reply) pairs, each pair sent in one write
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        assert s.proc.poll() is None, f"server exited during loading:\n{s.log_tail()}"
        try:
            c = RespClient(HOST, s.port, timeout=10)
        except OSError:
            continue  # not listening yet
        try:
            c.send(probe)
            pair = (c.read_reply(), c.read_reply())
        finally:
            c.close()
        observed.append(pair)
        if pair[0] == value:
            break
    assert observed and observed[-1][0] == value, f"GET key:1 never answered the value: {observed[-3:]}"
    loading = [p for p in observed if p[0] == LOADING_ERROR]
    assert loading, f"no -LOADING reply observed; first replies: {observed[:3]}"
    for get_reply, info_reply in loading:
        assert b"\r\nloading:1\r\n" in info_reply, f"INFO during loading: {info_reply[:200]!r}"
    # Until the data is there, a client gets -LOADING and nothing else: never the
    # empty (not yet loaded) keyspace.
    early = [(i, p) for i, p in enumerate(observed) if p[0] not in (LOADING_ERROR, value)]
    assert not early, (
        f"{len(early)} of {len(observed)} probes were served before loading started (GET key:1 "
        f"answered {early[0][1][0]!r}, INFO: {early[0][1][1][:60]!r}...)")
    assert b"\r\nloading:0\r\n" in observed[-1][1]

    s.wait_ready()
    r = s.client()
    assert raw(r, "DBSIZE") == LOADING_KEYS
    for start in range(0, LOADING_KEYS, 5000):
        got = raw(r, "MGET", *[f"key:{i}" for i in range(start, start + 5000)])
        assert got == [f"value:{i}".encode() for i in range(start, start + 5000)], f"keys {start}.. wrong"


RESTARTS = 40
EARLY_PROBE_KEYS = 20000


def startup_probe(c: RespClient, n: int, timeout: float):
    """SET early:<n>, GET the last preloaded key, DBSIZE in one write; the three raw
    replies, or None when none came within `timeout`."""
    c.send(encode_command(["SET", f"early:{n}", "x"]) + encode_command(["GET", f"old:{EARLY_PROBE_KEYS - 1}"])
           + encode_command(["DBSIZE"]))
    try:
        return [c.read_reply(timeout=timeout) for _ in range(3)]
    except ReplyTimeout:
        return None


def full_pipe() -> tuple:
    """A pipe whose buffer is already full: whoever writes to it blocks until it
    is read. Returns (read end, write end, bytes of filler in it)."""
    r, w = os.pipe()
    os.set_blocking(w, False)
    filler = 0
    try:
        while True:
            filler += os.write(w, b"#" * 4096)
    except BlockingIOError:
        pass
    os.set_blocking(w, True)
    return r, w, filler


def test_no_client_is_served_before_loading(servers):
    """A client that connects while the server starts gets -LOADING (or waits),
    never the empty not-yet-loaded keyspace, and a write it sees acknowledged
    (appendfsync always) is in the log after the next restart.

    First with the server's output going to a full pipe, so that its first log
    line blocks (a slow log consumer stalls startup at that point), then with
    plain restarts raced by a tight connect loop."""
    s = sut(servers, "data", "--appendonly", "yes", "--appendfsync", "always")
    s.start()
    pipeline_raw(s.port, [("SET", f"old:{i}", i) for i in range(EARLY_PROBE_KEYS)])
    loaded = f"${len(str(EARLY_PROBE_KEYS - 1))}\r\n{EARLY_PROBE_KEYS - 1}\r\n".encode()
    served_early, acked = [], []

    def record(n: int, replies) -> None:
        if replies is None or replies == [LOADING_ERROR] * 3:
            return
        if replies[0] == b"+OK\r\n":
            acked.append(n)
        if replies[1] != loaded:
            served_early.append((n, replies))

    # Round 0: stdout is a full pipe.
    s.kill()
    r_end, w_end, filler = full_pipe()
    try:
        s.spawn(stdout=w_end)
    finally:
        os.close(w_end)
    c = None
    deadline = time.monotonic() + 2
    while c is None and time.monotonic() < deadline and s.proc.poll() is None:
        try:
            c = RespClient(HOST, s.port, timeout=10)
        except OSError:
            time.sleep(0.005)
    stalled_replies = startup_probe(c, 0, timeout=1.0) if c is not None else None
    record(0, stalled_replies)
    if c is not None:
        c.close()

    def drain() -> None:  # the server's output, less the filler, to its log file
        skip = filler
        with open(s.log_path, "ab") as log:
            while True:
                chunk = os.read(r_end, 65536)
                if not chunk:
                    break
                dropped = min(skip, len(chunk))
                skip -= dropped
                log.write(chunk[dropped:])
                log.flush()
        os.close(r_end)

    threading.Thread(target=drain, daemon=True).start()
    s.wait_ready()

    # Rounds 1..RESTARTS: race a tight connect loop against startup.
    for n in range(1, RESTARTS + 1):
        s.kill()
        s.spawn()
        while True:
            assert s.proc.poll() is None, f"server exited during startup:\n{s.log_tail()}"
            try:
                c = RespClient(HOST, s.port, timeout=10)
            except OSError:
                continue
            try:
                replies = startup_probe(c, n, timeout=10)
            finally:
                c.close()
            if replies != [LOADING_ERROR] * 3:
                break
        record(n, replies)
        s.wait_ready()
    s.kill()
    s.start()
    r = s.client()
    lost = [n for n in acked if raw(r, "GET", f"early:{n}") != b"x"]
    assert not served_early, (
        f"{len(served_early)} of {RESTARTS + 1} starts served a client before loading (SET/GET/DBSIZE "
        f"answered {served_early[0][1]}; round 0 is the stalled start); acknowledged writes lost "
        f"after restart: {lost}")
    assert not lost, f"acknowledged writes early:{lost} lost"
    assert raw(r, "DBSIZE") == EARLY_PROBE_KEYS + len(acked)


# ---------------------------------------------------------------------------
# 7. Replay equivalence
# ---------------------------------------------------------------------------


def check_with_redis(servers, src: Server, name: str, expected: dict) -> None:
    """redis-server 7.0 loads a copy of `src`'s appendonlydir to the same state."""
    check = redis_tool("redis-check-aof")
    dst = src.dir.parent / name
    copy_aof_dir(src.dir, dst)
    rc, out, err = run_to_exit(check, [str(manifest_path(dst))])
    assert rc == 0, f"redis-check-aof rejects SwiftKeyDB's log:\n{out}{err}"
    ref = redis_ref(servers, name, "--appendonly", "yes")
    ref.start()
    got = dump_state(ref.client())
    ref.kill()
    assert_same_state(expected, got, ("SwiftKeyDB", "redis-server on its log"))


@pytest.mark.parametrize("mode", ["sigkill", "shutdown-nosave", "rewrite-rdb-preamble", "rewrite-aof"])
def test_replay_equivalence(servers, mode):
    args = ["--appendonly", "yes"]
    if mode.startswith("rewrite"):
        args += ["--aof-use-rdb-preamble", "yes" if mode == "rewrite-rdb-preamble" else "no"]
    s = sut(servers, "data", *args)
    s.start()
    r = s.client()
    stats = run_write_stream(r, seed=7001, count=3000)
    assert stats["errors"] < stats["commands"] // 4, stats  # the stream is mostly valid writes
    if mode.startswith("rewrite"):
        assert raw(r, "BGREWRITEAOF") == b"Background append only file rewriting started"
        run_write_stream(r, seed=7002, count=800)  # while the child may still be writing
        info = wait_persistence_idle(s)
        assert info["aof_last_bgrewrite_status"] == "ok", info
        base = base_file(s.dir)
        if mode == "rewrite-rdb-preamble":
            assert base.name.endswith(".base.rdb") and base.read_bytes()[:5] == b"REDIS", base
        else:
            assert base.name.endswith(".base.aof") and base.read_bytes()[:1] in (b"*", b"#"), base
        assert [e[2] for e in manifest_entries(s.dir)] == ["b", "i"], manifest_entries(s.dir)
        run_write_stream(r, seed=7003, count=800)
    before = dump_state(r)
    assert count_keys(before) > 100 and len(before) > 3, "the stream left too little data to compare"
    if mode == "shutdown-nosave":
        assert s.shutdown("NOSAVE") == 0
    else:
        s.kill()
    assert not (s.dir / "dump.rdb").exists()
    s.start()
    after = dump_state(s.client())
    assert_same_state(before, after, ("before restart", "after restart"))
    s.kill()
    check_with_redis(servers, s, "redis-copy", before)


# ---------------------------------------------------------------------------
# 7b. appendfsync always: records over a preallocated tail
# ---------------------------------------------------------------------------


def incr_sizes(s: Server) -> tuple:
    """(bytes on disk, bytes of records) of the last incr file, per INFO."""
    info = info_fields(raw(s.client(), "INFO", "persistence"))
    records = int(info["aof_current_size"]) - int(info["aof_base_size"])
    return last_incr_file(s.dir).stat().st_size, records


def test_always_writes_over_a_tail_that_redis_loads(servers, tmp_path):
    """Under `always` the incr file is kept longer than its records (so an fsync
    does not also commit a new file size). A crash leaves that tail: Redis
    7.0 and redis-check-aof take the file as it is, SwiftKeyDB cuts the tail
    when it opens the file, and a clean shutdown leaves no tail."""
    s = sut(servers, "data", "--appendonly", "yes", "--appendfsync", "always")
    s.start()
    r = s.client()
    run_write_stream(r, seed=7101, count=3000)
    before = dump_state(r)
    on_disk, records = incr_sizes(s)
    assert on_disk > records, (on_disk, records)
    assert last_incr_file(s.dir).read_bytes()[:5] == b"#CRC:"
    s.kill()
    check_with_redis(servers, s, "redis-crashed", before)

    # Redis carries on with the crashed directory (appending after the tail), and
    # SwiftKeyDB takes the directory back with Redis's writes.
    ref = redis_ref(servers, "redis-continues", "--appendonly", "yes")
    copy_aof_dir(s.dir, ref.dir)
    ref.start()
    more_writes(ref.client(), "redis")
    continued = dump_state(ref.client())
    assert ref.shutdown("NOSAVE") == 0
    back = sut(servers, "redis-continues", "--appendonly", "yes", "--appendfsync", "always")
    back.start()
    assert_same_state(continued, dump_state(back.client()), ("Redis", "SwiftKeyDB on Redis's files"))
    back.kill()

    s.start()
    r = s.client()
    assert_same_state(before, dump_state(r), ("before the crash", "after"))
    assert incr_sizes(s) == (records, records), "the tail is cut when the file is opened"
    more_writes(r, "x")
    after = dump_state(r)
    _, records = incr_sizes(s)
    assert s.shutdown("NOSAVE") == 0
    assert last_incr_file(s.dir).stat().st_size == records, "a clean shutdown leaves no tail"
    check_with_redis(servers, s, "redis-shutdown", after)
    s.start()
    assert_same_state(after, dump_state(s.client()), ("before the shutdown", "after"))
    s.kill()


def test_always_a_torn_last_batch_is_dropped_whole(servers, tmp_path):
    """A power loss can tear the last, unsynced write anywhere, not only cut it
    short: each write is a batch under a CRC, and a batch that does not check
    out is dropped whole, as a torn record would be."""
    s = sut(servers, "data", "--appendonly", "yes", "--appendfsync", "always")
    s.start()
    r = s.client()
    write_some(r, "a")
    # One transaction: one write, so one batch, the last.
    raw_pipeline(r, [["MULTI"], ["SET", "x", "y" * 5000], ["SET", "z", "1"], ["EXEC"]])
    s.kill()
    incr = last_incr_file(s.dir)
    data = bytearray(incr.read_bytes())
    last = data.rindex(b"#CRC:")
    data[data.rindex(b"y" * 5000) + 2500] = ord("#")  # a sector that still holds filler
    incr.write_bytes(bytes(data))

    s.start()
    r = s.client()
    check_some(r, "a")
    assert raw(r, "EXISTS", "x") == 0 and raw(r, "EXISTS", "z") == 0
    lines = truncation_lines(s.run_log(), incr.name)
    assert any(re.search(rf"\b{last}\b", line) for line in lines), s.log_tail()
    assert incr.stat().st_size == last
    raw(r, "SET", "after", "1")
    s.kill()
    s.start()
    assert raw(s.client(), "GET", "after") == b"1"
    check_some(s.client(), "a")
    s.kill()


# ---------------------------------------------------------------------------
# 8. SwiftKeyDB's files load in Redis
# ---------------------------------------------------------------------------


def more_writes(r, tag: str) -> None:
    raw_pipeline(r, [
        ["SELECT", 7], ["SET", f"after:{tag}", tag], ["RPUSH", f"after:{tag}:list", "a", "b"],
        ["SELECT", 0], ["HSET", "hash:small", f"f-{tag}", tag], ["ZADD", "zset:big", "-1e-5", f"z-{tag}"],
        ["SADD", "set:intset", "424242"], ["LPOP", "list:big"], ["DEL", "str:float"],
        ["SET", f"ttl:{tag}", "v", "EX", "100000"],
    ])


def test_swiftkeydb_files_load_in_redis(servers):
    check_rdb = redis_tool("redis-check-rdb")
    s = sut(servers, "data", "--appendonly", "yes")
    s.start()
    r = s.client()
    build_dataset(r, far_future_ms())
    state = dump_state(r)
    assert sorted(state) == [0, 3, 15] and count_keys(state) > 40

    # RDB: SAVE -> redis-check-rdb -> redis-server loads it.
    assert raw(r, "SAVE") == b"OK"
    rc, out, err = run_to_exit(check_rdb, [str(s.dir / "dump.rdb")])
    assert rc == 0, f"redis-check-rdb rejects SwiftKeyDB's dump.rdb:\n{out}{err}"
    assert_same_state(state, load_into(servers, "redis", "redis-rdb", s.dir, "rdb"),
                      ("SwiftKeyDB", "redis-server on its dump.rdb"))

    # The log as written (empty RDB base + commands).
    def check_log(name: str, expected: dict) -> None:
        check_with_redis(servers, s, name, expected)

    check_log("redis-aof", state)

    # After BGREWRITEAOF with an RDB preamble, then with a command base.
    for preamble, suffix in (("yes", ".base.rdb"), ("no", ".base.aof")):
        assert raw(r, "CONFIG", "SET", "aof-use-rdb-preamble", preamble) == b"OK"
        assert raw(r, "BGREWRITEAOF") == b"Background append only file rewriting started"
        info = wait_persistence_idle(s)
        assert info["aof_last_bgrewrite_status"] == "ok"
        assert base_file(s.dir).name.endswith(suffix), manifest_entries(s.dir)
        more_writes(r, preamble)
        state = dump_state(r)
        check_log(f"redis-aof-rewrite-{preamble}", state)


# ---------------------------------------------------------------------------
# 9. Redis's files load in SwiftKeyDB
# ---------------------------------------------------------------------------


def test_redis_files_load_in_swiftkeydb(servers, tmp_path):
    expire_at = far_future_ms()
    # dump.rdb written by redis-server
    ref = redis_ref(servers, "redis-rdb", "--appendonly", "no")
    ref.start()
    rr = ref.client()
    build_dataset(rr, expire_at)
    state = dump_state(rr)
    assert raw(rr, "SAVE") == b"OK"
    ref.kill()

    assert_same_state(state, load_into(servers, "sut", "sut-rdb", ref.dir, "rdb"),
                      ("redis-server", "SwiftKeyDB appendonly no"))

    # appendonly yes, no AOF yet: the snapshot is loaded and becomes the log's start.
    d = tmp_path / "sut-rdb-aof"
    d.mkdir()
    shutil.copy2(ref.dir / "dump.rdb", d / "dump.rdb")
    s = sut(servers, "sut-rdb-aof", "--appendonly", "yes")
    s.start()
    assert_same_state(state, dump_state(s.client()), ("redis-server", "SwiftKeyDB appendonly yes"))
    assert manifest_path(d).exists(), "no AOF was created"
    s.kill()
    os.remove(d / "dump.rdb")  # from now on only the log can provide the data
    s.start()
    assert_same_state(state, dump_state(s.client()), ("redis-server", "SwiftKeyDB from its own log"))
    s.kill()

    # Redis's own appendonlydir: as written, after BGREWRITEAOF with an RDB base, with a command base.
    ref = redis_ref(servers, "redis-aof", "--appendonly", "yes")
    ref.start()
    rr = ref.client()
    build_dataset(rr, expire_at)
    wait_persistence_idle(ref)
    steps = [("as-written", None), ("rewrite-rdb", "yes"), ("rewrite-aof", "no")]
    for tag, preamble in steps:
        if preamble is not None:
            assert raw(rr, "CONFIG", "SET", "aof-use-rdb-preamble", preamble) == b"OK"
            assert raw(rr, "BGREWRITEAOF") == b"Background append only file rewriting started"
            wait_persistence_idle(ref)
            base = base_file(ref.dir)
            assert base.name.endswith(".base.rdb" if preamble == "yes" else ".base.aof"), base
            more_writes(rr, tag)
        state = dump_state(rr)
        got = load_into(servers, "sut", f"sut-{tag}", ref.dir, "aof")
        assert_same_state(state, got, ("redis-server", f"SwiftKeyDB on Redis's log ({tag})"))


# ---------------------------------------------------------------------------
# 10. BGSAVE while clients write
# ---------------------------------------------------------------------------

BGSAVE_PRELOAD = 200_000


class ListWriter(threading.Thread):
    """RPUSH wl:t 0, 1, 2, ... one at a time, counting sent and acknowledged."""

    def __init__(self, port: int, t: int):
        super().__init__(daemon=True)
        self.t = t
        self.r = redis.Redis(host=HOST, port=port, protocol=2, single_connection_client=True,
                             socket_timeout=30)
        self.sent = 0
        self.acked = 0
        self.stop = threading.Event()
        self.error = None

    def run(self) -> None:
        try:
            while not self.stop.is_set():
                self.sent += 1
                n = raw(self.r, "RPUSH", f"wl:{self.t}", self.sent - 1)
                assert n == self.sent, (n, self.sent)
                self.acked = self.sent
        except BaseException as e:  # reported by the test
            self.error = e
        finally:
            self.r.close()


def bgsave_conflicts(s: Server) -> List[list]:
    """The replies to BGSAVE / BGREWRITEAOF sent while another child runs (each
    group in one write, so the first command's child is certainly still running)."""
    out = []
    for group in (
        [["BGSAVE"], ["BGSAVE"], ["BGSAVE", "SCHEDULE"]],
        [["BGREWRITEAOF"], ["BGSAVE"], ["BGSAVE", "SCHEDULE"], ["BGREWRITEAOF"]],
        [["BGSAVE"], ["BGREWRITEAOF"]],
    ):
        saves = int(s.info()["rdb_saves"])
        with RespClient(HOST, s.port, timeout=30) as c:
            c.send(b"".join(encode_command(cmd) for cmd in group))
            out.append([c.read_reply() for _ in group])
        wait_persistence_idle(s)
        wait_for(lambda: int(s.info()["rdb_saves"]) > saves, 30, 0.02, "the BGSAVE to finish")
    return out


def test_bgsave_while_clients_write(servers, tmp_path):
    s = sut(servers, "data", "--appendonly", "no")
    s.start()
    r = s.client()
    pipeline_raw(s.port, [("SET", f"pre:{i}", f"value-{i}-" + "x" * 40) for i in range(BGSAVE_PRELOAD)],
                 chunk=20000)
    lastsave0 = int(raw(r, "LASTSAVE"))
    wait_for(lambda: int(time.time()) > lastsave0, 5, 0.01, "the next second")
    writers = [ListWriter(s.port, t) for t in range(2)]
    for w in writers:
        w.start()
    wait_for(lambda: all(w.acked >= 100 for w in writers), 30, 0.005, "writers to get going")
    info = s.info()
    changes_before = int(info["rdb_changes_since_last_save"])
    assert changes_before >= BGSAVE_PRELOAD
    assert info["rdb_bgsave_in_progress"] == "0"

    acked_before = [w.acked for w in writers]
    with RespClient(HOST, s.port, timeout=30) as c:
        c.send(encode_command(["BGSAVE"]) + encode_command(["BGSAVE"]))
        replies = [c.read_reply(), c.read_reply()]
    sent_at_reply = [w.sent for w in writers]
    assert replies == [b"+Background saving started\r\n", b"-ERR Background save already in progress\r\n"]
    # Clients keep getting replies while the child saves.
    during = []
    while True:
        info = s.info()
        acked = [w.acked for w in writers]
        if info["rdb_bgsave_in_progress"] != "1":
            break
        during.append(acked)
    print(f"BGSAVE in progress at {len(during)} INFO polls; acks {during[:1]} .. {during[-1:]}")
    assert len(during) >= 2, "BGSAVE was never seen in progress"
    progress = [b - a for a, b in zip(during[0], during[-1])]
    assert all(p > 0 for p in progress), f"writers made no progress during the BGSAVE: {during[0]} -> {during[-1]}"
    assert info["rdb_last_bgsave_status"] == "ok", info
    assert info["rdb_saves"] == "1", info
    assert int(raw(r, "LASTSAVE")) > lastsave0
    assert int(info["rdb_changes_since_last_save"]) < changes_before
    saved = tmp_path / "saved"
    saved.mkdir()
    shutil.copy2(s.dir / "dump.rdb", saved / "dump.rdb")

    for w in writers:
        w.stop.set()
    for w in writers:
        w.join(timeout=30)
        assert w.error is None, repr(w.error)

    # The snapshot holds the data as of the BGSAVE: every preloaded key, and each
    # writer's list is 0..n-1 with n between what was acknowledged before BGSAVE
    # and what had been sent when its reply came.
    ref = redis_ref(servers, "saved", "--appendonly", "no")
    ref.start()
    rr = ref.client()
    assert raw(rr, "DBSIZE") == BGSAVE_PRELOAD + 2
    assert raw(rr, "GET", f"pre:{BGSAVE_PRELOAD - 1}") == f"value-{BGSAVE_PRELOAD - 1}-".encode() + b"x" * 40
    for w, lo, hi in zip(writers, acked_before, sent_at_reply):
        items = raw(rr, "LRANGE", f"wl:{w.t}", 0, -1)
        assert lo <= len(items) <= hi, (w.t, lo, len(items), hi)
        assert items == [str(i).encode() for i in range(len(items))]
    ref.kill()
    # SwiftKeyDB loads it too.
    s2 = sut(servers, "saved", "--appendonly", "no")
    s2.start()
    assert raw(s2.client(), "DBSIZE") == BGSAVE_PRELOAD + 2
    s2.kill()

    # Conflicting background jobs: same replies as redis-server.
    got = bgsave_conflicts(s)
    ref2 = redis_ref(servers, "redis-conflicts", "--appendonly", "no")
    ref2.start()
    pipeline_raw(ref2.port, [("SET", f"pre:{i}", "v") for i in range(1000)])
    expected = bgsave_conflicts(ref2)
    assert got == expected
    assert expected[0][:2] == [b"+Background saving started\r\n", b"-ERR Background save already in progress\r\n"]
    assert expected[1][2] == b"+Background saving scheduled\r\n"


# ---------------------------------------------------------------------------
# 11. SHUTDOWN and SIGTERM
# ---------------------------------------------------------------------------


def test_shutdown_nosave_save_and_sigterm(servers):
    # SHUTDOWN NOSAVE with save points and appendonly no: nothing written.
    a = servers("sut", "nosave", ["--appendonly", "no", "--save", "3600 1"])
    a.start()
    write_some(a.client(), "a")
    assert a.shutdown("NOSAVE") == 0
    assert not (a.dir / "dump.rdb").exists()
    assert not aof_dir(a.dir).exists()
    a.start()
    assert raw(a.client(), "DBSIZE") == 0
    a.kill()

    # SHUTDOWN SAVE without save points: dump.rdb written and loaded next time.
    b = servers("sut", "save", ["--appendonly", "no", "--save", ""])
    b.start()
    write_some(b.client(), "b")
    assert b.shutdown("SAVE") == 0
    assert (b.dir / "dump.rdb").exists()
    b.start()
    check_some(b.client(), "b")
    b.kill()

    # Plain SHUTDOWN with save points saves.
    c = servers("sut", "plain", ["--appendonly", "no", "--save", "3600 1"])
    c.start()
    write_some(c.client(), "c")
    assert c.shutdown() == 0
    c.start()
    check_some(c.client(), "c")
    c.kill()

    # SIGTERM under everysec: the log is synced, every write is found again.
    d = servers("sut", "sigterm-aof", ["--appendonly", "yes", "--appendfsync", "everysec", "--save", ""])
    d.start()
    write_some(d.client(), "d", 2000)
    assert d.terminate() == 0
    assert not (d.dir / "dump.rdb").exists()
    d.start()
    check_some(d.client(), "d", 2000)
    d.kill()

    # SIGTERM with appendonly no and the default save points: dump.rdb written.
    e = servers("sut", "sigterm-rdb", ["--appendonly", "no"])
    e.start()
    assert raw(e.client(), "CONFIG", "GET", "save") == [b"save", b"3600 1 300 100 60 10000"]
    write_some(e.client(), "e")
    assert e.terminate() == 0
    assert (e.dir / "dump.rdb").exists(), "SIGTERM with save points did not write dump.rdb"
    e.start()
    check_some(e.client(), "e")
    e.kill()


def test_save_schedule_snapshots_in_the_background(servers):
    """A save point (seconds, changes) that is reached starts a BGSAVE by itself;
    CONFIG SET save takes effect at run time."""
    s = servers("sut", "data", ["--appendonly", "no", "--save", ""])
    s.start()
    r = s.client()
    write_some(r, "a")
    assert not (s.dir / "dump.rdb").exists()
    # Reached once more than 1 s passed since the last save (server start).
    assert raw(r, "CONFIG", "SET", "save", "1 100") == b"OK"
    info = wait_for(lambda: (lambda i: i if i["rdb_saves"] == "1" and i["rdb_bgsave_in_progress"] == "0" else None)(
        s.info()), 15, 0.05, "the scheduled snapshot")
    assert info["rdb_last_bgsave_status"] == "ok"
    assert info["rdb_changes_since_last_save"] == "0"
    assert (s.dir / "dump.rdb").exists()
    assert raw(r, "CONFIG", "SET", "save", "") == b"OK"
    raw(r, "SET", "after-save", "1")  # not in the snapshot
    s.kill()
    s.start()
    r = s.client()
    check_some(r, "a")
    assert raw(r, "EXISTS", "after-save") == 0
    assert raw(r, "DBSIZE") == 201


# ---------------------------------------------------------------------------
# 12. CONFIG SET appendonly
# ---------------------------------------------------------------------------


def test_config_set_appendonly(servers):
    """Turning the log off: later writes are not logged, so after a crash (no
    snapshot: save "") they are gone, as with Redis. Turning it on: a fresh base
    with the current data, and later writes persist."""
    s = sut(servers, "data", "--appendonly", "yes")
    s.start()
    r = s.client()
    write_some(r, "a")
    assert raw(r, "CONFIG", "SET", "appendonly", "no") == b"OK"
    assert s.info()["aof_enabled"] == "0"
    files = dir_contents(aof_dir(s.dir))
    write_some(r, "b")
    raw(r, "DEL", "a:0")
    assert dir_contents(aof_dir(s.dir)) == files, "writes were logged while appendonly was no"
    s.kill()
    s.start()  # appendonly yes from the command line: the log as it was when turned off
    r = s.client()
    check_some(r, "a")
    assert raw(r, "EXISTS", "b:0", "b:list") == 0
    assert raw(r, "DBSIZE") == 201

    # Off, write, on again: the new base holds everything, later writes persist.
    base_seq = [e for e in manifest_entries(s.dir) if e[2] == "b"][0][1]
    assert raw(r, "CONFIG", "SET", "appendonly", "no") == b"OK"
    write_some(r, "d")
    assert raw(r, "CONFIG", "SET", "appendonly", "yes") == b"OK"
    info = wait_persistence_idle(s)
    assert info["aof_enabled"] == "1"
    entries = manifest_entries(s.dir)
    bases = [e for e in entries if e[2] == "b"]
    assert len(bases) == 1 and bases[0][1] > base_seq, entries
    assert [e[2] for e in entries] == ["b", "i"], entries
    write_some(r, "e")
    listing = sorted(os.listdir(aof_dir(s.dir)))
    for name, _seq, _type in entries:
        assert name in listing, f"the manifest names {name} but appendonlydir holds only {listing}"
    assert listing == sorted([e[0] for e in entries] + [manifest_path(s.dir).name]), listing
    s.kill()
    s.start()
    r = s.client()
    for prefix in "ade":
        check_some(r, prefix)
    assert raw(r, "DBSIZE") == 3 * 201

    # Starting with appendonly no and turning it on at run time.
    t = sut(servers, "off-then-on", "--appendonly", "no")
    t.start()
    r = t.client()
    write_some(r, "x")
    assert not aof_dir(t.dir).exists()
    assert raw(r, "CONFIG", "SET", "appendonly", "yes") == b"OK"
    wait_persistence_idle(t)
    assert base_file(t.dir) is not None and base_file(t.dir).exists()
    write_some(r, "y")
    t.kill()
    assert not (t.dir / "dump.rdb").exists()
    t = sut(servers, "off-then-on", "--appendonly", "yes")
    t.start()
    r = t.client()
    check_some(r, "x")
    check_some(r, "y")


# ---------------------------------------------------------------------------
# 13. Corrupt dump.rdb
# ---------------------------------------------------------------------------


def corruptions(data: bytes) -> Dict[str, bytes]:
    out = {}
    # One byte of a value changed: only the checksum can tell.
    pos = data.index(b"hello world")
    out["value-byte-flipped"] = data[:pos] + b"j" + data[pos + 1:]
    # A key's type byte replaced by an unknown type.
    pos = data.index(bytes([len(b"str:notint")]) + b"str:notint") - 1
    assert data[pos] == 0  # RDB_TYPE_STRING
    out["type-byte-flipped"] = data[:pos] + b"\xee" + data[pos + 1:]
    # The middle byte flipped.
    mid = len(data) // 2
    out["middle-byte-flipped"] = data[:mid] + bytes([data[mid] ^ 0xFF]) + data[mid + 1:]  # (SwiftKeyDB only)
    out["truncated-at-half"] = data[:len(data) // 2]
    out["checksum-cut"] = data[:-3]
    return out


def test_corrupt_dump_rdb_refuses_to_start(servers, tmp_path):
    s = sut(servers, "data", "--appendonly", "no")
    s.start()
    build_dataset(s.client(), far_future_ms())
    assert raw(s.client(), "SAVE") == b"OK"
    s.kill()
    good = (s.dir / "dump.rdb").read_bytes()
    failures = []
    for name, data in corruptions(good).items():
        # redis-server as the reference that the file is really broken; not for a flip at
        # an arbitrary place, where Redis's outcome depends on what the byte was.
        for kind in ("sut",) if name == "middle-byte-flipped" else ("sut", "redis"):
            d = tmp_path / f"{kind}-{name}"
            d.mkdir()
            (d / "dump.rdb").write_bytes(data)
            rc, output, _ = refuse_to_start(kind, d, "--appendonly", "no")
            if rc != 1:
                failures.append(f"{kind} {name}: exit status {rc} (expected 1)\n{output[-1500:]}")
            elif kind == "sut" and "dump.rdb" not in output:
                failures.append(f"sut {name}: the error does not name dump.rdb:\n{output[-1500:]}")
            if (d / "dump.rdb").read_bytes() != data:
                failures.append(f"{kind} {name}: dump.rdb was changed")
    assert not failures, "\n\n".join(failures)


# ---------------------------------------------------------------------------
# 14. TTLs across restarts
# ---------------------------------------------------------------------------


@pytest.mark.parametrize("mode", ["aof", "aof-rewrite", "rdb"])
def test_ttls_survive_restart(servers, mode):
    s = sut(servers, "data", "--appendonly", "no" if mode == "rdb" else "yes")
    s.start()
    r = s.client()
    absolute = int(time.time() * 1000) + 5_000_000
    raw_pipeline(r, [
        ["SET", "ex", "v", "EX", 3600],
        ["SET", "px", "v", "PX", 7_200_123],
        ["SET", "pxat", "v", "PXAT", absolute],
        ["RPUSH", "expire", "a"], ["EXPIRE", "expire", 5000],
        ["HSET", "pexpire", "f", "v"], ["PEXPIRE", "pexpire", 9_000_001],
        ["SET", "getex", "v"], ["GETEX", "getex", "EX", 4000],
        ["SETEX", "setex", 6000, "v"],
        ["ZADD", "expireat", 1, "m"], ["EXPIREAT", "expireat", absolute // 1000 + 77],
        ["SET", "persisted", "v", "EX", 100], ["PERSIST", "persisted"],
        ["SELECT", 9], ["SADD", "db9", "m"], ["PEXPIRE", "db9", 8_000_000], ["SELECT", 0],
        ["SET", "short", "v", "PX", 1500],
        ["SADD", "short-set", "m"], ["PEXPIRE", "short-set", 1500],
    ])
    if mode == "aof-rewrite":
        assert raw(r, "BGREWRITEAOF") == b"Background append only file rewriting started"
        wait_persistence_idle(s)
    if mode == "rdb":
        assert raw(r, "SAVE") == b"OK"
    before = dump_state(r)
    assert count_keys(before) == 12, before.keys()
    assert before[0][b"pxat"][2] == absolute
    assert before[0][b"persisted"][2] == -1
    short_deadline = max(before[0][b"short"][2], before[0][b"short-set"][2])
    assert short_deadline > time.time() * 1000, "the short keys expired before the crash"
    s.kill()
    wait_for(lambda: time.time() * 1000 > short_deadline + 100, 10, 0.01, "the short keys' expiry")
    s.start()
    r = s.client()
    after = dump_state(r)
    for key in (b"short", b"short-set"):
        assert raw(r, "EXISTS", key) == 0 and raw(r, "PEXPIRETIME", key) == -2
        del before[0][key]
    assert_same_state(before, after, ("before restart", "after restart"))


# ---------------------------------------------------------------------------
# 15. INFO persistence as Redis reports it
# ---------------------------------------------------------------------------


@pytest.mark.parametrize("appendonly", ["yes", "no"])
def test_info_persistence_matches_redis(servers, appendonly):
    infos = {}
    for kind in ("sut", "redis"):
        s = servers(kind, f"{kind}-data", ["--save", "", "--appendonly", appendonly])
        s.start()
        r = s.client()
        write_some(r, "a")
        raw_pipeline(r, [["MSET", "m1", "1", "m2", "2"], ["RPUSH", "l", "a", "b", "c"], ["DEL", "nothing"],
                         ["SADD", "set", "x", "x"]])
        first = s.info()
        assert raw(r, "SAVE") == b"OK"
        infos[kind] = (first, s.info())
        s.kill()
    (sut_first, sut_saved), (ref_first, ref_saved) = infos["sut"], infos["redis"]
    assert list(sut_first) == list(ref_first), "INFO persistence fields differ from Redis's"
    for field in ("loading", "rdb_changes_since_last_save", "rdb_bgsave_in_progress", "rdb_last_bgsave_status",
                  "aof_enabled", "aof_rewrite_in_progress", "aof_rewrite_scheduled", "aof_last_write_status"):
        assert sut_first[field] == ref_first[field], (field, sut_first[field], ref_first[field])
        assert sut_saved[field] == ref_saved[field], (field, sut_saved[field], ref_saved[field])
    assert sut_saved["rdb_changes_since_last_save"] == "0"
    assert int(sut_saved["rdb_saves"]) == int(ref_saved["rdb_saves"]) == 1


# ---------------------------------------------------------------------------
# Writes refused while the disk refuses (MISCONF), as Redis does
# ---------------------------------------------------------------------------


def test_failed_bgsave_refuses_writes_like_redis(servers):
    """A BGSAVE that cannot write (its directory is gone) turns writes and PING
    away with Redis's exact MISCONF text until stop-writes-on-bgsave-error no."""
    replies = {}
    for kind in ("sut", "redis"):
        s = servers(kind, f"{kind}-misconf", ["--appendonly", "no", "--save", "3600 1"])
        s.start()
        r = s.client()
        assert raw(r, "SET", "a", "1") == b"OK"
        shutil.rmtree(s.dir)
        assert raw(r, "BGSAVE") == b"Background saving started"
        wait_for(lambda: s.info().get("rdb_bgsave_in_progress") == "0"
                 and s.info().get("rdb_last_bgsave_status") == "err", 10, 0.02, "the BGSAVE to fail")
        def reply(*args):
            try:
                return raw(r, *args)
            except redis.ResponseError as error:
                return f"-{error}"

        refused = (reply("SET", "b", "2"), reply("PING"), reply("GET", "a"))
        assert reply("CONFIG", "SET", "stop-writes-on-bgsave-error", "no") == b"OK"
        replies[kind] = refused + (reply("SET", "b", "2"),)
        s.kill()
    assert replies["sut"] == replies["redis"]
    assert replies["sut"][0].startswith("-MISCONF Redis is configured to save RDB snapshots")
    assert replies["sut"][2:] == (b"1", b"OK")


def test_log_turned_on_at_run_time_is_written_in_the_background(servers):
    """CONFIG SET appendonly yes answers at once (a child writes the first base, as
    Redis does); writes made meanwhile, and a SHUTDOWN that comes before the base
    is done, still leave a complete log behind."""
    s = sut(servers, "data", "--appendonly", "no")
    s.start()
    r = s.client()
    pipeline_raw(s.port, [("SET", f"bulk:{i}", "v" * 100) for i in range(200_000)], chunk=20000)
    assert raw(r, "CONFIG", "SET", "appendonly", "yes") == b"OK"
    assert s.info()["aof_enabled"] == "1"
    assert raw(r, "SET", "during", "1") == b"OK"
    assert raw(r, "RPUSH", "list", "x") == 1
    # Whether or not the child has finished, SHUTDOWN must leave every write in the log.
    assert s.shutdown("NOSAVE") == 0
    assert not (aof_dir(s.dir) / "temp-appendonly.aof.incr").exists()
    s.start(["--appendonly", "yes"])  # as a config file saying so would, after the change
    r = s.client()
    assert raw(r, "DBSIZE") == 200_002
    assert raw(r, "GET", "during") == b"1" and raw(r, "LRANGE", "list", 0, -1) == [b"x"]


@pytest.mark.parametrize("fsync", ["everysec", "always"])
def test_a_client_that_closes_its_side_gets_its_replies(servers, fsync):
    """Regression: nc-style clients send, then close their side. Replies held for
    the log were dropped when the server saw the end of input first."""
    s = sut(servers, "data", "--appendonly", "yes", "--appendfsync", fsync)
    s.start()
    with socket.create_connection((HOST, s.port), timeout=10) as conn:
        conn.sendall(b'SET a "b c"\r\nGET a\r\nINCR n\r\n')
        conn.shutdown(socket.SHUT_WR)
        received = b""
        while chunk := conn.recv(4096):
            received += chunk
    assert received == b"+OK\r\n$3\r\nb c\r\n:1\r\n"
