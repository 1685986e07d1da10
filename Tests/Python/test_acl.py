"""ACL users side by side with redis-server 7.0: the aclfile (load, save,
errors), `user` lines in the configuration, the ACL log, and what happens to
connected clients when their user changes or goes away.

Each test starts its own pair of servers with the same flags and compares what
a client sees. Single-command rules (`+get`) are described by Redis in its
command table's hash order, so each description here holds at most one.
"""

from __future__ import annotations

import os
import re
import socket

import pytest

from conftest import ServerProcess, redis_server_bin, serve_pair, start_pair, sut_bin


@pytest.fixture
def servers(request):
    yield from serve_pair(request.param)


def _both(servers, *steps):
    """Runs each step (a command tuple) on a fresh connection to each server; the replies must match."""
    replies = []
    for server in servers:
        client = server.client()
        replies.append([client.call(*step) for step in steps])
        client.close()
    assert replies[0] == replies[1]
    return replies[0]


ACL_FILE = ("user default on nopass ~* &* +@all\n"
            "user alice on #5e884898da28047151d0e56f8dc6292773603d0d6aabbdd62a11ef721d1542d8 ~cached:* resetchannels -@all +get\n"
            "user bob off resetchannels -@all\n")


def _write(server, name, text):
    with open(os.path.join(server.dir, name), "w") as f:
        f.write(text)


@pytest.fixture
def with_aclfile():
    # Relative to each server's folder, where the file is written before it starts.
    yield from serve_pair(["--aclfile", "users.acl"], files={"users.acl": ACL_FILE})


def test_aclfile_is_loaded_at_start_listed_saved_and_reloaded(with_aclfile):
    servers = with_aclfile
    _both(servers, ("ACL", "LIST"), ("ACL", "USERS"), ("AUTH", "alice", "password"), ("GET", "cached:1"),
          ("GET", "other"), ("SET", "cached:1", "v"), ("AUTH", "bob", "x"))
    _both(servers, ("ACL", "SETUSER", "carol", "on", ">pw", "~*", "+@read"), ("ACL", "SAVE"))
    saved = []
    for server in servers:
        with open(os.path.join(server.dir, "users.acl")) as f:
            saved.append(f.read())
    assert saved[0] == saved[1]
    assert "user carol on #" in saved[1]

    # Reloading logs out the clients of every user but the default one.
    alices = []
    for server in servers:
        alice = server.client()
        assert alice.call("AUTH", "alice", "password") == b"+OK\r\n"
        alices.append(alice)
        _write(server, "users.acl", ACL_FILE)
    _both(servers, ("ACL", "LOAD"), ("ACL", "USERS"))
    for alice in alices:
        assert alice.wait_closed(2.0)

    # A broken file changes nothing and says why, line by line.
    for server in servers:
        _write(server, "users.acl", "user ok on nopass\nuser bad +nosuchcommand\nnot a user line\nuser ok on\n")
    replies = _both(servers, ("ACL", "LOAD"), ("ACL", "USERS"))
    assert b"users.acl:2: Error in applying operation '+nosuchcommand'" in replies[0]
    assert b"no change to the previously active ACL rules was performed" in replies[0]


def test_acl_save_and_load_without_aclfile_explain_how(request):
    servers = start_pair([])
    request.addfinalizer(lambda: [s.cleanup() for s in servers])
    for server in servers:
        server.require()
    _both(servers, ("ACL", "SAVE"), ("ACL", "LOAD"))


def test_a_broken_aclfile_stops_the_server_at_start(tmp_path):
    logs = []
    for name, binary, extra in (("redis-server (reference)", redis_server_bin(), ["--daemonize", "no"]),
                                ("swiftkeydb (under test)", sut_bin(), [])):
        path = tmp_path / (name.split()[0] + ".acl")
        path.write_text("user alice on +nosuchcommand\n")
        server = ServerProcess(name, binary, extra + ["--aclfile", str(path)])
        server.start()
        assert server.error is not None and "exited with status 1" in server.error, server.name
        logs.append(server.log_tail())
        server.cleanup()
    for log in logs:
        assert "Aborting Redis startup because of ACL errors" in log
        assert "Error in applying operation '+nosuchcommand': Unknown command or category name in ACL" in log


@pytest.mark.parametrize("servers", [["--user", "worker", "on", ">pw", "~jobs:*", "+@list"]], indirect=True)
def test_user_lines_in_the_configuration(servers):
    _both(servers, ("ACL", "LIST"), ("AUTH", "worker", "pw"), ("LPUSH", "jobs:1", "a"), ("LPUSH", "other", "a"),
          ("GET", "jobs:1"))


def _mask_log(reply: bytes) -> bytes:
    # Client ids, ports and ages differ between the two servers.
    reply = re.sub(rb"\$\d+\r\nid=[^\r]*\r\n", b"<client-info>", reply)
    return re.sub(rb"age-seconds\r\n\$\d+\r\n[0-9.e-]+\r\n", b"age-seconds <age>", reply)


@pytest.mark.parametrize("servers", [[]], indirect=True)
def test_acl_log_records_denials_and_failed_logins(servers):
    logs = []
    for server in servers:
        admin = server.client()
        admin.call("ACL", "SETUSER", "u", "on", ">pw", "~k*", "&news", "+get", "+publish", "+multi", "+exec")
        user = server.client()
        for step in (("AUTH", "u", "wrong"), ("AUTH", "ghost", "pw"), ("AUTH", "u", "pw"), ("GET", "k1"),
                     ("GET", "secret"), ("GET", "secret"), ("SET", "k1", "v"), ("PUBLISH", "other", "m"),
                     ("MULTI",), ("SET", "k1", "v"), ("EXEC",)):
            user.call(*step)
        logs.append([_mask_log(admin.call("ACL", "LOG")), admin.call("ACL", "LOG", "2").count(b"count"),
                     admin.call("CONFIG", "SET", "acllog-max-len", "1"), _mask_log(admin.call("ACL", "LOG")),
                     admin.call("ACL", "LOG", "RESET"), admin.call("ACL", "LOG")])
    assert logs[0] == logs[1]


@pytest.mark.parametrize("servers", [[]], indirect=True)
def test_clients_of_changed_or_deleted_users(servers):
    outcomes = []
    for server in servers:
        admin = server.client()
        admin.call("ACL", "SETUSER", "sub", "on", "nopass", "resetchannels", "&feed:*", "+@all", "~*")
        keeps, loses, removed = server.client(), server.client(), server.client()
        for client in (keeps, loses, removed):
            client.call("AUTH", "sub", "x")
        keeps.call("SUBSCRIBE", "feed:a")
        loses.call("SUBSCRIBE", "feed:b")
        # Narrowing the channels closes the subscribers that lost theirs, before the next command.
        admin.call("ACL", "SETUSER", "sub", "resetchannels", "&feed:a")
        listed = admin.call("CLIENT", "LIST").count(b"user=sub")
        closed = [keeps.wait_closed(0.5), loses.wait_closed(2.0)]
        admin.call("ACL", "DELUSER", "sub")
        closed.append(removed.wait_closed(2.0))
        outcomes.append((listed, closed, admin.call("ACL", "USERS")))
    assert outcomes[0] == outcomes[1]
    assert outcomes[1][1] == [False, True, True]


@pytest.mark.parametrize("servers", [[]], indirect=True)
def test_protected_mode_lets_clients_in_once_the_default_user_has_a_password(servers):
    for server in servers:
        admin = server.client()
        assert admin.call("ACL", "SETUSER", "default", ">pw") == b"+OK\r\n"
        with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
            s.settimeout(5)
            s.bind(("127.0.0.2", 0))
            s.connect((server.host, server.port))
            s.sendall(b"PING\r\n")
            assert s.recv(100) == b"-NOAUTH Authentication required.\r\n", server.name
        assert admin.call("ACL", "SETUSER", "default", "nopass") == b"+OK\r\n"
