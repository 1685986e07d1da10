"""FAILOVER: a master hands its role to one of its replicas without losing a write.

Three servers each time, a master and two replicas, SwiftKeyDB and
redis-server 7.0 mixed: SwiftKeyDB masters hand over to SwiftKeyDB and Redis
replicas, and a Redis master hands over to a SwiftKeyDB replica (which then
takes the PSYNC ... FAILOVER). A replica is held back with SIGSTOP, as Redis's
own failover tests do, so that the master has to wait for it. After each
failover every server holds the same data, by DEBUG DIGEST, and the
replicas continued by partial resynchronization.
"""

from __future__ import annotations

import os
import signal
import socket
import threading

import pytest

from conftest import HOST
from durability_support import build_dataset, raw, run_write_stream, servers, wait_for  # noqa: F401 (fixture)
from replication_support import (
    assert_same_data, far_future_ms, read_command, replication, serve_forever, start_master, start_replica, wait_in_sync)
from resp_client import RespClient

READONLY = b"-READONLY You can't write against a read only replica.\r\n"


def three(servers, master_kind, target_kind, other_kind="sut"):
    """A master with data, the replica it will hand over to, and another replica, all in sync."""
    primary = start_master(servers, master_kind)
    build_dataset(primary.client(), far_future_ms())
    target = start_replica(servers, target_kind, primary, "target")
    other = start_replica(servers, other_kind, primary, "other")
    for replica in (target, other):
        wait_in_sync(primary, replica)
    return primary, target, other


def failover_state(server) -> str:
    return replication(server)["master_failover_state"]


def wait_failover_over(server) -> None:
    wait_for(lambda: failover_state(server) == "no-failover", timeout=15, what="the failover to end")


class Stopped:
    """SIGSTOP for the block: the server takes nothing in, acknowledges nothing."""

    def __init__(self, server):
        self.pid = server.proc.pid

    def __enter__(self):
        os.kill(self.pid, signal.SIGSTOP)
        return self

    def __exit__(self, *exc):
        os.kill(self.pid, signal.SIGCONT)


def partial_syncs(server) -> tuple:
    stats = server.info("stats")
    return int(stats["sync_full"]), int(stats["sync_partial_ok"])


def send_held_write(server) -> RespClient:
    """A write sent while the failover holds writes: no reply comes until it ends."""
    held = RespClient(HOST, server.port)
    held.send_command("SET", "held", "1")
    with pytest.raises(Exception):
        held.read_reply(timeout=0.3)
    return held


@pytest.mark.parametrize("master_kind,target_kind", [("sut", "sut"), ("sut", "redis"), ("redis", "sut")])
def test_failover_to_a_named_replica(servers, master_kind, target_kind):
    primary, target, other = three(servers, master_kind, target_kind)
    full_before, partial_before = partial_syncs(target)
    with Stopped(target):
        run_write_stream(primary.client(), seed=31, count=300)
        assert raw(primary.client(), "FAILOVER", "TO", HOST, str(target.port)) == b"OK"
        assert failover_state(primary) == "waiting-for-sync"
        held = send_held_write(primary)
        # Reads still run.
        assert raw(primary.client(), "DBSIZE") > 0
    wait_failover_over(primary)
    # The write held during the failover meets a replica.
    assert held.read_reply() == READONLY
    held.close()
    assert raw(target.client(), "ROLE")[0] == b"master"
    assert raw(primary.client(), "ROLE")[0] == b"slave"
    raw(other.client(), "REPLICAOF", HOST, str(target.port))
    assert_same_data(target, primary)
    assert_same_data(target, other)
    assert raw(target.client(), "GET", "held") is None
    # The old master and the other replica continued where they were.
    assert partial_syncs(target) == (full_before, partial_before + 2)
    if master_kind == "sut":
        log = primary.full_log()
        assert f"FAILOVER requested to {HOST}:{target.port}." in log
        assert f"Failover target {HOST}:{target.port} is synced, failing over." in log
    if target_kind == "sut":
        assert "MASTER MODE enabled (failover request from" in target.full_log()


def test_failover_to_any_replica_picks_one_that_caught_up(servers):
    primary, target, other = three(servers, "sut", "sut", "redis")
    with Stopped(other):
        raw(primary.client(), "SET", "case", "1")
        assert raw(primary.client(), "FAILOVER") == b"OK"
        wait_failover_over(primary)
    assert raw(target.client(), "ROLE")[0] == b"master"
    assert raw(other.client(), "ROLE")[0] == b"slave"
    assert "FAILOVER requested to any replica." in primary.full_log()
    raw(other.client(), "REPLICAOF", HOST, str(target.port))
    assert_same_data(target, primary)
    assert_same_data(target, other)


def test_force_fails_over_once_the_timeout_passes(servers):
    primary, target, other = three(servers, "sut", "sut")
    full_before, partial_before = partial_syncs(target)
    with Stopped(target):
        raw(primary.client(), "SET", "never-acknowledged", "1")
        assert raw(primary.client(), "FAILOVER", "TO", HOST, str(target.port), "TIMEOUT", "100", "FORCE") == b"OK"
        wait_for(lambda: failover_state(primary) == "failover-in-progress", timeout=5, what="the forced failover")
        # Never two masters: the old one follows the target already.
        assert raw(primary.client(), "ROLE")[0] == b"slave"
    wait_failover_over(primary)
    assert raw(target.client(), "ROLE")[0] == b"master"
    assert primary.full_log().count("time out exceeded, failing over.") == 1
    raw(other.client(), "REPLICAOF", HOST, str(target.port))
    assert_same_data(target, primary)
    assert_same_data(target, other)
    assert raw(target.client(), "GET", "never-acknowledged") == b"1"
    assert partial_syncs(target) == (full_before, partial_before + 2)


def test_a_timeout_without_force_gives_up_and_the_held_writes_run(servers):
    primary, target, other = three(servers, "sut", "redis")
    with Stopped(target):
        raw(primary.client(), "SET", "case", "1")
        assert raw(primary.client(), "FAILOVER", "TO", HOST, str(target.port), "TIMEOUT", "2000") == b"OK"
        held = send_held_write(primary)
        wait_failover_over(primary)
        assert held.read_reply() == b"+OK\r\n"
        held.close()
    assert raw(primary.client(), "ROLE")[0] == b"master"
    assert "aborted: Replica never caught up before timeout" in primary.full_log()
    assert_same_data(primary, target)
    assert_same_data(primary, other)
    assert primary.info("stats")["sync_full"] == "2"  # the two first syncs only


def test_abort_and_a_target_that_refuses(servers):
    primary, target, other = three(servers, "sut", "sut")
    with Stopped(target):
        raw(primary.client(), "SET", "case", "2")
        assert raw(primary.client(), "FAILOVER", "TO", HOST, str(target.port), "TIMEOUT", "60000") == b"OK"
        assert failover_state(primary) == "waiting-for-sync"
        assert raw(primary.client(), "GET", "case") == b"2"
        assert raw(primary.client(), "FAILOVER", "ABORT") == b"OK"
        assert failover_state(primary) == "no-failover"
    assert_same_data(primary, target)

    # The target may not PSYNC: the failover ends, and the old master is a master again.
    raw(target.client(), "ACL", "SETUSER", "default", "-psync")
    full_before, partial_before = partial_syncs(primary)
    with Stopped(target):
        assert raw(primary.client(), "FAILOVER", "TO", HOST, str(target.port)) == b"OK"
        held = send_held_write(primary)
    wait_failover_over(primary)
    assert held.read_reply() == b"+OK\r\n"
    held.close()
    raw(target.client(), "ACL", "SETUSER", "default", "+psync")
    assert raw(primary.client(), "ROLE")[0] == b"master"
    assert primary.full_log().count("Failover target rejected psync request") == 1
    for replica in (target, other):
        assert_same_data(primary, replica)
    # Both replicas came back under the master's new ID by partial resynchronization.
    assert partial_syncs(primary) == (full_before, partial_before + 2)


def test_replies_match_redis_with_replicas_connected(servers):
    """FAILOVER's refusals, on a master with a replica and on that replica, byte for byte."""
    pairs = []
    for kind in ("redis", "sut"):
        primary = start_master(servers, kind, f"{kind}-master")
        replica = start_replica(servers, kind, primary, f"{kind}-replica")
        wait_in_sync(primary, replica)
        pairs.append((primary, replica))

    def replies(primary, replica):
        with RespClient(HOST, primary.port) as c, RespClient(HOST, replica.port) as r:
            out = []
            for command in (["FAILOVER", "TO", HOST, "1"], ["FAILOVER", "TO", "nohost", str(replica.port)],
                            ["FAILOVER", "TO", HOST, str(replica.port), "FORCE"], ["FAILOVER", "FORCE", "TIMEOUT", "100"],
                            ["FAILOVER", "TO", HOST, "port"], ["FAILOVER", "ABORT"], ["FAILOVER", "TIMEOUT", "-1"]):
                out.append(c.call(*command))
            out.append(r.call("FAILOVER", "TO", HOST, str(primary.port)))
            out.append(r.call("FAILOVER", "ABORT"))
            return out

    expected, got = (replies(*pair) for pair in pairs)
    assert got == expected


class FakeTarget:
    """A replica that takes the snapshot and the stream and acknowledges all of it, then,
    asked to take over (`PSYNC ... FAILOVER`), never answers: it closes the connection (a
    target that died at the worst moment) or, `silent`, keeps it open (a target too slow)."""

    def __init__(self, master_port: int, silent: bool = False):
        self.silent = silent
        self.listener = socket.socket()
        self.listener.bind((HOST, 0))
        self.listener.listen(4)
        self.port = self.listener.getsockname()[1]
        self.asked = []
        self.link = socket.create_connection((HOST, master_port))
        self.link.sendall(encode(["REPLCONF", "listening-port", str(self.port)]) + encode(["REPLCONF", "capa", "psync2"]))
        self.offset = None
        threading.Thread(target=self._follow, daemon=True).start()
        threading.Thread(target=serve_forever, args=(self.listener, self._session), daemon=True).start()

    def _follow(self):
        f = self.link.makefile("rb")
        try:
            for _ in range(2):  # the two REPLCONF replies: PSYNC must find no output pending
                f.readline()
            self.link.sendall(encode(["PSYNC", "?", "-1"]))
            line = f.readline()
            while line in (b"\n", b"\r\n"):
                line = f.readline()
            offset = int(line.split()[2])
            line = f.readline()
            while line in (b"\n", b"\r\n"):
                line = f.readline()
            f.read(int(line[1:]))
            self.offset = offset
            while chunk := f.read1(65536):
                self.offset += len(chunk)
                self.link.sendall(encode(["REPLCONF", "ACK", str(self.offset)]))
        except (OSError, ValueError):
            return

    def _session(self, conn):
        with conn, conn.makefile("rb") as f:
            while (words := read_command(f)) is not None:
                self.asked.append(words)
                if words[0].upper() == "PSYNC":
                    if not self.silent:
                        return  # closed, unanswered
                    continue
                conn.sendall(b"+PONG\r\n" if words[0].upper() == "PING" else b"+OK\r\n")

    def close(self):
        self.listener.close()
        self.link.close()


def encode(words) -> bytes:
    return b"*%d\r\n" % len(words) + b"".join(b"$%d\r\n%s\r\n" % (len(w.encode()), w.encode()) for w in words)


@pytest.mark.parametrize("kind", ["sut", "redis"])
def test_a_target_gone_before_it_answers_ends_the_failover(servers, kind):
    """Redis takes a target that closes the link instead of answering PSYNC FAILOVER as a
    refusal: the old master is a master again and the held writes run there."""
    primary = start_master(servers, kind)
    target = FakeTarget(primary.port)
    try:
        wait_for(lambda: replication(primary).get("slave0", "").find("state=online") >= 0, timeout=15,
                 what="the fake target to be online")
        raw(primary.client(), "SET", "k", "v")
        assert raw(primary.client(), "FAILOVER", "TO", HOST, str(target.port)) == b"OK"
        wait_failover_over(primary)
        assert target.asked[-1][0] == "PSYNC" and target.asked[-1][3] == "FAILOVER"
        assert raw(primary.client(), "ROLE")[0] == b"master"
        assert raw(primary.client(), "SET", "after", "1") == b"OK"
        assert primary.full_log().count("Failover target rejected psync request") == 1
    finally:
        target.close()


@pytest.mark.parametrize("kind", ["sut", "redis"])
def test_a_client_blocked_beside_the_failover_gets_its_error(servers, kind):
    """FAILOVER and a WAIT sent together: the hand-over lets the WAIT go with Redis's
    -UNBLOCKED error before the connection closes (it once closed with no reply)."""
    primary = start_master(servers, kind)
    replica = start_replica(servers, kind, primary)
    wait_in_sync(primary, replica)
    with socket.create_connection((HOST, primary.port), timeout=10) as s:
        s.sendall(b"FAILOVER\r\nWAIT 2 0\r\n")
        received = b""
        while chunk := s.recv(4096):
            received += chunk
    assert received == (b"+OK\r\n-UNBLOCKED force unblock from blocking operation, "
                        b"instance state changed (master -> replica?)\r\n")
    wait_failover_over(primary)
    assert raw(replica.client(), "ROLE")[0] == b"master"


@pytest.mark.parametrize("kind", ["sut", "redis"])
def test_a_target_too_slow_to_answer_is_tried_again(servers, kind):
    """A target that says nothing to PSYNC FAILOVER until repl-timeout runs out is a slow one,
    not a refusal: Redis connects again and asks again, the failover still under way."""
    primary = start_master(servers, kind, "master", "--repl-timeout", "1")
    target = FakeTarget(primary.port, silent=True)
    try:
        wait_for(lambda: replication(primary).get("slave0", "").find("state=online") >= 0, timeout=15,
                 what="the fake target to be online")
        assert raw(primary.client(), "FAILOVER", "TO", HOST, str(target.port)) == b"OK"
        wait_for(lambda: sum(1 for words in target.asked if words[0] == "PSYNC") >= 2, timeout=15,
                 what="a second PSYNC FAILOVER")
        assert failover_state(primary) == "failover-in-progress"
        assert "Timeout connecting to the MASTER..." in primary.full_log()
        assert "Failover target rejected psync request" not in primary.full_log()
        assert raw(primary.client(), "FAILOVER", "ABORT") == b"OK"
        assert raw(primary.client(), "ROLE")[0] == b"master"
    finally:
        target.close()
