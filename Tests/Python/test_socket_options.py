"""The options of a client's socket on the server's side (TCP_NODELAY and the
keepalive settings of `tcp-keepalive`), side by side with redis-server 7.0: at
start, after CONFIG SET tcp-keepalive and on a listener moved by CONFIG SET port.

A client cannot see them from its end: the test takes a duplicate of the
server's descriptor for the connection with pidfd_getfd(2), which Linux allows
for a child process of the test.
"""

from __future__ import annotations

import ctypes
import os
import socket
from contextlib import closing

import pytest

from conftest import HOST, free_port, serve_pair

SYS_PIDFD_GETFD = 438  # x86-64 and arm64 alike
libc = ctypes.CDLL(None, use_errno=True)

OPTIONS = {
    "TCP_NODELAY": (socket.IPPROTO_TCP, socket.TCP_NODELAY),
    "SO_KEEPALIVE": (socket.SOL_SOCKET, socket.SO_KEEPALIVE),
    "TCP_KEEPIDLE": (socket.IPPROTO_TCP, socket.TCP_KEEPIDLE),
    "TCP_KEEPINTVL": (socket.IPPROTO_TCP, socket.TCP_KEEPINTVL),
    "TCP_KEEPCNT": (socket.IPPROTO_TCP, socket.TCP_KEEPCNT),
}


def _server_descriptor(pid: int, client: socket.socket) -> tuple[int, socket.socket]:
    """The number of the server's descriptor for `client`'s connection, and a duplicate of it."""
    want = (client.getpeername(), client.getsockname())
    pidfd = os.pidfd_open(pid)
    try:
        for name in sorted(os.listdir(f"/proc/{pid}/fd"), key=int):
            try:
                if not os.readlink(f"/proc/{pid}/fd/{name}").startswith("socket:"):
                    continue
            except FileNotFoundError:
                continue
            fd = libc.syscall(SYS_PIDFD_GETFD, pidfd, int(name), 0)
            assert fd >= 0, f"pidfd_getfd: {os.strerror(ctypes.get_errno())}"
            sock = socket.socket(fileno=fd)
            try:
                if (sock.getsockname(), sock.getpeername()) == want:
                    return int(name), sock
            except OSError:
                pass  # a listener, or not connected
            sock.close()
    finally:
        os.close(pidfd)
    raise AssertionError("the server holds no socket for this connection")


def _server_end(pid: int, client: socket.socket) -> socket.socket:
    """A duplicate of the server's descriptor for `client`'s connection."""
    return _server_descriptor(pid, client)[1]


def _options(server, port=None) -> dict:
    with closing(socket.create_connection((HOST, port or server.port))) as client:
        client.sendall(b"PING\r\n")
        assert client.recv(64) == b"+PONG\r\n"  # accepted and served
        with closing(_server_end(server.proc.pid, client)) as end:
            options = {name: end.getsockopt(*option) for name, option in OPTIONS.items()}
    if not options["SO_KEEPALIVE"]:
        # Without keepalive its timings do nothing: a listener that had them keeps them.
        options = {name: value for name, value in options.items() if not name.startswith("TCP_KEEP")}
    return options


def _config_set(server, *args) -> bytes:
    with closing(server.client()) as c:
        return c.call("CONFIG", "SET", *args)


@pytest.fixture
def pair():
    yield from serve_pair()


def test_accepted_socket_options_match_redis(pair):
    redis, sut = pair
    expected = _options(redis)
    assert expected == {"TCP_NODELAY": 1, "SO_KEEPALIVE": 1, "TCP_KEEPIDLE": 300, "TCP_KEEPINTVL": 100, "TCP_KEEPCNT": 3}
    assert _options(sut) == expected


@pytest.mark.parametrize("keepalive", ["60", "1", "0"])
def test_tcp_keepalive_set_at_run_time_applies_to_new_connections(pair, keepalive):
    redis, sut = pair
    for server in pair:
        assert _config_set(server, "tcp-keepalive", keepalive) == b"+OK\r\n"
    expected = _options(redis)
    assert expected["SO_KEEPALIVE"] == (1 if keepalive != "0" else 0)
    assert _options(sut) == expected


def test_moved_listener_sets_the_same_options(pair):
    for server in pair:
        port = free_port()
        assert _config_set(server, "port", str(port)) == b"+OK\r\n"
        server.port = port
    redis, sut = pair
    assert _options(sut) == _options(redis)


def test_listener_moved_and_keepalive_changed_in_one_config_set(pair):
    for server in pair:
        port = free_port()
        assert _config_set(server, "port", str(port), "tcp-keepalive", "45") == b"+OK\r\n"
        server.port = port
    redis, sut = pair
    expected = _options(redis)
    assert expected["TCP_KEEPIDLE"] == 45
    assert _options(sut) == expected


def test_keepalive_off_from_the_start():
    pair = serve_pair(["--tcp-keepalive", "0"])
    redis, sut = next(pair)
    try:
        expected = _options(redis)
        assert expected == {"TCP_NODELAY": 1, "SO_KEEPALIVE": 0}
        assert _options(sut) == expected
    finally:
        pair.close()


def _shown_fd(reply: bytes, client: socket.socket) -> int:
    """fd= of `client`'s line in a CLIENT INFO / CLIENT LIST reply."""
    address = "%s:%d" % client.getsockname()
    for line in reply.decode().split("\n"):
        fields = dict(field.split("=", 1) for field in line.split() if "=" in field)
        if fields.get("addr") == address:
            return int(fields["fd"])
    raise AssertionError(f"no line for {address} in {reply!r}")


def test_client_list_shows_the_connections_descriptor(pair):
    """fd= is the server's socket for the connection, as in Redis: also when CLIENT
    INFO is the connection's first command, and for a connection served once."""
    for server in pair:
        with closing(socket.create_connection((HOST, server.port))) as first, \
                closing(socket.create_connection((HOST, server.port))) as other:
            first.sendall(b"CLIENT INFO\r\n")
            reply = first.recv(4096)
            number, end = _server_descriptor(server.proc.pid, first)
            end.close()
            assert _shown_fd(reply, first) == number
            other.sendall(b"CLIENT LIST\r\n")
            listed = _bulk(other)
            assert _shown_fd(listed, first) == number
            other_number, other_end = _server_descriptor(server.proc.pid, other)
            other_end.close()
            assert _shown_fd(listed, other) == other_number


def _bulk(client: socket.socket) -> bytes:
    """One bulk-string reply, read whole."""
    received = b""
    while b"\r\n" not in received:
        received += client.recv(65536)
    header, _, body = received.partition(b"\r\n")
    assert header.startswith(b"$"), received
    while len(body) < int(header[1:]) + 2:
        body += client.recv(65536)
    return body[:int(header[1:])]
