"""Diskless sync, master side (`repl-diskless-sync yes`, Redis 7's default).

SwiftKeyDB streams a full resync's snapshot from a forked child straight to
the replicas' connections, as `$EOF:<mark>\\r\\n`, the image and the mark,
and starts each replica's stream only at its first REPLCONF ACK. Real
replicas (redis-server 7.0.15 and SwiftKeyDB) load it; scripted ones read the
raw transfer, stall, or leave halfway. Redis's master is the reference for
the transfer's shape and for the log lines its own tests look for.
"""

from __future__ import annotations

import os
import re
import signal
import socket
import subprocess
import time

import pytest

from conftest import HOST
from durability_support import raw, servers, wait_for  # noqa: F401 (servers is a fixture)
from replication_support import RawReplica, assert_same_data, replication, start_master, start_replica, wait_in_sync

MARK = re.compile(rb"\$EOF:([0-9a-f]{40})\r\n")


def populate(server, keys: int, size: int) -> None:
    raw(server.client(), "DEBUG", "POPULATE", str(keys), "key", str(size))


# -- the transfer, compared with Redis --------------------------------------------


@pytest.mark.parametrize("kind", ["redis", "sut"])
def test_the_streamed_transfer_and_the_stream_after_the_first_ack(servers, kind):
    """`$EOF:<mark>`, a whole RDB image, the mark; then nothing until REPLCONF ACK."""
    primary = start_master(servers, kind)
    raw(primary.client(), "SET", "before", "1")
    replica = RawReplica(primary.port)
    try:
        fullresync, first = replica.header()
        assert re.fullmatch(rb"\+FULLRESYNC [0-9a-f]{40} \d+", fullresync), fullresync
        mark = MARK.fullmatch(first + b"\r\n").group(1)
        replica.read_until(lambda d: d.endswith(mark))
        image = replica.data[:-40]
        assert image.startswith(b"REDIS0010") and b"before" in image
        replica.data = b""
        raw(primary.client(), "SET", "after", "2")
        # Nothing may follow the mark before the replica has found it (Redis's repl_start_cmd_stream_on_ack).
        assert replica.silent_for(0.5), replica.data
        replica.send(b"REPLCONF", b"ACK", b"0")
        replica.read_until(lambda d: b"after" in d)
        assert replica.data.startswith(b"*2\r\n$6\r\nSELECT\r\n$1\r\n0\r\n*3\r\n$3\r\nSET\r\n$5\r\nafter\r\n")
        assert replication(primary)["slave0"].split(",")[2] == "state=online"
    finally:
        replica.close()
    log = primary.full_log()
    for line in ("Starting BGSAVE for SYNC with target: replicas sockets", "Background RDB transfer started by pid",
                 "Diskless rdb transfer, done reading from pipe, 1 replicas still up.",
                 "Background RDB transfer terminated with success",
                 "succeeded (socket). Waiting for REPLCONF ACK from slave to enable streaming"):
        assert line in log, line
    assert not os.path.exists(primary.dir / "dump.rdb")


@pytest.mark.parametrize("kind", ["redis", "sut"])
def test_a_replica_without_capa_eof_gets_the_snapshot_from_disk(servers, kind):
    primary = start_master(servers, kind)
    raw(primary.client(), "SET", "k", "v")
    replica = RawReplica(primary.port, eof=False)
    try:
        _, first = replica.header()
        assert re.fullmatch(rb"\$\d+", first), first
        assert "Starting BGSAVE for SYNC with target: disk" in primary.full_log()
    finally:
        replica.close()


@pytest.mark.parametrize("kind", ["redis", "sut"])
def test_a_replica_without_capa_eof_brings_everyone_waiting_a_snapshot_from_disk_at_once(servers, kind):
    """Redis ANDs the capabilities of the replicas waiting: one that reads only `$<size>`
    starts a snapshot to disk now, and the one waiting out the delay takes it too."""
    primary = start_master(servers, kind, "master", "--repl-diskless-sync-delay", "60")
    raw(primary.client(), "SET", "k", "v")
    streaming = RawReplica(primary.port)
    old = None
    try:
        # Only keepalive newlines while it waits out the delay.
        assert streaming.received_within(1.5).strip(b"\n") == b""
        old = RawReplica(primary.port, eof=False)
        for replica in (old, streaming):
            _, first = replica.header()
            assert re.fullmatch(rb"\$\d+", first), first
    finally:
        streaming.close()
        if old:
            old.close()


# -- real replicas -------------------------------------------------------------------


def test_replicas_of_both_kinds_share_one_transfer_after_the_delay(servers):
    primary = start_master(servers, "sut", "master", "--repl-diskless-sync-delay", "2")
    populate(primary, 20000, 100)
    asked = time.monotonic()
    replicas = [start_replica(servers, kind, primary, f"{kind}-replica") for kind in ("redis", "sut")]
    for replica in replicas:
        wait_in_sync(primary, replica)
    # Redis counts the delay in whole seconds since the first replica asked.
    assert time.monotonic() - asked >= 1.0
    for replica in replicas:
        assert_same_data(primary, replica)
    log = primary.full_log()
    assert log.count("Delay next BGSAVE for diskless SYNC") == 2
    assert log.count("Background RDB transfer started by pid") == 1
    assert "Diskless rdb transfer, done reading from pipe, 2 replicas still up." in log
    assert not os.path.exists(primary.dir / "dump.rdb")
    # The stream goes on to both, and WAIT counts them.
    client = primary.client()
    raw(client, "INCR", "counter")
    assert raw(client, "WAIT", "2", "5000") == 2
    for replica in replicas:
        assert_same_data(primary, replica)


def test_max_replicas_starts_the_transfer_without_waiting_out_the_delay(servers):
    primary = start_master(servers, "sut", "master", "--repl-diskless-sync-delay", "60",
                           "--repl-diskless-sync-max-replicas", "2")
    populate(primary, 1000, 10)
    first = start_replica(servers, "redis", primary, "first")
    time.sleep(1.5)
    assert replication(first)["master_link_status"] == "down"
    second = start_replica(servers, "sut", primary, "second")
    for replica in (first, second):
        wait_in_sync(primary, replica, timeout=15)
        assert_same_data(primary, replica)


def test_repl_diskless_sync_no_writes_dump_rdb(servers):
    primary = start_master(servers, "sut", "master", "--repl-diskless-sync", "no")
    populate(primary, 1000, 10)
    replica = start_replica(servers, "redis", primary)
    assert_same_data(primary, replica)
    assert "Starting BGSAVE for SYNC with target: disk" in primary.full_log()
    assert os.path.exists(primary.dir / "dump.rdb")
    # CONFIG SET turns it on for the next full resync.
    raw(primary.client(), "CONFIG", "SET", "repl-diskless-sync", "yes")
    second = start_replica(servers, "sut", primary, "second")
    assert_same_data(primary, second)
    assert "Starting BGSAVE for SYNC with target: replicas sockets" in primary.full_log()


def test_redis_cli_rdb_reads_a_streamed_snapshot(servers, tmp_path):
    primary = start_master(servers, "sut")
    populate(primary, 500, 10)
    target = tmp_path / "copy.rdb"
    done = subprocess.run(["redis-cli", "-h", HOST, "-p", str(primary.port), "--rdb", str(target)],
                          capture_output=True, timeout=30)
    assert done.returncode == 0, done.stderr
    assert b"Transfer finished with success" in done.stdout + done.stderr
    assert target.read_bytes().startswith(b"REDIS0010")
    # The copy loads in Redis with every key.
    copy = servers("redis", "copy", ["--save", ""])
    (copy.dir / "dump.rdb").write_bytes(target.read_bytes())
    assert raw(copy.start().client(), "DBSIZE") == 500


# -- replicas that stall or leave ---------------------------------------------------


def test_a_replica_that_stops_reading_is_dropped_and_the_others_finish(servers):
    """Redis's "diskless timeout replicas drop during rdb pipe": the slowest replica sets
    the pace, so one that stops reading is dropped after repl-timeout."""
    primary = start_master(servers, "sut", "master", "--repl-diskless-sync-delay", "1",
                           "--repl-timeout", "2", "--rdbcompression", "no")
    populate(primary, 3000, 10000)  # 30 MB: more than the socket buffers hold
    stalled = RawReplica(primary.port)
    replica = start_replica(servers, "redis", primary)
    try:
        stalled.header()  # and then reads no more
        wait_in_sync(primary, replica, timeout=30)
        assert_same_data(primary, replica)
        log = primary.full_log()
        assert "Disconnecting timedout replica (full sync): 127.0.0.1:1" in log
        assert "Diskless rdb transfer, done reading from pipe, 1 replicas still up." in log
        assert primary.info("persistence")["rdb_bgsave_in_progress"] == "0"
    finally:
        stalled.close()


def test_a_half_closed_replica_that_stops_reading_is_dropped(servers):
    """It shut its side and reads no more: its repl-timeout closes it all the same,
    and the transfer, left without replicas, stops its child."""
    primary = start_master(servers, "sut", "master", "--repl-timeout", "2", "--rdbcompression", "no")
    populate(primary, 3000, 10000)
    stalled = RawReplica(primary.port)
    try:
        stalled.header()
        # Once the socket's buffers are full (the transfer waits on it), it shuts its side.
        wait_for(lambda: "state=wait_bgsave" in replication(primary).get("slave0", ""), what="the transfer")
        time.sleep(1)
        stalled.sock.shutdown(socket.SHUT_WR)
        wait_for(lambda: primary.info("persistence")["rdb_bgsave_in_progress"] == "0", timeout=20,
                 what="the transfer's end")
        log = primary.full_log()
        assert "Disconnecting timedout replica (full sync)" in log
        assert "Diskless rdb transfer, last replica dropped, killing fork child." in log
        assert replication(primary)["connected_slaves"] == "0"
    finally:
        stalled.close()


def test_the_child_is_killed_when_the_last_replica_leaves(servers):
    primary = start_master(servers, "sut", "master", "--rdbcompression", "no", "--rdb-key-save-delay", "200")
    populate(primary, 2000, 10000)
    raw(primary.client(), "SET", "unsaved", "1")
    saved_at = primary.info("persistence")["rdb_last_save_time"]
    leaving = RawReplica(primary.port)
    leaving.header()
    wait_for(lambda: primary.info("persistence")["rdb_bgsave_in_progress"] == "1", what="the transfer")
    assert replication(primary)["slave0"].split(",")[2] == "state=wait_bgsave"
    # A user's BGSAVE meets the running child, as in Redis.
    with pytest.raises(Exception, match="Background save already in progress"):
        raw(primary.client(), "BGSAVE")
    leaving.close()
    wait_for(lambda: primary.info("persistence")["rdb_bgsave_in_progress"] == "0", timeout=10, what="the child's end")
    log = primary.full_log()
    assert "Diskless rdb transfer, last replica dropped, killing fork child." in log
    assert "Background transfer terminated by signal 10" in log
    # Nothing was saved: the save counters are untouched.
    persistence = primary.info("persistence")
    assert persistence["rdb_last_bgsave_status"] == "ok" and persistence["rdb_changes_since_last_save"] != "0"
    assert persistence["rdb_last_save_time"] == saved_at


def test_a_killed_child_is_collected_and_the_replica_syncs_again(servers):
    primary = start_master(servers, "sut", "master", "--rdbcompression", "no", "--rdb-key-save-delay", "300")
    populate(primary, 2000, 1000)
    replica = start_replica(servers, "sut", primary)
    pid = wait_for(lambda: re.search(r"Background RDB transfer started by pid (\d+)", primary.full_log()), what="the child")
    os.kill(int(pid.group(1)), signal.SIGKILL)
    wait_for(lambda: "Background transfer terminated by signal 9" in primary.full_log(), timeout=10, what="the collection")
    assert "SYNC failed. BGSAVE child returned an error" in primary.full_log()
    # The replica asks again; this time without the delay per key.
    raw(primary.client(), "CONFIG", "SET", "rdb-key-save-delay", "0")
    assert_same_data(primary, replica)


def test_flushall_stops_the_transfer_and_the_replica_gets_the_new_data(servers):
    primary = start_master(servers, "sut", "master", "--rdbcompression", "no", "--rdb-key-save-delay", "300")
    populate(primary, 2000, 1000)
    replica = start_replica(servers, "redis", primary)
    wait_for(lambda: primary.info("persistence")["rdb_bgsave_in_progress"] == "1", what="the transfer")
    raw(primary.client(), "FLUSHALL")
    raw(primary.client(), "SET", "new", "data")
    wait_for(lambda: primary.full_log().count("Background RDB transfer started by pid") == 2, timeout=20,
             what="a second transfer")
    assert_same_data(primary, replica)
    assert raw(replica.client(), "DBSIZE") == 1


@pytest.mark.parametrize("diskless", ["yes", "no"])
def test_the_child_exits_when_the_master_is_killed(servers, diskless):
    """Redis's "replication child dies when parent is killed"."""
    primary = start_master(servers, "sut", "master", "--repl-diskless-sync", diskless, "--rdb-key-save-delay", "1000")
    populate(primary, 10000, 10)
    start_replica(servers, "redis", primary)
    found = wait_for(lambda: re.search(r"Background (?:RDB transfer|saving) started by pid (\d+)", primary.full_log()),
                     what="the child")
    child = int(found.group(1))
    primary.kill()

    def gone() -> bool:
        try:
            os.kill(child, 0)
        except ProcessLookupError:
            return True
        # A zombie (reaped by init soon) has no more work to do either.
        with open(f"/proc/{child}/stat") as f:
            return f.read().split(")")[-1].split()[0] == "Z"
    wait_for(gone, timeout=5, what="the child to exit")
