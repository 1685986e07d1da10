"""Minimal raw RESP client used by the Python test suite.

`RespClient.send()` writes bytes verbatim; `RespClient.read_reply()` returns
exactly one complete reply as the raw bytes the server sent (including the
type byte and every CRLF), so replies from two servers can be compared
byte-for-byte. Nested arrays, null bulks (`$-1`), null arrays (`*-1`) and
large bulks are handled; the RESP3 types are understood too, in case a
server answers with them.

Also here: `encode_command()` (RESP2 multibulk encoding), `split_args()`
(redis-cli / sdssplitargs-style quoting) and `parse_reply()`/`build_array()`
for the sorted comparisons of the differential harness.
"""

from __future__ import annotations

import socket
import time
from dataclasses import dataclass, field
from typing import List, Optional, Sequence, Union

DEFAULT_TIMEOUT = 5.0

# Reply types whose payload is the rest of the line.
_LINE_TYPES = frozenset(b"+-:_,#(")
# Reply types with a length-prefixed payload.
_BULK_TYPES = frozenset(b"$!=")
# Reply types that contain N nested replies (maps/attributes contain 2N).
_AGGREGATE_TYPES = frozenset(b"*~>")
_PAIR_AGGREGATE_TYPES = frozenset(b"%|")


class RespError(Exception):
    """Malformed data from the server."""


class ConnectionClosed(ConnectionError):
    """The server closed the connection before a full reply arrived."""

    def __init__(self, partial: bytes = b""):
        super().__init__(f"connection closed by server (partial reply: {partial!r})")
        self.partial = partial


class ReplyTimeout(TimeoutError):
    """No complete reply within the timeout."""

    def __init__(self, timeout: float, partial: bytes = b""):
        super().__init__(f"no complete reply within {timeout}s (partial reply: {partial!r})")
        self.partial = partial


Arg = Union[bytes, bytearray, str, int, float]


def _to_bytes(arg: Arg) -> bytes:
    if isinstance(arg, (bytes, bytearray)):
        return bytes(arg)
    if isinstance(arg, str):
        return arg.encode("utf-8")
    if isinstance(arg, bool):
        raise TypeError("bool is not a valid RESP argument")
    if isinstance(arg, (int, float)):
        return repr(arg).encode("ascii")
    raise TypeError(f"cannot encode {type(arg).__name__} as a RESP argument")


def encode_command(args: Sequence[Arg]) -> bytes:
    """Encode a command as a RESP2 multibulk request."""
    out = [b"*%d\r\n" % len(args)]
    for a in args:
        b = _to_bytes(a)
        out.append(b"$%d\r\n" % len(b))
        out.append(b)
        out.append(b"\r\n")
    return b"".join(out)


class RespClient:
    def __init__(self, host: str, port: int, timeout: float = DEFAULT_TIMEOUT, unix_path: Optional[str] = None):
        """Connects to host:port, or to the Unix socket `unix_path` when given."""
        self.host = host
        self.port = port
        self.timeout = timeout
        self._buf = bytearray()
        self._pos = 0
        if unix_path is not None:
            self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
            self.sock.settimeout(timeout)
            self.sock.connect(unix_path)
        else:
            self.sock = socket.create_connection((host, port), timeout=timeout)
            self.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

    # -- lifecycle -------------------------------------------------------
    def close(self) -> None:
        try:
            self.sock.close()
        except OSError:
            pass

    def __enter__(self) -> "RespClient":
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    # -- sending ---------------------------------------------------------
    def send(self, data: bytes) -> None:
        self.sock.sendall(data)

    def send_command(self, *args: Arg) -> None:
        self.send(encode_command(args))

    def call(self, *args: Arg) -> bytes:
        """Send one command and return its raw reply."""
        self.send_command(*args)
        return self.read_reply()

    # -- receiving -------------------------------------------------------
    def read_reply(self, timeout: Optional[float] = None) -> bytes:
        """Read exactly one complete reply and return its raw bytes."""
        deadline = time.monotonic() + (self.timeout if timeout is None else timeout)
        start = self._pos
        try:
            self._skip_reply(deadline)
        except (ConnectionClosed, ReplyTimeout):
            self._pos = start
            raise
        raw = bytes(self._buf[start:self._pos])
        # Drop consumed data.
        del self._buf[:self._pos]
        self._pos = 0
        return raw

    def wait_closed(self, timeout: float = 2.0) -> bool:
        """True if the server closes the connection within `timeout` seconds
        (any unread data is discarded)."""
        deadline = time.monotonic() + timeout
        self._buf.clear()
        self._pos = 0
        while True:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                return False
            self.sock.settimeout(remaining)
            try:
                chunk = self.sock.recv(65536)
            except socket.timeout:
                return False
            except (ConnectionResetError, BrokenPipeError):
                return True
            if not chunk:
                return True

    def pending(self) -> bytes:
        """Bytes already received but not yet consumed."""
        return bytes(self._buf[self._pos:])

    def _fill(self, deadline: float) -> None:
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            raise ReplyTimeout(self.timeout, bytes(self._buf))
        self.sock.settimeout(remaining)
        try:
            chunk = self.sock.recv(1 << 20)
        except socket.timeout:
            raise ReplyTimeout(self.timeout, bytes(self._buf)) from None
        except (ConnectionResetError, BrokenPipeError):
            raise ConnectionClosed(bytes(self._buf)) from None
        if not chunk:
            raise ConnectionClosed(bytes(self._buf))
        self._buf += chunk

    def _line_end(self, deadline: float) -> int:
        """Index just past the CRLF of the line starting at self._pos."""
        search_from = self._pos
        while True:
            i = self._buf.find(b"\r\n", search_from)
            if i >= 0:
                return i + 2
            search_from = max(self._pos, len(self._buf) - 1)
            self._fill(deadline)

    def _skip_reply(self, deadline: float) -> None:
        end = self._line_end(deadline)
        line = bytes(self._buf[self._pos:end - 2])
        self._pos = end
        if not line:
            raise RespError("empty reply line")
        t = line[0]
        if t in _LINE_TYPES:
            return
        if t in _BULK_TYPES:
            n = self._int(line)
            if n < 0:
                return  # null bulk
            need = self._pos + n + 2
            while len(self._buf) < need:
                self._fill(deadline)
            if self._buf[need - 2:need] != b"\r\n":
                raise RespError(f"bulk reply of length {n} not terminated by CRLF")
            self._pos = need
            return
        if t in _AGGREGATE_TYPES or t in _PAIR_AGGREGATE_TYPES:
            n = self._int(line)
            if n < 0:
                return  # null array
            if t in _PAIR_AGGREGATE_TYPES:
                n *= 2
            for _ in range(n):
                self._skip_reply(deadline)
            return
        raise RespError(f"unknown reply type byte {bytes([t])!r} in line {line!r}")

    @staticmethod
    def _int(line: bytes) -> int:
        try:
            return int(line[1:])
        except ValueError:
            raise RespError(f"bad length in reply line {line!r}") from None


# ---------------------------------------------------------------------------
# Reply parsing (for the sorted comparisons)
# ---------------------------------------------------------------------------


@dataclass
class Reply:
    """A parsed reply: `raw` is the complete encoding; `items` holds the raw
    encodings of the direct children of an aggregate (None otherwise)."""

    type: int
    raw: bytes
    items: Optional[List[bytes]] = field(default=None)

    @property
    def is_array(self) -> bool:
        return self.type == ord("*") and self.items is not None


def _parse_at(data: bytes, pos: int) -> int:
    """Return the end index of the reply starting at `pos`."""
    end = data.find(b"\r\n", pos)
    if end < 0:
        raise RespError("truncated reply")
    line = data[pos:end]
    pos = end + 2
    t = line[0]
    if t in _LINE_TYPES:
        return pos
    n = int(line[1:])
    if t in _BULK_TYPES:
        return pos if n < 0 else pos + n + 2
    if n < 0:
        return pos
    if t in _PAIR_AGGREGATE_TYPES:
        n *= 2
    for _ in range(n):
        pos = _parse_at(data, pos)
    return pos


def parse_reply(raw: bytes) -> Reply:
    if not raw:
        raise RespError("empty reply")
    t = raw[0]
    if t not in _AGGREGATE_TYPES and t not in _PAIR_AGGREGATE_TYPES:
        return Reply(t, raw)
    end = raw.find(b"\r\n")
    n = int(raw[1:end])
    if n < 0:
        return Reply(t, raw)
    if t in _PAIR_AGGREGATE_TYPES:
        n *= 2
    pos = end + 2
    items = []
    for _ in range(n):
        nxt = _parse_at(raw, pos)
        items.append(raw[pos:nxt])
        pos = nxt
    if pos != len(raw):
        raise RespError("trailing data after reply")
    return Reply(t, raw, items)


def build_array(items: Sequence[bytes], type_byte: bytes = b"*") -> bytes:
    return type_byte + b"%d\r\n" % len(items) + b"".join(items)


def bulk_value(raw: bytes) -> Optional[bytes]:
    """Payload of a raw bulk reply (None for a null bulk)."""
    if not raw.startswith(b"$"):
        raise RespError(f"not a bulk reply: {raw!r}")
    end = raw.find(b"\r\n")
    n = int(raw[1:end])
    if n < 0:
        return None
    return raw[end + 2:end + 2 + n]


# ---------------------------------------------------------------------------
# redis-cli style argument splitting
# ---------------------------------------------------------------------------

_ESCAPES = {"n": "\n", "r": "\r", "t": "\t", "b": "\b", "a": "\a"}
_HEX = "0123456789abcdefABCDEF"


class QuoteError(ValueError):
    pass


def split_args(line: str) -> List[bytes]:
    """Split a command line the way redis-cli does (sdssplitargs).

    - Unquoted tokens end at whitespace; backslashes are literal.
    - "double quotes": \\xHH (raw byte), \\n \\r \\t \\b \\a, and any other
      escaped character stands for itself (\\" \\\\ ...).
    - 'single quotes': only \\' is an escape; everything else is literal.
    - "" or '' is an empty argument.
    - A closing quote must be followed by whitespace or end of line.
    Text is UTF-8 encoded; \\xHH inserts a single raw byte.
    """
    args: List[bytes] = []
    i, n = 0, len(line)
    while True:
        while i < n and line[i].isspace():
            i += 1
        if i >= n:
            return args
        cur = bytearray()
        in_dq = in_sq = False
        while True:
            if in_dq:
                if i >= n:
                    raise QuoteError(f"unbalanced double quote in {line!r}")
                c = line[i]
                if (c == "\\" and i + 3 < n and line[i + 1] == "x"
                        and line[i + 2] in _HEX and line[i + 3] in _HEX):
                    cur.append(int(line[i + 2:i + 4], 16))
                    i += 4
                    continue
                if c == "\\" and i + 1 < n:
                    e = line[i + 1]
                    cur += _ESCAPES.get(e, e).encode("utf-8")
                    i += 2
                    continue
                if c == '"':
                    if i + 1 < n and not line[i + 1].isspace():
                        raise QuoteError(f"closing quote must be followed by a space in {line!r}")
                    i += 1
                    break
                cur += c.encode("utf-8")
                i += 1
            elif in_sq:
                if i >= n:
                    raise QuoteError(f"unbalanced single quote in {line!r}")
                c = line[i]
                if c == "\\" and i + 1 < n and line[i + 1] == "'":
                    cur += b"'"
                    i += 2
                    continue
                if c == "'":
                    if i + 1 < n and not line[i + 1].isspace():
                        raise QuoteError(f"closing quote must be followed by a space in {line!r}")
                    i += 1
                    break
                cur += c.encode("utf-8")
                i += 1
            else:
                if i >= n or line[i].isspace():
                    break
                c = line[i]
                if c == '"':
                    in_dq = True
                elif c == "'":
                    in_sq = True
                else:
                    cur += c.encode("utf-8")
                i += 1
        args.append(bytes(cur))
