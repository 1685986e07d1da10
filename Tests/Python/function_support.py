"""Helpers for test_function_persistence.py: library codes with known answers,
FUNCTION LIST in a form both servers can be compared by, and Redis's byte
formats built by hand (CRC-64, FUNCTION DUMP payloads, RDB images holding
libraries), so a test can hand a server exactly the bytes it wants."""

from __future__ import annotations

from typing import Dict, Iterable, Optional

import redis

from durability_support import raw


def lib(name: str, tag: str = "v1", functions: Optional[Iterable[str]] = None) -> str:
    """A library whose functions (default: `<name>_f`) each answer '<name> <tag>'."""
    lines = [f"#!lua name={name}"]
    for fn in functions or [f"{name}_f"]:
        lines.append(f"redis.register_function('{fn}', function() return '{name} {tag}' end)")
    return "\n".join(lines)


# Flags, a description, keys and arguments.
RICH = ("#!lua name=rich\n"
        "redis.register_function('rich_incr', function(keys, args) return redis.call('incrby', keys[1], args[1]) end)\n"
        "redis.register_function{function_name='rich_get', callback=function(keys) return redis.call('get', keys[1]) end,"
        " flags={'no-writes', 'allow-stale'}, description='reads one key'}")
# Non-ASCII bytes, and long enough for a 32-bit RDB length and LZF compression.
LONG = ("#!lua name=long\n-- caf\u00e9 \u2603\n"
        "redis.register_function('long_echo', function(keys, args) return args end)\n-- "
        + "padding " * 2500)


def check_rich_and_long(r: redis.Redis) -> None:
    """The two libraries above answer as they should."""
    assert raw(r, "SET", "counter", "10") == b"OK"
    assert raw(r, "FCALL", "rich_incr", 1, "counter", 5) == 15
    assert raw(r, "FCALL_RO", "rich_get", 1, "counter") == b"15"
    assert raw(r, "FCALL", "long_echo", 0, "a", "\u00e9") == [b"a", "\u00e9".encode()]


def function_list(r: redis.Redis, *args) -> list:
    """FUNCTION LIST WITHCODE with libraries and their functions sorted by name (Redis
    lists them in hash table order), each entry kept whole as the server sent it."""
    entries = raw(r, "FUNCTION", "LIST", "WITHCODE", *args)
    out = []
    for entry in entries:
        fields = dict(zip(entry[0::2], entry[1::2]))
        fields[b"functions"] = sorted(fields[b"functions"], key=lambda f: f[1])
        out.append([x for k in entry[0::2] for x in (k, fields[k])])
    return sorted(out, key=lambda e: e[1])


def library_codes(r: redis.Redis) -> Dict[str, str]:
    """{library name: code}."""
    return {e[1].decode(): e[7].decode() for e in function_list(r)}


def check_libraries(r: redis.Redis, expected: Dict[str, str]) -> None:
    """Exactly these libraries (name -> tag of lib()), and each function answers."""
    codes = library_codes(r)
    assert sorted(codes) == sorted(expected), f"libraries {sorted(codes)}, expected {sorted(expected)}"
    for name, tag in expected.items():
        assert codes[name] == lib(name, tag), f"{name}: code {codes[name]!r}, expected tag {tag}"
        assert raw(r, "FCALL", f"{name}_f", 0) == f"{name} {tag}".encode()


# ---------------------------------------------------------------------------
# Redis's byte formats
# ---------------------------------------------------------------------------

def _crc64_table():
    table = []
    for i in range(256):
        c = i
        for _ in range(8):
            c = (c >> 1) ^ (0x95AC9329AC4BC9B5 if c & 1 else 0)
        table.append(c)
    return table


_CRC64 = _crc64_table()


def crc64(data: bytes) -> int:
    """Redis's CRC-64 (Jones polynomial, reflected): its RDB trailer and DUMP footer."""
    crc = 0
    for byte in data:
        crc = _CRC64[(crc ^ byte) & 0xFF] ^ (crc >> 8)
    return crc


assert crc64(b"123456789") == 0xE9C6D914C4B8D9CA  # Redis's own test vector


def rdb_string(data: bytes) -> bytes:
    """An uncompressed RDB string: its length (6, 14 or 32 bits), then the bytes."""
    n = len(data)
    if n < 64:
        head = bytes([n])
    elif n < 16384:
        head = bytes([0x40 | n >> 8, n & 0xFF])
    else:
        head = b"\x80" + n.to_bytes(4, "big")
    return head + data


def function_records(codes: Iterable[str]) -> bytes:
    return b"".join(b"\xf5" + rdb_string(code.encode()) for code in codes)


def with_crc(body: bytes) -> bytes:
    return body + crc64(body).to_bytes(8, "little")


def dump_payload(*codes: str, crc: Optional[int] = None) -> bytes:
    """A FUNCTION DUMP payload: FUNCTION2 records, RDB version 10, CRC-64 (or `crc`)."""
    body = function_records(codes) + b"\x0a\x00"
    return with_crc(body) if crc is None else body + crc.to_bytes(8, "little")


def rdb_image(*codes: str) -> bytes:
    """dump.rdb holding these libraries and one key, `k` = `v` in database 0."""
    body = (b"REDIS0010" + function_records(codes) + b"\xfe\x00" + b"\x00" + rdb_string(b"k") + rdb_string(b"v")
            + b"\xff")
    return with_crc(body)
