"""Helpers for test_durability.py: servers started in their own directories
(SwiftKeyDB or redis-server), crash/stop helpers, a full-state dump that works
for both servers, a deterministic dataset of every type and encoding, and a
seeded random write stream.

Conventions follow conftest.py: free ports on 127.0.0.1, the binary under test
from SWIFTKEYDB_BIN (default `<repo>/.build/release/swiftkeydb-server`),
redis-server from REDIS_SERVER_BIN or PATH, server output captured in a log
file whose tail is shown when something goes wrong.  Unlike conftest.py, the
log files live outside the data directory, so the data directory holds only
what the server wrote.
"""

from __future__ import annotations

import os
import random
import shutil
import signal
import socket
import subprocess
import time
from pathlib import Path
from typing import Dict, List, Optional, Sequence, Tuple

import pytest
import redis

from conftest import HOST, _ping_ok, free_port, redis_server_bin, sut_bin
from resp_client import encode_command

STARTUP_TIMEOUT = float(os.environ.get("SWIFTKEYDB_STARTUP_TIMEOUT", "30"))
LOADING_ERROR = b"-LOADING Redis is loading the dataset in memory\r\n"


def redis_tool(name: str) -> str:
    path = shutil.which(name)
    if path is None:
        pytest.fail(f"{name} not found on PATH (apt-get install redis-tools)", pytrace=False)
    return path


class Server:
    """One server process (SwiftKeyDB or redis-server) on a data directory.

    The same object can be started, crashed and restarted on the same
    directory; each start gets a new port and appends to the same log file.
    """

    def __init__(self, kind: str, data_dir: Path, log_dir: Path, args: Sequence[str] = ()):
        assert kind in ("sut", "redis")
        self.kind = kind
        self.binary = sut_bin() if kind == "sut" else redis_server_bin()
        if not self.binary or not os.access(self.binary, os.X_OK):
            what = ("SwiftKeyDB (set SWIFTKEYDB_BIN or build with `swift build -c release`)"
                    if kind == "sut" else "redis-server (REDIS_SERVER_BIN or PATH)")
            pytest.fail(f"{what} not found: {self.binary!r}", pytrace=False)
        self.dir = Path(data_dir)
        self.dir.mkdir(parents=True, exist_ok=True)
        self.log_path = Path(log_dir) / f"{kind}-{self.dir.name}.log"
        self.log_path.parent.mkdir(parents=True, exist_ok=True)
        self.args = list(args)
        self.port: Optional[int] = None
        self.proc: Optional[subprocess.Popen] = None
        self.log_offset = 0
        self._clients: List[redis.Redis] = []
        self._info_client: Optional[redis.Redis] = None

    # -- lifecycle ---------------------------------------------------------
    def command_line(self, port: int, extra: Sequence[str] = ()) -> List[str]:
        cmd = [self.binary, "--port", str(port), "--bind", HOST, "--dir", str(self.dir)]
        if self.kind == "redis":
            cmd += ["--daemonize", "no", "--logfile", "", "--protected-mode", "no"]
        return cmd + self.args + list(extra)

    def spawn(self, extra: Sequence[str] = (), stdout=None) -> subprocess.Popen:
        """Starts the process without waiting for it to answer (output to the log
        file, or to `stdout` when given: a file descriptor)."""
        assert self.proc is None or self.proc.poll() is not None, "already running"
        self.port = free_port()
        self.log_offset = self.log_path.stat().st_size if self.log_path.exists() else 0
        with open(self.log_path, "ab") as log:
            log.write(f"===== start: {' '.join(self.command_line(self.port, extra))}\n".encode())
            log.flush()
            self.proc = subprocess.Popen(self.command_line(self.port, extra),
                                         stdout=log if stdout is None else stdout,
                                         stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                                         cwd=str(self.dir))
        return self.proc

    def wait_ready(self, timeout: float = STARTUP_TIMEOUT) -> "Server":
        """Waits until PING answers +PONG (not -LOADING); fails the test if the process exits."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                pytest.fail(f"{self.kind} exited with status {self.proc.returncode} during startup\n"
                            f"--- log (this run) ---\n{self.log_tail()}", pytrace=False)
            if _ping_ok(self.port):
                return self
            time.sleep(0.02)
        pytest.fail(f"{self.kind} did not answer PING within {timeout}s\n--- log ---\n{self.log_tail()}",
                    pytrace=False)

    def start(self, extra: Sequence[str] = ()) -> "Server":
        for _attempt in range(3):
            self.spawn(extra)
            deadline = time.monotonic() + STARTUP_TIMEOUT
            while time.monotonic() < deadline:
                if self.proc.poll() is not None:
                    break
                if _ping_ok(self.port):
                    return self
                time.sleep(0.02)
            if self.proc.poll() is None:
                self.kill()
                pytest.fail(f"{self.kind} did not answer PING within {STARTUP_TIMEOUT}s\n"
                            f"--- log ---\n{self.log_tail()}", pytrace=False)
            if "Address already in use" not in self.run_log():
                break
        pytest.fail(f"{self.kind} exited with status {self.proc.returncode} during startup\n"
                    f"--- log (this run) ---\n{self.log_tail()}", pytrace=False)

    def running(self) -> bool:
        return self.proc is not None and self.proc.poll() is None

    def _close_clients(self) -> None:
        for c in self._clients:
            try:
                c.close()
            except Exception:
                pass
        self._clients.clear()
        self._info_client = None

    def kill(self) -> None:
        """SIGKILL: a crash of the process (the kernel keeps what was written)."""
        self._close_clients()
        if self.running():
            self.proc.send_signal(signal.SIGKILL)
        if self.proc is not None:
            self.proc.wait(timeout=30)

    def terminate(self, timeout: float = 30) -> int:
        """SIGTERM; returns the exit status."""
        self._close_clients()
        assert self.running(), f"{self.kind} is not running\n{self.log_tail()}"
        self.proc.send_signal(signal.SIGTERM)
        return self.proc.wait(timeout=timeout)

    def shutdown(self, *options: str, timeout: float = 30) -> int:
        """SHUTDOWN [options]: the connection closes without a reply; returns the exit status."""
        self._close_clients()
        with socket.create_connection((HOST, self.port), timeout=timeout) as s:
            s.settimeout(timeout)
            s.sendall(encode_command(["SHUTDOWN", *options]))
            data = b""
            while True:
                try:
                    chunk = s.recv(4096)
                except OSError:
                    break
                if not chunk:
                    break
                data += chunk
        assert data == b"", f"SHUTDOWN {' '.join(options)} answered {data!r} instead of exiting"
        return self.proc.wait(timeout=timeout)

    def cleanup(self) -> None:
        try:
            self.kill()
        except Exception:
            pass

    # -- clients -----------------------------------------------------------
    def client(self, db: int = 0, timeout: float = 20.0, **kwargs) -> redis.Redis:
        c = redis.Redis(host=HOST, port=self.port, db=db, protocol=2, decode_responses=False,
                        socket_timeout=timeout, socket_connect_timeout=timeout,
                        single_connection_client=True, **kwargs)
        self._clients.append(c)
        return c

    def info(self, section: str = "persistence") -> Dict[str, str]:
        if self._info_client is None:
            self._info_client = self.client()
        return info_fields(raw(self._info_client, "INFO", section))

    # -- logs --------------------------------------------------------------
    def full_log(self) -> str:
        try:
            return self.log_path.read_bytes().decode("utf-8", "replace")
        except OSError:
            return ""

    def run_log(self) -> str:
        """What the current (or last) run wrote."""
        try:
            with open(self.log_path, "rb") as f:
                f.seek(self.log_offset)
                return f.read().decode("utf-8", "replace")
        except OSError:
            return ""

    def log_tail(self, n: int = 40) -> str:
        return "\n".join(self.run_log().splitlines()[-n:])

    def __repr__(self) -> str:
        return f"<{self.kind} port={self.port} dir={self.dir}>"


def run_to_exit(binary: str, args: Sequence[str], timeout: float = 60) -> Tuple[int, str, str]:
    """Runs a server (or tool) expected to exit by itself: (status, stdout, stderr)."""
    try:
        done = subprocess.run([binary, *args], stdin=subprocess.DEVNULL, capture_output=True,
                              timeout=timeout)
    except subprocess.TimeoutExpired as e:
        pytest.fail(f"{binary} {' '.join(args)} did not exit within {timeout}s\n"
                    f"stdout: {e.stdout!r}\nstderr: {e.stderr!r}", pytrace=False)
    return (done.returncode, done.stdout.decode("utf-8", "replace"),
            done.stderr.decode("utf-8", "replace"))


def refuse_to_start(kind: str, data_dir: Path, *args: str):
    """Runs a server that must refuse to start: (exit status, stdout + stderr, stderr)."""
    binary = sut_bin() if kind == "sut" else redis_server_bin()
    for _attempt in range(3):
        cmd = ["--port", str(free_port()), "--bind", HOST, "--dir", str(data_dir)]
        if kind == "redis":
            cmd += ["--daemonize", "no", "--logfile", ""]
        rc, out, err = run_to_exit(binary, [*cmd, "--save", "", *args], timeout=60)
        if "Address already in use" not in out + err:
            break
    return rc, out + err, err


@pytest.fixture
def servers(tmp_path):
    """make(kind, name, args) -> Server on <tmp>/<name>; all killed at teardown."""
    made: List[Server] = []

    def make(kind: str, name: str, args=()) -> Server:
        s = Server(kind, tmp_path / name, tmp_path / "logs", list(args))
        made.append(s)
        return s

    yield make
    for s in made:
        s.cleanup()
    for s in made:
        if s.log_path.exists():
            print(f"--- {s.log_path} (tail) ---")
            print("\n".join(s.full_log().splitlines()[-25:]))


def info_fields(raw) -> Dict[str, str]:
    if isinstance(raw, dict):  # redis-py already parsed it
        return {str(k): str(v) for k, v in raw.items()}
    text = raw.decode() if isinstance(raw, bytes) else raw
    fields = {}
    for line in text.splitlines():
        if ":" in line and not line.startswith("#"):
            k, v = line.split(":", 1)
            fields[k] = v
    return fields


def wait_for(predicate, timeout: float = 30.0, interval: float = 0.02, what: str = "condition"):
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout}s waiting for {what}")
        time.sleep(interval)


def wait_persistence_idle(server: Server, timeout: float = 60.0) -> Dict[str, str]:
    """Waits until no BGSAVE / BGREWRITEAOF runs or is scheduled."""
    def idle():
        info = server.info()
        if (info.get("rdb_bgsave_in_progress") == "0" and info.get("aof_rewrite_in_progress") == "0"
                and info.get("aof_rewrite_scheduled") == "0"):
            return info
        return None
    return wait_for(idle, timeout, 0.02, "BGSAVE/BGREWRITEAOF to finish")


# ---------------------------------------------------------------------------
# Files
# ---------------------------------------------------------------------------


def aof_dir(data_dir: Path) -> Path:
    return Path(data_dir) / "appendonlydir"


def manifest_path(data_dir: Path) -> Path:
    return aof_dir(data_dir) / "appendonly.aof.manifest"


def manifest_entries(data_dir: Path) -> List[Tuple[str, int, str]]:
    """(file name, seq, type) for each line of the manifest."""
    entries = []
    for line in manifest_path(data_dir).read_text().splitlines():
        if not line.strip() or line.startswith("#"):
            continue
        words = line.split()
        fields = dict(zip(words[0::2], words[1::2]))
        entries.append((fields["file"], int(fields["seq"]), fields["type"]))
    return entries


def last_incr_file(data_dir: Path) -> Path:
    incr = [e for e in manifest_entries(data_dir) if e[2] == "i"]
    assert incr, f"manifest has no incremental file: {manifest_path(data_dir).read_text()!r}"
    return aof_dir(data_dir) / incr[-1][0]


def base_file(data_dir: Path) -> Optional[Path]:
    base = [e for e in manifest_entries(data_dir) if e[2] == "b"]
    return aof_dir(data_dir) / base[0][0] if base else None


def dir_contents(path: Path) -> Dict[str, bytes]:
    """Every regular file under `path` (relative name -> bytes)."""
    out = {}
    for p in sorted(Path(path).rglob("*")):
        if p.is_file():
            out[str(p.relative_to(path))] = p.read_bytes()
    return out


def copy_aof_dir(src_data_dir: Path, dst_data_dir: Path) -> None:
    Path(dst_data_dir).mkdir(parents=True, exist_ok=True)
    shutil.copytree(aof_dir(src_data_dir), aof_dir(dst_data_dir))


# ---------------------------------------------------------------------------
# Full-state dump (works for both servers)
# ---------------------------------------------------------------------------


def raw(r: redis.Redis, *args):
    """One command on `r`'s single connection, without redis-py's reply callbacks.

    Error replies raise redis.ResponseError (EXEC's per-command errors come back
    as exception objects inside its list)."""
    conn = r.connection
    assert conn is not None, "raw() needs a single-connection client (Server.client())"
    conn.send_command(*args)
    return conn.read_response()


def raw_pipeline(r: redis.Redis, commands: Sequence[Sequence], raise_on_error: bool = True) -> list:
    """Sends `commands` in one write on `r`'s single connection; returns the replies."""
    conn = r.connection
    conn.send_packed_command(conn.pack_commands([list(c) for c in commands]))
    replies = []
    for c in commands:
        try:
            replies.append(conn.read_response())
        except redis.ResponseError as e:
            if raise_on_error:
                # drain the rest so the connection stays usable, then raise
                for _ in range(len(commands) - len(replies) - 1):
                    try:
                        conn.read_response()
                    except redis.ResponseError:
                        pass
                raise AssertionError(f"{c[0]!r} failed: {e}") from e
            replies.append(e)
    return replies


def _text(v) -> str:
    return v.decode() if isinstance(v, bytes) else str(v)


def dump_state(r: redis.Redis, dbs: int = 16) -> Dict[int, Dict[bytes, tuple]]:
    """{db: {key: (type, canonical value, PEXPIRETIME)}} for every non-empty db.

    `r` must be a single-connection client (SELECT is used). Values are the
    server's own bytes (scores as the server prints them, so a lost digit
    shows up); sets are sorted, hashes are sorted (field, value) pairs, sorted
    sets are (member, score, member, score, ...) in ZRANGE order.
    """
    state = {}
    try:
        for db in range(dbs):
            raw(r, "SELECT", db)
            keys = set()
            cursor = b"0"
            while True:
                cursor, batch = raw(r, "SCAN", cursor, "COUNT", 1000)
                keys.update(batch)
                if cursor == b"0":
                    break
            entries = {}
            for key in sorted(keys):
                t = _text(raw(r, "TYPE", key))
                if t == "string":
                    value = raw(r, "GET", key)
                elif t == "list":
                    value = tuple(raw(r, "LRANGE", key, 0, -1))
                elif t == "set":
                    value = tuple(sorted(raw(r, "SMEMBERS", key)))
                elif t == "hash":
                    flat = raw(r, "HGETALL", key)
                    value = tuple(sorted(zip(flat[0::2], flat[1::2])))
                elif t == "zset":
                    value = tuple(raw(r, "ZRANGE", key, 0, -1, "WITHSCORES"))
                elif t == "stream":
                    value = stream_state(r, key)
                elif t == "none":
                    continue  # expired between SCAN and TYPE (tests avoid that)
                else:
                    raise AssertionError(f"unexpected type {t!r} for key {key!r} in db {db}")
                entries[key] = (t, value, int(raw(r, "PEXPIRETIME", key)))
            if entries:
                state[db] = entries
    finally:
        raw(r, "SELECT", 0)
    return state


def describe_difference(a: dict, b: dict, names=("before", "after"), limit: int = 10) -> str:
    """A short account of how two dumps differ (for assertion messages)."""
    lines = []
    for db in sorted(set(a) | set(b)):
        da, dbb = a.get(db, {}), b.get(db, {})
        only_a = sorted(set(da) - set(dbb))
        only_b = sorted(set(dbb) - set(da))
        if only_a:
            lines.append(f"db{db}: {len(only_a)} keys only {names[0]}: {only_a[:limit]}")
        if only_b:
            lines.append(f"db{db}: {len(only_b)} keys only {names[1]}: {only_b[:limit]}")
        diff = [k for k in sorted(set(da) & set(dbb)) if da[k] != dbb[k]]
        for k in diff[:limit]:
            va, vb = repr(da[k]), repr(dbb[k])
            lines.append(f"db{db} key {k!r}:\n   {names[0]}: {va[:300]}\n   {names[1]}: {vb[:300]}")
        if len(diff) > limit:
            lines.append(f"db{db}: ... {len(diff) - limit} more differing keys")
    return "\n".join(lines) or "(no difference)"


def assert_same_state(a: dict, b: dict, names=("before", "after")) -> None:
    assert a == b, "states differ:\n" + describe_difference(a, b, names)


def count_keys(state: dict) -> int:
    return sum(len(v) for v in state.values())


# ---------------------------------------------------------------------------
# Raw pipelining (fast bulk loads)
# ---------------------------------------------------------------------------


def pipeline_raw(port: int, commands: Sequence[Sequence], chunk: int = 5000, timeout: float = 60) -> List[bytes]:
    """Sends `commands` pipelined over one socket; returns each reply's first line.

    Only for commands with single-line replies (status, error, integer)."""
    replies: List[bytes] = []
    with socket.create_connection((HOST, port), timeout=timeout) as s:
        s.settimeout(timeout)
        buf = b""
        for start in range(0, len(commands), chunk):
            part = commands[start:start + chunk]
            s.sendall(b"".join(encode_command(c) for c in part))
            want = len(replies) + len(part)
            while len(replies) < want:
                while b"\r\n" not in buf:
                    data = s.recv(1 << 20)
                    if not data:
                        raise ConnectionError("server closed the connection")
                    buf += data
                lines = buf.split(b"\r\n")
                buf = lines.pop()
                replies.extend(lines)
    return replies


# ---------------------------------------------------------------------------
# A dataset of every type, in small and large encodings
# ---------------------------------------------------------------------------

BINARY_KEY = b"bin\x00key\r\n\xff"
BINARY_VALUE = b"\x00\r\n\x00value\r\n\xff\xfe" * 3


def stream_state(r: redis.Redis, key) -> tuple:
    """A stream's entries, counters, groups, pending entries (without their idle
    times) and consumers: everything persistence must keep."""
    info = raw(r, "XINFO", "STREAM", key)
    info = dict(zip(info[0::2], info[1::2]))
    counters = tuple(info[k] for k in (b"length", b"last-generated-id", b"max-deleted-entry-id",
                                       b"entries-added", b"recorded-first-entry-id"))
    groups = []
    for group in raw(r, "XINFO", "GROUPS", key):
        g = dict(zip(group[0::2], group[1::2]))
        pending = tuple((row[0], row[1], row[3]) for row in raw(r, "XPENDING", key, g[b"name"], "-", "+", 100000))
        consumers = tuple(sorted((c[1], c[3]) for c in raw(r, "XINFO", "CONSUMERS", key, g[b"name"])))
        groups.append((g[b"name"], g[b"last-delivered-id"], g[b"entries-read"], g[b"lag"], pending, consumers))
    entries = tuple((e[0], tuple(e[1])) for e in raw(r, "XRANGE", key, "-", "+"))
    return (entries, counters, tuple(groups))


def build_dataset(r: redis.Redis, expire_at_ms: int) -> None:
    """Writes the same data on any server (`r`: single-connection client).

    `expire_at_ms` is an absolute time (ms) far enough in the future that no
    key expires during the test; several keys get it or an offset of it.
    """
    rnd = random.Random(20261125)
    cmds: List[List] = []

    class _P:
        def execute_command(self, *args):
            cmds.append(list(args))

    p = _P()
    p.execute_command("SELECT", 0)
    # strings: integers, short, long (100 KB, compressible and not), empty, binary
    p.execute_command("SET", "str:int", "12345")
    p.execute_command("SET", "str:negint", "-9223372036854775808")
    p.execute_command("SET", "str:maxint", "9223372036854775807")
    p.execute_command("SET", "str:notint", "007")
    p.execute_command("SET", "str:float", "3.14159")
    p.execute_command("SET", "str:short", "hello world")
    p.execute_command("SET", "str:empty", "")
    p.execute_command("SET", "str:long", "abcdefghij" * 10240)
    p.execute_command("SET", "str:random", bytes(rnd.getrandbits(8) for _ in range(100 * 1024)))
    p.execute_command("SET", BINARY_KEY, BINARY_VALUE)
    p.execute_command("SET", "str:ttl", "expiring", "PXAT", expire_at_ms)
    p.execute_command("SET", "str:ttl2", "expiring too", "PXAT", expire_at_ms + 12345)
    # lists
    p.execute_command("RPUSH", "list:small", "a", "1", "-2", "\x00\r\n", "")
    p.execute_command("RPUSH", "list:big", *[f"item-{i}" for i in range(1000)])
    p.execute_command("RPUSH", "list:ints", *[str(i * 1000003) for i in range(-300, 300)])
    p.execute_command("RPUSH", "list:hugeelem", "x", "y" * 20 * 1024, "z")
    p.execute_command("RPUSH", "list:ttl", "l1", "l2")
    p.execute_command("PEXPIREAT", "list:ttl", expire_at_ms + 1)
    p.execute_command("RPUSH", b"list:bin\x00", BINARY_VALUE, b"\r\n")
    # sets
    p.execute_command("SADD", "set:intset", "1", "2", "3", "-7", "100000")
    p.execute_command("SADD", "set:intset64", "1", str(2 ** 62), str(-(2 ** 63)))
    p.execute_command("SADD", "set:small", "a", "b", "c", "1")
    p.execute_command("SADD", "set:bigint", *[str(i) for i in range(600)])
    p.execute_command("SADD", "set:bigstr", *[f"member-{i}" for i in range(600)])
    p.execute_command("SADD", "set:longmember", "m" * 100, "n")
    p.execute_command("SADD", "set:ttl", "s1", "s2", "3")
    p.execute_command("PEXPIREAT", "set:ttl", expire_at_ms + 2)
    # hashes
    p.execute_command("HSET", "hash:small", "f1", "v1", "f2", "2", "f3", "", "f4", "-3.5", "f5", "\x00")
    p.execute_command("HSET", "hash:big", *[x for i in range(1000) for x in (f"field-{i}", f"value-{i}")])
    p.execute_command("HSET", "hash:longvalue", "f", "v" * 100, "g", "short")
    p.execute_command("HSET", "hash:longfield", "k" * 100, "v")
    p.execute_command("HSET", "hash:ttl", "a", "1")
    p.execute_command("PEXPIREAT", "hash:ttl", expire_at_ms + 3)
    p.execute_command("HSET", b"hash:bin", BINARY_KEY, BINARY_VALUE)
    # sorted sets: special scores, small and large encodings
    p.execute_command("ZADD", "zset:small", "0", "zero", "-0.5", "minus-half", "1e300", "huge",
                      "inf", "plus-inf", "-inf", "minus-inf")
    p.execute_command("ZADD", "zset:big", *[x for i in range(300) for x in (repr(i * 0.37 - 50), f"m-{i}")])
    p.execute_command("ZADD", "zset:special", "0", "a", "-0.5", "b", "1e300", "c", "inf", "d", "-inf", "e",
                      "3.141592653589793", "pi", "1e-300", "tiny", "-1.7976931348623157e308", "lowest",
                      "123456789012345678", "bigint")
    p.execute_command("ZADD", "zset:longmember", "1", "x" * 100, "2", "y")
    p.execute_command("ZADD", "zset:ttl", "1", "one")
    p.execute_command("PEXPIREAT", "zset:ttl", expire_at_ms + 4)
    p.execute_command("ZADD", b"zset:bin", "1.5", BINARY_VALUE)
    # streams: several nodes, deletions, groups with pending entries, an empty stream with a group
    for i in range(1, 260):
        fields = ["f", str(i), "g", "x" * (i % 7)] if i % 5 else ["other", str(i)]
        p.execute_command("XADD", "stream:big", f"{1000 + i}-{i % 3}", *fields)
    p.execute_command("XDEL", "stream:big", "1005-2", "1100-1", "1259-2")
    p.execute_command("XGROUP", "CREATE", "stream:big", "readers", "0")
    p.execute_command("XGROUP", "CREATE", "stream:big", "late", "$")
    p.execute_command("XREADGROUP", "GROUP", "readers", "alice", "COUNT", "30", "STREAMS", "stream:big", ">")
    p.execute_command("XREADGROUP", "GROUP", "readers", "bob", "COUNT", "5", "STREAMS", "stream:big", ">")
    p.execute_command("XACK", "stream:big", "readers", "1001-1", "1002-2")
    p.execute_command("XCLAIM", "stream:big", "readers", "carol", "0", "1010-1", "1011-2", "JUSTID")
    p.execute_command("XGROUP", "CREATECONSUMER", "stream:big", "late", "idle-one")
    p.execute_command("XADD", "stream:trimmed", "MAXLEN", "2", "5-1", "a", "1")
    p.execute_command("XADD", "stream:trimmed", "MAXLEN", "2", "6-1", "a", "2")
    p.execute_command("XADD", "stream:trimmed", "MAXLEN", "2", "7-1", b"bin\x00", BINARY_VALUE)
    p.execute_command("XGROUP", "CREATE", "stream:empty", "g", "$", "MKSTREAM")
    p.execute_command("XADD", "stream:ttl", "1-1", "k", "v")
    p.execute_command("PEXPIREAT", "stream:ttl", expire_at_ms + 5)
    # other databases
    for db in (3, 15):
        p.execute_command("SELECT", db)
        p.execute_command("SET", f"db{db}:str", f"in db {db}")
        p.execute_command("SET", f"db{db}:ttl", "v", "PXAT", expire_at_ms + db)
        p.execute_command("RPUSH", f"db{db}:list", *[str(i) for i in range(10)])
        p.execute_command("SADD", f"db{db}:set", *[f"s{i}" for i in range(700)])
        p.execute_command("HSET", f"db{db}:hash", "f", "v")
        p.execute_command("ZADD", f"db{db}:zset", "1", "a", "2", "b")
        p.execute_command("SET", "shared-name", f"db {db}")
        p.execute_command("SELECT", 0)
    p.execute_command("SET", "shared-name", "db 0")
    raw_pipeline(r, cmds)


# ---------------------------------------------------------------------------
# Seeded random write stream
# ---------------------------------------------------------------------------


class WriteStream:
    """Generates `count` commands (plus MULTI/EXEC blocks) of all write kinds.

    Relative expiries are long (>= 1000 s) so nothing expires during a test;
    `EXPIRE k 0` style deletions are included (they delete at once).  The
    stream is executed on a single connection; errors (WRONGTYPE and such)
    are part of the stream and are ignored.
    """

    def __init__(self, seed: int):
        self.rnd = random.Random(seed)
        self.db = 0

    def _key(self, kind: str) -> str:
        # Mostly per-type key pools; occasionally any key (type clashes, overwrites).
        if self.rnd.random() < 0.05:
            kind = self.rnd.choice(["s", "l", "h", "t", "z"])
        return f"{kind}:{self.rnd.randrange(12)}"

    def _val(self) -> bytes:
        choice = self.rnd.random()
        if choice < 0.3:
            return str(self.rnd.randrange(-1000, 1000)).encode()
        if choice < 0.4:
            return bytes(self.rnd.getrandbits(8) for _ in range(self.rnd.randrange(0, 12)))
        if choice < 0.45:
            return b"v" * self.rnd.randrange(60, 300)
        return f"v{self.rnd.randrange(50)}".encode()

    def _score(self) -> str:
        choice = self.rnd.random()
        if choice < 0.05:
            return self.rnd.choice(["inf", "-inf", "0", "-0.5", "1e300"])
        if choice < 0.5:
            return str(self.rnd.randrange(-100, 100))
        return repr(round(self.rnd.uniform(-100, 100), self.rnd.randrange(0, 6)))

    def _ttl_s(self) -> int:
        return self.rnd.randrange(1000, 100000)

    def command(self) -> List:
        rnd = self.rnd
        k = rnd.random()
        if k < 0.28:
            return self._string()
        if k < 0.46:
            return self._list()
        if k < 0.58:
            return self._hash()
        if k < 0.70:
            return self._set()
        if k < 0.84:
            return self._zset()
        return self._keyspace()

    def _string(self) -> List:
        rnd, key = self.rnd, self._key("s")
        c = rnd.randrange(17)
        if c == 0:
            return ["SET", key, self._val()]
        if c == 1:
            return ["SET", key, self._val(), "EX", self._ttl_s()]
        if c == 2:
            return ["SET", key, self._val(), "PX", self._ttl_s() * 1000 + rnd.randrange(1000)]
        if c == 3:
            return ["SET", key, self._val(), "KEEPTTL"]
        if c == 4:
            return ["SET", key, self._val(), "GET"]
        if c == 5:
            return ["SET", key, self._val(), rnd.choice(["NX", "XX"]), "EX", self._ttl_s()]
        if c == 6:
            return ["INCRBYFLOAT", key, repr(round(rnd.uniform(-10, 10), 3))]
        if c == 7:
            return ["INCRBY", key, rnd.randrange(-100, 100)]
        if c == 8:
            return ["INCR", key]
        if c == 9:
            return ["APPEND", key, self._val()]
        if c == 10:
            return ["SETRANGE", key, rnd.randrange(0, 30), self._val()]
        if c == 11:
            option = rnd.choice(["EX", "PX", "PERSIST"])
            if option == "PERSIST":
                return ["GETEX", key, option]
            return ["GETEX", key, option, self._ttl_s() * (1 if option == "EX" else 1000)]
        if c == 12:
            return ["MSET", key, self._val(), self._key("s"), self._val()]
        if c == 13:
            return ["SETEX", key, self._ttl_s(), self._val()]
        if c == 14:
            return ["GETDEL", key]
        if c == 15:
            return ["SETBIT", key, rnd.randrange(0, 100), rnd.randrange(2)]
        return ["DECRBY", key, rnd.randrange(1, 50)]

    def _list(self) -> List:
        rnd, key = self.rnd, self._key("l")
        c = rnd.randrange(14)
        if c <= 2:
            return [rnd.choice(["RPUSH", "LPUSH"]), key] + [self._val() for _ in range(rnd.randrange(1, 6))]
        if c == 3:
            return [rnd.choice(["LPOP", "RPOP"]), key] + ([rnd.randrange(1, 4)] if rnd.random() < 0.5 else [])
        if c == 4:
            return ["LMOVE", key, self._key("l"), rnd.choice(["LEFT", "RIGHT"]), rnd.choice(["LEFT", "RIGHT"])]
        if c == 5:
            return ["LINSERT", key, rnd.choice(["BEFORE", "AFTER"]), self._val(), self._val()]
        if c == 6:
            return ["LREM", key, rnd.randrange(-2, 3), self._val()]
        if c == 7:
            return ["LTRIM", key, rnd.randrange(0, 3), rnd.randrange(-3, 10)]
        if c == 8:
            return ["LSET", key, rnd.randrange(-3, 3), self._val()]
        if c == 9:
            return ["RPOPLPUSH", key, self._key("l")]
        if c == 10:
            return ["RPUSHX", key, self._val()]
        if c == 11:
            return ["LPUSHX", key, self._val()]
        # BLPOP / BLMOVE with data present: pushed first (never blocks)
        return ["__BLOCKING__", key]

    def _hash(self) -> List:
        rnd, key = self.rnd, self._key("h")
        field = f"f{rnd.randrange(20)}"
        c = rnd.randrange(7)
        if c <= 1:
            return ["HSET", key, field, self._val(), f"f{rnd.randrange(20)}", self._val()]
        if c == 2:
            return ["HINCRBYFLOAT", key, field, repr(round(rnd.uniform(-5, 5), 4))]
        if c == 3:
            return ["HINCRBY", key, field, rnd.randrange(-50, 50)]
        if c == 4:
            return ["HDEL", key, field, f"f{rnd.randrange(20)}"]
        if c == 5:
            return ["HSETNX", key, field, self._val()]
        return ["HMSET", key, field, self._val()]

    def _set(self) -> List:
        rnd, key = self.rnd, self._key("t")
        c = rnd.randrange(9)
        member = lambda: rnd.choice([str(rnd.randrange(40)), f"m{rnd.randrange(40)}"])  # noqa: E731
        if c <= 2:
            return ["SADD", key] + [member() for _ in range(rnd.randrange(1, 8))]
        if c == 3:
            return ["SREM", key, member(), member()]
        if c == 4:
            return ["SPOP", key] + ([rnd.randrange(1, 5)] if rnd.random() < 0.7 else [])
        if c == 5:
            return ["SMOVE", key, self._key("t"), member()]
        if c == 6:
            return ["SINTERSTORE", self._key("t"), key, self._key("t")]
        if c == 7:
            return [rnd.choice(["SUNIONSTORE", "SDIFFSTORE"]), self._key("t"), key, self._key("t")]
        return ["SADD", key] + [str(i) for i in range(rnd.randrange(100, 600))]

    def _zset(self) -> List:
        rnd, key = self.rnd, self._key("z")
        member = lambda: f"m{rnd.randrange(30)}"  # noqa: E731
        c = rnd.randrange(12)
        if c <= 2:
            return ["ZADD", key] + [x for _ in range(rnd.randrange(1, 6)) for x in (self._score(), member())]
        if c == 3:
            return ["ZADD", key, "INCR", self._score() if rnd.random() < 0.8 else "1.5", member()]
        if c == 4:
            return ["ZADD", key, rnd.choice(["GT", "LT"]), self._score(), member(), self._score(), member()]
        if c == 5:
            return [rnd.choice(["ZPOPMIN", "ZPOPMAX"]), key] + ([rnd.randrange(1, 4)] if rnd.random() < 0.6 else [])
        if c == 6:
            lo = rnd.randrange(-100, 50)
            return ["ZREMRANGEBYSCORE", key, lo, lo + rnd.randrange(0, 80)]
        if c == 7:
            return ["ZUNIONSTORE", self._key("z"), 2, key, self._key("z"), "WEIGHTS",
                    rnd.randrange(-2, 3), repr(rnd.choice([0.5, 1.0, 2.5])),
                    "AGGREGATE", rnd.choice(["SUM", "MIN", "MAX"])]
        if c == 8:
            return ["ZINCRBY", key, self._score(), member()]
        if c == 9:
            return ["ZREM", key, member(), member()]
        if c == 10:
            return ["ZINTERSTORE", self._key("z"), 2, key, self._key("z")]
        return ["ZREMRANGEBYRANK", key, 0, rnd.randrange(0, 3)]

    def _keyspace(self) -> List:
        rnd = self.rnd
        key = self._key(rnd.choice(["s", "l", "h", "t", "z"]))
        c = rnd.randrange(100)
        if c < 12:
            return ["EXPIRE", key, self._ttl_s()] + ([rnd.choice(["NX", "XX", "GT", "LT"])] if rnd.random() < 0.3 else [])
        if c < 20:
            return ["PEXPIRE", key, self._ttl_s() * 1000 + rnd.randrange(1000)]
        if c < 24:
            return ["EXPIREAT", key, int(time.time()) + self._ttl_s()]
        if c < 27:
            return ["EXPIRE", key, rnd.choice([0, -5])]  # deletes the key at once
        if c < 35:
            return ["PERSIST", key]
        if c < 43:
            return ["RENAME", key, self._key(key[0])]
        if c < 48:
            return ["RENAMENX", key, self._key(key[0])]
        if c < 56:
            return ["COPY", key, self._key(key[0])] + (["REPLACE"] if rnd.random() < 0.5 else []) + (
                ["DB", rnd.randrange(16)] if rnd.random() < 0.3 else [])
        if c < 63:
            return ["MOVE", key, rnd.randrange(16)]
        if c < 70:
            return ["DEL", key, self._key("s")]
        if c < 73:
            return ["UNLINK", key]
        if c < 88:
            self.db = rnd.choice([0, 0, 1, 2, 5, 9, 15])
            return ["SELECT", self.db]
        if c < 90:
            return ["FLUSHDB"]
        if c < 91:
            a, b = rnd.randrange(16), rnd.randrange(16)
            return ["SWAPDB", a, b]
        if c < 96:
            return ["__MULTI__"]
        return ["GETEX", key, "EX", self._ttl_s()]


def run_write_stream(r: redis.Redis, seed: int, count: int) -> Dict[str, int]:
    """Runs the seeded stream on `r` (a single-connection client); returns counts."""
    gen = WriteStream(seed)
    stats = {"commands": 0, "errors": 0, "multi": 0}

    def run(args) -> None:
        stats["commands"] += 1
        try:
            raw(r, *args)
        except redis.ResponseError:
            stats["errors"] += 1

    def expand(args) -> List[List]:
        if args[0] == "__BLOCKING__":
            key = args[1]
            other = gen._key("l")
            if gen.rnd.random() < 0.5:
                return [["RPUSH", key, gen._val(), gen._val()], ["BLPOP", other, key, "0.05"]]
            return [["RPUSH", key, gen._val()],
                    ["BLMOVE", key, other, gen.rnd.choice(["LEFT", "RIGHT"]), gen.rnd.choice(["LEFT", "RIGHT"]), "0.05"]]
        return [args]

    raw(r, "SELECT", 0)
    done = 0
    while done < count:
        args = gen.command()
        if args[0] == "__MULTI__":
            stats["multi"] += 1
            block = [["MULTI"]]
            for _ in range(gen.rnd.randrange(2, 8)):
                inner = gen.command()
                while inner[0] == "__MULTI__":
                    inner = gen.command()
                block += expand(inner)
            block.append(["EXEC"])
            done += len(block)
            stats["commands"] += len(block)
            replies = raw_pipeline(r, block, raise_on_error=False)
            stats["errors"] += sum(isinstance(x, Exception) for x in replies)
            continue
        for a in expand(args):
            run(a)
            done += 1
    raw(r, "SELECT", 0)
    return stats
