"""unixsocket / unixsocketperm, side by side with redis-server 7.0: clients on the
socket (raw RESP, redis-py), how CLIENT LIST shows them, the file's permissions,
a stale file from an earlier run, port 0 (the socket alone) and the file's
removal at shutdown.
"""

from __future__ import annotations

import os
import re
import stat
import subprocess
import tempfile
import time

import redis

from conftest import HOST, free_port, redis_server_bin, sut_bin
from resp_client import RespClient


def _start(binary: str, folder: str, *args) -> subprocess.Popen:
    log = open(os.path.join(folder, "server.log"), "ab")
    proc = subprocess.Popen([binary, "--dir", folder, "--save", "", "--appendonly", "no", "--daemonize", "no", *args],
                            stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, cwd=folder)
    log.close()
    return proc


def _wait_for_socket(path: str, proc: subprocess.Popen) -> None:
    deadline = time.monotonic() + 20
    while True:
        assert proc.poll() is None, "the server exited"
        try:
            with RespClient(HOST, 0, unix_path=path) as c:
                if c.call("PING") == b"+PONG\r\n":
                    return
        except OSError:
            pass
        assert time.monotonic() < deadline, "no PONG on the Unix socket"
        time.sleep(0.05)


def _servers():
    return [("redis", redis_server_bin()), ("swiftkeydb", sut_bin())]


def _run_both(steps, *args):
    """Starts each server on a Unix socket in a fresh folder (a stale regular file
    already there), runs steps(path, proc) and stops it; returns both results.
    An argument that is callable is called for each server (a fresh port)."""
    results = []
    for _name, binary in _servers():
        with tempfile.TemporaryDirectory(prefix="skdb-unix-") as folder:
            path = os.path.join(folder, "server.sock")
            open(path, "w").close()  # left by an earlier run: removed at start, as Redis does
            proc = _start(binary, folder, "--unixsocket", path, *[arg() if callable(arg) else arg for arg in args])
            try:
                _wait_for_socket(path, proc)
                results.append(steps(path, proc))
            finally:
                if proc.poll() is None:
                    proc.kill()
                    proc.wait()
    return results


def _client_fields(line: bytes, path: str) -> dict:
    text = line.decode().replace(path, "<path>")
    return {key: value for key, value in re.findall(r"(\w[\w-]*)=(\S*)", text) if key in ("addr", "laddr", "flags", "db")}


def test_clients_on_the_socket_are_local_and_flagged_u():
    def steps(path, proc):
        c = RespClient(HOST, 0, unix_path=path)
        replies = [c.call(*command) for command in [
            ("SET", "k", "v"), ("GET", "k"), ("DEBUG", "SLEEP", "0"), ("CONFIG", "GET", "unixsocketperm"),
            ("CONFIG", "SET", "unixsocket", "/tmp/other.sock"),
        ]]
        info = _client_fields(c.call("CLIENT", "INFO"), path)
        listed = _client_fields(c.call("CLIENT", "LIST"), path)
        mode = stat.S_IMODE(os.stat(path).st_mode)
        c.close()
        # redis-py's own Unix connection.
        r = redis.Redis(unix_socket_path=path, protocol=2)
        r.rpush("list", "a", "b")
        assert r.lrange("list", 0, -1) == [b"a", b"b"]
        r.close()
        return replies, info, listed, mode, stat.S_ISSOCK(os.stat(path).st_mode)

    ref, sut = _run_both(steps, "--unixsocketperm", "700", "--enable-debug-command", "local", "--port", "0")
    assert sut == ref
    replies, info, _listed, mode, is_socket = ref
    assert info == {"addr": "<path>:0", "laddr": "<path>:0", "flags": "U", "db": "0"}
    assert replies[2] == b"+OK\r\n", "the Unix socket is local to enable-debug-command"
    assert mode == 0o700 and is_socket


def test_port_zero_listens_on_the_socket_alone_and_shutdown_removes_it():
    def steps(path, proc):
        c = RespClient(HOST, 0, unix_path=path)
        port = c.call("CONFIG", "GET", "port")
        tcp_port = [line for line in c.call("INFO", "server").split(b"\r\n") if line.startswith(b"tcp_port:")]
        try:
            c.call("SHUTDOWN", "NOSAVE")
        except OSError:
            pass
        c.close()
        status = proc.wait(timeout=20)
        return port, tcp_port, status, os.path.exists(path)

    ref, sut = _run_both(steps, "--port", "0")
    assert sut == ref
    assert ref == (b"*2\r\n$4\r\nport\r\n$1\r\n0\r\n", [b"tcp_port:0"], 0, False)


def test_tcp_and_the_socket_together():
    def steps(path, proc):
        c = RespClient(HOST, 0, unix_path=path)
        c.call("SET", "shared", "yes")
        port = int(c.call("CONFIG", "GET", "port").split(b"\r\n")[4])
        c.close()
        with RespClient(HOST, port) as tcp:
            return tcp.call("GET", "shared"), _client_fields(tcp.call("CLIENT", "INFO"), path)["flags"]

    ref, sut = _run_both(steps, "--port", lambda: str(free_port()))
    assert sut == ref == (b"$3\r\nyes\r\n", "N")


def test_a_relative_path_is_inside_dir_and_long_paths_fit():
    """Redis works in `dir`, so a relative socket path lands there; Linux takes paths of
    up to 107 bytes (SwiftNIO's own limit is 103)."""
    results = []
    for _name, binary in _servers():
        with tempfile.TemporaryDirectory(prefix="skdb-unix-") as elsewhere, \
                tempfile.TemporaryDirectory(prefix="skdb-unix-") as folder:
            log = open(os.path.join(folder, "server.log"), "ab")
            proc = subprocess.Popen([binary, "--dir", folder, "--save", "", "--appendonly", "no", "--daemonize", "no",
                                     "--port", "0", "--unixsocket", "rel.sock"],
                                    stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, cwd=elsewhere)
            log.close()
            try:
                path = os.path.join(folder, "rel.sock")
                _wait_for_socket(path, proc)
                with RespClient(HOST, 0, unix_path=path) as c:
                    results.append((_client_fields(c.call("CLIENT", "INFO"), path)["addr"], os.listdir(elsewhere)))
            finally:
                proc.kill()
                proc.wait()
        with tempfile.TemporaryDirectory(prefix="skdb-unix-") as folder:
            path = os.path.join(folder, "s" * (107 - len(folder) - 1))
            assert len(path) == 107
            proc = _start(binary, folder, "--port", "0", "--unixsocket", path)
            try:
                _wait_for_socket(path, proc)
            finally:
                proc.kill()
                proc.wait()
    assert results[1] == results[0] == ("rel.sock:0", [])


def test_monitor_shows_socket_clients_as_unix_path():
    def steps(path, proc):
        monitor = RespClient(HOST, 0, unix_path=path)
        assert monitor.call("MONITOR") == b"+OK\r\n"
        with RespClient(HOST, 0, unix_path=path) as c:
            c.call("SET", "k", "v")
        line = monitor.read_reply()
        monitor.close()
        return re.sub(rb"^\+\d+\.\d+ ", b"+<time> ", line.replace(path.encode(), b"<path>"))

    ref, sut = _run_both(steps, "--port", "0")
    assert sut == ref == b'+<time> [0 unix:<path>] "SET" "k" "v"\r\n'
