"""Drive the server under test through redis-py with its parsers: hiredis
(`_HiredisParser`) and the pure-Python `_RESP2Parser` on RESP2 connections,
and both again on RESP3 (`HELLO 3`, redis-py 8's default protocol).

These tests talk to SwiftKeyDB only and assert the Python values redis-py
returns.  Every test starts with FLUSHALL.
"""

from __future__ import annotations

import datetime
import threading
import time

import pytest
import redis
from redis.connection import _HiredisParser, _RESP2Parser, _RESP3Parser
from redis.exceptions import ResponseError
from redis.utils import HIREDIS_AVAILABLE

FAR_FUTURE = 4102444800  # 2100-01-01T00:00:00Z

# name: (parser class, protocol)
PARSERS = {
    "hiredis": (_HiredisParser, 2),
    "python": (_RESP2Parser, 2),
    "hiredis-resp3": (_HiredisParser, 3),
    "python-resp3": (_RESP3Parser, 3),
}


def make_client(server, parser: str, db: int = 0, decode_responses: bool = True,
                **kwargs) -> redis.Redis:
    parser_class, protocol = PARSERS[parser]
    pool = redis.ConnectionPool(
        host=server.host, port=server.port, db=db, protocol=protocol,
        parser_class=parser_class, decode_responses=decode_responses,
        socket_timeout=5, socket_connect_timeout=5, **kwargs)
    return redis.Redis(connection_pool=pool)


@pytest.fixture(params=list(PARSERS))
def parser(request):
    if request.param.startswith("hiredis") and not HIREDIS_AVAILABLE:
        pytest.fail("hiredis is not installed (pip install -r Tests/Python/requirements.txt)")
    return request.param


@pytest.fixture
def client_factory(sut_server, parser):
    """make(db=0, decode_responses=True, **kw) -> redis.Redis on the SUT."""
    sut_server.require()
    made = []

    def make(**kwargs) -> redis.Redis:
        c = make_client(sut_server, parser, **kwargs)
        made.append(c)
        return c

    yield make
    for c in made:
        c.close()


@pytest.fixture
def r(client_factory) -> redis.Redis:
    c = client_factory()
    c.flushall()
    return c


@pytest.fixture
def rb(client_factory) -> redis.Redis:
    """Client without response decoding (bytes in, bytes out)."""
    c = client_factory(decode_responses=False)
    c.flushall()
    return c


def wrongtype(exc: pytest.ExceptionInfo) -> bool:
    return str(exc.value).startswith("WRONGTYPE")


# ---------------------------------------------------------------------------
# connection
# ---------------------------------------------------------------------------


def test_parser_in_use(r, parser):
    conn = r.connection_pool.get_connection()
    try:
        parser_class, protocol = PARSERS[parser]
        assert isinstance(conn._parser, parser_class)
        assert conn.protocol in (protocol, str(protocol))
        # The handshake's HELLO reply: RESP3's map arrives as a dict.
        if protocol == 3:
            conn.send_command("HELLO", 3)
            hello = conn.read_response()
            assert hello["proto"] == 3 and hello["server"] == "redis"
    finally:
        r.connection_pool.release(conn)


def test_ping_echo(r, rb):
    assert r.ping() is True
    assert r.echo("hello") == "hello"
    assert r.echo("") == ""
    assert r.echo("héllo ☃") == "héllo ☃"
    assert rb.echo(b"\x00\xff\r\n") == b"\x00\xff\r\n"
    # (redis-py maps any PING reply to a bool, so PING <msg> is checked
    # by the differential tests instead.)
    with pytest.raises(ResponseError, match="wrong number of arguments for 'ping' command"):
        r.execute_command("PING", "a", "b")


def test_unknown_command_and_subcommand(r):
    with pytest.raises(ResponseError, match="^unknown command 'FOOBAR'"):
        r.execute_command("FOOBAR", "x")
    with pytest.raises(ResponseError, match="^unknown subcommand 'FOO'. Try CLIENT HELP."):
        r.execute_command("CLIENT", "FOO")
    with pytest.raises(ResponseError, match="^unknown subcommand 'FOO'. Try CONFIG HELP."):
        r.execute_command("CONFIG", "FOO")
    # The connection is still usable afterwards.
    assert r.ping() is True


def test_hello_not_in_redis_py(r, parser):
    # redis-py deliberately raises NotImplementedError for hello(); use the
    # raw command instead, with the protocol the connection already speaks.
    with pytest.raises(NotImplementedError):
        r.hello()
    protocol = PARSERS[parser][1]
    reply = r.execute_command("HELLO", str(protocol))
    # RESP3's map arrives as a dict, RESP2's flat array as a list.
    as_dict = reply if protocol == 3 else dict(zip(reply[::2], reply[1::2]))
    assert as_dict["proto"] == protocol
    assert isinstance(as_dict["id"], int)
    assert "server" in as_dict and "version" in as_dict
    with pytest.raises(ResponseError, match="^NOPROTO unsupported protocol version"):
        r.execute_command("HELLO", "4")


def test_auth_without_password(r):
    # redis-py maps this error to AuthenticationError (a ConnectionError).
    with pytest.raises(redis.AuthenticationError,
                       match="^AUTH <password> called without any password configured"):
        r.execute_command("AUTH", "secret")
    assert r.ping() is True


def test_select_via_db_argument(client_factory, r):
    r.set("k", "db0")
    r3 = client_factory(db=3)
    assert r3.get("k") is None
    r3.set("k", "db3")
    assert r3.get("k") == "db3"
    assert r.get("k") == "db0"
    assert r3.dbsize() == 1
    with pytest.raises(ResponseError, match="DB index is out of range"):
        r.execute_command("SELECT", 16)
    with pytest.raises(ResponseError, match="value is not an integer or out of range"):
        r.execute_command("SELECT", "abc")


def test_select_out_of_range_db_argument(client_factory):
    bad = client_factory(db=99)
    with pytest.raises((redis.ConnectionError, ResponseError)):
        bad.ping()


def test_swapdb(client_factory, r):
    r1 = client_factory(db=1)
    r.set("a", "zero")
    r1.set("a", "one")
    r1.set("b", "only-one")
    assert r.swapdb(0, 1) is True
    assert r.get("a") == "one"
    assert r.get("b") == "only-one"
    assert r1.get("a") == "zero"
    assert r1.get("b") is None
    with pytest.raises(ResponseError, match="DB index is out of range"):
        r.swapdb(0, 16)
    with pytest.raises(ResponseError, match="invalid first DB index"):
        r.execute_command("SWAPDB", "x", 0)


def test_client_name_id_list_info(r, client_factory):
    assert r.client_getname() is None
    assert r.client_setname("tester") is True
    assert r.client_getname() == "tester"
    with pytest.raises(ResponseError, match="Client names cannot contain spaces"):
        r.client_setname("bad name")
    assert r.client_getname() == "tester"
    cid = r.client_id()
    assert isinstance(cid, int) and cid > 0
    info = r.client_info()
    assert int(info["id"]) == cid
    assert info["name"] == "tester"
    clients = r.client_list()
    assert isinstance(clients, list) and clients
    mine = [c for c in clients if int(c["id"]) == cid]
    assert len(mine) == 1 and mine[0]["name"] == "tester"
    other = client_factory()
    other_id = other.client_id()
    assert other_id != cid
    assert other_id in {int(c["id"]) for c in r.client_list()}


def test_client_name_on_connect(client_factory):
    c = client_factory(client_name="named-on-connect")
    assert c.client_getname() == "named-on-connect"


# ---------------------------------------------------------------------------
# strings
# ---------------------------------------------------------------------------


def test_set_get_basic(r, rb):
    assert r.get("missing") is None
    assert r.set("k", "v") is True
    assert r.get("k") == "v"
    assert r.set("k", "") is True
    assert r.get("k") == ""
    assert r.set("uni", "ünïcødé ☃ 日本") is True
    assert r.get("uni") == "ünïcødé ☃ 日本"
    assert r.strlen("uni") == len("ünïcødé ☃ 日本".encode())
    blob = bytes(range(256)) * 4
    assert rb.set(b"bin\x00key", blob) is True
    assert rb.get(b"bin\x00key") == blob
    assert r.set("n", 42) is True
    assert r.get("n") == "42"
    assert r.set("f", 1.5) is True
    assert r.get("f") == "1.5"


def test_set_options(r):
    assert r.set("k", "v1", nx=True) is True
    assert r.set("k", "v2", nx=True) is None
    assert r.get("k") == "v1"
    assert r.set("k", "v3", xx=True) is True
    assert r.set("missing", "v", xx=True) is None
    assert r.exists("missing") == 0
    assert r.set("k", "v4", get=True) == "v3"
    assert r.set("new", "v", get=True) is None
    assert r.set("k", "v5", ex=100) is True
    assert r.ttl("k") == 100
    assert r.set("k", "v6", px=200000) is True
    assert r.ttl("k") == 200
    assert r.set("k", "v7", ex=datetime.timedelta(seconds=50)) is True
    assert r.ttl("k") == 50
    assert r.set("k", "v8", keepttl=True) is True
    assert r.ttl("k") == 50
    assert r.get("k") == "v8"
    assert r.set("k", "v9") is True
    assert r.ttl("k") == -1
    assert r.set("k", "v", exat=FAR_FUTURE) is True
    assert r.expiretime("k") == FAR_FUTURE
    assert r.set("k", "v", pxat=FAR_FUTURE * 1000 + 123) is True
    assert r.pexpiretime("k") == FAR_FUTURE * 1000 + 123
    when = datetime.datetime(2100, 1, 1, tzinfo=datetime.timezone.utc)
    assert r.set("k", "v", exat=when) is True
    assert r.expiretime("k") == FAR_FUTURE
    assert r.set("k", "old", nx=False, xx=True, get=True, ex=10) == "v"
    assert r.ttl("k") == 10
    assert r.set("gone", "v", px=1) is True
    time.sleep(0.05)
    assert r.get("gone") is None


def test_set_errors(r):
    with pytest.raises(ResponseError, match="invalid expire time in 'set' command"):
        r.set("k", "v", ex=0)
    with pytest.raises(ResponseError, match="invalid expire time in 'set' command"):
        r.execute_command("SET", "k", "v", "EX", -1)
    with pytest.raises(ResponseError, match="invalid expire time in 'set' command"):
        r.execute_command("SET", "k", "v", "EX", 9999999999999999)
    with pytest.raises(ResponseError, match="value is not an integer or out of range"):
        r.execute_command("SET", "k", "v", "EX", "abc")
    with pytest.raises(ResponseError, match="syntax error"):
        r.execute_command("SET", "k", "v", "NX", "XX")
    with pytest.raises(ResponseError, match="syntax error"):
        r.execute_command("SET", "k", "v", "EX", 10, "PX", 100)
    with pytest.raises(ResponseError, match="syntax error"):
        r.execute_command("SET", "k", "v", "KEEPTTL", "EX", 10)
    with pytest.raises(ResponseError, match="wrong number of arguments for 'set' command"):
        r.execute_command("SET", "k")
    assert r.exists("k") == 0


def test_wrongtype(r):
    r.lpush("list", "x")
    r.hset("hash", "f", "v")
    for call in (lambda: r.get("list"), lambda: r.append("list", "x"),
                 lambda: r.incr("list"), lambda: r.strlen("hash"),
                 lambda: r.getrange("hash", 0, -1), lambda: r.setrange("list", 0, "x"),
                 lambda: r.getdel("list"), lambda: r.getex("hash", ex=10),
                 lambda: r.incrbyfloat("list", 1.5), lambda: r.set("list", "v", get=True)):
        with pytest.raises(ResponseError) as exc:
            call()
        assert wrongtype(exc), exc.value
    assert r.mget("list", "hash", "nokey") == [None, None, None]
    assert r.set("list", "now a string") is True
    assert r.type("list") == "string"


def test_getset_getdel_getex(r):
    assert r.getset("k", "v1") is None
    assert r.getset("k", "v2") == "v1"
    r.expire("k", 100)
    assert r.getset("k", "v3") == "v2"
    assert r.ttl("k") == -1
    assert r.getdel("k") == "v3"
    assert r.getdel("k") is None
    assert r.exists("k") == 0

    r.set("k", "v")
    assert r.getex("k") == "v"
    assert r.ttl("k") == -1
    assert r.getex("k", ex=100) == "v"
    assert r.ttl("k") == 100
    assert r.getex("k", px=200000) == "v"
    assert r.ttl("k") == 200
    assert r.getex("k", exat=FAR_FUTURE) == "v"
    assert r.expiretime("k") == FAR_FUTURE
    assert r.getex("k", pxat=FAR_FUTURE * 1000 + 5) == "v"
    assert r.pexpiretime("k") == FAR_FUTURE * 1000 + 5
    assert r.getex("k", persist=True) == "v"
    assert r.ttl("k") == -1
    assert r.getex("missing", ex=10) is None
    with pytest.raises(ResponseError, match="invalid expire time in 'getex' command"):
        r.execute_command("GETEX", "k", "EX", 0)
    with pytest.raises(ResponseError, match="syntax error"):
        r.execute_command("GETEX", "k", "EX", 10, "PERSIST")
    assert r.getex("k", px=1) == "v"
    time.sleep(0.05)
    assert r.get("k") is None


def test_mget_mset_msetnx(r):
    assert r.mset({"a": "1", "b": "2", "c": "3"}) is True
    assert r.mget("a", "b", "missing", "c") == ["1", "2", None, "3"]
    assert r.mget(["a", "a"]) == ["1", "1"]
    assert r.msetnx({"a": "x", "d": "4"}) is False
    assert r.get("d") is None
    assert r.msetnx({"d": "4", "e": "5"}) is True
    assert r.mget("d", "e") == ["4", "5"]
    with pytest.raises(ResponseError, match="wrong number of arguments for 'mset' command"):
        r.execute_command("MSET", "a", "1", "b")
    with pytest.raises(ResponseError, match="wrong number of arguments for 'msetnx' command"):
        r.execute_command("MSETNX", "a")


@pytest.mark.filterwarnings("ignore:Call to deprecated setex:DeprecationWarning")
def test_setnx_setex_psetex(r):
    assert r.setnx("k", "v1") is True
    assert r.setnx("k", "v2") is False
    assert r.get("k") == "v1"
    assert r.setex("k", 100, "v3") is True
    assert r.ttl("k") == 100
    assert r.get("k") == "v3"
    assert r.setex("k", datetime.timedelta(seconds=60), "v4") is True
    assert r.ttl("k") == 60
    assert r.psetex("k", 100000, "v5") is True
    assert r.ttl("k") == 100
    with pytest.raises(ResponseError, match="invalid expire time in 'setex' command"):
        r.setex("k", 0, "v")
    with pytest.raises(ResponseError, match="invalid expire time in 'psetex' command"):
        r.psetex("k", -5, "v")
    with pytest.raises(ResponseError, match="value is not an integer or out of range"):
        r.execute_command("SETEX", "k", "abc", "v")
    assert r.get("k") == "v5"


def test_append_strlen_getrange_setrange(r, rb):
    assert r.append("s", "Hello") == 5
    assert r.append("s", " World") == 11
    assert r.get("s") == "Hello World"
    assert r.strlen("s") == 11
    assert r.strlen("missing") == 0
    assert r.getrange("s", 0, 4) == "Hello"
    assert r.getrange("s", -5, -1) == "World"
    assert r.getrange("s", 5, 100) == " World"
    assert r.getrange("s", 100, 200) == ""
    assert r.getrange("s", 3, 1) == ""
    assert r.getrange("missing", 0, -1) == ""
    assert r.substr("s", 0, 2) == "Hel"
    assert r.setrange("s", 6, "Redis") == 11
    assert r.get("s") == "Hello Redis"
    assert rb.setrange(b"pad", 3, b"x") == 4
    assert rb.get(b"pad") == b"\x00\x00\x00x"
    assert r.setrange("empty", 0, "") == 0
    assert r.exists("empty") == 0
    with pytest.raises(ResponseError, match="offset is out of range"):
        r.setrange("s", -1, "x")
    with pytest.raises(ResponseError,
                       match=r"string exceeds maximum allowed size \(proto-max-bulk-len\)"):
        r.setrange("s", 512 * 1024 * 1024, "x")


def test_incr_decr(r):
    assert r.incr("n") == 1
    assert r.incr("n", 10) == 11
    assert r.incrby("n", -20) == -9
    assert r.decr("n") == -10
    assert r.decr("n", 5) == -15
    assert r.decrby("n", -15) == 0
    r.set("n", 2**63 - 1)
    with pytest.raises(ResponseError, match="increment or decrement would overflow"):
        r.incr("n")
    r.set("n", -(2**63))
    with pytest.raises(ResponseError, match="increment or decrement would overflow"):
        r.decr("n")
    r.set("s", "abc")
    with pytest.raises(ResponseError, match="value is not an integer or out of range"):
        r.incr("s")
    r.set("s", " 1")
    with pytest.raises(ResponseError, match="value is not an integer or out of range"):
        r.incr("s")
    with pytest.raises(ResponseError, match="value is not an integer or out of range"):
        r.incrby("n", "1.5")
    r.set("t", 5, ex=100)
    assert r.incr("t") == 6
    assert r.ttl("t") == 100


def test_incrbyfloat(r):
    assert r.incrbyfloat("f", 10.5) == 10.5
    assert r.get("f") == "10.5"
    assert r.incrbyfloat("f", 0.1) == pytest.approx(10.6)
    assert r.get("f") == "10.6"
    assert r.incrbyfloat("f", -5) == pytest.approx(5.6)
    r.set("g", "5.0e3")
    assert r.incrbyfloat("g", "2.0e2") == 5200.0
    assert r.get("g") == "5200"
    r.set("h", 3)
    assert r.incrbyfloat("h", 0) == 3.0
    assert r.get("h") == "3"
    with pytest.raises(ResponseError, match="increment would produce NaN or Infinity"):
        r.incrbyfloat("h", "inf")
    with pytest.raises(ResponseError, match="value is not a valid float"):
        r.incrbyfloat("h", "abc")
    r.set("s", "abc")
    with pytest.raises(ResponseError, match="value is not a valid float"):
        r.incrbyfloat("s", 1)
    assert r.get("h") == "3"


def test_large_value(rb):
    big = b"0123456789abcdef" * 65536  # 1 MiB
    assert rb.set(b"big", big) is True
    assert rb.get(b"big") == big
    assert rb.strlen(b"big") == len(big)
    assert rb.getrange(b"big", -16, -1) == b"0123456789abcdef"
    assert rb.append(b"big", b"!") == len(big) + 1


# ---------------------------------------------------------------------------
# keys
# ---------------------------------------------------------------------------


def test_del_exists_type_unlink_touch(r):
    r.mset({"a": "1", "b": "2", "c": "3"})
    r.lpush("l", "x")
    r.hset("h", "f", "v")
    assert r.exists("a") == 1
    assert r.exists("a", "b", "missing", "a") == 3
    assert r.type("a") == "string"
    assert r.type("l") == "list"
    assert r.type("h") == "hash"
    assert r.type("missing") == "none"
    assert r.touch("a", "b", "missing") == 2
    assert r.delete("a", "missing") == 1
    assert r.unlink("b", "c", "missing") == 2
    assert r.delete("l", "h") == 2
    assert r.dbsize() == 0


def test_keys_and_randomkey(r):
    assert r.randomkey() is None
    names = ["hello", "hallo", "hxllo", "hllo", "heeeello", "foo", "h*llo"]
    r.mset({n: "1" for n in names})
    assert sorted(r.keys()) == sorted(names)
    assert sorted(r.keys("h?llo")) == ["h*llo", "hallo", "hello", "hxllo"]
    assert sorted(r.keys("h*llo")) == ["h*llo", "hallo", "heeeello", "hello", "hllo", "hxllo"]
    assert sorted(r.keys("h[ae]llo")) == ["hallo", "hello"]
    assert sorted(r.keys("h[^e]llo")) == ["h*llo", "hallo", "hxllo"]
    assert sorted(r.keys("h[a-x]llo")) == ["hallo", "hello", "hxllo"]
    assert r.keys("h\\*llo") == ["h*llo"]
    assert r.keys("nomatch*") == []
    assert r.randomkey() in names


def test_scan(r):
    keys = {f"key:{i}" for i in range(300)}
    r.mset({k: "v" for k in keys})
    for i in range(20):
        r.rpush(f"list:{i}", "x")
    for i in range(10):
        r.hset(f"hash:{i}", "f", "v")
    assert set(r.scan_iter()) == keys | {f"list:{i}" for i in range(20)} | {
        f"hash:{i}" for i in range(10)}
    assert set(r.scan_iter(match="key:1*")) == {k for k in keys if k.startswith("key:1")}
    assert set(r.scan_iter(count=7)) == set(r.keys())
    assert set(r.scan_iter(match="*:1?", count=3)) == set(r.keys("*:1?"))
    assert set(r.scan_iter(_type="list")) == {f"list:{i}" for i in range(20)}
    assert set(r.scan_iter(_type="hash", count=1000)) == {f"hash:{i}" for i in range(10)}
    assert set(r.scan_iter(_type="string", match="key:29*")) == {
        k for k in keys if k.startswith("key:29")}
    assert list(r.scan_iter(_type="set")) == []
    cursor, batch = r.scan(0, count=1000)
    assert cursor == 0 and len(batch) == 330
    # A full iteration with a small COUNT sees every key exactly once.
    seen, cursor, calls = [], 0, 0
    while True:
        cursor, batch = r.scan(cursor, count=10)
        seen.extend(batch)
        calls += 1
        if cursor == 0:
            break
        assert calls < 10000
    assert sorted(seen) == sorted(r.keys())
    with pytest.raises(ResponseError, match="invalid cursor"):
        r.execute_command("SCAN", "abc")
    with pytest.raises(ResponseError, match="syntax error"):
        r.scan(0, count=0)


def test_rename_renamenx(r):
    r.set("a", "1", ex=100)
    assert r.rename("a", "b") is True
    assert r.get("b") == "1"
    assert r.ttl("b") == 100
    assert r.exists("a") == 0
    assert r.rename("b", "b") is True
    with pytest.raises(ResponseError, match="no such key"):
        r.rename("missing", "x")
    r.set("c", "3")
    assert r.renamenx("b", "c") is False
    assert r.renamenx("b", "d") is True
    assert r.mget("b", "c", "d") == [None, "3", "1"]
    with pytest.raises(ResponseError, match="no such key"):
        r.renamenx("missing", "x")


def test_copy_move(client_factory, r):
    r1 = client_factory(db=1)
    r.set("src", "hello", ex=100)
    assert r.copy("src", "dst") is True
    assert r.get("dst") == "hello"
    assert r.ttl("dst") == 100
    assert r.copy("src", "dst") is False
    r.set("src2", "other")
    assert r.copy("src2", "dst", replace=True) is True
    assert r.get("dst") == "other"
    assert r.copy("src", "x", destination_db=1) is True
    assert r1.get("x") == "hello"
    assert r.copy("missing", "y") is False
    with pytest.raises(ResponseError, match="source and destination objects are the same"):
        r.copy("src", "src")
    r.rpush("list", "a", "b")
    assert r.copy("list", "list2") is True
    r.rpush("list2", "c")
    assert r.lrange("list", 0, -1) == ["a", "b"]
    assert r.lrange("list2", 0, -1) == ["a", "b", "c"]

    assert r.move("src", 1) is True
    assert r.exists("src") == 0
    assert r1.get("src") == "hello"
    assert r1.ttl("src") == 100
    r.set("x", "conflict")
    assert r.move("x", 1) is False
    assert r.get("x") == "conflict"
    assert r.move("missing", 1) is False
    with pytest.raises(ResponseError, match="source and destination objects are the same"):
        r.move("x", 0)
    with pytest.raises(ResponseError, match="DB index is out of range"):
        r.move("x", 16)


def test_expire_family(r):
    r.set("k", "v")
    assert r.ttl("missing") == -2
    assert r.pttl("missing") == -2
    assert r.ttl("k") == -1
    assert r.pttl("k") == -1
    assert r.expiretime("k") == -1
    assert r.expire("k", 100) is True
    assert r.ttl("k") == 100
    assert 99000 < r.pttl("k") <= 100000
    assert r.expire("k", 100, nx=True) is False
    assert r.expire("k", 200, xx=True) is True
    assert r.ttl("k") == 200
    assert r.expire("k", 100, gt=True) is False
    assert r.expire("k", 300, gt=True) is True
    assert r.expire("k", 400, lt=True) is False
    assert r.expire("k", 50, lt=True) is True
    assert r.ttl("k") == 50
    assert r.expire("k", datetime.timedelta(seconds=70)) is True
    assert r.ttl("k") == 70
    assert r.pexpire("k", 100000, gt=True) is True
    assert r.ttl("k") == 100
    assert r.expireat("k", FAR_FUTURE) is True
    assert r.expiretime("k") == FAR_FUTURE
    assert r.pexpireat("k", FAR_FUTURE * 1000 + 1, gt=True) is True
    assert r.pexpiretime("k") == FAR_FUTURE * 1000 + 1
    assert r.expireat("k", FAR_FUTURE - 1, xx=True, ) is True
    assert r.expireat("k", datetime.datetime(2100, 1, 1, tzinfo=datetime.timezone.utc)) is True
    assert r.expiretime("k") == FAR_FUTURE
    assert r.persist("k") is True
    assert r.persist("k") is False
    assert r.ttl("k") == -1
    # No TTL counts as infinite for GT/LT.
    assert r.expire("k", 100, gt=True) is False
    assert r.expire("k", 100, lt=True) is True
    assert r.expire("missing", 100) is False
    with pytest.raises(ResponseError,
                       match="NX and XX, GT or LT options at the same time are not compatible"):
        r.expire("k", 10, nx=True, xx=True)
    with pytest.raises(ResponseError,
                       match="GT and LT options at the same time are not compatible"):
        r.expire("k", 10, gt=True, lt=True)
    with pytest.raises(ResponseError, match="invalid expire time in 'expire' command"):
        r.expire("k", 2**62)
    with pytest.raises(ResponseError, match="invalid expire time in 'pexpire' command"):
        r.pexpire("k", 2**63 - 1)
    # Zero / negative TTL and past timestamps delete the key.
    assert r.expire("k", -1) is True
    assert r.exists("k") == 0
    r.set("k", "v")
    assert r.expireat("k", 1) is True
    assert r.get("k") is None
    r.set("k", "v")
    assert r.pexpire("k", 20) is True
    time.sleep(0.1)
    assert r.get("k") is None
    assert r.ttl("k") == -2


def test_dbsize_flushdb_flushall(client_factory, r):
    r1 = client_factory(db=1)
    assert r.dbsize() == 0
    r.mset({"a": "1", "b": "2"})
    r1.set("c", "3")
    assert r.dbsize() == 2
    assert r1.dbsize() == 1
    assert r.flushdb() is True
    assert r.dbsize() == 0
    assert r1.dbsize() == 1
    r.set("a", "1")
    assert r.flushdb(asynchronous=True) is True
    assert r.dbsize() == 0
    r.set("a", "1")
    assert r.flushall() is True
    assert r.dbsize() == 0 and r1.dbsize() == 0
    r1.set("c", "3")
    assert r.flushall(asynchronous=True) is True
    assert r1.dbsize() == 0
    with pytest.raises(ResponseError, match="syntax error"):
        r.execute_command("FLUSHALL", "FOO")


# ---------------------------------------------------------------------------
# server
# ---------------------------------------------------------------------------


def test_config_get_set(r):
    assert r.config_get("maxmemory") == {"maxmemory": "0"}
    assert r.config_get("maxmemory-policy") == {"maxmemory-policy": "noeviction"}
    assert r.config_get("databases") == {"databases": "16"}
    assert r.config_get("appendonly") == {"appendonly": "no"}
    assert r.config_get("save") == {"save": ""}
    allmm = r.config_get("maxmemory*")
    assert {"maxmemory", "maxmemory-policy"} <= set(allmm)
    assert all(k.startswith("maxmemory") for k in allmm)
    assert r.config_get("nosuchparam") == {}
    try:
        assert r.config_set("maxmemory", "0") is True
        assert r.config_get("maxmemory") == {"maxmemory": "0"}
        assert r.config_set("proto-max-bulk-len", "100mb") is True
        assert r.config_get("proto-max-bulk-len") == {"proto-max-bulk-len": "104857600"}
        assert r.config_set("maxmemory-policy", "allkeys-lru") is True
        assert r.config_get("maxmemory-policy") == {"maxmemory-policy": "allkeys-lru"}
        with pytest.raises(ResponseError, match="argument must be a memory value"):
            r.config_set("maxmemory", "lots")
        with pytest.raises(ResponseError,
                           match="Unknown option or number of arguments for CONFIG SET - 'nosuch'"):
            r.config_set("nosuch", "1")
        with pytest.raises(ResponseError, match="can't set immutable config"):
            r.config_set("databases", "32")
        assert r.config_get("maxmemory") == {"maxmemory": "0"}
    finally:
        r.config_set("proto-max-bulk-len", "512mb")
        r.config_set("maxmemory-policy", "noeviction")
    assert r.config_get("maxmemory") == {"maxmemory": "0"}
    assert r.config_resetstat() is True


def test_info(r):
    r.set("a", "1")
    r.set("b", "2", ex=100)
    info = r.info()
    for key in ("redis_version", "tcp_port", "connected_clients", "used_memory"):
        assert key in info, key
    server = r.info("server")
    assert "redis_version" in server and "uptime_in_seconds" in server
    assert int(server["tcp_port"]) == r.connection_pool.connection_kwargs["port"]
    clients = r.info("clients")
    assert int(clients["connected_clients"]) >= 1
    keyspace = r.info("keyspace")
    assert keyspace["db0"]["keys"] == 2
    assert keyspace["db0"]["expires"] == 1
    assert "redis_version" in r.info("all")
    assert "redis_version" in r.info("everything")
    assert r.info("nosuchsection") == {}


def test_time_dbsize_ping(r):
    secs, micros = r.time()
    assert abs(secs + micros / 1e6 - time.time()) < 5
    assert 0 <= micros < 1_000_000
    assert r.dbsize() == 0
    assert r.ping() is True


# ---------------------------------------------------------------------------
# pipelining and concurrency
# ---------------------------------------------------------------------------


def test_pipeline_1000(r):
    pipe = r.pipeline(transaction=False)
    for i in range(1000):
        pipe.set(f"p:{i}", i)
    for i in range(1000):
        pipe.incr(f"p:{i}")
    pipe.dbsize()
    pipe.mget([f"p:{i}" for i in range(0, 1000, 100)])
    results = pipe.execute()
    assert results[:1000] == [True] * 1000
    assert results[1000:2000] == list(range(1, 1001))
    assert results[2000] == 1000
    assert results[2001] == [str(i + 1) for i in range(0, 1000, 100)]


def test_pipeline_errors_do_not_break_stream(r):
    r.lpush("list", "x")
    pipe = r.pipeline(transaction=False)
    pipe.set("a", "1")
    pipe.incr("list")
    pipe.execute_command("NOSUCHCOMMAND")
    pipe.get("a")
    results = pipe.execute(raise_on_error=False)
    assert results[0] is True
    assert isinstance(results[1], ResponseError) and str(results[1]).startswith("WRONGTYPE")
    assert isinstance(results[2], ResponseError)
    assert results[3] == "1"


def test_concurrent_clients(client_factory, r):
    errors = []

    def worker() -> None:
        c = client_factory()
        try:
            for _ in range(200):
                c.incr("counter")
        except Exception as e:  # pragma: no cover - reported below
            errors.append(e)

    threads = [threading.Thread(target=worker) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert not errors
    assert r.get("counter") == "1600"
