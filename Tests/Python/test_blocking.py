"""Blocking list commands seen from several connections.

Every test runs twice, against the reference redis-server and against the
server under test, and asserts the same observable behaviour on both: who is
served, in which order, with which reply bytes, and when.  The redis run shows
that the expectation is Redis's; the swiftkeydb run checks the server under
test.

Raw sockets (`RespClient`) with timeouts everywhere: a client that should not
have a reply yet is checked with a short read that must time out, and nothing
waits longer than a few seconds.
"""

from __future__ import annotations

import time
from typing import List

import pytest

from resp_client import ReplyTimeout, RespClient, encode_command

NIL_ARRAY = b"*-1\r\n"
NIL_BULK = b"$-1\r\n"
UNBLOCKED = b"-UNBLOCKED client unblocked via CLIENT UNBLOCK\r\n"
QUIET = 0.2          # how long a client must stay without a reply to count as blocked
WAIT = 3.0           # longest wait for a state change (blocked count, a reply)


# ---------------------------------------------------------------------------
# Reply helpers
# ---------------------------------------------------------------------------


def bulk(value: bytes) -> bytes:
    return b"$%d\r\n%s\r\n" % (len(value), value)


def arr(*items: bytes) -> bytes:
    return b"*%d\r\n" % len(items) + b"".join(items)


def kv(key: bytes, value: bytes) -> bytes:
    """The [key, element] reply of BLPOP / BRPOP."""
    return arr(bulk(key), bulk(value))


def integer(n: int) -> bytes:
    return b":%d\r\n" % n


def bulks(*values: bytes) -> bytes:
    return arr(*(bulk(v) for v in values))


# ---------------------------------------------------------------------------
# Fixtures
# ---------------------------------------------------------------------------


@pytest.fixture(params=["redis", "swiftkeydb"])
def server(request, redis_server, sut_server):
    """Each test runs once per server: the reference and the server under test."""
    srv = redis_server if request.param == "redis" else sut_server
    return srv.require()


class Conns:
    """Opens raw connections to one server and closes them all at the end."""

    def __init__(self, srv):
        self.srv = srv
        self.opened: List[RespClient] = []
        self.admin = self.new()

    def new(self, db: int = 0) -> RespClient:
        c = RespClient(self.srv.host, self.srv.port, timeout=WAIT)
        self.opened.append(c)
        if db:
            assert c.call("SELECT", db) == b"+OK\r\n"
        return c

    def close(self):
        for c in self.opened:
            c.close()

    # -- observations through the admin connection ------------------------
    def blocked_clients(self) -> int:
        raw = self.admin.call("INFO", "clients")
        for line in raw.split(b"\r\n"):
            if line.startswith(b"blocked_clients:"):
                return int(line.split(b":")[1])
        raise AssertionError(f"no blocked_clients in INFO clients: {raw!r}")

    def wait_blocked(self, n: int, timeout: float = WAIT) -> None:
        deadline = time.monotonic() + timeout
        while True:
            now = self.blocked_clients()
            if now == n:
                return
            if time.monotonic() > deadline:
                raise AssertionError(f"{self.srv.name}: blocked_clients is {now}, expected {n}")
            time.sleep(0.01)

    def block(self, c: RespClient, *command) -> None:
        """Sends a blocking command and waits until the server counts one more blocked client."""
        before = self.blocked_clients()
        c.send_command(*command)
        self.wait_blocked(before + 1)


@pytest.fixture
def conns(server):
    cs = Conns(server)
    # A blocked client of an earlier test may take a moment to be noticed as gone.
    cs.wait_blocked(0)
    assert cs.admin.call("FLUSHALL") == b"+OK\r\n"
    yield cs
    cs.close()


def no_reply(c: RespClient, wait: float = QUIET) -> bool:
    """True if `c` receives nothing within `wait` seconds."""
    try:
        got = c.read_reply(timeout=wait)
    except ReplyTimeout as e:
        return e.partial == b""
    raise AssertionError(f"unexpected reply {got!r}")


def client_id(c: RespClient) -> int:
    raw = c.call("CLIENT", "ID")
    assert raw.startswith(b":"), raw
    return int(raw[1:])


# ---------------------------------------------------------------------------
# Who gets served
# ---------------------------------------------------------------------------


def test_fifo_several_clients_one_key(conns):
    a, b, c = conns.new(), conns.new(), conns.new()
    for x in (a, b, c):
        conns.block(x, "BLPOP", "q", 0)
    p = conns.admin
    assert p.call("RPUSH", "q", "first") == integer(1)
    assert a.read_reply() == kv(b"q", b"first")
    assert no_reply(b, 0.1) and no_reply(c, 0.1)
    conns.wait_blocked(2)
    # The served client blocks again: it now waits behind the others.
    conns.block(a, "BLPOP", "q", 0)
    assert p.call("RPUSH", "q", "second") == integer(1)
    assert b.read_reply() == kv(b"q", b"second")
    assert p.call("RPUSH", "q", "third") == integer(1)
    assert c.read_reply() == kv(b"q", b"third")
    assert p.call("RPUSH", "q", "fourth") == integer(1)
    assert a.read_reply() == kv(b"q", b"fourth")
    conns.wait_blocked(0)
    assert p.call("EXISTS", "q") == integer(0)


def test_fifo_mixed_commands_one_key(conns):
    """BLPOP, BRPOP, BLMPOP and BLMOVE waiting on one key are served in arrival order."""
    a, b, c, d = (conns.new() for _ in range(4))
    conns.block(a, "BRPOP", "q", 0)
    conns.block(b, "BLMPOP", 0, 1, "q", "LEFT", "COUNT", 2)
    conns.block(c, "BLMOVE", "q", "dst", "LEFT", "RIGHT", 0)
    conns.block(d, "BLPOP", "q", 0)
    p = conns.admin
    assert p.call("RPUSH", "q", 1, 2, 3, 4, 5) == integer(5)
    assert a.read_reply() == kv(b"q", b"5")
    assert b.read_reply() == arr(bulk(b"q"), bulks(b"1", b"2"))
    assert c.read_reply() == bulk(b"3")
    assert d.read_reply() == kv(b"q", b"4")
    conns.wait_blocked(0)
    assert p.call("EXISTS", "q") == integer(0)
    assert p.call("LRANGE", "dst", 0, -1) == bulks(b"3")


def test_client_blocked_on_several_keys_served_by_the_pushed_key(conns):
    a = conns.new()
    conns.block(a, "BLPOP", "k1", "k2", "k3", 0)
    p = conns.admin
    assert p.call("RPUSH", "k3", "x") == integer(1)
    assert a.read_reply() == kv(b"k3", b"x")
    conns.wait_blocked(0)
    # Nothing is left waiting on the other keys.
    assert p.call("RPUSH", "k1", "y") == integer(1)
    assert p.call("LRANGE", "k1", 0, -1) == bulks(b"y")
    assert no_reply(a, 0.1)

    b = conns.new()
    conns.block(b, "BRPOP", "k2", "k9", 0)
    assert p.call("LPUSH", "k9", "z1", "z2") == integer(2)
    assert b.read_reply() == kv(b"k9", b"z1")
    assert p.call("LRANGE", "k9", 0, -1) == bulks(b"z2")


def test_several_keys_filled_in_one_transaction_serve_from_the_first_filled(conns):
    """Redis serves ready keys in the order they were filled, each waiter from the
    key being served -- not from the first non-empty key in the waiter's argument order."""
    a = conns.new()
    conns.block(a, "BLPOP", "k1", "k2", 0)
    p = conns.admin
    assert p.call("MULTI") == b"+OK\r\n"
    assert p.call("RPUSH", "k2", "from-k2") == b"+QUEUED\r\n"
    assert p.call("RPUSH", "k1", "from-k1") == b"+QUEUED\r\n"
    assert p.call("EXEC") == arr(integer(1), integer(1))
    assert a.read_reply() == kv(b"k2", b"from-k2")
    assert p.call("LRANGE", "k1", 0, -1) == bulks(b"from-k1")
    assert p.call("EXISTS", "k2") == integer(0)


def test_blmpop_several_keys_filled_in_one_transaction(conns):
    a = conns.new()
    conns.block(a, "BLMPOP", 0, 2, "k1", "k2", "RIGHT", "COUNT", 5)
    p = conns.admin
    assert p.call("MULTI") == b"+OK\r\n"
    p.call("RPUSH", "k2", "a", "b")
    p.call("RPUSH", "k1", "c")
    assert p.call("EXEC") == arr(integer(2), integer(1))
    assert a.read_reply() == arr(bulk(b"k2"), bulks(b"b", b"a"))
    assert p.call("LRANGE", "k1", 0, -1) == bulks(b"c")


def test_lpush_of_three_serves_three_clients(conns):
    a, b, c = conns.new(), conns.new(), conns.new()
    for x in (a, b, c):
        conns.block(x, "BLPOP", "q", 0)
    p = conns.admin
    # The push's reply counts the elements before anyone is served.
    assert p.call("LPUSH", "q", "1", "2", "3") == integer(3)
    assert a.read_reply() == kv(b"q", b"3")
    assert b.read_reply() == kv(b"q", b"2")
    assert c.read_reply() == kv(b"q", b"1")
    conns.wait_blocked(0)
    assert p.call("EXISTS", "q") == integer(0)

    # More elements than waiters: the rest stays in the list.
    for x in (a, b):
        conns.block(x, "BRPOP", "q", 0)
    assert p.call("RPUSH", "q", "x", "y", "z") == integer(3)
    assert a.read_reply() == kv(b"q", b"z")
    assert b.read_reply() == kv(b"q", b"y")
    assert p.call("LRANGE", "q", 0, -1) == bulks(b"x")


def test_push_inside_multi_serves_after_exec(conns):
    a = conns.new()
    conns.block(a, "BLPOP", "q", 0)
    p = conns.admin
    assert p.call("MULTI") == b"+OK\r\n"
    assert p.call("RPUSH", "q", "v") == b"+QUEUED\r\n"
    assert p.call("LLEN", "q") == b"+QUEUED\r\n"
    assert no_reply(a, 0.1)
    # Inside EXEC the element is still there; the waiter is served after EXEC.
    assert p.call("EXEC") == arr(integer(1), integer(1))
    assert a.read_reply() == kv(b"q", b"v")
    assert p.call("EXISTS", "q") == integer(0)
    conns.wait_blocked(0)


def test_push_and_pop_inside_multi_leave_the_waiter_blocked(conns):
    a = conns.new()
    conns.block(a, "BLPOP", "q", 0)
    p = conns.admin
    p.call("MULTI")
    p.call("RPUSH", "q", "v")
    p.call("LPOP", "q")
    assert p.call("EXEC") == arr(integer(1), bulk(b"v"))
    assert no_reply(a)
    assert conns.blocked_clients() == 1
    p.call("MULTI")
    p.call("RPUSH", "q", "a")
    p.call("DEL", "q")
    p.call("RPUSH", "q", "b")
    assert p.call("EXEC") == arr(integer(1), integer(1), integer(1))
    assert a.read_reply() == kv(b"q", b"b")


def test_key_of_another_type_keeps_the_waiter_blocked(conns):
    a = conns.new()
    conns.block(a, "BLPOP", "k", 0)
    p = conns.admin
    assert p.call("SET", "k", "str") == b"+OK\r\n"
    assert no_reply(a)
    assert conns.blocked_clients() == 1
    assert p.call("DEL", "k") == integer(1)
    assert p.call("RPUSH", "k", "v") == integer(1)
    assert a.read_reply() == kv(b"k", b"v")


def test_push_in_another_database_does_not_serve(conns):
    a = conns.new()
    conns.block(a, "BLPOP", "q", 0)
    other = conns.new(db=1)
    assert other.call("RPUSH", "q", "elsewhere") == integer(1)
    assert no_reply(a)
    assert other.call("LLEN", "q") == integer(1)
    assert conns.admin.call("RPUSH", "q", "here") == integer(1)
    assert a.read_reply() == kv(b"q", b"here")


# ---------------------------------------------------------------------------
# Moves into a waited key
# ---------------------------------------------------------------------------


def test_lmove_and_rpoplpush_into_a_waited_key_wake_the_waiter(conns):
    a = conns.new()
    p = conns.admin
    p.call("RPUSH", "src", "1", "2", "3")
    conns.block(a, "BLPOP", "dst", 0)
    assert p.call("LMOVE", "src", "dst", "LEFT", "RIGHT") == bulk(b"1")
    assert a.read_reply() == kv(b"dst", b"1")
    conns.block(a, "BRPOP", "dst", 0)
    assert p.call("RPOPLPUSH", "src", "dst") == bulk(b"3")
    assert a.read_reply() == kv(b"dst", b"3")
    assert p.call("EXISTS", "dst") == integer(0)
    assert p.call("LRANGE", "src", 0, -1) == bulks(b"2")


def test_blmove_chain(conns):
    a, b, c = conns.new(), conns.new(), conns.new()
    conns.block(a, "BLMOVE", "l1", "l2", "LEFT", "RIGHT", 0)
    conns.block(b, "BRPOPLPUSH", "l2", "l3", 0)
    conns.block(c, "BLPOP", "l3", 0)
    p = conns.admin
    assert p.call("RPUSH", "l1", "job") == integer(1)
    assert a.read_reply() == bulk(b"job")
    assert b.read_reply() == bulk(b"job")
    assert c.read_reply() == kv(b"l3", b"job")
    conns.wait_blocked(0)
    assert p.call("EXISTS", "l1", "l2", "l3") == integer(0)


def test_blmove_rotation_and_blocked_source_equal_destination(conns):
    a = conns.new()
    conns.block(a, "BLMOVE", "r", "r", "RIGHT", "LEFT", 0)
    p = conns.admin
    assert p.call("RPUSH", "r", "x") == integer(1)
    assert a.read_reply() == bulk(b"x")
    assert p.call("LRANGE", "r", 0, -1) == bulks(b"x")
    conns.wait_blocked(0)


def test_served_blmove_with_destination_of_another_type_gets_wrongtype(conns):
    a = conns.new()
    conns.block(a, "BLMOVE", "src", "dst", "LEFT", "RIGHT", 0)
    p = conns.admin
    p.call("MULTI")
    p.call("SET", "dst", "string")
    p.call("RPUSH", "src", "v")
    p.call("EXEC")
    assert a.read_reply().startswith(b"-WRONGTYPE ")
    conns.wait_blocked(0)
    # The element stayed in the source.
    assert p.call("LRANGE", "src", 0, -1) == bulks(b"v")


def test_rename_of_a_list_onto_a_waited_key(conns):
    a = conns.new()
    p = conns.admin
    p.call("RPUSH", "src", "a", "b")
    conns.block(a, "BLPOP", "dst", 0)
    assert p.call("RENAME", "src", "dst") == b"+OK\r\n"
    assert a.read_reply() == kv(b"dst", b"a")
    assert p.call("LRANGE", "dst", 0, -1) == bulks(b"b")

    # RENAMENX, and RENAME over a key of another type the waiter sat on.
    conns.block(a, "BRPOP", "w", 0)
    p.call("SET", "w", "string")
    assert no_reply(a, 0.1)
    p.call("RPUSH", "src2", "c")
    assert p.call("RENAME", "src2", "w") == b"+OK\r\n"
    assert a.read_reply() == kv(b"w", b"c")
    conns.block(a, "BLPOP", "n", 0)
    p.call("RPUSH", "src3", "d")
    assert p.call("RENAMENX", "src3", "n") == integer(1)
    assert a.read_reply() == kv(b"n", b"d")
    conns.wait_blocked(0)


def test_move_and_copy_into_a_waited_key(conns):
    a = conns.new()
    conns.block(a, "BLPOP", "k", 0)
    other = conns.new(db=1)
    other.call("RPUSH", "k", "moved")
    assert other.call("MOVE", "k", 0) == integer(1)
    assert a.read_reply() == kv(b"k", b"moved")
    conns.block(a, "BLPOP", "k", 0)
    p = conns.admin
    p.call("RPUSH", "orig", "copied")
    assert p.call("COPY", "orig", "k") == integer(1)
    assert a.read_reply() == kv(b"k", b"copied")
    assert p.call("LRANGE", "orig", 0, -1) == bulks(b"copied")


def test_swapdb_wakes_a_waiter_whose_key_appears(conns):
    a = conns.new(db=9)
    conns.block(a, "BRPOP", "k", 5)
    p = conns.admin
    assert p.call("SELECT", 1) == b"+OK\r\n"
    assert p.call("RPUSH", "k", "hello") == integer(1)
    assert p.call("SWAPDB", 1, 9) == b"+OK\r\n"
    assert a.read_reply() == kv(b"k", b"hello")
    conns.wait_blocked(0)
    assert p.call("EXISTS", "k") == integer(0)
    assert a.call("EXISTS", "k") == integer(0)


# ---------------------------------------------------------------------------
# Leaving the wait: disconnect, CLIENT UNBLOCK, timeouts
# ---------------------------------------------------------------------------


def test_disconnected_waiter_leaves_no_trace(conns):
    a, b = conns.new(), conns.new()
    conns.block(a, "BLPOP", "q", 0)
    conns.block(b, "BLPOP", "q", 0)
    a.close()
    conns.wait_blocked(1)
    p = conns.admin
    assert p.call("RPUSH", "q", "v") == integer(1)
    assert b.read_reply() == kv(b"q", b"v")
    conns.wait_blocked(0)
    assert p.call("EXISTS", "q") == integer(0)
    b.close()
    # A push with nobody waiting stays in the list.
    assert p.call("RPUSH", "q", "w") == integer(1)
    assert p.call("LRANGE", "q", 0, -1) == bulks(b"w")


def test_disconnected_waiter_on_several_keys(conns):
    a = conns.new()
    conns.block(a, "BLMOVE", "s", "d", "LEFT", "LEFT", 0)
    b = conns.new()
    conns.block(b, "BLPOP", "x", "s", "y", 0)
    a.close()
    conns.wait_blocked(1)
    assert conns.admin.call("RPUSH", "s", "1") == integer(1)
    assert b.read_reply() == kv(b"s", b"1")
    assert conns.admin.call("EXISTS", "d") == integer(0)


def test_client_unblock_timeout_and_error(conns):
    a = conns.new()
    ida = client_id(a)
    p = conns.admin
    assert p.call("CLIENT", "UNBLOCK", ida) == integer(0)  # not blocked
    conns.block(a, "BLPOP", "q", 0)
    assert p.call("CLIENT", "UNBLOCK", ida, "TIMEOUT") == integer(1)
    assert a.read_reply() == NIL_ARRAY
    conns.wait_blocked(0)
    assert p.call("CLIENT", "UNBLOCK", ida) == integer(0)

    conns.block(a, "BRPOP", "q", "q2", 0)
    assert p.call("CLIENT", "UNBLOCK", ida, "ERROR") == integer(1)
    assert a.read_reply() == UNBLOCKED
    conns.wait_blocked(0)

    conns.block(a, "BLPOP", "q", 100)
    assert p.call("CLIENT", "UNBLOCK", ida) == integer(1)  # TIMEOUT is the default
    assert a.read_reply() == NIL_ARRAY
    # The connection works normally afterwards and later pushes stay in the list.
    assert a.call("PING") == b"+PONG\r\n"
    assert p.call("RPUSH", "q", "v") == integer(1)
    assert p.call("LLEN", "q") == integer(1)
    assert no_reply(a, 0.1)


def test_client_unblock_of_moves_and_mpop(conns):
    """A blocked BLMOVE / BRPOPLPUSH / BLMPOP unblocked with TIMEOUT gets the
    same reply as a timeout: `*-1` (Redis replies a null array for every list
    block, moves included)."""
    a = conns.new()
    ida = client_id(a)
    p = conns.admin
    for command in (("BLMPOP", 0, 1, "q", "LEFT"),
                    ("BLMOVE", "q", "d", "LEFT", "RIGHT", 0),
                    ("BRPOPLPUSH", "q", "d", 0)):
        conns.block(a, *command)
        assert p.call("CLIENT", "UNBLOCK", ida, "TIMEOUT") == integer(1)
        assert a.read_reply() == NIL_ARRAY, command
        conns.block(a, *command)
        assert p.call("CLIENT", "UNBLOCK", ida, "ERROR") == integer(1)
        assert a.read_reply() == UNBLOCKED, command
    conns.wait_blocked(0)


def test_timed_out_blmove_replies_null_array(conns):
    a = conns.new()
    assert a.call("BLMOVE", "q", "d", "LEFT", "RIGHT", 0.05) == NIL_ARRAY
    assert a.call("BRPOPLPUSH", "q", "d", 0.05) == NIL_ARRAY
    assert conns.admin.call("EXISTS", "q", "d") == integer(0)


@pytest.mark.parametrize("command", [
    ("BLPOP", "q", 0.2),
    ("BRPOP", "q", "q2", "0.2"),
    ("BLMPOP", "0.2", 2, "q", "q2", "RIGHT", "COUNT", 3),
])
def test_fractional_timeout(conns, command):
    a = conns.new()
    start = time.monotonic()
    a.send_command(*command)
    reply = a.read_reply(timeout=5)
    elapsed = time.monotonic() - start
    assert reply == NIL_ARRAY
    assert 0.15 <= elapsed <= 2.0, f"timed out after {elapsed:.3f}s"
    conns.wait_blocked(0)
    assert a.call("PING") == b"+PONG\r\n"


def test_timeout_then_push_goes_to_the_remaining_waiter(conns):
    a, b = conns.new(), conns.new()
    # 1 s: b must be blocked too before a times out, even on a loaded machine.
    conns.block(a, "BLPOP", "q", 1)
    conns.block(b, "BLPOP", "q", 0)
    assert a.read_reply(timeout=3) == NIL_ARRAY
    conns.wait_blocked(1)
    assert conns.admin.call("RPUSH", "q", "v") == integer(1)
    assert b.read_reply() == kv(b"q", b"v")


def test_served_before_timeout_gets_no_second_reply(conns):
    a = conns.new()
    # 1.5 s: the push must come before the timeout, even on a loaded machine.
    conns.block(a, "BLPOP", "q", 1.5)
    assert conns.admin.call("RPUSH", "q", "v") == integer(1)
    assert a.read_reply() == kv(b"q", b"v")
    time.sleep(1.7)
    assert a.call("PING") == b"+PONG\r\n"


# ---------------------------------------------------------------------------
# Pipelining behind a blocked command
# ---------------------------------------------------------------------------


def test_pipelined_commands_wait_for_the_blocked_one(conns):
    a = conns.new()
    p = conns.admin
    before = conns.blocked_clients()
    a.send(encode_command(["BLPOP", "q", "0"]) + encode_command(["RPUSH", "other", "x"])
           + encode_command(["LLEN", "other"]) + encode_command(["PING"]))
    conns.wait_blocked(before + 1)
    assert no_reply(a)
    # The RPUSH behind the BLPOP has not run.
    assert p.call("EXISTS", "other") == integer(0)
    assert p.call("RPUSH", "q", "v") == integer(1)
    assert a.read_reply() == kv(b"q", b"v")
    assert a.read_reply() == integer(1)
    assert a.read_reply() == integer(1)
    assert a.read_reply() == b"+PONG\r\n"
    assert p.call("LRANGE", "other", 0, -1) == bulks(b"x")


def test_pipelined_blocking_commands_block_one_after_another(conns):
    a = conns.new()
    p = conns.admin
    a.send(encode_command(["BLPOP", "q", "0"]) + encode_command(["BRPOP", "q", "0"])
           + b"PING\r\n")
    conns.wait_blocked(1)
    assert p.call("RPUSH", "q", "1", "2") == integer(2)
    assert a.read_reply() == kv(b"q", b"1")
    assert a.read_reply() == kv(b"q", b"2")
    assert a.read_reply() == b"+PONG\r\n"
    conns.wait_blocked(0)
    # Again, with the second one waiting for a second push.
    a.send(encode_command(["BLPOP", "q", "0"]) + encode_command(["BLPOP", "q", "0"])
           + encode_command(["ECHO", "done"]))
    conns.wait_blocked(1)
    assert p.call("RPUSH", "q", "x") == integer(1)
    assert a.read_reply() == kv(b"q", b"x")
    conns.wait_blocked(1)
    assert no_reply(a, 0.1)
    assert p.call("RPUSH", "q", "y") == integer(1)
    assert a.read_reply() == kv(b"q", b"y")
    assert a.read_reply() == bulk(b"done")


def test_pipelined_push_after_own_blocking_pop_does_not_serve_itself(conns):
    """A client blocked by BLPOP does not run the RPUSH it pipelined behind it."""
    a = conns.new()
    a.send(encode_command(["BLPOP", "q", "0.3"]) + encode_command(["RPUSH", "q", "mine"]))
    assert a.read_reply(timeout=3) == NIL_ARRAY
    assert a.read_reply() == integer(1)
    assert conns.admin.call("LRANGE", "q", 0, -1) == bulks(b"mine")


# ---------------------------------------------------------------------------
# Not blocking
# ---------------------------------------------------------------------------


def test_blocking_commands_inside_multi_do_not_block(conns):
    a = conns.new()
    a.call("MULTI")
    a.call("BLPOP", "q", 0)
    a.call("BLMOVE", "q", "d", "LEFT", "RIGHT", 0)
    a.call("BLMPOP", 0, 1, "q", "LEFT")
    start = time.monotonic()
    assert a.call("EXEC") == arr(NIL_ARRAY, NIL_BULK, NIL_ARRAY)
    assert time.monotonic() - start < 1.0
    assert conns.blocked_clients() == 0


def test_info_blocked_clients_counts_waiters(conns):
    clients = [conns.new() for _ in range(3)]
    conns.block(clients[0], "BLPOP", "a", 0)
    conns.block(clients[1], "BLPOP", "a", "b", 0)
    conns.block(clients[2], "BLMOVE", "b", "c", "LEFT", "LEFT", 0)
    assert conns.blocked_clients() == 3
    assert conns.admin.call("RPUSH", "b", "v") == integer(1)
    assert clients[1].read_reply() == kv(b"b", b"v")
    assert conns.blocked_clients() == 2
    assert conns.admin.call("RPUSH", "a", "1", "2") == integer(2)
    assert clients[0].read_reply() == kv(b"a", b"1")
    conns.wait_blocked(1)
    assert conns.admin.call("LRANGE", "a", 0, -1) == bulks(b"2")


def test_same_key_twice_blocks_once_and_serves_once(conns):
    a, b = conns.new(), conns.new()
    conns.block(a, "BLPOP", "q", "q", 0)
    conns.block(b, "BLPOP", "q", 0)
    assert conns.blocked_clients() == 2
    assert conns.admin.call("RPUSH", "q", "1", "2") == integer(2)
    assert a.read_reply() == kv(b"q", b"1")
    assert b.read_reply() == kv(b"q", b"2")
    conns.wait_blocked(0)
    assert no_reply(a, 0.1)


def test_many_waiters_are_served_in_arrival_order(conns):
    waiters = [conns.new() for _ in range(20)]
    for w in waiters:
        conns.block(w, "BRPOP", "q", 0)
    p = conns.admin
    for i in range(20):
        assert p.call("LPUSH", "q", f"job{i}") == integer(1)
    for i, w in enumerate(waiters):
        assert w.read_reply() == kv(b"q", f"job{i}".encode())
    conns.wait_blocked(0)


def test_client_unblock_resumes_the_pipeline(conns):
    a = conns.new()
    ida = client_id(a)
    a.send(encode_command(["BLPOP", "q", "0"]) + encode_command(["RPUSH", "q", "after"])
           + encode_command(["PING"]))
    conns.wait_blocked(1)
    assert no_reply(a, 0.1)
    assert conns.admin.call("CLIENT", "UNBLOCK", ida) == integer(1)
    assert a.read_reply() == NIL_ARRAY
    assert a.read_reply() == integer(1)
    assert a.read_reply() == b"+PONG\r\n"
    assert conns.admin.call("LRANGE", "q", 0, -1) == bulks(b"after")


def test_client_list_shows_a_blocked_client(conns):
    a = conns.new()
    ida = client_id(a)
    conns.block(a, "BLPOP", "q", 0)
    line = conns.admin.call("CLIENT", "LIST", "ID", ida)
    assert b" flags=b " in line, line
    assert b" cmd=blpop " in line, line
    assert conns.admin.call("CLIENT", "UNBLOCK", ida) == integer(1)
    assert a.read_reply() == NIL_ARRAY
    line = conns.admin.call("CLIENT", "LIST", "ID", ida)
    assert b" flags=N " in line, line


def test_huge_timeout_blocks(conns):
    """9.2e15 seconds is a valid (if absurd) timeout for Redis: it blocks rather
    than answering `timeout is negative`."""
    a = conns.new()
    ida = client_id(a)
    a.send_command("BLPOP", "q", "9200000000000000")
    try:
        early = a.read_reply(timeout=QUIET)
    except ReplyTimeout:
        early = None
    assert early is None, f"replied at once: {early!r}"
    assert conns.blocked_clients() == 1
    assert conns.admin.call("CLIENT", "UNBLOCK", ida) == integer(1)
    assert a.read_reply() == NIL_ARRAY


def test_wait_without_replicas(conns):
    """WAIT counts the replicas that acknowledged the connection's writes: with
    none, it answers 0 at once when asked for none (or inside MULTI), and
    otherwise blocks until its timeout or CLIENT UNBLOCK, counted as blocked."""
    a = conns.new()
    ida = client_id(a)
    assert a.call("SET", "k", "v") == b"+OK\r\n"
    assert a.call("WAIT", 0, 0) == integer(0)
    assert a.call("WAIT", -3, 0) == integer(0)
    start = time.monotonic()
    assert a.call("WAIT", 1, 150) == integer(0)
    assert 0.12 <= time.monotonic() - start <= 2.0
    conns.wait_blocked(0)

    conns.block(a, "WAIT", 2, 0)
    line = conns.admin.call("CLIENT", "LIST", "ID", ida)
    assert b" flags=b " in line and b" cmd=wait " in line, line
    assert no_reply(a, 0.1)
    assert conns.admin.call("CLIENT", "UNBLOCK", ida) == integer(1)
    assert a.read_reply() == integer(0)
    conns.block(a, "WAIT", 1, 0)
    assert conns.admin.call("CLIENT", "UNBLOCK", ida, "ERROR") == integer(1)
    assert a.read_reply() == UNBLOCKED
    conns.wait_blocked(0)

    a.call("MULTI")
    a.call("WAIT", 1, 0)
    assert a.call("EXEC") == arr(integer(0))
    assert a.call("EVAL", "return redis.call('wait', 1, 0)", 0).startswith(b"-ERR This Redis command is not allowed from script")


def test_pipelined_large_replies_arrive_whole(sut_server):
    """20 pipelined GETs of a 10 MB value (200 MB of replies) arrive complete and in order:
    the server hands them over in chunks instead of one buffer growing toward its 4 GiB limit."""
    import socket
    sock = socket.create_connection(("127.0.0.1", sut_server.require().port), timeout=30)
    try:
        value = b"x" * (10 * 1024 * 1024)
        sock.sendall(b"*3\r\n$3\r\nSET\r\n$3\r\nbig\r\n$%d\r\n%s\r\n" % (len(value), value))
        reply = b""
        while not reply.endswith(b"+OK\r\n"):
            chunk = sock.recv(64)
            assert chunk, "connection closed"
            reply += chunk
        sock.sendall(b"*2\r\n$3\r\nGET\r\n$3\r\nbig\r\n" * 20 + b"PING\r\n")
        expected = 20 * (len(b"$10485760\r\n") + len(value) + 2) + len(b"+PONG\r\n")
        received, tail = 0, b""
        while received < expected:
            chunk = sock.recv(1 << 20)
            assert chunk, "connection closed after %d of %d bytes" % (received, expected)
            received += len(chunk)
            tail = (tail + chunk)[-16:]
        assert received == expected and tail.endswith(b"+PONG\r\n")
    finally:
        sock.close()
