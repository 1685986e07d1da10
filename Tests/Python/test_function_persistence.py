"""Function libraries are durable, as in Redis 7.0: they survive restarts through
RDB snapshots (SAVE, BGSAVE, SHUTDOWN, save points), the append-only log (FUNCTION
LOAD / DELETE / FLUSH / RESTORE replayed) and its rewrite (RDB preamble or FUNCTION
LOAD commands), DEBUG RELOAD; and they move between SwiftKeyDB and redis-server
7.0 in dump.rdb, in the AOF directory and in FUNCTION DUMP payloads.

Behaviour tests run on both servers ("redis" proves the expectations are Redis's),
interop tests hand one server's files to the other, and differential tests compare
the replies byte for byte. Servers run in their own directories (durability_support)."""

from __future__ import annotations

import shutil

import pytest
import redis

from durability_support import (  # noqa: F401 (servers is a fixture)
    Server, base_file, copy_aof_dir, last_incr_file, raw, redis_tool, refuse_to_start, run_to_exit, servers,
    wait_for, wait_persistence_idle)
from function_support import (
    LONG, RICH, check_libraries, check_rich_and_long, dump_payload, function_list, function_records, lib,
    library_codes, rdb_image, with_crc)

KINDS = ["redis", "sut"]


def start(servers, kind: str, name: str, *args: str) -> Server:
    s = servers(kind, name, ["--save", "", *args])
    s.start()
    return s


def restart(s: Server) -> redis.Redis:
    """A crash (SIGKILL) and a start on the same directory."""
    s.kill()
    s.start()
    return s.client()


def load(r: redis.Redis, *codes: str) -> None:
    for code in codes:
        name = code.split("name=", 1)[1].split()[0]
        assert raw(r, "FUNCTION", "LOAD", code) == name.encode()


def changes(s: Server) -> int:
    return int(s.info()["rdb_changes_since_last_save"])


# ---------------------------------------------------------------------------
# Restarts
# ---------------------------------------------------------------------------


@pytest.mark.parametrize("how", ["SAVE", "BGSAVE", "SHUTDOWN", "save-point"])
@pytest.mark.parametrize("kind", KINDS)
def test_snapshot_keeps_libraries(servers, kind, how):
    save = ["--save", "1 1"] if how == "save-point" else []
    s = start(servers, kind, "data", "--appendonly", "no", *save)
    r = s.client()
    load(r, RICH, LONG, lib("plain"))
    before = function_list(r)
    if how == "SAVE":
        assert raw(r, "SAVE") == b"OK"
    elif how == "BGSAVE":
        assert raw(r, "BGSAVE") == b"Background saving started"
        wait_persistence_idle(s)
    elif how == "save-point":
        # Only library changes: they count toward the save point as key changes do.
        wait_for(lambda: changes(s) == 0 and s.info()["rdb_bgsave_in_progress"] == "0", 20, 0.1,
                 "the save point's snapshot")
    if how == "SHUTDOWN":
        assert s.shutdown("SAVE") == 0
        s.start()
        r = s.client()
    else:
        r = restart(s)
    assert function_list(r) == before
    check_rich_and_long(r)
    assert raw(r, "FCALL", "plain_f", 0) == b"plain v1"


@pytest.mark.parametrize("kind", KINDS)
def test_log_replays_function_commands(servers, kind):
    s = start(servers, kind, "data", "--appendonly", "yes", "--appendfsync", "always")
    r = s.client()
    # RESTORE ... FLUSH: what was there before is gone after the replay too.
    load(r, lib("zero"))
    assert raw(r, "FUNCTION", "RESTORE", dump_payload(lib("six")), "FLUSH") == b"OK"
    check_libraries(r, {"six": "v1"})
    r = restart(s)
    check_libraries(r, {"six": "v1"})

    load(r, lib("x"))
    assert raw(r, "FUNCTION", "FLUSH") == b"OK"
    load(r, lib("one"), lib("two"), lib("three"))
    assert raw(r, "FUNCTION", "LOAD", "REPLACE", lib("one", "v2")) == b"one"
    assert raw(r, "FUNCTION", "DELETE", "three") == b"OK"
    assert raw(r, "FUNCTION", "RESTORE", dump_payload(lib("four"), lib("five"))) == b"OK"
    assert raw(r, "FUNCTION", "RESTORE", dump_payload(lib("four", "v2")), "REPLACE") == b"OK"
    assert raw(r, "FUNCTION", "RESTORE", dump_payload(lib("seven")), "APPEND") == b"OK"
    # Refused commands change nothing, live or replayed.
    for refused in (["FUNCTION", "RESTORE", dump_payload(lib("two", "v9")), "APPEND"],
                    ["FUNCTION", "RESTORE", dump_payload("#!lua name=bad\nlocal unused = 1"), "FLUSH"],
                    ["FUNCTION", "LOAD", lib("one", "v9")], ["FUNCTION", "DELETE", "nothing"]):
        with pytest.raises(redis.ResponseError):
            raw(r, *refused)
    expected = {"one": "v2", "two": "v1", "four": "v2", "five": "v1", "seven": "v1"}
    check_libraries(r, expected)
    before = function_list(r)
    r = restart(s)
    assert function_list(r) == before
    check_libraries(r, expected)


@pytest.mark.parametrize("preamble", ["yes", "no"])
@pytest.mark.parametrize("kind", KINDS)
def test_rewrite_keeps_libraries(servers, kind, preamble):
    s = start(servers, kind, "data", "--appendonly", "yes", "--aof-use-rdb-preamble", preamble)
    r = s.client()
    load(r, RICH, LONG)
    assert raw(r, "FUNCTION", "DELETE", "rich") == b"OK"
    load(r, RICH)
    raw(r, "SET", "key", "value")
    assert raw(r, "BGREWRITEAOF") == b"Background append only file rewriting started"
    wait_persistence_idle(s)
    # Only the new base can bring the libraries back now.
    assert last_incr_file(s.dir).read_bytes() == b""
    base = base_file(s.dir)
    assert base.name.endswith(".rdb" if preamble == "yes" else ".aof")
    if preamble == "no":
        assert base.read_bytes().startswith(b"*3\r\n$8\r\nFUNCTION\r\n$4\r\nLOAD\r\n")
    before = function_list(r)
    r = restart(s)
    assert function_list(r) == before
    check_rich_and_long(r)
    assert raw(r, "GET", "key") == b"value"


@pytest.mark.parametrize("kind", KINDS)
def test_log_turned_on_at_run_time_starts_with_the_libraries(servers, kind):
    s = start(servers, kind, "data", "--appendonly", "no")
    r = s.client()
    load(r, RICH, LONG)
    assert raw(r, "CONFIG", "SET", "appendonly", "yes") == b"OK"
    wait_persistence_idle(s)  # the first base is written by a rewrite
    before = function_list(r)
    s.kill()
    s.args += ["--appendonly", "yes"]
    s.start()
    r = s.client()
    assert function_list(r) == before
    check_rich_and_long(r)


def test_rewritten_base_is_redis_byte_for_byte(servers):
    """Without the preamble the base is commands: the libraries first, then the keys."""
    bases = {}
    for kind in KINDS:
        s = start(servers, kind, f"{kind}-data", "--appendonly", "yes", "--aof-use-rdb-preamble", "no")
        r = s.client()
        load(r, LONG)
        raw(r, "SET", "k", "v")
        raw(r, "SELECT", 3)
        raw(r, "SET", "k3", "v3")
        raw(r, "BGREWRITEAOF")
        wait_persistence_idle(s)
        bases[kind] = base_file(s.dir).read_bytes()
        s.kill()
    assert bases["sut"] == bases["redis"]


@pytest.mark.parametrize("kind", KINDS)
def test_debug_reload_and_loadaof(servers, kind):
    s = start(servers, kind, "data", "--appendonly", "yes", "--enable-debug-command", "yes")
    r = s.client()
    load(r, lib("kept"))
    assert raw(r, "DEBUG", "RELOAD") == b"OK"
    check_libraries(r, {"kept": "v1"})
    # Emptied first, as the keys: a library the snapshot does not hold is gone.
    load(r, lib("unsaved"))
    assert raw(r, "DEBUG", "RELOAD", "NOSAVE") == b"OK"
    check_libraries(r, {"kept": "v1"})
    # MERGE: the snapshot's library replaces the one loaded since.
    assert raw(r, "FUNCTION", "LOAD", "REPLACE", lib("kept", "v2")) == b"kept"
    assert raw(r, "DEBUG", "RELOAD", "NOSAVE", "NOFLUSH", "MERGE") == b"OK"
    check_libraries(r, {"kept": "v1"})
    # The log has every FUNCTION command, the reloads none: replayed, it has the last word.
    assert raw(r, "DEBUG", "LOADAOF") == b"OK"
    check_libraries(r, {"kept": "v2", "unsaved": "v1"})


def test_library_commands_count_as_changes(servers):
    """rdb_changes_since_last_save after each command, as Redis counts it."""
    counts = {}
    for kind in KINDS:
        s = start(servers, kind, f"{kind}-data", "--appendonly", "no")
        r = s.client()
        seen = []
        for command in (["FUNCTION", "LOAD", lib("a")], ["FUNCTION", "LOAD", lib("a")], ["FUNCTION", "DELETE", "a"],
                        ["FUNCTION", "DELETE", "a"], ["FUNCTION", "FLUSH"], ["FUNCTION", "FLUSH", "ASYNC"],
                        ["FUNCTION", "RESTORE", dump_payload(lib("b"))], ["FUNCTION", "RESTORE", dump_payload(lib("b"))],
                        ["FUNCTION", "DUMP"], ["FUNCTION", "LIST"]):
            try:
                raw(r, *command)
            except redis.ResponseError:
                pass
            seen.append(changes(s))
        counts[kind] = seen
    assert counts["redis"] == [1, 1, 2, 2, 3, 4, 5, 5, 5, 5]
    assert counts["sut"] == counts["redis"]


@pytest.mark.parametrize("kind", KINDS)
def test_slow_library_loads_from_disk(servers, kind):
    """FUNCTION LOAD stops a library's code after 500 ms; RESTORE, snapshots and the log do not."""
    slow = ("#!lua name=slow\nlocal n = 0\nfor i = 1, 300000000 do n = n + 1 end\n"
            "redis.register_function('slow_f', function() return n end)")
    s = start(servers, kind, "data", "--appendonly", "yes")
    r = s.client()
    with pytest.raises(redis.ResponseError) as refused:
        raw(r, "FUNCTION", "LOAD", slow)
    assert str(refused.value) == "Error registering functions: ERR FUNCTION LOAD timeout"
    assert raw(r, "FUNCTION", "RESTORE", dump_payload(slow)) == b"OK"
    assert raw(r, "SAVE") == b"OK"
    r = restart(s)  # from the log's RESTORE record
    assert raw(r, "FCALL", "slow_f", 0) == 300000000
    s.kill()
    s.args += ["--appendonly", "no"]
    s.start()  # from dump.rdb
    assert raw(s.client(), "FCALL", "slow_f", 0) == 300000000


# ---------------------------------------------------------------------------
# A snapshot whose library does not load
# ---------------------------------------------------------------------------


@pytest.mark.parametrize("codes, reason", [
    ([lib("twice"), lib("twice", "v2")], "Library 'twice' already exists"),
    (["#!lua name=empty\nlocal unused = 1"], "No functions registered"),
    ([lib("a", functions=["shared"]), lib("b", functions=["shared"])], "Function shared already exists"),
    ([lib("a", functions=["shared"]), lib("b", functions=["SHARED"])], "Function SHARED already exists"),
    (["#!lua name=broken\nthis is not lua"], "Error compiling function: user_function:2: '=' expected near 'is'"),
    (["#!lua name=bad-name\nredis.register_function('f', function() end)"],
     "Library names can only contain letters, numbers, or underscores(_) and must be at least one character long"),
    (["#!python name=other\nx"], "Engine 'python' not found"),
], ids=["twice", "empty", "shared-function", "shared-in-other-case", "compile-error", "bad-name", "engine"])
def test_snapshot_with_a_failing_library_stops_the_start(tmp_path, codes, reason):
    """As Redis: the load fails, the server exits and its log says why. (Redis then runs its
    RDB checker, which skips libraries, finds the file sound and exits with status 0.)"""
    for kind in KINDS:
        d = tmp_path / kind
        d.mkdir()
        (d / "dump.rdb").write_bytes(rdb_image(*codes))
        rc, output, _ = refuse_to_start(kind, d, "--appendonly", "no")
        assert "Ready to accept connections" not in output, f"{kind} started with {codes!r}:\n{output[-1500:]}"
        assert f"Failed loading library, {reason}" in output, f"{kind}:\n{output[-1500:]}"
        if kind == "sut":
            assert rc == 1, output[-1500:]


# ---------------------------------------------------------------------------
# Interop with redis-server 7.0
# ---------------------------------------------------------------------------


@pytest.mark.parametrize("compression", ["yes", "no"])
@pytest.mark.parametrize("writer", KINDS)
def test_snapshot_moves_between_servers(servers, tmp_path, writer, compression):
    reader = "sut" if writer == "redis" else "redis"
    w = start(servers, writer, "written", "--appendonly", "no", "--rdbcompression", compression)
    r = w.client()
    load(r, RICH, LONG, lib("plain"))
    raw(r, "SET", "key", "value")
    expected = function_list(r)
    assert raw(r, "SAVE") == b"OK"
    w.kill()
    rc, out, err = run_to_exit(redis_tool("redis-check-rdb"), [str(w.dir / "dump.rdb")])
    assert rc == 0, out + err
    d = tmp_path / "read"
    d.mkdir()
    shutil.copy2(w.dir / "dump.rdb", d / "dump.rdb")
    r = start(servers, reader, "read", "--appendonly", "no").client()
    assert function_list(r) == expected
    check_rich_and_long(r)
    assert raw(r, "GET", "key") == b"value"


@pytest.mark.parametrize("preamble", ["yes", "no"])
@pytest.mark.parametrize("writer", KINDS)
def test_log_moves_between_servers(servers, tmp_path, writer, preamble):
    """The rewritten base holds some libraries, the incremental file the commands since."""
    reader = "sut" if writer == "redis" else "redis"
    args = ["--appendonly", "yes", "--aof-use-rdb-preamble", preamble]
    # Under everysec Redis holds back its writes for up to 2 s while a background
    # fsync runs (as one does just after the rewrite), and answers meanwhile: the
    # kill below could then lose acknowledged commands. Under always it never does.
    writer_args = ["--appendfsync", "always"] if writer == "redis" else []
    w = start(servers, writer, "written", *args, *writer_args)
    r = w.client()
    load(r, RICH, lib("one"), lib("two"))
    raw(r, "BGREWRITEAOF")
    wait_persistence_idle(w)
    load(r, LONG)
    assert raw(r, "FUNCTION", "LOAD", "REPLACE", lib("one", "v2")) == b"one"
    assert raw(r, "FUNCTION", "DELETE", "two") == b"OK"
    assert raw(r, "FUNCTION", "RESTORE", dump_payload(lib("three")), "APPEND") == b"OK"
    expected = function_list(r)
    w.kill()
    copy_aof_dir(w.dir, tmp_path / "read")
    r = start(servers, reader, "read", *args).client()
    assert function_list(r) == expected
    check_rich_and_long(r)
    assert raw(r, "FCALL", "one_f", 0) == b"one v2"


@pytest.mark.parametrize("compression", ["yes", "no"])
def test_function_dump_is_redis_byte_for_byte(servers, compression):
    """FUNCTION DUMP of one library (several come in hash table order in Redis) and
    RESTORE of the other server's payload, all libraries at once. Compressed codes are
    LZF streams of the same length class but not the same bytes (another LZF encoder)."""
    sides = {kind: start(servers, kind, f"{kind}-data", "--appendonly", "no", "--rdbcompression", compression).client()
             for kind in KINDS}
    for r in sides.values():
        load(r, LONG)
    dumps = {kind: raw(r, "FUNCTION", "DUMP") for kind, r in sides.items()}
    if compression == "no":
        assert dumps["sut"] == dumps["redis"] == dump_payload(LONG)
    else:
        # LZF-compressed (RDB_ENC_LZF) code, far shorter than the code.
        assert dumps["sut"][:2] == dumps["redis"][:2] == b"\xf5\xc3"
        assert len(dumps["sut"]) < len(LONG) // 10 and len(dumps["redis"]) < len(LONG) // 10
    for r in sides.values():
        load(r, RICH, lib("plain"))
    payloads = {kind: raw(r, "FUNCTION", "DUMP") for kind, r in sides.items()}
    lists = {kind: function_list(r) for kind, r in sides.items()}
    assert lists["sut"] == lists["redis"]
    for kind, r in sides.items():
        other = "sut" if kind == "redis" else "redis"
        assert raw(r, "FUNCTION", "FLUSH") == b"OK"
        assert raw(r, "FUNCTION", "RESTORE", payloads[other]) == b"OK"
        assert function_list(r) == lists[other]
        check_rich_and_long(r)


def test_function_restore_matches_redis(servers):
    """Each case on both servers, from the same libraries: the reply and the libraries after."""
    existing = [lib("keep"), lib("old", functions=["old_f", "taken"])]
    cases = [
        [dump_payload(lib("new"))],
        [dump_payload(lib("new")), "APPEND"],
        [dump_payload(lib("keep", "v2")), "APPEND"],
        [dump_payload(lib("keep", "v2")), "REPLACE"],
        [dump_payload(lib("keep", "v2")), "FLUSH"],
        [dump_payload(lib("new", functions=["taken"]))],
        [dump_payload(lib("new", functions=["taken"])), "REPLACE"],
        [dump_payload(lib("new", functions=["TAKEN"]))],
        [dump_payload(lib("old", "v2", functions=["Taken"])), "REPLACE"],
        [dump_payload(lib("old", "v2", functions=["taken"]), lib("keep", "v2")), "REPLACE"],
        [dump_payload(lib("new"), lib("new", "v2")), "FLUSH"],
        [dump_payload(lib("new", functions=["same"]), lib("other", functions=["same"])), "FLUSH"],
        [dump_payload(lib("new"), "#!lua name=broken\nnot lua"), "FLUSH"],
        [dump_payload(lib("new"), "#!lua name=empty\nlocal unused = 1"), "REPLACE"],
        [dump_payload(lib("new"), crc=0)],
        [dump_payload(lib("new"))[:-1] + b"\x00"],
        [dump_payload(lib("new")), "MERGE"],
        [dump_payload(lib("new")), "FLUSH", "extra"],
        [with_crc(b"\x00\x01k\x01v\x0a\x00")],
        [with_crc(function_records([lib("new")]) + b"\x00\x01k\x01v\x0a\x00"), "FLUSH"],
        [with_crc(function_records([lib("new")]) + b"\xf5\x40\x0a\x00")],
        [with_crc(function_records(["#!lua name=broken\nnot lua"]) + b"\xf5\x50\x0a\x00"), "FLUSH"],
        [dump_payload(), "FLUSH"],
        [dump_payload()],
    ]
    results = {}
    for kind in KINDS:
        r = start(servers, kind, f"{kind}-data", "--appendonly", "no").client()
        seen = []
        for case in cases:
            assert raw(r, "FUNCTION", "FLUSH") == b"OK"
            load(r, *existing)
            try:
                reply = raw(r, "FUNCTION", "RESTORE", *case)
            except redis.ResponseError as e:
                reply = f"error: {e}"
            seen.append((reply, library_codes(r)))
        results[kind] = seen
    for case, got, wanted in zip(cases, results["sut"], results["redis"]):
        assert got == wanted, f"FUNCTION RESTORE {case!r}"
