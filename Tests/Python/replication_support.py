"""What the replication tests share: servers started as master and replica,
the wait and comparisons that decide a replica holds its master's data, and a
replica played by hand (RawReplica)."""

from __future__ import annotations

import socket
import threading
import time

from conftest import HOST
from durability_support import assert_same_state, dump_state, raw, wait_for

# DEBUG DIGEST compares the two datasets in one command (assert_same_data).
DEBUG_ALLOWED = ("--enable-debug-command", "yes")


def far_future_ms() -> int:
    return (int(time.time()) + 2 * 86400) * 1000


def start_master(servers, kind, name="master", *args, ping_period=1):
    """A master of `kind` ("sut" or "redis") that streams its snapshot without the default
    5 s wait for more replicas (as Redis's own tests configure theirs)."""
    return servers(kind, name, ["--save", "", "--repl-ping-replica-period", str(ping_period), *DEBUG_ALLOWED,
                                "--repl-diskless-sync-delay", "0", *args]).start()


def start_replica(servers, kind, primary, name="replica", *args):
    return servers(kind, name, ["--save", "", "--replicaof", HOST, str(primary.port), *DEBUG_ALLOWED,
                                *args]).start()


def replication(server) -> dict:
    return server.info("replication")


def wait_in_sync(primary, replica, timeout=30.0) -> None:
    """Until the replica's link is up and it has processed everything the master streamed."""
    def caught_up():
        m, r = replication(primary), replication(replica)
        return (r.get("master_link_status") == "up"
                and r.get("slave_repl_offset") == m.get("master_repl_offset"))
    wait_for(caught_up, timeout=timeout, what="the replica to catch up")


def assert_same_data(primary, replica) -> None:
    """Key by key (a difference is named), then by DEBUG DIGEST: the replica's digits
    must be the master's."""
    wait_in_sync(primary, replica)
    assert_same_state(dump_state(primary.client()), dump_state(replica.client()), names=("master", "replica"))
    for _ in range(10):
        offset = replication(primary)["master_repl_offset"]
        digests = [raw(server.client(), "DEBUG", "DIGEST") for server in (primary, replica)]
        # A key the master expired meanwhile moves its offset: then compare again.
        if digests[0] == digests[1] or replication(primary)["master_repl_offset"] == offset:
            break
        wait_in_sync(primary, replica)
    assert digests[0] == digests[1] and len(digests[0]) == 40, digests


def serve_forever(listener, session) -> None:
    """For scripted servers: accepts on `listener` until it closes, each connection
    handled by `session(conn)` on a thread of its own."""
    while True:
        try:
            conn, _ = listener.accept()
        except OSError:
            return
        threading.Thread(target=session, args=(conn,), daemon=True).start()


def read_command(f):
    """The next command a scripted server reads from `f` (a multi-bulk request) as
    words; None at the end or on anything else."""
    header = f.readline()
    if not header.startswith(b"*"):
        return None
    words = []
    for _ in range(int(header[1:])):
        length = int(f.readline()[1:])
        words.append(f.read(length + 2)[:-2].decode())
    return words


class RawReplica:
    """A replica played by hand: it asks for a full resync with `capa eof` (or
    without) and reads the transfer itself."""

    def __init__(self, port: int, eof: bool = True, rdb_only: bool = False):
        self.sock = socket.create_connection((HOST, port), timeout=10)
        self.data = b""
        self.send(b"REPLCONF", b"listening-port", b"1")
        self.expect(b"+OK\r\n")
        if eof:
            self.send(b"REPLCONF", b"capa", b"eof", b"capa", b"psync2")
            self.expect(b"+OK\r\n")
        if rdb_only:
            self.send(b"REPLCONF", b"rdb-only", b"1")
            self.expect(b"+OK\r\n")
        self.send(b"PSYNC", b"?", b"-1")

    def send(self, *args: bytes) -> None:
        self.sock.sendall(b"*%d\r\n" % len(args) + b"".join(b"$%d\r\n%s\r\n" % (len(a), a) for a in args))

    def read_until(self, predicate, timeout: float = 20.0) -> None:
        deadline = time.monotonic() + timeout
        while not predicate(self.data):
            self.sock.settimeout(max(0.01, deadline - time.monotonic()))
            chunk = self.sock.recv(1 << 20)
            if not chunk:
                raise ConnectionError("closed")
            self.data += chunk
            assert time.monotonic() < deadline, f"timed out with {self.data[:200]!r}"

    def expect(self, reply: bytes) -> None:
        self.read_until(lambda d: len(d) >= len(reply))
        assert self.data[:len(reply)] == reply, self.data
        self.data = self.data[len(reply):]

    def header(self) -> tuple[bytes, bytes]:
        """Keepalive newlines, +FULLRESYNC and the transfer's first line: (FULLRESYNC line, first line)."""
        self.read_until(lambda d: d.lstrip(b"\n").count(b"\r\n") >= 2)
        self.data = self.data.lstrip(b"\n")
        fullresync, self.data = self.data.split(b"\r\n", 1)
        self.data = self.data.lstrip(b"\n")
        first, self.data = self.data.split(b"\r\n", 1)
        return fullresync, first

    def silent_for(self, seconds: float) -> bool:
        self.sock.settimeout(seconds)
        try:
            chunk = self.sock.recv(4096)
        except socket.timeout:
            return True
        self.data += chunk
        return False

    def received_within(self, seconds: float) -> bytes:
        """What arrives within `seconds` (kept for the reads that follow)."""
        before = len(self.data)
        deadline = time.monotonic() + seconds
        while (left := deadline - time.monotonic()) > 0:
            self.sock.settimeout(left)
            try:
                chunk = self.sock.recv(4096)
            except socket.timeout:
                break
            if not chunk:
                break
            self.data += chunk
        return self.data[before:]

    def close(self) -> None:
        self.sock.close()
