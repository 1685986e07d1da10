"""Client limits, side by side with redis-server 7.0: `maxclients` and `timeout`.

Each test starts its own pair of servers with the limit under test, runs the
same steps against both and compares what a client sees (reply bytes where a
reply is sent, the connection closing where it is closed).
"""

from __future__ import annotations

import os
import re
import resource
import selectors
import socket
import time
from contextlib import closing

import pytest

from conftest import ServerProcess, free_port, redis_server_bin, serve_pair, sut_bin
from resp_client import RespClient


@pytest.fixture
def limited(request):
    yield from serve_pair(request.param)


def _info_field(client: RespClient, section: str, field: str) -> str:
    text = client.call("INFO", section).decode()
    match = re.search(rf"^{field}:(.*?)\r$", text, re.M)
    assert match, f"{field} missing from INFO {section}"
    return match.group(1)


def _until_closed(s: socket.socket) -> bytes:
    """Everything the server sends until it closes the connection."""
    data = b""
    while True:
        chunk = s.recv(65536)
        if not chunk:
            return data
        data += chunk


def _refusal(server: ServerProcess) -> bytes:
    """What a connection beyond the limit receives before the server closes it."""
    with socket.create_connection((server.host, server.port), timeout=5) as s:
        return _until_closed(s)


@pytest.mark.parametrize("limited", [["--maxclients", "3"]], indirect=True)
def test_maxclients_refuses_with_redis_error_and_counts_it(limited):
    for server in limited:
        clients = [server.client() for _ in range(3)]
        for client in clients:
            assert client.call("PING") == b"+PONG\r\n", server.name
        assert _refusal(server) == b"-ERR max number of clients reached\r\n", server.name
        assert _refusal(server) == b"-ERR max number of clients reached\r\n", server.name
        assert _info_field(clients[0], "stats", "rejected_connections") == "2", server.name
        assert _info_field(clients[0], "clients", "maxclients") == "3", server.name
        # Refused connections are not counted as received; a freed place is usable again.
        received = int(_info_field(clients[0], "stats", "total_connections_received"))
        clients.pop().close()
        time.sleep(0.2)
        replacement = server.client()
        assert replacement.call("PING") == b"+PONG\r\n", server.name
        assert int(_info_field(replacement, "stats", "total_connections_received")) == received + 1, server.name
        for client in clients + [replacement]:
            client.close()


@pytest.mark.parametrize("limited", [[]], indirect=True)
def test_maxclients_and_timeout_through_config(limited):
    replies = []
    for server in limited:
        c = server.client()
        replies.append([c.call(*args) for args in [
            ("CONFIG", "GET", "timeout"), ("CONFIG", "SET", "timeout", "-1"), ("CONFIG", "SET", "timeout", "x"),
            ("CONFIG", "SET", "timeout", "5"), ("CONFIG", "GET", "timeout"),
            ("CONFIG", "SET", "maxclients", "0"), ("CONFIG", "SET", "maxclients", "2"), ("CONFIG", "GET", "maxclients"),
        ]])
        # Lowering maxclients below the connections already open keeps them; new ones are refused.
        others = [server.client(), server.client()]
        assert others[0].call("PING") == b"+PONG\r\n", server.name
        assert _refusal(server) == b"-ERR max number of clients reached\r\n", server.name
        assert c.call("CONFIG", "SET", "maxclients", "10") == b"+OK\r\n"
        for client in [c, *others]:
            client.close()
    assert replies[1] == replies[0]


@pytest.mark.parametrize("limited", [["--timeout", "1"]], indirect=True)
def test_timeout_closes_idle_clients_only(limited):
    for server in limited:
        idle = server.client()
        assert idle.call("PING") == b"+PONG\r\n"
        busy = server.client()
        subscriber = server.client()
        assert subscriber.call("SUBSCRIBE", "news").startswith(b"*3\r\n")
        blocked = server.client()
        blocked.send_command("BLPOP", "nothing", "0")
        # Redis closes a client once more than `timeout` whole seconds passed without input.
        deadline = time.monotonic() + 3.5
        while time.monotonic() < deadline:
            assert busy.call("PING") == b"+PONG\r\n", server.name
            time.sleep(0.3)
        assert idle.wait_closed(timeout=1.0), f"{server.name}: idle client not closed"
        assert busy.call("PING") == b"+PONG\r\n", server.name
        # Blocked and subscribed clients are exempt, and still served.
        assert busy.call("LPUSH", "nothing", "x") == b":1\r\n"
        assert blocked.read_reply() == b"*2\r\n$7\r\nnothing\r\n$1\r\nx\r\n", server.name
        assert busy.call("PUBLISH", "news", "hi") == b":1\r\n", server.name
        assert subscriber.read_reply() == b"*3\r\n$7\r\nmessage\r\n$4\r\nnews\r\n$2\r\nhi\r\n", server.name
        for client in (busy, subscriber, blocked):
            client.close()


@pytest.mark.parametrize("limited", [[]], indirect=True)
def test_client_list_idle_counts_from_the_last_command(limited):
    for server in limited:
        watched = server.client()
        assert watched.call("CLIENT", "SETNAME", "watched") == b"+OK\r\n"
        time.sleep(2.2)
        assert watched.call("PING") == b"+PONG\r\n"
        observer = server.client()
        listing = observer.call("CLIENT", "LIST").decode()
        line = next(l for l in listing.split("\n") if "name=watched" in l)
        age = int(re.search(r" age=(\d+)", line).group(1))
        idle = int(re.search(r" idle=(\d+)", line).group(1))
        # idle: 0, or 1 when a second of the clock ticks before CLIENT LIST.
        assert age >= 2 and idle <= 1, f"{server.name}: {line}"
        watched.close()
        observer.close()


def _from_other_address(server: ServerProcess) -> socket.socket:
    """A connection whose peer address is 127.0.0.2: loopback to the kernel, but not
    one of the two addresses (127.0.0.1, ::1) Redis's protected mode lets in."""
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    s.settimeout(5)
    s.bind(("127.0.0.2", 0))
    s.connect((server.host, server.port))
    return s


@pytest.mark.parametrize("limited", [[]], indirect=True)
def test_protected_mode_denies_other_addresses_without_a_password(limited):
    denials = []
    for server in limited:
        local = server.client()
        assert local.call("CONFIG", "GET", "protected-mode") == b"*2\r\n$14\r\nprotected-mode\r\n$3\r\nyes\r\n"
        with _from_other_address(server) as s:
            denial = _until_closed(s)
        assert denial.startswith(b"-DENIED Redis is running in protected mode"), server.name
        denials.append(denial)
        assert _info_field(local, "stats", "rejected_connections") == "1", server.name
        # A password lets other addresses connect (they must then authenticate) ...
        assert local.call("CONFIG", "SET", "requirepass", "pw") == b"+OK\r\n"
        with _from_other_address(server) as s:
            s.sendall(b"PING\r\nAUTH pw\r\nPING\r\n")
            time.sleep(0.3)
            assert s.recv(4096) == b"-NOAUTH Authentication required.\r\n+OK\r\n+PONG\r\n", server.name
        assert local.call("AUTH", "pw") == b"+OK\r\n"
        assert local.call("CONFIG", "SET", "requirepass", "") == b"+OK\r\n"
        # ... and so does turning protected mode off.
        assert local.call("CONFIG", "SET", "protected-mode", "no") == b"+OK\r\n"
        with _from_other_address(server) as s:
            s.sendall(b"PING\r\n")
            assert s.recv(4096) == b"+PONG\r\n", server.name
        local.close()
    assert denials[1] == denials[0]


@pytest.mark.parametrize("limited", [["--client-query-buffer-limit", "1mb"]], indirect=True)
def test_query_buffer_limit_closes_a_client_sending_too_much_unprocessed_input(limited):
    config_replies = []
    for server in limited:
        c = server.client()
        config_replies.append([c.call(*args) for args in [
            ("CONFIG", "GET", "client-query-buffer-limit"), ("CONFIG", "SET", "client-query-buffer-limit", "1000"),
            ("CONFIG", "SET", "client-query-buffer-limit", "x")]])
        # Complete commands below the limit are served.
        assert c.call("SET", "k", b"v" * 900_000) == b"+OK\r\n", server.name
        assert c.call("STRLEN", "k") == b":900000\r\n", server.name
        # An argument still arriving past the limit closes the connection; others stay served.
        flooder = server.client()
        flooder.send(b"*3\r\n$3\r\nSET\r\n$1\r\nx\r\n$3000000\r\n")
        for _ in range(24):
            try:
                flooder.send(b"y" * 65536)
            except (BrokenPipeError, ConnectionResetError):
                break
        assert flooder.wait_closed(timeout=5.0), f"{server.name}: flooding client not closed"
        assert c.call("EXISTS", "x") == b":0\r\n", server.name
        c.close()
    assert config_replies[1] == config_replies[0]


def _server_side_timer(server: ServerProcess, client: RespClient) -> tuple[int, int]:
    """(timer kind, seconds left) of the server's end of `client`'s connection, from
    /proc/net/tcp: kind 2 with ~tcp-keepalive seconds left is the keepalive timer."""
    client_port = client.sock.getsockname()[1]
    with open("/proc/net/tcp") as f:
        for line in f.readlines()[1:]:
            fields = line.split()
            local_port = int(fields[1].split(":")[1], 16)
            remote_port = int(fields[2].split(":")[1], 16)
            if local_port == server.port and remote_port == client_port:
                kind, when = fields[5].split(":")
                return int(kind, 16), int(when, 16) // 100  # USER_HZ ticks
    raise AssertionError(f"{server.name}: connection from port {client_port} not in /proc/net/tcp")


@pytest.mark.parametrize("limited", [[]], indirect=True)
def test_tcp_keepalive_is_set_on_accepted_connections(limited):
    for server in limited:
        c = server.client()
        assert c.call("CONFIG", "GET", "tcp-keepalive") == b"*2\r\n$13\r\ntcp-keepalive\r\n$3\r\n300\r\n", server.name
        kind, seconds = _server_side_timer(server, c)
        assert kind == 2 and 290 <= seconds <= 300, f"{server.name}: timer {kind} {seconds}s"
        assert c.call("CONFIG", "SET", "tcp-keepalive", "0") == b"+OK\r\n"
        later = server.client()
        assert later.call("PING") == b"+PONG\r\n"
        time.sleep(0.1)  # let delayed ACKs settle: an idle socket without keepalive has no timer
        assert _server_side_timer(server, later)[0] == 0, server.name
        c.close()
        later.close()


def _rss_kb(server: ServerProcess) -> int:
    with open(f"/proc/{server.proc.pid}/status") as f:
        return next(int(line.split()[1]) for line in f if line.startswith("VmRSS:"))


@pytest.mark.parametrize("limited", [["--client-output-buffer-limit", "normal 4mb 2mb 10"]], indirect=True)
def test_a_client_that_never_reads_is_disconnected_with_memory_bounded(limited):
    for server in limited:
        c = server.client()
        assert c.call("SET", "big", b"x" * 100_000) == b"+OK\r\n"
        before = _rss_kb(server)
        # 200,000 pipelined GETs of 100 KB would be 20 GB of replies; the client never reads.
        reader_that_never_reads = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        reader_that_never_reads.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
        reader_that_never_reads.connect((server.host, server.port))
        reader_that_never_reads.settimeout(10)
        batch = b"*2\r\n$3\r\nGET\r\n$3\r\nbig\r\n" * 1000
        disconnected = False
        try:
            for _ in range(200):
                reader_that_never_reads.sendall(batch)
        except (BrokenPipeError, ConnectionResetError):
            disconnected = True
        reader_that_never_reads.close()
        assert disconnected, f"{server.name}: a client over its output limit was not disconnected"
        growth_mb = (_rss_kb(server) - before) / 1024
        assert growth_mb < 64, f"{server.name}: RSS grew by {growth_mb:.0f} MB"
        assert c.call("PING") == b"+PONG\r\n", server.name
        c.close()


@pytest.mark.parametrize("limited", [["--client-output-buffer-limit", "normal 1 2 3"]], indirect=True)
def test_replies_that_fit_the_reply_buffer_are_never_over_the_limit(limited):
    """Redis counts only output past a client's 16 KB reply buffer: with a 1-byte limit,
    small replies still arrive, and a reply that overflows the buffer closes the connection."""
    outcomes = []
    for server in limited:
        c = server.client()
        replies = [c.call("PING"), c.call("SET", "small", b"s" * 5000), c.call("GET", "small")[:10],
                   c.call("SET", "large", b"l" * 40_000)]
        c.close()
        with closing(socket.create_connection((server.host, server.port), timeout=5)) as s:
            s.sendall(b"*2\r\n$3\r\nGET\r\n$5\r\nlarge\r\n")
            closed = len(_until_closed(s)) < 40_000
        outcomes.append((replies, closed))
    assert outcomes[0] == outcomes[1]
    assert outcomes[0] == ([b"+PONG\r\n", b"+OK\r\n", b"$5000\r\nsss", b"+OK\r\n"], True)


def _with_open_files_limit(binary: str, limit: int, directory) -> str:
    """A wrapper that starts `binary` under `ulimit -n limit` (both soft and hard)."""
    wrapper = directory / f"under-ulimit-{limit}-{os.path.basename(binary)}"
    wrapper.write_text(f"#!/bin/sh\nulimit -n {limit} || exit 3\nexec {binary} \"$@\"\n")
    wrapper.chmod(0o755)
    return str(wrapper)


def test_maxclients_is_fitted_to_the_open_files_limit(tmp_path):
    """With `ulimit -n 256` both servers lower maxclients to 256 - 32, as Redis does."""
    servers = [ServerProcess("redis-server (reference)", _with_open_files_limit(redis_server_bin(), 256, tmp_path), ["--daemonize", "no"]),
               ServerProcess("swiftkeydb (under test)", _with_open_files_limit(sut_bin(), 256, tmp_path), [])]
    try:
        for server in servers:
            server.start().require()
            with server.client() as c:
                assert c.call("CONFIG", "GET", "maxclients") == b"*2\r\n$10\r\nmaxclients\r\n$3\r\n224\r\n", server.name
            assert "maxclients has been reduced to 224 to compensate for low ulimit" in server.log_tail(60), server.name
    finally:
        for server in servers:
            server.cleanup()


@pytest.mark.parametrize("limited", [[]], indirect=True)
def test_ten_thousand_connections_are_accepted_and_served(limited):
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    assert hard >= 10_200, f"this test needs `ulimit -Hn` >= 10200 (it is {hard})"
    resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
    try:
        for server in limited:
            sockets = []
            observer = server.client()  # connection 1 of 10,000 (maxclients is 10000)
            try:
                for _ in range(9_999):
                    s = socket.create_connection((server.host, server.port), timeout=10)
                    sockets.append(s)
                for s in sockets:
                    s.sendall(b"PING\r\n")
                with selectors.DefaultSelector() as selector:
                    for s in sockets:
                        s.setblocking(False)
                        selector.register(s, selectors.EVENT_READ, bytearray())
                    answered = 0
                    deadline = time.monotonic() + 60
                    while answered < len(sockets) and time.monotonic() < deadline:
                        for key, _ in selector.select(timeout=1):
                            key.data.extend(key.fileobj.recv(64))
                            if key.data.endswith(b"\r\n"):
                                assert bytes(key.data) == b"+PONG\r\n", server.name
                                selector.unregister(key.fileobj)
                                answered += 1
                assert answered == 9_999, f"{server.name}: {answered} of 9999 answered"
                assert _info_field(observer, "clients", "connected_clients") == "10000", server.name
                assert _refusal(server) == b"-ERR max number of clients reached\r\n", server.name
            finally:
                for s in sockets:
                    s.close()
                observer.close()
    finally:
        resource.setrlimit(resource.RLIMIT_NOFILE, (soft, hard))


def _accepts(host: str, port: int) -> bool:
    try:
        with RespClient(host, port) as c:
            return c.call("PING") == b"+PONG\r\n"
    except OSError:
        return False


@pytest.mark.parametrize("limited", [[]], indirect=True)
def test_two_port_moves_in_one_pipeline_leave_only_the_last_listening(limited):
    """The first move's listener is still being taken over when the second move
    comes: it must not be left listening."""
    outcomes = []
    for server in limited:
        first, last = free_port(), free_port()
        with closing(socket.create_connection((server.host, server.port))) as raw:
            raw.sendall(b"CONFIG SET port %d\r\nCONFIG SET port %d\r\n" % (first, last))
            replies = b""
            while replies.count(b"\r\n") < 2:
                replies += raw.recv(64)
        server.port = last
        outcomes.append((replies, _accepts(server.host, last), _accepts(server.host, first)))
    assert outcomes[0] == outcomes[1] == (b"+OK\r\n+OK\r\n", True, False)


@pytest.mark.parametrize("limited", [[]], indirect=True)
def test_config_set_bind_on_the_same_port(limited):
    """Another address on the port already listened on: Redis closes the old
    listeners first, so the port is free for the new ones."""
    outcomes = []
    for server in limited:
        client = server.client()
        steps = [client.call("CONFIG", "SET", "bind", "* -::*"), _accepts("127.0.0.1", server.port),
                 client.call("CONFIG", "SET", "bind", "127.0.0.1"), _accepts("127.0.0.1", server.port),
                 client.call("CONFIG", "GET", "bind"),
                 # A refused address changes nothing: the old listeners come back.
                 client.call("CONFIG", "SET", "bind", "10.255.255.1"), _accepts("127.0.0.1", server.port),
                 client.call("CONFIG", "GET", "bind"), client.call("PING")]
        outcomes.append(steps)
        client.close()
    assert outcomes[0] == outcomes[1]
    assert outcomes[1][:5] == [b"+OK\r\n", True, b"+OK\r\n", True, b"*2\r\n$4\r\nbind\r\n$9\r\n127.0.0.1\r\n"]
    assert outcomes[1][5].startswith(b"-ERR CONFIG SET failed (possibly related to argument 'bind')")
    assert outcomes[1][6:] == [True, b"*2\r\n$4\r\nbind\r\n$9\r\n127.0.0.1\r\n", b"+PONG\r\n"]


@pytest.mark.parametrize("limited", [[]], indirect=True)
def test_config_set_port_moves_the_listener_and_a_taken_port_changes_nothing(limited):
    outcomes = []
    for server in limited:
        client = server.client()
        # A port someone else holds: refused with Redis's text, the old one still serves.
        with socket.socket() as holder:
            holder.bind(("127.0.0.1", 0))
            holder.listen(1)
            taken = holder.getsockname()[1]
            refused = client.call("CONFIG", "SET", "port", str(taken))
        still = server.client().call("PING")
        unchanged = client.call("CONFIG", "GET", "port") == b"*2\r\n$4\r\nport\r\n$%d\r\n%d\r\n" % (len(str(server.port)), server.port)
        # A free port: new connections go there, the old port is closed, connected clients stay.
        new_port = free_port()
        moved = client.call("CONFIG", "SET", "port", str(new_port))
        time.sleep(0.2)
        with RespClient(server.host, new_port) as moved_client:
            served = moved_client.call("PING")
            tcp_port = _info_field(moved_client, "server", "tcp_port") == str(new_port)
        try:
            socket.create_connection((server.host, server.port), timeout=1).close()
            old_closed = False
        except OSError:
            old_closed = True
        outcomes.append((refused, still, unchanged, moved, served, tcp_port, old_closed, client.call("PING")))
        server.port = new_port  # so cleanup finds it
    assert outcomes[0] == outcomes[1]
    assert outcomes[1][0] == b"-ERR CONFIG SET failed (possibly related to argument 'port') - Unable to listen on this port. Check server logs.\r\n"
    assert outcomes[1][3:] == (b"+OK\r\n", b"+PONG\r\n", True, True, b"+PONG\r\n")
