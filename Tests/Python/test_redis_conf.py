"""A Redis user's own config: Debian's stock /etc/redis/redis.conf (installed with
redis-server, which the tests need anyway) loads, every setting Redis 7.0 has is
known, and the settings SwiftKeyDB only keeps answer as Redis's do. Then the
settings that act: supervised (systemd's notify socket), tcp-backlog,
min-replicas-to-write and shutdown-on-sigterm.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import tempfile
import time
from contextlib import closing

import pytest

from conftest import HOST, _ping_ok, free_port, redis_server_bin, serve_pair, sut_bin
from resp_client import RespClient

STOCK_CONF = "/etc/redis/redis.conf"
# The stock file daemonizes and logs to /var/log; tests keep servers in the foreground.
FOREGROUND = ["--daemonize", "no", "--logfile", "", "--pidfile", ""]


def _config_map(server) -> dict:
    c = server.client()
    try:
        reply = c.call("CONFIG", "GET", "*")
    finally:
        c.close()
    items = _bulks(reply)
    return dict(zip(items[::2], items[1::2]))


def _bulks(reply: bytes) -> list:
    """The strings of a flat RESP2 array of bulk strings."""
    lines = reply.split(b"\r\n")
    assert lines[0].startswith(b"*")
    return [lines[i] for i in range(2, len(lines), 2)][: int(lines[0][1:])]


def test_stock_redis_conf_loads_and_config_get_matches_redis():
    assert os.path.isfile(STOCK_CONF), f"{STOCK_CONF} comes with Debian's redis-server package"
    pair = serve_pair(FOREGROUND, config_file=STOCK_CONF)
    ref, sut = next(pair)
    try:
        expected, actual = _config_map(ref), _config_map(sut)
        # busy-poll is SwiftKeyDB's own; the port and folder are each server's.
        assert actual.pop(b"busy-poll") == b"50"
        for own in (b"dir", b"port"):
            expected.pop(own), actual.pop(own)
        assert actual == expected
    finally:
        pair.close()


@pytest.fixture
def pair():
    yield from serve_pair()


def _same(pair, commands):
    """The raw replies to `commands` on one connection each, equal on both servers."""
    def replies(server):
        c = server.client()
        try:
            return [c.call(*command) for command in commands]
        finally:
            c.close()
    ref, sut = (replies(server) for server in pair)
    assert sut == ref
    return ref


def test_kept_settings_check_values_as_redis_does(pair):
    replies = _same(pair, [
        ("CONFIG", "SET", "lazyfree-lazy-user-del", "yes"), ("CONFIG", "GET", "lazyfree-lazy-user-del"),
        ("CONFIG", "SET", "slave-priority", "5"), ("CONFIG", "GET", "replica-priority"),
        ("CONFIG", "SET", "repl-backlog-size", "2mb"), ("CONFIG", "GET", "repl-backlog-size"),
        ("CONFIG", "SET", "repl-backlog-size", "0"), ("CONFIG", "SET", "repl-backlog-size", "lots"),
        ("CONFIG", "SET", "active-defrag-cycle-min", "100"), ("CONFIG", "SET", "hz", "x"),
        ("CONFIG", "SET", "oom-score-adj", "maybe"), ("CONFIG", "SET", "oom-score-adj", "RELATIVE"),
        ("CONFIG", "GET", "oom-score-adj"), ("CONFIG", "SET", "oom-score-adj", "no"),  # Redis applies it: back off
        ("CONFIG", "SET", "oom-score-adj-values", "1 2"), ("CONFIG", "SET", "oom-score-adj-values", "0 200 3000"),
        ("CONFIG", "SET", "oom-score-adj-values", "-5 100 900"), ("CONFIG", "GET", "oom-score-adj-values"),
        ("CONFIG", "SET", "proc-title-template", "{title"), ("CONFIG", "SET", "proc-title-template", "{nope}"),
        ("CONFIG", "SET", "proc-title-template", "{{literal}} {port}"), ("CONFIG", "GET", "proc-title-template"),
        ("CONFIG", "SET", "proc-title-template", "{title}{server-mode}"),
        ("CONFIG", "SET", "shutdown-on-sigterm", "save nosave"), ("CONFIG", "SET", "shutdown-on-sigterm", "often"),
        ("CONFIG", "SET", "shutdown-on-sigterm", "force nosave"), ("CONFIG", "GET", "shutdown-on-sigterm"),
        ("CONFIG", "SET", "shutdown-on-sigterm", "default"), ("CONFIG", "GET", "shutdown-on-sigterm"),
        ("CONFIG", "SET", "unixsocket", "/tmp/x.sock"), ("CONFIG", "SET", "cluster-enabled", "yes"),
        ("CONFIG", "SET", "supervised", "systemd"), ("CONFIG", "SET", "tcp-backlog", "10"),
        ("CONFIG", "SET", "replicaof", "no one"), ("CONFIG", "GET", "replicaof"),
        ("CONFIG", "SET", "sanitize-dump-payload", "clients"), ("CONFIG", "GET", "sanitize-dump-payload"),
        ("CONFIG", "SET", "masterauth", "secret"), ("CONFIG", "GET", "masterauth"),
        ("CONFIG", "SET", "shutdown-on-sigint", ""), ("CONFIG", "SET", "tls-auth-clients", "never"),
        ("CONFIG", "SET", "syslog-facility", "local9"), ("CONFIG", "SET", "maxmemory-clients", "0%"),
        ("CONFIG", "SET", "maxmemory-clients", "lots"), ("CONFIG", "SET", "maxmemory-clients", "101%"),
        ("CONFIG", "GET", "maxmemory-clients"),
        # Redis's hidden test settings answer only to their exact names.
        ("CONFIG", "GET", "rdb-key-save-delay"), ("CONFIG", "GET", "rdb-key-save-*"),
        ("CONFIG", "SET", "key-load-delay", "5"), ("CONFIG", "GET", "key-load-delay"),
    ])
    assert replies[0] == b"+OK\r\n" and replies[1] == b"*2\r\n$22\r\nlazyfree-lazy-user-del\r\n$3\r\nyes\r\n"


def test_min_replicas_to_write_refuses_writes_without_replicas(pair):
    # Redis counts no good replica on a master without any: writes get -NOREPLICAS,
    # and INFO shows the count while the setting is in force.
    for server in pair:
        c = server.client()
        assert b"min_slaves_good_slaves" not in c.call("INFO", "replication")
        c.call("CONFIG", "SET", "min-replicas-to-write", "3")
        assert b"\r\nconnected_slaves:0\r\nmin_slaves_good_slaves:0\r\n" in c.call("INFO", "replication")
        c.call("CONFIG", "SET", "min-replicas-to-write", "0")
        c.close()
    _same(pair, [
        ("SET", "k", "v"), ("CONFIG", "SET", "min-replicas-to-write", "1"),
        ("SET", "k", "w"), ("GET", "k"), ("INCR", "n"), ("PING",),
        ("MULTI",), ("SET", "k", "x"), ("EXEC",),
        ("MULTI",), ("GET", "k"), ("EXEC",),
        ("EVAL", "return redis.call('set', 'k', 'y')", "0"),
        ("EVAL", "return redis.pcall('set', 'k', 'y')", "0"),
        ("EVAL", "return redis.call('get', 'k')", "0"),
        ("EVAL", "#!lua\nreturn redis.call('get', 'k')", "0"),
        ("EVAL", "#!lua flags=no-writes\nreturn redis.call('get', 'k')", "0"),
        ("CONFIG", "SET", "min-slaves-max-lag", "0"), ("SET", "k", "z"),
        ("CONFIG", "SET", "min-slaves-max-lag", "10"), ("CONFIG", "GET", "min-slaves-max-lag"),
        ("CONFIG", "SET", "min-replicas-to-write", "0"), ("SET", "k", "last"), ("GET", "k"),
    ])


def test_tcp_backlog_is_the_listen_queue():
    pair = serve_pair(["--tcp-backlog", "37", "--unixsocket", "server.sock"])
    ref, sut = next(pair)
    try:
        for server in (ref, sut):
            _expect_backlog(server.port, "37")
            # The server's own (Redis shows the path relative to its folder).
            unix = subprocess.run(["ss", "-lxpH"], capture_output=True, text=True, check=True)
            found = [line.split() for line in unix.stdout.splitlines() if f"pid={server.proc.pid}," in line]
            assert len(found) == 1 and found[0][3] == "37", unix.stdout
            # A listener opened by CONFIG SET port has the same queue.
            port = free_port()
            with closing(server.client()) as c:
                assert c.call("CONFIG", "SET", "port", str(port)) == b"+OK\r\n"
            server.port = port
            _expect_backlog(port, "37")
    finally:
        pair.close()


def _listening(binary: str, *args: str) -> tuple:
    """Starts `binary` with `args` on a free port and returns its CONFIG GET bind
    reply and the addresses it listens on (ss), with the port left out."""
    with tempfile.TemporaryDirectory(prefix="skdb-bind-") as folder:
        port = free_port()
        log = open(os.path.join(folder, "server.log"), "ab")
        proc = subprocess.Popen([binary, "--port", str(port), "--dir", folder, "--save", "", "--appendonly", "no", *args],
                                stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, cwd=folder)
        log.close()
        try:
            deadline = time.monotonic() + 20
            while True:
                for host in ("127.0.0.1", "::1"):
                    try:
                        with RespClient(host, port) as c:
                            bind = c.call("CONFIG", "GET", "bind")
                        break
                    except OSError:
                        continue
                else:
                    assert proc.poll() is None and time.monotonic() < deadline, open(os.path.join(folder, "server.log")).read()
                    time.sleep(0.05)
                    continue
                break
            listing = subprocess.run(["ss", "-ltnH", f"sport = :{port}"], capture_output=True, text=True, check=True)
            return bind, sorted(line.split()[3].rsplit(":", 1)[0] for line in listing.stdout.splitlines())
        finally:
            proc.terminate()
            proc.wait(timeout=10)


def test_default_bind_is_every_address_as_in_redis():
    """No bind given: `* -::*`, IPv4 and IPv6 listeners on one port (the IPv6 one
    taking IPv6 alone), as redis-server 7.0 with no config file."""
    bind, listening = _listening(sut_bin())
    assert bind == b"*2\r\n$4\r\nbind\r\n$6\r\n* -::*\r\n"
    assert "0.0.0.0" in listening
    assert (bind, listening) == _listening(redis_server_bin())


@pytest.mark.parametrize("bind", ["::*", "* -::*", "-10.255.255.1 127.0.0.1", "localhost", "127.0.0.1 -::1"])
def test_bind_forms_listen_as_in_redis(bind):
    found = _listening(sut_bin(), "--bind", bind)
    assert found[1] != []
    assert found == _listening(redis_server_bin(), "--bind", bind)


def _expect_backlog(port: int, backlog: str) -> None:
    listing = subprocess.run(["ss", "-ltnH", f"sport = :{port}"], capture_output=True, text=True, check=True)
    # Send-Q of a listening socket is its backlog.
    assert listing.stdout.split()[2] == backlog, listing.stdout


class _Notifications:
    """A stand-in for systemd's notify socket."""

    def __init__(self, folder: str):
        self.path = os.path.join(folder, "notify.sock")
        self.socket = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
        self.socket.bind(self.path)
        self.socket.settimeout(20)

    def next(self) -> bytes:
        return self.socket.recv(4096)


def _start(folder: str, *args, env=None) -> tuple:
    port = free_port()
    log = open(os.path.join(folder, "server.log"), "ab")
    proc = subprocess.Popen([sut_bin(), "--port", str(port), "--bind", HOST, "--dir", folder, "--appendonly", "no", *args],
                            stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, env=env, cwd=folder)
    log.close()
    return proc, port


def _wait_for_ping(port: int) -> None:
    deadline = time.monotonic() + 20
    while not _ping_ok(port):
        assert time.monotonic() < deadline, "the server did not answer PING"
        time.sleep(0.05)


@pytest.mark.parametrize("mode", ["systemd", "auto"])
def test_supervised_systemd_is_told_ready_and_stopping(mode):
    with tempfile.TemporaryDirectory(prefix="skdb-notify-") as folder:
        notify = _Notifications(folder)
        env = dict(os.environ, NOTIFY_SOCKET=notify.path)
        env.pop("UPSTART_JOB", None)
        # daemonize yes is ignored under a service manager, as Redis ignores it.
        proc, port = _start(folder, "--supervised", mode, "--daemonize", "yes", "--save", "", env=env)
        try:
            assert notify.next() == b"STATUS=SwiftKeyDB is loading...\n"
            assert notify.next() == b"STATUS=Ready to accept connections\n"
            assert notify.next() == b"READY=1\n"
            assert proc.poll() is None, "a supervised server stays in the foreground"
            c = RespClient(HOST, port)
            assert c.call("CONFIG", "GET", "supervised") == b"*2\r\n$10\r\nsupervised\r\n$7\r\nsystemd\r\n"
            assert b"\r\nprocess_supervised:systemd\r\n" in c.call("INFO", "server")
            c.close()
            proc.send_signal(signal.SIGTERM)
            assert notify.next() == b"STOPPING=1\n"
            assert proc.wait(timeout=20) == 0
        finally:
            if proc.poll() is None:
                proc.kill()
            notify.socket.close()


def test_supervised_systemd_without_its_socket_warns_and_runs():
    with tempfile.TemporaryDirectory(prefix="skdb-notify-") as folder:
        env = {k: v for k, v in os.environ.items() if k not in ("NOTIFY_SOCKET", "UPSTART_JOB")}
        proc, port = _start(folder, "--supervised", "systemd", "--save", "", env=env)
        try:
            _wait_for_ping(port)
            with open(os.path.join(folder, "server.log"), "rb") as f:
                assert b"systemd supervision error: NOTIFY_SOCKET not found!" in f.read()
        finally:
            proc.kill()
            proc.wait()


def _sigterm_and_wait(proc, port, exits: bool) -> None:
    proc.send_signal(signal.SIGTERM)
    if exits:
        assert proc.wait(timeout=20) == 0
    else:
        time.sleep(1)
        assert proc.poll() is None and _ping_ok(port), "the server should have stayed up"


def _busy_script(port: int) -> RespClient:
    """Starts a script that loops for ever; returns another connection, once the server answers it BUSY."""
    _wait_for_ping(port)
    looping = RespClient(HOST, port)
    script = b"while true do end return 1"
    looping.send(b"*3\r\n$4\r\nEVAL\r\n$%d\r\n%s\r\n$1\r\n0\r\n" % (len(script), script))
    other = RespClient(HOST, port)
    deadline = time.monotonic() + 10
    while not other.call("PING").startswith(b"-BUSY"):
        assert time.monotonic() < deadline, "the script never became busy"
        time.sleep(0.05)
    return other


def test_shutdown_on_sigterm_chooses_the_final_save():
    with tempfile.TemporaryDirectory(prefix="skdb-sig-") as folder:
        # Save points set, but nosave: no snapshot at exit.
        proc, port = _start(folder, "--save", "3600 1", "--shutdown-on-sigterm", "nosave")
        _wait_for_ping(port)
        RespClient(HOST, port).call("SET", "k", "v")
        _sigterm_and_wait(proc, port, exits=True)
        assert not os.path.exists(os.path.join(folder, "dump.rdb"))
        # No save points, but save: a snapshot at exit.
        proc, port = _start(folder, "--save", "", "--shutdown-on-sigterm", "save")
        _wait_for_ping(port)
        RespClient(HOST, port).call("SET", "k", "v")
        _sigterm_and_wait(proc, port, exits=True)
        assert os.path.getsize(os.path.join(folder, "dump.rdb")) > 0


def test_shutdown_abort_withdraws_a_signal_the_paused_cron_holds():
    """Redis's "SHUTDOWN ABORT can cancel SIGTERM": a signal's shutdown begins when the
    cron runs, so under DEBUG PAUSE-CRON it waits, and SHUTDOWN ABORT can withdraw it;
    one not withdrawn begins once the cron runs again."""
    with tempfile.TemporaryDirectory(prefix="skdb-sig-") as folder:
        proc, port = _start(folder, "--save", "", "--enable-debug-command", "yes")
        try:
            _wait_for_ping(port)
            c = RespClient(HOST, port)
            assert c.call("SHUTDOWN", "ABORT") == b"-ERR No shutdown in progress.\r\n"
            assert c.call("DEBUG", "PAUSE-CRON", "1") == b"+OK\r\n"
            proc.send_signal(signal.SIGTERM)
            time.sleep(0.3)
            assert proc.poll() is None, "the paused cron holds the signal's shutdown"
            assert c.call("SHUTDOWN", "ABORT") == b"+OK\r\n"
            assert c.call("DEBUG", "PAUSE-CRON", "0") == b"+OK\r\n"
            time.sleep(0.3)
            assert c.call("PING") == b"+PONG\r\n" and proc.poll() is None
            with open(os.path.join(folder, "server.log"), "rb") as f:
                assert b"Shutdown manually aborted." in f.read()
            assert c.call("SHUTDOWN", "ABORT") == b"-ERR No shutdown in progress.\r\n"
            # Not withdrawn: the shutdown begins when the cron resumes.
            assert c.call("DEBUG", "PAUSE-CRON", "1") == b"+OK\r\n"
            proc.send_signal(signal.SIGTERM)
            time.sleep(0.3)
            assert proc.poll() is None
            c.send(b"DEBUG PAUSE-CRON 0\r\n")
            assert proc.wait(timeout=10) == 0
        finally:
            if proc.poll() is None:
                proc.kill()


def test_signals_pending_together_are_one_request_that_shutdown_abort_withdraws():
    """Redis's shutdown_asap is one flag: two SIGTERMs under DEBUG PAUSE-CRON are one
    request, which one SHUTDOWN ABORT withdraws; so does a SHUTDOWN that fails."""
    with tempfile.TemporaryDirectory(prefix="skdb-sig-") as folder:
        proc, port = _start(folder, "--save", "", "--enable-debug-command", "yes")
        try:
            _wait_for_ping(port)
            c = RespClient(HOST, port)
            assert c.call("DEBUG", "PAUSE-CRON", "1") == b"+OK\r\n"
            proc.send_signal(signal.SIGTERM)
            time.sleep(0.2)
            proc.send_signal(signal.SIGTERM)
            time.sleep(0.2)
            assert c.call("SHUTDOWN", "ABORT") == b"+OK\r\n"
            assert c.call("SHUTDOWN", "ABORT") == b"-ERR No shutdown in progress.\r\n"
            # A SHUTDOWN whose save fails cancels a signal's pending request too.
            proc.send_signal(signal.SIGTERM)
            time.sleep(0.2)
            os.mkdir(os.path.join(folder, "dump.rdb"))
            open(os.path.join(folder, "dump.rdb", "keep"), "w").close()
            assert c.call("SHUTDOWN", "SAVE").startswith(b"-ERR Errors trying to SHUTDOWN")
            assert c.call("DEBUG", "PAUSE-CRON", "0") == b"+OK\r\n"
            time.sleep(0.5)
            assert c.call("PING") == b"+PONG\r\n" and proc.poll() is None
        finally:
            if proc.poll() is None:
                proc.kill()


def test_shutdown_abort_withdraws_a_signal_held_by_a_busy_script():
    """A signal's shutdown waits for a busy script, and SHUTDOWN ABORT (allowed meanwhile)
    withdraws it: once SCRIPT KILL ends the script, the server goes on."""
    with tempfile.TemporaryDirectory(prefix="skdb-sig-") as folder:
        proc, port = _start(folder, "--save", "", "--busy-reply-threshold", "100")
        try:
            other = _busy_script(port)
            proc.send_signal(signal.SIGTERM)
            time.sleep(0.3)
            assert other.call("SHUTDOWN", "ABORT") == b"+OK\r\n"
            assert other.call("SCRIPT", "KILL") == b"+OK\r\n"
            time.sleep(0.5)
            assert other.call("PING") == b"+PONG\r\n" and proc.poll() is None
        finally:
            if proc.poll() is None:
                proc.kill()


def test_a_failed_final_save_keeps_the_server_up_unless_forced():
    with tempfile.TemporaryDirectory(prefix="skdb-sig-") as folder:
        proc, port = _start(folder, "--save", "3600 1")
        try:
            _wait_for_ping(port)
            # A folder where the snapshot should go: the save fails (even as root).
            os.mkdir(os.path.join(folder, "dump.rdb"))
            open(os.path.join(folder, "dump.rdb", "keep"), "w").close()
            c = RespClient(HOST, port)
            c.call("SET", "k", "v")
            _sigterm_and_wait(proc, port, exits=False)
            with open(os.path.join(folder, "server.log"), "rb") as f:
                assert b"Errors trying to shut down the server. Check the logs for more information." in f.read()
            assert c.call("GET", "k") == b"$1\r\nv\r\n"
            assert c.call("CONFIG", "SET", "shutdown-on-sigterm", "force") == b"+OK\r\n"
            c.close()
            _sigterm_and_wait(proc, port, exits=True)
        finally:
            if proc.poll() is None:
                proc.kill()


def test_shutdown_nosave_ends_a_signalled_server_stuck_behind_a_script():
    """SIGTERM waits for a paused script; SHUTDOWN NOSAVE, allowed meanwhile, must end the server
    at once and without the save the signal would have made."""
    with tempfile.TemporaryDirectory(prefix="skdb-sig-") as folder:
        proc, port = _start(folder, "--save", "3600 1", "--busy-reply-threshold", "100")
        try:
            _wait_for_ping(port)
            RespClient(HOST, port).call("SET", "k", "v")
            other = _busy_script(port)
            proc.send_signal(signal.SIGTERM)
            time.sleep(0.3)
            assert proc.poll() is None, "the signal waits for the script"
            try:
                other.call("SHUTDOWN", "NOSAVE")
            except OSError:
                pass
            assert proc.wait(timeout=10) == 0
            assert not os.path.exists(os.path.join(folder, "dump.rdb")), "NOSAVE: no final snapshot"
        finally:
            if proc.poll() is None:
                proc.kill()


@pytest.mark.parametrize("how", ["SHUTDOWN", "SIGTERM"])
def test_no_write_is_acknowledged_after_the_final_save(how):
    """A client writing while the server shuts down: every write it saw acknowledged
    is in the final snapshot (Redis exits right after saving; nothing runs after it)."""
    import threading

    with tempfile.TemporaryDirectory(prefix="skdb-sig-") as folder:
        proc, port = _start(folder, "--save", "3600 1")
        try:
            _wait_for_ping(port)
            acknowledged = []

            def write():
                c = RespClient(HOST, port)
                try:
                    for i in range(1, 10_000_000):
                        if c.call("SET", "counter", str(i)) != b"+OK\r\n":
                            return
                        acknowledged.append(i)
                except OSError:
                    return

            writer = threading.Thread(target=write)
            writer.start()
            while len(acknowledged) < 2000:
                time.sleep(0.01)
            if how == "SIGTERM":
                proc.send_signal(signal.SIGTERM)
            else:
                try:
                    RespClient(HOST, port).call("SHUTDOWN")
                except OSError:
                    pass
            assert proc.wait(timeout=20) == 0
            writer.join(timeout=20)
            last = acknowledged[-1]
            proc, port = _start(folder, "--save", "")
            _wait_for_ping(port)
            stored = int(RespClient(HOST, port).call("GET", "counter").split(b"\r\n")[1])
            assert stored >= last, f"write {last} was acknowledged, the snapshot holds {stored}"
        finally:
            if proc.poll() is None:
                proc.kill()


def test_an_optional_bind_address_missing_here_is_skipped():
    # The stock redis.conf binds "127.0.0.1 -::1": a host without the second address still starts.
    pair = serve_pair(["--bind", f"{HOST} -10.255.255.1"])
    ref, sut = next(pair)
    try:
        for server in (ref, sut):
            assert server.client().call("PING") == b"+PONG\r\n"
            with open(server.log_path, "rb") as f:
                assert b"Could not create server TCP listening socket 10.255.255.1:" in f.read()
    finally:
        pair.close()


def test_nothing_to_listen_on_is_refused_at_start():
    with tempfile.TemporaryDirectory(prefix="skdb-bind-") as folder:
        proc, _port = _start(folder, "--bind", "-10.255.255.1")
        assert proc.wait(timeout=20) == 1
        with open(os.path.join(folder, "server.log"), "rb") as f:
            assert b"Configured to not listen anywhere, exiting." in f.read()
