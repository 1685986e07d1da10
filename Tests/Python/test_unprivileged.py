"""The server as most deployments run it: as an ordinary user, not root (Debian's
`redis` user, the Docker image's uid 10001). Run as root, the test starts the
server as `nobody`; run as anyone else, as that user.

Every TCP connection was reset when the server ran unprivileged: it set
TCP_NODELAY at the socket level, where the same number is SO_DEBUG, which only
root may set, and SwiftNIO closed each connection whose option failed.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
import time

import redis

from conftest import HOST, free_port, sut_bin
from resp_client import RespClient

NOBODY = 65534


def _start_unprivileged(folder: str, port: int) -> subprocess.Popen:
    binary = sut_bin()
    as_root = os.geteuid() == 0
    if as_root:
        # The build folder may not be reachable by nobody: a copy beside the data.
        copy = os.path.join(folder, "swiftkeydb-server")
        shutil.copy2(binary, copy)
        os.chmod(folder, 0o755)
        binary = copy
    data = os.path.join(folder, "data")
    os.mkdir(data)
    if as_root:
        os.chown(data, NOBODY, NOBODY)
    log = open(os.path.join(folder, "server.log"), "ab")
    try:
        return subprocess.Popen([binary, "--port", str(port), "--bind", HOST, "--dir", data, "--save", "",
                                 "--appendonly", "yes", "--daemonize", "no"],
                                stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, cwd=data,
                                **({"user": NOBODY, "group": NOBODY, "extra_groups": []} if as_root else {}))
    finally:
        log.close()


def test_serves_tcp_clients_without_root():
    with tempfile.TemporaryDirectory(prefix="skdb-unprivileged-") as folder:
        port = free_port()
        proc = _start_unprivileged(folder, port)
        try:
            deadline = time.monotonic() + 20
            while True:
                assert proc.poll() is None, open(os.path.join(folder, "server.log")).read()
                try:
                    with RespClient(HOST, port) as c:
                        pong = c.call("PING")
                    break
                except OSError:
                    assert time.monotonic() < deadline, "no reply without root: " + open(
                        os.path.join(folder, "server.log")).read()
                    time.sleep(0.05)
            assert pong == b"+PONG\r\n"
            # Several connections, a client library, and the log written as that user.
            client = redis.Redis(host=HOST, port=port, protocol=2)
            assert client.set("k", "v") is True
            assert client.get("k") == b"v"
            assert client.incr("n") == 1
            with RespClient(HOST, port) as c:
                assert c.call("GET", "k") == b"$1\r\nv\r\n"
            client.close()
            if os.geteuid() == 0:
                owners = {os.stat(os.path.join(root, name)).st_uid
                          for root, _dirs, names in os.walk(os.path.join(folder, "data")) for name in names}
                assert owners == {NOBODY}
        finally:
            proc.terminate()
            proc.wait(timeout=10)
