"""The server log: `logfile`, `loglevel`, the start-up banner and warnings,
next to redis-server 7.0 where they behave alike."""

from __future__ import annotations

import os
import socket
import subprocess
import time

from conftest import ServerProcess, redis_server_bin, sut_bin


def test_logfile_receives_the_banner_and_standard_output_stays_quiet(tmp_path):
    log = tmp_path / "server.log"
    server = ServerProcess("swiftkeydb (under test)", sut_bin(), ["--logfile", str(log), "--loglevel", "notice"])
    try:
        client = server.start().require().client()
        assert client.call("CONFIG", "GET", "logfile") == b"*2\r\n$7\r\nlogfile\r\n$%d\r\n%s\r\n" % (len(str(log)), str(log).encode())
        text = log.read_text()
        pid = server.proc.pid
        assert "SwiftKeyDB version=" in text and f"pid={pid}, just started" in text
        assert f"Running mode=standalone, port={server.port}, data directory {os.path.realpath(server.dir)}." in text
        assert "Ready to accept connections" in text
        # Standard output carries nothing once the log goes to a file.
        assert os.path.getsize(server.log_path) == 0
    finally:
        server.cleanup()


def test_an_unopenable_logfile_is_a_fatal_config_error_as_in_redis(tmp_path):
    outcomes = []
    for binary in (redis_server_bin(), sut_bin()):
        run = subprocess.run([binary, "--port", "0", "--logfile", str(tmp_path / "missing" / "x.log")],
                             capture_output=True, timeout=20, cwd=tmp_path)
        outcomes.append((run.returncode, (run.stdout + run.stderr).decode().strip().splitlines()[-1]))
    assert outcomes[0] == outcomes[1] == (1, "Can't open the log file: No such file or directory")


def test_logfile_and_loglevel_through_config_set(redis_client, sut_client):
    for command in (("CONFIG", "SET", "logfile", "/tmp/elsewhere.log"), ("CONFIG", "SET", "loglevel", "verbose"),
                    ("CONFIG", "GET", "loglevel"), ("CONFIG", "SET", "loglevel", "nothing"),
                    ("CONFIG", "SET", "loglevel", "notice")):
        assert sut_client.call(*command) == redis_client.call(*command), command


def test_loglevel_warning_keeps_notices_out(tmp_path):
    log = tmp_path / "server.log"
    server = ServerProcess("swiftkeydb (under test)", sut_bin(), ["--logfile", str(log), "--loglevel", "warning"])
    try:
        server.start().require()
        text = log.read_text()
        assert "Ready to accept connections" not in text
        assert "no config file specified" in text  # a warning, as in Redis
    finally:
        server.cleanup()


def test_daemonize_detaches_writes_and_removes_the_pid_file(tmp_path):
    from conftest import _ping_ok, free_port
    port = free_port()
    pid_file, log = tmp_path / "server.pid", tmp_path / "server.log"
    run = subprocess.run([sut_bin(), "--port", str(port), "--dir", str(tmp_path / "data"), "--daemonize", "yes",
                          "--pidfile", str(pid_file), "--logfile", str(log)], capture_output=True, timeout=20)
    assert run.returncode == 0 and run.stdout == b""  # the parent leaves at once; the daemon prints nothing
    for _ in range(100):
        if _ping_ok(port):
            break
        time.sleep(0.05)
    pid = int(pid_file.read_text())
    try:
        assert f"pid={pid}, just started" in log.read_text()
        with socket.create_connection(("127.0.0.1", port), timeout=5) as s:
            s.sendall(b"CONFIG SET daemonize no\r\nSHUTDOWN NOSAVE\r\n")
            assert s.recv(200) == b"-ERR CONFIG SET failed (possibly related to argument 'daemonize') - can't set immutable config\r\n"
        for _ in range(100):
            if not pid_file.exists():
                break
            time.sleep(0.05)
        assert not pid_file.exists()
    finally:
        try:
            os.kill(pid, 9)
        except ProcessLookupError:
            pass
