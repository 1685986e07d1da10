"""Self-tests of the harness itself (no servers needed): the raw RESP reader,
redis-cli style argument splitting, case-line parsing and the reply
normalisation used by the sort prefixes."""

from __future__ import annotations

import socket
import threading
import time

import pytest

from resp_client import (ConnectionClosed, QuoteError, ReplyTimeout, RespClient,
                         build_array, bulk_value, encode_command, parse_reply,
                         split_args)
from test_differential import (EXACT, NOCOMPARE, SORT, SORTPAIRS, SORTSCAN, TYPE,
                               CaseFormatError, _parse_line, normalise)


# ---------------------------------------------------------------------------
# RespClient.read_reply against a scripted server
# ---------------------------------------------------------------------------


class ScriptedServer:
    """Accepts one connection and sends the given chunks (with small delays)."""

    def __init__(self, chunks, close_after=True, delay=0.01):
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(1)
        self.port = self.sock.getsockname()[1]
        self.chunks, self.close_after, self.delay = chunks, close_after, delay
        self.thread = threading.Thread(target=self._run, daemon=True)
        self.thread.start()

    def _run(self):
        conn, _ = self.sock.accept()
        for c in self.chunks:
            conn.sendall(c)
            time.sleep(self.delay)
        if self.close_after:
            conn.close()
        else:
            time.sleep(3)
            conn.close()
        self.sock.close()


def read_all(chunks, n, **kw):
    srv = ScriptedServer(chunks, **kw)
    with RespClient("127.0.0.1", srv.port, timeout=kw.get("timeout", 2)) as c:
        return [c.read_reply() for _ in range(n)]


def test_reads_simple_types():
    data = [b"+OK\r\n-ERR x\r\n:42\r\n$3\r\nabc\r\n$-1\r\n*-1\r\n$0\r\n\r\n*0\r\n"]
    assert read_all(data, 8) == [b"+OK\r\n", b"-ERR x\r\n", b":42\r\n", b"$3\r\nabc\r\n",
                                 b"$-1\r\n", b"*-1\r\n", b"$0\r\n\r\n", b"*0\r\n"]


def test_reads_nested_arrays_split_anywhere():
    reply = b"*3\r\n$1\r\na\r\n*2\r\n:1\r\n*1\r\n$-1\r\n$4\r\n\r\n\r\n\r\n"
    chunks = [reply[i:i + 1] for i in range(len(reply))]
    assert read_all(chunks, 1, delay=0.001) == [reply]


def test_reads_big_bulk():
    payload = b"x" * (3 << 20)
    reply = b"$%d\r\n" % len(payload) + payload + b"\r\n"
    chunks = [reply[i:i + 100000] for i in range(0, len(reply), 100000)]
    assert read_all(chunks + [b"+OK\r\n"], 2, delay=0) == [reply, b"+OK\r\n"]


def test_connection_closed_and_timeout():
    with pytest.raises(ConnectionClosed):
        read_all([b"$5\r\nab"], 1)
    srv = ScriptedServer([b"*2\r\n:1\r\n"], close_after=False)
    with RespClient("127.0.0.1", srv.port, timeout=0.3) as c:
        with pytest.raises(ReplyTimeout):
            c.read_reply()


def test_encode_command():
    assert encode_command([b"SET", "k", 1]) == b"*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$1\r\n1\r\n"
    assert encode_command([b""]) == b"*1\r\n$0\r\n\r\n"


# ---------------------------------------------------------------------------
# split_args
# ---------------------------------------------------------------------------


@pytest.mark.parametrize("line,expected", [
    ("SET k v", [b"SET", b"k", b"v"]),
    ("  SET   k\tv  ", [b"SET", b"k", b"v"]),
    ('SET "a b" ""', [b"SET", b"a b", b""]),
    ("SET 'a b' ''", [b"SET", b"a b", b""]),
    (r'ECHO "\x41\x00\xff"', [b"ECHO", b"A\x00\xff"]),
    (r'ECHO "\n\r\t\b\a\"\\\z"', [b"ECHO", b"\n\r\t\b\a\"\\z"]),
    (r"ECHO 'a\nb\'c'", [b"ECHO", b"a\\nb'c"]),
    (r"ECHO a\x41", [b"ECHO", b"a\\x41"]),
    ('ECHO "é☃"', [b"ECHO", "é☃".encode()]),
    ('ECHO x"y z"', [b"ECHO", b"xy z"]),
    ("", []),
])
def test_split_args(line, expected):
    assert split_args(line) == expected


@pytest.mark.parametrize("line", ['ECHO "abc', "ECHO 'abc", 'ECHO "a"b', "ECHO 'a'b"])
def test_split_args_errors(line):
    with pytest.raises(QuoteError):
        split_args(line)


# ---------------------------------------------------------------------------
# case-line parsing and normalisation
# ---------------------------------------------------------------------------


def test_parse_line_prefixes():
    assert _parse_line(1, "GET k").mode == EXACT
    assert _parse_line(1, "~ TIME").mode == NOCOMPARE
    assert _parse_line(1, "?type TIME").mode == TYPE
    assert _parse_line(1, "sort KEYS *").mode == SORT
    assert _parse_line(1, "sortscan SCAN 0").mode == SORTSCAN
    assert _parse_line(1, "sortpairs CONFIG GET *").mode == SORTPAIRS
    step = _parse_line(1, "= sort mylist")
    assert step.mode == EXACT and step.payload == encode_command([b"sort", b"mylist"])
    assert _parse_line(1, "SORT mylist").mode == EXACT
    step = _parse_line(1, "!raw b'PING\\r\\n' + b'x' * 3")
    assert step.payload == b"PING\r\nxxx" and step.nreplies == 1
    step = _parse_line(1, "!rawn 2 b'PING\\r\\nPING\\r\\n'")
    assert step.nreplies == 2
    assert _parse_line(1, "!rawslow b'PING\\r\\n'").slow
    assert _parse_line(1, "~ !raw b'TIME\\r\\n'").mode == NOCOMPARE
    assert _parse_line(1, "!sleep 0.5").seconds == 0.5
    assert _parse_line(1, "!reconnect").kind == "reconnect"
    for bad in ("!raw __import__('os')", "!raw 'str'", "!bogus", "!rawn x b''"):
        with pytest.raises(CaseFormatError):
            _parse_line(1, bad)


def test_normalise():
    arr = build_array([b"$1\r\nb\r\n", b"$1\r\na\r\n"])
    assert normalise(arr, SORT) == build_array([b"$1\r\na\r\n", b"$1\r\nb\r\n"])
    assert normalise(arr, EXACT) == arr
    assert normalise(b"-ERR x\r\n", SORT) == b"-ERR x\r\n"
    assert normalise(b"$3\r\nabc\r\n", TYPE) == b"$"
    scan = build_array([b"$1\r\n0\r\n", arr])
    assert normalise(scan, SORTSCAN) == build_array(
        [b"$1\r\n0\r\n", build_array([b"$1\r\na\r\n", b"$1\r\nb\r\n"])])
    pairs = build_array([b"$1\r\nz\r\n", b"$1\r\n1\r\n", b"$1\r\na\r\n", b"$1\r\n2\r\n"])
    assert normalise(pairs, SORTPAIRS) == build_array(
        [b"$1\r\na\r\n", b"$1\r\n2\r\n", b"$1\r\nz\r\n", b"$1\r\n1\r\n"])
    nested = b"*2\r\n*1\r\n:2\r\n*1\r\n:1\r\n"
    assert parse_reply(nested).items == [b"*1\r\n:2\r\n", b"*1\r\n:1\r\n"]
    assert normalise(nested, SORT) == b"*2\r\n*1\r\n:1\r\n*1\r\n:2\r\n"
    assert bulk_value(b"$3\r\na\r\n\r\n") == b"a\r\n"
    assert bulk_value(b"$-1\r\n") is None
