"""Shared fixtures for the SwiftKeyDB Python test suite.

Two servers are started once per pytest session, each on a free port and in
its own temporary directory:

* the reference: `redis-server` (found on PATH, or env REDIS_SERVER_BIN);
* the server under test (SUT): env SWIFTKEYDB_BIN, default
  `<repo>/.build/release/swiftkeydb-server`.  Pointing SWIFTKEYDB_BIN at
  redis-server itself is supported (redis-vs-redis must pass 100%).

A server is only started when a test asks for it.  Startup problems are not
raised from the fixtures: the fixture returns a handle whose `require()`
calls `pytest.fail()` from inside the test, so a missing redis-server or
SwiftKeyDB binary shows up as a test FAILURE with a clear message (never a
skip).  Server output goes to `<tmpdir>/server.log`, whose tail is shown
when a server fails to start.
"""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import List, Optional

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))

from resp_client import RespClient  # noqa: E402

HOST = "127.0.0.1"
HERE = Path(__file__).resolve().parent
REPO_ROOT = HERE.parent.parent
DEFAULT_SUT_BIN = REPO_ROOT / ".build" / "release" / "swiftkeydb-server"
STARTUP_TIMEOUT = float(os.environ.get("SWIFTKEYDB_STARTUP_TIMEOUT", "20"))


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind((HOST, 0))
        return s.getsockname()[1]


def _ping_ok(port: int) -> bool:
    try:
        with socket.create_connection((HOST, port), timeout=0.5) as s:
            s.settimeout(0.5)
            s.sendall(b"*1\r\n$4\r\nPING\r\n")
            data = b""
            while not data.endswith(b"\r\n"):
                chunk = s.recv(64)
                if not chunk:
                    return False
                data += chunk
            return data == b"+PONG\r\n"
    except OSError:
        return False


class ServerProcess:
    """A server process on a free port; `error` is set if it did not start."""

    def __init__(self, name: str, binary: Optional[str], extra_args: List[str],
                 files: Optional[dict] = None, config_file: Optional[str] = None):
        self.name = name
        self.binary = binary
        self.extra_args = extra_args
        # Written into the server's folder (its working directory) before it starts.
        self.files = files or {}
        # A config file (one of `files`) given first, as redis-server takes it.
        self.config_file = config_file
        self.host = HOST
        self.port: Optional[int] = None
        self.proc: Optional[subprocess.Popen] = None
        self.dir: Optional[str] = None
        self.log_path: Optional[str] = None
        self.error: Optional[str] = None

    # -- lifecycle -------------------------------------------------------
    def start(self) -> "ServerProcess":
        if not self.binary:
            self.error = f"{self.name}: binary not found"
            return self
        if not (os.path.isfile(self.binary) and os.access(self.binary, os.X_OK)):
            self.error = f"{self.name}: binary {self.binary!r} does not exist or is not executable"
            return self
        self.dir = tempfile.mkdtemp(prefix=f"skdb-{self.name}-")
        self.log_path = os.path.join(self.dir, "server.log")
        for file_name, text in self.files.items():
            with open(os.path.join(self.dir, file_name), "w") as f:
                f.write(text)
        for _attempt in range(3):  # retry if someone grabbed the port
            self.port = free_port()
            cmd = [self.binary, *([self.config_file] if self.config_file else []), "--port", str(self.port), "--bind", HOST,
                   "--dir", self.dir, "--appendonly", "no", "--save", "",
                   *self.extra_args]
            log = open(self.log_path, "ab")
            try:
                self.proc = subprocess.Popen(cmd, stdout=log, stderr=subprocess.STDOUT,
                                             stdin=subprocess.DEVNULL, cwd=self.dir)
            except OSError as e:
                self.error = f"{self.name}: cannot execute {cmd!r}: {e}"
                return self
            finally:
                log.close()
            deadline = time.monotonic() + STARTUP_TIMEOUT
            while time.monotonic() < deadline:
                if self.proc.poll() is not None:
                    break
                if _ping_ok(self.port):
                    self.error = None
                    return self
                time.sleep(0.05)
            rc = self.proc.poll()
            if rc is None:
                self.error = (f"{self.name}: no +PONG on port {self.port} within "
                              f"{STARTUP_TIMEOUT}s; command: {cmd!r}")
                self.stop()
                break
            self.error = f"{self.name}: exited with status {rc} during startup; command: {cmd!r}"
            if b"Address already in use" not in self._log_bytes():
                break
        self.error += "\n--- server log (tail) ---\n" + self.log_tail()
        return self

    def stop(self) -> None:
        p = self.proc
        if p is None or p.poll() is not None:
            return
        try:
            p.send_signal(signal.SIGTERM)
            p.wait(timeout=10)
        except subprocess.TimeoutExpired:
            p.kill()
            p.wait(timeout=10)
        except ProcessLookupError:
            pass

    def cleanup(self) -> None:
        self.stop()
        if self.dir and not os.environ.get("SWIFTKEYDB_KEEP_TMP"):
            shutil.rmtree(self.dir, ignore_errors=True)

    # -- helpers ---------------------------------------------------------
    def _log_bytes(self) -> bytes:
        try:
            with open(self.log_path, "rb") as f:
                return f.read()
        except (OSError, TypeError):
            return b""

    def log_tail(self, n: int = 30) -> str:
        lines = self._log_bytes().decode("utf-8", "replace").splitlines()
        return "\n".join(lines[-n:])

    def require(self) -> "ServerProcess":
        """Fail the current test (not skip) if the server is unusable."""
        if self.error:
            pytest.fail(self.error, pytrace=False)
        if self.proc is not None and self.proc.poll() is not None:
            pytest.fail(f"{self.name} exited (status {self.proc.returncode}) earlier in the "
                        f"session\n--- server log (tail) ---\n{self.log_tail()}", pytrace=False)
        return self

    def client(self, timeout: float = 5.0) -> RespClient:
        self.require()
        return RespClient(self.host, self.port, timeout=timeout)

    def __repr__(self) -> str:
        return f"<{self.name} port={self.port} bin={self.binary}>"


def redis_server_bin() -> Optional[str]:
    return os.environ.get("REDIS_SERVER_BIN") or shutil.which("redis-server")


def sut_bin() -> str:
    return os.environ.get("SWIFTKEYDB_BIN") or str(DEFAULT_SUT_BIN)


# ---------------------------------------------------------------------------
# Pairs of fresh servers for one test

def start_pair(args=(), **options) -> List[ServerProcess]:
    """A reference redis-server and SwiftKeyDB started with the same extra flags
    (and files / config file, see ServerProcess); not yet checked to be up."""
    servers = [ServerProcess("redis-server (reference)", redis_server_bin(), ["--daemonize", "no", *args], **options),
               ServerProcess("swiftkeydb (under test)", sut_bin(), list(args), **options)]
    for server in servers:
        server.start()
    return servers


def serve_pair(args=(), **options):
    """For fixtures: yields a started, reachable pair and stops it afterwards."""
    servers = start_pair(args, **options)
    try:
        for server in servers:
            server.require()
        yield servers
    finally:
        for server in servers:
            server.cleanup()


# Session fixtures
# ---------------------------------------------------------------------------


@pytest.fixture(scope="session")
def redis_server():
    """The reference redis-server. Use `.require()` / `.client()` in tests."""
    binary = redis_server_bin()
    srv = ServerProcess("redis-server (reference)", binary, ["--daemonize", "no"])
    if binary is None:
        srv.error = ("redis-server not found on PATH (and REDIS_SERVER_BIN unset): the "
                     "differential tests need Redis 7.0 as the reference. Install it, e.g. "
                     "`apt-get install redis-server`.")
    else:
        srv.start()
    yield srv
    srv.cleanup()


@pytest.fixture(scope="session")
def sut_server():
    """The server under test (SWIFTKEYDB_BIN)."""
    binary = sut_bin()
    srv = ServerProcess("swiftkeydb (under test)", binary, [])
    if not os.path.exists(binary):
        srv.error = (f"server under test not found at {binary!r}. Build it with "
                     f"`swift build -c release` or set SWIFTKEYDB_BIN.")
    else:
        srv.start()
    yield srv
    srv.cleanup()


# ---------------------------------------------------------------------------
# Raw clients
# ---------------------------------------------------------------------------


@pytest.fixture
def redis_client(redis_server):
    """Raw RESP client to the reference redis-server."""
    c = redis_server.client()
    yield c
    c.close()


@pytest.fixture
def sut_client(sut_server):
    """Raw RESP client to the server under test."""
    c = sut_server.client()
    yield c
    c.close()
