"""Replication, replica side: SwiftKeyDB following a master (REPLICAOF host port).

The masters are real: redis-server 7.0 (diskless by default, so its snapshot
arrives as `$EOF:<mark>`; from disk with `repl-diskless-sync no`) and
SwiftKeyDB itself. Each test compares the replica's whole dataset with the
master's once it has applied the master's whole stream. What a user sees on a
replica (refused writes, expired keys, INFO, ROLE) is compared with a Redis
replica of the same master, reply for reply.
"""

from __future__ import annotations

import threading
import time

import pytest

from conftest import HOST, free_port
from durability_support import (  # noqa: F401 (servers is a fixture)
    assert_same_state, build_dataset, dump_state, info_fields, raw, run_write_stream, servers, wait_for)
from replication_support import (
    DEBUG_ALLOWED, assert_same_data, far_future_ms, read_command, replication, serve_forever, start_master,
    start_replica, wait_in_sync)
from resp_client import RespClient


def raw_replies(server, commands):
    """Each command's reply as the bytes the server sent."""
    with RespClient(HOST, server.port) as c:
        replies = []
        for command in commands:
            c.send_command(*command)
            replies.append(c.read_reply())
        return replies


def sync_counts(server):
    """The master's full and accepted partial resynchronizations so far."""
    stats = server.info("stats")
    return stats["sync_full"], stats["sync_partial_ok"]


def assert_same_replies(redis_replica, replica, commands):
    expected, got = raw_replies(redis_replica, commands), raw_replies(replica, commands)
    for command, want, have in zip(commands, expected, got):
        assert have == want, f"{command}: Redis {want!r}, SwiftKeyDB {have!r}"


@pytest.mark.parametrize("diskless", ["yes", "no"])
def test_follows_a_redis_master(servers, diskless):
    primary = start_master(servers, "redis", "master", "--repl-diskless-sync", diskless)
    build_dataset(primary.client(), far_future_ms())
    replica = start_replica(servers, "sut", primary)
    assert_same_data(primary, replica)
    # Every kind of write after the sync: types, expiry, MULTI/EXEC, blocking pops, several databases.
    run_write_stream(primary.client(), seed=21, count=3000)
    assert_same_data(primary, replica)
    how = "streamed RDB from master with EOF" if diskless == "yes" else "bytes from master to disk"
    assert how in replica.full_log()
    assert "MASTER <-> REPLICA sync: Finished with success" in replica.full_log()
    fields = replication(replica)
    assert (fields["role"], fields["master_link_status"], fields["master_sync_in_progress"]) == ("slave", "up", "0")
    assert fields["master_replid"] == replication(primary)["master_replid"]
    assert primary.info("stats")["sync_full"] == "1"


def test_follows_a_swiftkeydb_master_and_logs_what_it_applies(servers):
    primary = start_master(servers, "sut")
    build_dataset(primary.client(), far_future_ms())
    replica = start_replica(servers, "sut", primary, "replica", "--appendonly", "yes")
    assert_same_data(primary, replica)
    run_write_stream(primary.client(), seed=22, count=2000)
    assert_same_data(primary, replica)
    # The replica's own log holds the synced data and the stream after it: it restarts with both.
    state = dump_state(replica.client())
    replica.shutdown()
    restarted = servers("sut", "replica", ["--save", "", "--appendonly", "yes"]).start()
    assert_same_state(state, dump_state(restarted.client()), names=("replica", "restarted"))


def test_a_user_meets_what_a_redis_replica_answers(servers):
    primary = start_master(servers, "redis")
    raw(primary.client(), "SET", "k", "v")
    redis_replica = start_replica(servers, "redis", primary, "redis-replica")
    replica = start_replica(servers, "sut", primary)
    wait_in_sync(primary, redis_replica)
    wait_in_sync(primary, replica)
    assert_same_replies(redis_replica, replica, [
        ["SET", "k", "other"], ["GET", "k"], ["INCR", "n"], ["DEL", "k"], ["FLUSHALL"],
        ["EVAL", "return redis.call('set', 'k', 'x')", "0"],
        ["EVAL", "return redis.call('get', 'k')", "0"],
        ["EVAL", "#!lua\nreturn redis.call('get', 'k')", "0"],
        ["EVAL", "#!lua flags=no-writes\nreturn redis.call('get', 'k')", "0"],
        ["MULTI"], ["SET", "k", "x"], ["EXEC"],
        ["MULTI"], ["GET", "k"], ["EXEC"],
        ["WAIT", "0", "0"],
        ["REPLICAOF", HOST, str(primary.port)], ["REPLICAOF", HOST, "70000"], ["SLAVEOF", HOST, str(primary.port)],
        ["CONFIG", "GET", "replicaof"], ["PING"],
    ])
    # replica-read-only no: a user's writes are the replica's own (and not passed on).
    for server in (redis_replica, replica):
        raw(server.client(), "CONFIG", "SET", "replica-read-only", "no")
    assert_same_replies(redis_replica, replica, [["SET", "mine", "1"], ["GET", "mine"], ["GET", "k"]])
    assert replication(replica)["slave_read_only"] == "0"


def test_role_info_and_client_list_of_a_replica(servers):
    primary = start_master(servers, "redis")
    replica = start_replica(servers, "sut", primary)
    wait_in_sync(primary, replica)
    raw(primary.client(), "SET", "k", "v")
    wait_in_sync(primary, replica)
    role = raw(replica.client(), "ROLE")
    offset = int(replication(primary)["master_repl_offset"])
    assert role == [b"slave", HOST.encode(), primary.port, b"connected", offset]
    redis_replica = start_replica(servers, "redis", primary, "redis-replica")
    wait_in_sync(primary, redis_replica)
    # The same INFO fields, in the same order (values differ: ports, IDs, times).
    names = [list(replication(server)) for server in (redis_replica, replica)]
    assert names[1] == names[0]
    listed = raw(replica.client(), "CLIENT", "LIST", "TYPE", "master").decode()
    assert f"addr={HOST}:{primary.port} " in listed and " flags=M " in listed
    assert raw(replica.client(), "CONFIG", "GET", "replicaof") == [b"replicaof", f"{HOST} {primary.port}".encode()]


def test_a_link_that_never_came_up(servers):
    dead = free_port()
    redis_replica = servers("redis", "redis-replica", ["--save", "", "--replicaof", HOST, str(dead)]).start()
    replica = servers("sut", "replica", ["--save", "", "--replicaof", HOST, str(dead)]).start()
    for server in (redis_replica, replica):
        raw(server.client(), "CONFIG", "SET", "replica-serve-stale-data", "no")
    # -MASTERDOWN for data commands (PING too); INFO, ROLE, CONFIG answer.
    assert_same_replies(redis_replica, replica, [
        ["GET", "k"], ["SET", "k", "v"], ["PING"], ["DBSIZE"],
        ["EVAL", "return 1", "0"], ["EVAL", "#!lua\nreturn 1", "0"], ["EVAL", "#!lua flags=no-writes\nreturn 1", "0"],
        ["EVAL", "#!lua flags=allow-stale,no-writes\nreturn 1", "0"], ["FUNCTION", "LIST"],
        ["EVAL", "#!lua flags=allow-stale,no-writes\nreturn redis.call('get', 'k')", "0"],
        ["EVAL", "#!lua flags=allow-stale,no-writes\nreturn redis.call('ping')", "0"],
    ])
    role = raw(replica.client(), "ROLE")
    assert role[:3] == [b"slave", HOST.encode(), dead] and role[3] in (b"connect", b"connecting") and role[4] == -1
    fields = replication(replica)
    assert (fields["master_link_status"], fields["master_link_down_since_seconds"], fields["slave_repl_offset"]) == ("down", "-1", "1")
    assert [name for name in replication(redis_replica)] == list(fields)
    wait_for(lambda: "Error condition on socket for SYNC: Connection refused" in replica.full_log(), timeout=10,
             what="the refused connection in the log")


def test_partial_resync_after_the_master_link_is_killed(servers):
    primary = start_master(servers, "redis")
    replica = start_replica(servers, "sut", primary)
    run_write_stream(primary.client(), seed=23, count=500)
    wait_in_sync(primary, replica)
    assert raw(replica.client(), "CLIENT", "KILL", "TYPE", "master") == 1
    for i in range(300):
        raw(primary.client(), "SET", f"gap{i}", i)
    assert_same_data(primary, replica)
    assert sync_counts(primary) == ("1", "1")
    assert "Successful partial resynchronization with master" in replica.full_log()


def test_a_transaction_cut_by_the_link_is_applied_once(servers):
    primary = start_master(servers, "sut")
    replica = start_replica(servers, "sut", primary)
    wait_in_sync(primary, replica)
    # A MULTI the replica has read part of when the link drops: the master sends it again
    # from its start (the replica's offset stopped before it), and it runs once.
    raw(primary.client(), "SET", "counter", 0)
    wait_in_sync(primary, replica)
    with RespClient(HOST, primary.port) as c:
        for command in (["MULTI"], ["INCR", "counter"], ["INCR", "counter"], ["EXEC"]):
            c.send_command(*command)
        assert c.read_reply() == b"+OK\r\n"
    assert raw(replica.client(), "CLIENT", "KILL", "TYPE", "master") == 1
    assert_same_data(primary, replica)
    assert raw(replica.client(), "GET", "counter") == b"2"


def test_expired_keys_wait_for_the_masters_del(servers):
    primary = start_master(servers, "redis")
    raw(primary.client(), "DEBUG", "SET-ACTIVE-EXPIRE", 0)
    redis_replica = start_replica(servers, "redis", primary, "redis-replica")
    replica = start_replica(servers, "sut", primary)
    raw(primary.client(), "SET", "gone", "v", "PX", 200)
    raw(primary.client(), "SET", "kept", "v")
    wait_in_sync(primary, redis_replica)
    wait_in_sync(primary, replica)
    time.sleep(0.4)
    # Past its time the key reads as absent, but stays until the master's DEL comes.
    commands = [["GET", "gone"], ["EXISTS", "gone"], ["TTL", "gone"], ["SCAN", "0"], ["KEYS", "*"], ["RANDOMKEY"], ["DBSIZE"]]
    assert_same_replies(redis_replica, replica, commands)
    assert raw(replica.client(), "DBSIZE") == 2
    raw(primary.client(), "GET", "gone")  # the master expires it now, and streams the DEL
    wait_in_sync(primary, replica)
    assert raw(replica.client(), "DBSIZE") == 1
    assert_same_replies(redis_replica, replica, commands)


def redis_sut_redis_chain(servers):
    """Redis master (with a dataset of every type) → SwiftKeyDB replica → Redis replica of it."""
    primary = start_master(servers, "redis")
    build_dataset(primary.client(), far_future_ms())
    middle = start_replica(servers, "sut", primary, "middle")
    wait_in_sync(primary, middle)
    return primary, middle, start_replica(servers, "redis", middle, "leaf")


def test_a_chain_passes_the_stream_on_unchanged(servers):
    primary, middle, leaf = redis_sut_redis_chain(servers)
    run_write_stream(primary.client(), seed=24, count=2000)
    assert_same_data(primary, middle)
    # The offsets mean the same on every server of the chain.
    assert_same_data(primary, leaf)
    assert replication(leaf)["master_replid"] == replication(primary)["master_replid"]


def test_replicaof_no_one_keeps_the_data_and_the_history(servers):
    primary, middle, leaf = redis_sut_redis_chain(servers)
    assert_same_data(primary, leaf)
    old_id = replication(primary)["master_replid"]
    assert raw(middle.client(), "REPLICAOF", "NO", "ONE") == b"OK"
    fields = replication(middle)
    assert (fields["role"], fields["master_replid2"]) == ("master", old_id)
    assert int(fields["second_repl_offset"]) == int(replication(primary)["master_repl_offset"]) + 1
    # Its replica continues with it (the old history stays valid under the second ID).
    run_write_stream(middle.client(), seed=25, count=500)
    assert_same_data(middle, leaf)
    assert sync_counts(middle) == ("1", "1")
    assert "MASTER MODE enabled" in middle.full_log()


def test_replicaof_at_run_time_unblocks_clients_and_resyncs(servers):
    primary = start_master(servers, "redis")
    raw(primary.client(), "SET", "from-master", "1")
    redis_server = servers("redis", "redis-standalone", ["--save", ""]).start()
    server = servers("sut", "standalone", ["--save", "", *DEBUG_ALLOWED]).start()
    outcome = {}

    def blocked_pop(target, name):
        with RespClient(HOST, target.port) as c:
            c.send_command("BLPOP", "list", "0")
            outcome[name] = c.read_reply()

    threads = [threading.Thread(target=blocked_pop, args=(target, name)) for target, name in ((redis_server, "redis"), (server, "sut"))]
    for thread in threads:
        thread.start()
    wait_for(lambda: all(t.info("clients")["blocked_clients"] == "1" for t in (redis_server, server)),
             timeout=10, what="both clients to block")
    for target in (redis_server, server):
        raw(target.client(), "SET", "mine", "x")
        assert raw(target.client(), "REPLICAOF", HOST, primary.port) == b"OK"
    for thread in threads:
        thread.join(10)
    assert outcome["sut"] == outcome["redis"]
    assert_same_data(primary, server)
    assert raw(server.client(), "GET", "mine") is None


def test_masterauth(servers):
    primary = start_master(servers, "redis")
    raw(primary.client(), "SET", "k", "v")
    raw(primary.client(), "CONFIG", "SET", "requirepass", "s3cret")
    replica = start_replica(servers, "sut", primary, "replica", "--masterauth", "s3cret")
    wait_for(lambda: replication(replica)["master_link_status"] == "up", timeout=20, what="the link")
    assert raw(replica.client(), "GET", "k") == b"v"
    refused = start_replica(servers, "sut", primary, "refused", "--masterauth", "wrong")
    wait_for(lambda: "Unable to AUTH to MASTER" in refused.full_log(), timeout=10, what="the refused AUTH")
    assert replication(refused)["master_link_status"] == "down"


def test_a_slow_snapshot_is_waited_for(servers):
    # 3,000 keys at 1 ms each: the master's snapshot takes 3 s, with keepalive newlines meanwhile.
    primary = start_master(servers, "sut", "master", "--rdb-key-save-delay", "1000")
    raw(primary.client(), "DEBUG", "POPULATE", 3000)
    replica = start_replica(servers, "sut", primary)
    assert_same_data(primary, replica)
    assert sync_counts(primary) == ("1", "0")
    assert "Timeout" not in replica.full_log()


def test_pauses_and_idle_timeouts_leave_the_link_alone(servers):
    # No PINGs from the master: nothing but the engine's own wake-up resumes a paused stream.
    primary = start_master(servers, "sut", "master", ping_period=3600)
    replica = start_replica(servers, "sut", primary, "replica", "--timeout", "1")
    wait_in_sync(primary, replica)
    for round in range(2):
        assert raw(replica.client(), "CLIENT", "PAUSE", 300, "WRITE") == b"OK"
        raw(primary.client(), "SET", f"during-pause-{round}", round)
        time.sleep(0.1)
        assert raw(replica.client(), "GET", f"during-pause-{round}") is None
        wait_for(lambda: raw(replica.client(), "GET", f"during-pause-{round}") == str(round).encode(), timeout=2,
                 what="the held command to run once the pause ends")
    # The master's client is never idle-closed (`timeout`), as in Redis (ours is: a fresh one each time).
    time.sleep(2.5)
    assert info_fields(raw(replica.client(), "INFO", "replication"))["master_link_status"] == "up"
    assert sync_counts(primary) == ("1", "0")
    assert int(info_fields(raw(replica.client(), "INFO", "stats"))["total_net_repl_input_bytes"]) > 0


def test_a_full_resync_fails_watchers(servers):
    primary = start_master(servers, "redis")
    raw(primary.client(), "SET", "k", "1")
    replica = start_replica(servers, "sut", primary)
    wait_in_sync(primary, replica)
    with RespClient(HOST, replica.port) as c:
        for command in (["WATCH", "k"], ["MULTI"], ["GET", "k"]):
            c.send_command(*command)
            c.read_reply()
        # A new history on the master: the replica cannot continue, and loads a new snapshot.
        raw(primary.client(), "DEBUG", "CHANGE-REPL-ID")
        assert raw(replica.client(), "CLIENT", "KILL", "TYPE", "master") == 1
        wait_for(lambda: sync_counts(primary)[0] == "2", timeout=10, what="the second full resync")
        wait_in_sync(primary, replica)
        c.send_command("EXEC")
        assert c.read_reply() == b"*-1\r\n"


class FakeMaster:
    """A master that answers the handshake, sends an empty snapshot and then `stream`,
    recording every command each connection sent (to compare what replicas send)."""

    EMPTY_RDB = b"REDIS0010\xff" + b"\x00" * 8  # a zero checksum is not checked

    def __init__(self, stream: bytes):
        import socket
        self.stream = stream
        self.sessions = []
        self.listener = socket.socket()
        self.listener.bind((HOST, 0))
        self.listener.listen(8)
        self.port = self.listener.getsockname()[1]
        self.thread = threading.Thread(target=serve_forever, args=(self.listener, self._session), daemon=True)
        self.thread.start()

    def _session(self, conn):
        commands = []
        self.sessions.append(commands)
        with conn, conn.makefile("rb") as f:
            while (command := read_command(f)) is not None:
                commands.append(command)
                name = command[0].upper()
                if name == "PING":
                    conn.sendall(b"+PONG\r\n")
                elif name == "PSYNC":
                    conn.sendall(b"+FULLRESYNC " + b"f" * 40 + b" 0\r\n$%d\r\n" % len(self.EMPTY_RDB) + self.EMPTY_RDB + self.stream)
                elif name != "REPLCONF" or command[1].upper() != "ACK":
                    conn.sendall(b"+OK\r\n")

    def close(self):
        self.listener.close()


def handshake(commands, port):
    """The commands before the stream, the listening port made a placeholder."""
    return [["REPLCONF", "listening-port", "<port>"] if c[:3] == ["REPLCONF", "listening-port", str(port)] else c
            for c in commands if c[:2] != ["REPLCONF", "ACK"]]


def test_the_handshake_and_a_master_that_breaks_the_protocol(servers):
    # A valid command, then a bulk length that is no number: the replica drops the link and,
    # unable to continue past those bytes, asks for a full resync (`PSYNC ? -1`), as Redis does.
    fakes = {kind: FakeMaster(b"*1\r\n$4\r\nPING\r\n*1\r\n$x\r\n") for kind in ("redis", "sut")}
    try:
        replicas = {kind: servers(kind, f"{kind}-replica", ["--save", "", "--replicaof", HOST, str(fake.port),
                                                            "--masterauth", "pw"]).start()
                    for kind, fake in fakes.items()}
        for fake in fakes.values():
            wait_for(lambda: len(fake.sessions) >= 2 and any(c[0] == "PSYNC" for c in fake.sessions[1]), timeout=15,
                     what="the replica to connect again")
        seen = {kind: [handshake(session, replicas[kind].port) for session in fake.sessions[:2]]
                for kind, fake in fakes.items()}
        assert seen["sut"] == seen["redis"]
        assert seen["sut"][0] == [["PING"], ["AUTH", "pw"], ["REPLCONF", "listening-port", "<port>"],
                                  ["REPLCONF", "capa", "eof", "capa", "psync2"], ["PSYNC", "?", "-1"]]
        assert seen["sut"][1][-1] == ["PSYNC", "?", "-1"]
    finally:
        for fake in fakes.values():
            fake.close()


def test_a_restarted_replica_continues_from_its_snapshot(servers):
    primary = start_master(servers, "redis")
    run_write_stream(primary.client(), seed=26, count=500)
    replica = start_replica(servers, "sut", primary, "replica", "--appendonly", "no")
    wait_in_sync(primary, replica)
    # Saved at shutdown with where the stream stood (repl-id, repl-offset, repl-stream-db)...
    assert replica.shutdown("SAVE") == 0
    run_write_stream(primary.client(), seed=27, count=300)
    # ...so the restarted replica asks to continue from there, and gets the writes it missed.
    restarted = start_replica(servers, "sut", primary, "replica", "--appendonly", "no")
    assert_same_data(primary, restarted)
    assert sync_counts(primary) == ("1", "1")
    assert "Trying a partial resynchronization" in restarted.full_log()


def test_a_restarted_master_lets_its_replicas_continue(servers):
    # Restarted from its snapshot (with the log on it replays the log, which records no
    # replication position: Redis 7.0 behaves the same).
    primary = start_master(servers, "sut", "master", "--appendonly", "no")
    replica = start_replica(servers, "redis", primary)
    run_write_stream(primary.client(), seed=28, count=300)
    # Keys whose time passes while the master is down: the load skips them, and their DELs
    # go to the stream, so the replica drops them too.
    raw(primary.client(), "DEBUG", "SET-ACTIVE-EXPIRE", 0)
    for db in (0, 3):
        raw(primary.client(db=db), "SET", f"short-{db}", "v", "PX", 50)
    wait_in_sync(primary, replica)
    old_id = replication(primary)["master_replid"]
    assert primary.shutdown("SAVE") == 0
    time.sleep(0.1)
    primary.start()
    fields = replication(primary)
    assert (fields["master_replid2"], fields["repl_backlog_active"]) == (old_id, "1")
    assert fields["master_replid"] != old_id
    assert raw(replica.client(), "REPLICAOF", HOST, primary.port) == b"OK"
    assert_same_data(primary, replica)
    assert sync_counts(primary) == ("0", "1")
    assert raw(replica.client(), "DBSIZE") == raw(primary.client(), "DBSIZE")
    assert raw(replica.client(db=3), "EXISTS", "short-3") == 0


def test_masters_that_fail_at_once_leave_the_server_serving(servers):
    # Connections that fail before REPLICAOF returns (a name that does not resolve, a
    # refused port) are handled off the keyspace lock: the server keeps answering.
    replica = servers("sut", "replica", ["--save", ""]).start()
    r = replica.client()
    for host, port in (("nonexistent.invalid", 6379), (HOST, free_port()), ("nonexistent.invalid", 1), (HOST, free_port())):
        assert raw(r, "REPLICAOF", host, port) == b"OK"
        assert raw(r, "PING") == b"PONG"
    wait_for(lambda: replica.full_log().count("Error condition on socket for SYNC") >= 2, timeout=10,
             what="the failures in the log")
    assert raw(r, "REPLICAOF", "NO", "ONE") == b"OK" and raw(r, "SET", "k", "v") == b"OK"


def test_promotion_during_the_first_rewrite_keeps_the_log(servers):
    # After a full resync with the log on, a slow rewrite writes the new base; promoting the
    # replica meanwhile must not kill it (the log would be left on the old files).
    primary = start_master(servers, "sut")
    raw(primary.client(), "DEBUG", "POPULATE", 2000)
    replica = start_replica(servers, "sut", primary, "replica", "--appendonly", "yes", "--rdb-key-save-delay", "1000")
    wait_in_sync(primary, replica)
    assert replica.info("persistence")["aof_rewrite_in_progress"] == "1"
    assert raw(replica.client(), "REPLICAOF", "NO", "ONE") == b"OK"
    raw(replica.client(), "SET", "after-promotion", "1")
    wait_for(lambda: replica.info("persistence")["aof_rewrite_in_progress"] == "0", timeout=20, what="the rewrite")
    assert "Killing it" not in replica.full_log()
    assert replica.info("persistence")["aof_last_bgrewrite_status"] == "ok"
    state = dump_state(replica.client())
    replica.kill()
    restarted = servers("sut", "replica", ["--save", "", "--appendonly", "yes"]).start()
    assert_same_state(state, dump_state(restarted.client()), names=("promoted", "restarted"))


def test_writes_pipelined_before_shutdown_reach_the_replicas(servers):
    primary = start_master(servers, "sut", "master", "--appendonly", "no")
    replica = start_replica(servers, "redis", primary)
    wait_in_sync(primary, replica)
    with RespClient(HOST, primary.port) as c:
        # One write, so both run in one batch: the SET's record is not out before SHUTDOWN looks.
        c.send(b"*3\r\n$3\r\nSET\r\n$4\r\nlast\r\n$5\r\nwrite\r\n*2\r\n$8\r\nSHUTDOWN\r\n$4\r\nSAVE\r\n")
        assert c.read_reply() == b"+OK\r\n"
    primary.proc.wait(timeout=20)
    primary.kill()  # (already gone: this drops the helper's connections to it)
    primary.start()
    assert raw(replica.client(), "REPLICAOF", HOST, primary.port) == b"OK"
    assert_same_data(primary, replica)
    assert raw(replica.client(), "GET", "last") == b"write"
