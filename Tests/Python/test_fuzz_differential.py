"""Seeded random differential fuzzer: Redis 7.0 (reference) vs SwiftKeyDB.

Random commands from the vocabulary SwiftKeyDB implements (strings, keys,
expiry, lists, hashes, sets, SELECT, MULTI/EXEC, plus unknown commands and
wrong arities) are sent over one persistent connection to each server (now
and then as a pipelined batch, sometimes split over several writes), over a
small key space (8 keys, so types collide), with arguments drawn from edge
values. Raw replies are compared byte for byte, except for the
timing-dependent TTL/PTTL/EXPIRETIME/PEXPIRETIME (non-negative integers may
differ by a small tolerance, also inside EXEC replies).

Determinism rules (so that redis-vs-redis always passes):

* relative expiries are never small positive numbers (no key expires during a
  run); absolute timestamps are far in the past or the future;
* EXPIRE/PEXPIRE with GT/LT use random large relative values, so that the
  comparison with an existing expiry never depends on the current millisecond;
* DBSIZE is always preceded by EXISTS on every key (a key set with a past
  EXAT/PXAT stays in Redis' dict until touched or actively expired);
* LCS is only sent (outside MULTI) after STRLEN of both keys showed they are
  small (LCS needs O(len1*len2) memory);
* SMEMBERS/SRANDMEMBER/RANDOMKEY/HGETALL/KEYS/SCAN are not generated.

After a mismatch that is not "both replies are errors", both connections are
re-opened and FLUSHALL is sent to both (the mismatch is recorded). The server
under test is checked for life (PING on a separate connection) every 100
commands; if it died, the test fails at once with the server log tail.

Environment:
  FUZZ_SEED      seed(s): "123", "1,5,9", "1..20" or "1-20" (default 20261125);
                 one test per seed
  FUZZ_COMMANDS  commands per seed (default 4000)
  FUZZ_TIME_BUDGET  seconds per seed before the run stops early (default 28)

Run:
  SWIFTKEYDB_BIN=.build/release/swiftkeydb-server \
      python3 -m pytest Tests/Python/test_fuzz_differential.py -q -x
  FUZZ_SEED=1..20 FUZZ_COMMANDS=20000 python3 -m pytest Tests/Python/test_fuzz_differential.py -q
"""

from __future__ import annotations

import collections
import os
import random
import re
import time
from typing import Dict, List, Optional, Sequence, Tuple

import pytest

from resp_client import (ConnectionClosed, ReplyTimeout, RespClient, RespError,
                         encode_command, parse_reply)

DEFAULT_SEED = 20261125
N_COMMANDS = int(os.environ.get("FUZZ_COMMANDS", "4000"))
TIME_BUDGET = float(os.environ.get("FUZZ_TIME_BUDGET", "28"))
MAX_REPORTED = 30
ALIVE_EVERY = 100
REPLY_TIMEOUT = 10.0
LCS_MAX_LEN = 3000
PIPELINE_PROB = 0.04   # chance that a pipelined batch of 2..12 commands is sent


def _seeds() -> List[int]:
    spec = os.environ.get("FUZZ_SEED", "").strip() or str(DEFAULT_SEED)
    out: List[int] = []
    for part in spec.split(","):
        part = part.strip()
        if not part:
            continue
        m = re.fullmatch(r"(\d+)\s*(?:\.\.|-)\s*(\d+)", part)
        if m:
            out.extend(range(int(m.group(1)), int(m.group(2)) + 1))
        else:
            out.append(int(part))
    return out or [DEFAULT_SEED]


# ---------------------------------------------------------------------------
# Argument pools
# ---------------------------------------------------------------------------

def B(x) -> bytes:
    if isinstance(x, bytes):
        return x
    if isinstance(x, int):
        return str(x).encode()
    return x.encode("utf-8")


KEYS = [B(k) for k in ("k1", "k2", "k3", "k4", "k5", "{tag}long:key:name", "",
                       b"bin\x00\r\n\xff")]

INT_EDGES = [B(x) for x in (
    0, 1, -1, 2, 3, 7, 8, 10, 100, 1000,
    2**31 - 1, 2**31, 2**31 + 1, -2**31, -2**31 - 1,
    2**32, 2**63 - 1, 2**63 - 2, -2**63, -2**63 + 1, 2**63, -2**63 - 1,
    9999999999999999999, 2**64, 4611686018427387904)]
NUM_JUNK = [B(x) for x in (
    "1.5", "1e3", "inf", "-inf", "+inf", "nan", " 1", "1 ", "", "abc", "+1", "01",
    "-0", "0x10", "1\x00", b"1\x00", b"\xff", "1e", ".5", "5.", "--1", "1-",
    "\u0661")]
FLOAT_EDGES = [B(x) for x in (
    "1.5", "1e3", "inf", "-inf", "+inf", "nan", "-nan", "0.1", "0.2", "0.3", "-0", "-0.0",
    "1e308", "-1e308", "1e309", "5e-324", "1e-320", "3.0", "0x10", "0x1p3", "1.", ".5",
    "1e", "e1", "  ", " 1", "1 ", "1.7976931348623157e308", "0.30000000000000004",
    "100", "-1.5", "1e17", "123456789012345678", "1.23456789012345678901234567890",
    "3.14159", "-3.14159", "1e-5", "10.5e2", "2.5E+1", "0.0000001", "1000000000000000000000",
    "9007199254740993", "-9223372036854775808", "18446744073709551616", "7e-1",
    "1_000", "1,5", "Infinity", "1e+", "0e0")]
BIN_VALUES = [b"\x00", b"\r\n", b"a\r\nb", b"\xff\xfe\xfd", b"\x00\xff\r\n\x00",
              b"\n", b"\r", b" ", b"$-1\r\n", b"*1\r\n", b"-ERR x\r\n", b"\x1b[0m",
              "h\u00e9llo w\u00f6rld".encode("utf-8")]
LONG_VALUES = [b"x" * 1000, b"ab" * 500, bytes(range(256)) * 4, b"\x00" * 1000,
               b"1" * 1000, b"A" * 999 + b"\n"]
FIELDS = [B(x) for x in ("f1", "f2", "f3", "field-4", "", b"\x00f", "1", "-1")]
MEMBERS = [B(x) for x in ("m1", "m2", "m3", "", b"\x00", "1", "2", "-1", "100",
                          "9223372036854775807", "9223372036854775808", "abc",
                          "01", "1.5")]

# Expiry values. Relative expiries never contain small positive numbers (a
# key expiring during the run would make the outcome timing dependent).
REL_S = [B(x) for x in (10000, 86400, 100000, 1000000, 2**31 - 1, 2**31 + 1, 10**9)]
REL_MS = [B(x) for x in (10**7, 10**8, 2**31 - 1, 2**31 + 1, 10**12, 2**53, 2**62)]
ABS_S = [B(x) for x in (1, 1000, 10**9, 2000000000, 2**31 - 1, 2**31 + 1, 4102444800,
                        10**12, 9223372036854775)]
ABS_MS = [B(x) for x in (1, 1000, 10**12, 2000000000000, 4102444800000, 2**53, 2**62,
                         2**63 - 1)]
EXP_BAD = [B(x) for x in (0, -1, -10000, -2**63, 2**63 - 1, 2**63, 9999999999999999999,
                          9223372036854776, "1.5", "1e3", "abc", "", " 10000",
                          "10000 ", "+10000", "inf", "010000")]

# Not "get\x00": Redis hashes a name by its length but compares it as a C string, so
# whether it finds GET there depends on its random hash seed (in CI it once did).
UNKNOWN_NAMES = [B(x) for x in ("FOO", "GETX", "SETT", "XYZZY", "", b"\x00\xff",
                                "get\r\n", "ge t", "BITCOUNTX", "z" * 200,
                                "\x00get", "MULTIX", "\u00e9t\u00e9")]
DB_INDEXES = [B(x) for x in (0, 0, 0, 1, 1, 2, 15, 16, -1, "abc", 2**31, 2**63, "1 ",
                             "", "01", "0x1", 9223372036854775807)]


class Gen:
    """Random command generator. `command()` returns a list of bytes."""

    def __init__(self, rng: random.Random):
        self.r = rng
        self.table = [
            # (weight, generator)
            (8, self.g_get), (12, self.g_set), (2, self.g_setnx), (2, self.g_setex),
            (2, self.g_psetex), (2, self.g_getset), (2, self.g_getdel), (4, self.g_getex),
            (3, self.g_mget), (3, self.g_mset), (2, self.g_msetnx), (4, self.g_append),
            (3, self.g_strlen), (4, self.g_getrange), (4, self.g_setrange),
            (3, self.g_incr), (3, self.g_incrby), (5, self.g_incrbyfloat), (2, self.g_lcs),
            (3, self.g_setbit), (3, self.g_getbit), (3, self.g_bitcount), (3, self.g_bitpos),
            (2, self.g_bitop), (3, self.g_bitfield), (3, self.g_pfadd), (2, self.g_pfcount),
            (1, self.g_pfmerge), (4, self.g_del), (3, self.g_exists),
            (1, self.g_touch), (3, self.g_type), (3, self.g_rename), (2, self.g_copy),
            (2, self.g_move), (1, self.g_dbsize), (6, self.g_expire), (3, self.g_expireat),
            (5, self.g_ttl), (2, self.g_persist), (6, self.g_push), (4, self.g_pop),
            (2, self.g_llen), (3, self.g_lrange), (5, self.g_hset), (3, self.g_hget),
            (1, self.g_hlen), (2, self.g_hdel), (5, self.g_sadd), (2, self.g_srem),
            (1, self.g_scard), (2, self.g_sismember), (1, self.g_select), (1, self.g_ping),
            (1, self.g_echo), (2, self.g_unknown), (2, self.g_multi),
        ]
        # Each type family mostly uses "its" keys (they overlap, so WRONGTYPE
        # still happens, but collections get a chance to grow).
        self.family_of = {}
        for fam, gens in (("list", "push pop llen lrange"), ("hash", "hset hget hlen hdel"),
                          ("set", "sadd srem scard sismember"),
                          ("any", "del exists touch type rename copy move expire expireat "
                                  "ttl persist unknown")):
            for g in gens.split():
                self.family_of["g_" + g] = fam
        self.family = "string"
        self.total = sum(w for w, _ in self.table)

    # -- primitives --------------------------------------------------------
    FAMILY_KEYS = {"string": [KEYS[0], KEYS[1], KEYS[2], KEYS[7]],
                   "list": [KEYS[3], KEYS[3], KEYS[2]],
                   "hash": [KEYS[5], KEYS[5], KEYS[4]],
                   "set": [KEYS[6], KEYS[6], KEYS[4]]}

    def key(self) -> bytes:
        pool = self.FAMILY_KEYS.get(self.family)
        if pool is not None and self.r.random() < 0.85:
            return self.r.choice(pool)
        return self.r.choice(KEYS)

    def keys(self, lo: int = 1, hi: int = 4) -> List[bytes]:
        return [self.key() for _ in range(self.r.randint(lo, hi))]

    def small_int(self, lo: int = -20, hi: int = 20) -> bytes:
        return B(self.r.randint(lo, hi))

    def int_arg(self) -> bytes:
        x = self.r.random()
        if x < 0.55:
            return self.small_int()
        if x < 0.85:
            return self.r.choice(INT_EDGES)
        return self.r.choice(NUM_JUNK)

    def float_arg(self) -> bytes:
        x = self.r.random()
        if x < 0.3:
            return self.small_int(-5, 5)
        if x < 0.45:
            return B("%d.%d" % (self.r.randint(-100, 100), self.r.randint(0, 999)))
        if x < 0.9:
            return self.r.choice(FLOAT_EDGES)
        return self.r.choice(INT_EDGES + NUM_JUNK)

    def short_str(self) -> bytes:
        n = self.r.randint(0, 8)
        return bytes(self.r.choice(b"abcxyz0123456789") for _ in range(n))

    def value(self) -> bytes:
        x = self.r.random()
        if x < 0.25:
            return self.short_str()
        if x < 0.45:
            return self.int_arg()
        if x < 0.6:
            return self.float_arg()
        if x < 0.75:
            return self.r.choice(BIN_VALUES + NUM_JUNK)
        if x < 0.79:
            return self.r.choice(LONG_VALUES)
        if x < 0.8:
            return bytes(self.r.getrandbits(8) for _ in range(self.r.choice((17, 300, 1000))))
        return self.r.choice(INT_EDGES + FLOAT_EDGES + BIN_VALUES + [b"", b"abc", b"1"])

    def junk(self) -> bytes:
        return self.r.choice([b"FOO", b"", b"\x00", b"EX", b"NX", b"XX", b"1", b"-1",
                              b"WITHSCORES", b"LIMIT", b"COUNT", b"abc", b"REPLACE", b"DB"])

    def rel_s(self) -> bytes:
        x = self.r.random()
        if x < 0.5:
            return self.r.choice(REL_S)
        if x < 0.75:
            return B(self.r.randint(10**4, 10**6))
        return self.r.choice(EXP_BAD)

    def rel_ms(self) -> bytes:
        x = self.r.random()
        if x < 0.5:
            return self.r.choice(REL_MS)
        if x < 0.75:
            return B(self.r.randint(10**7, 10**10))
        return self.r.choice(EXP_BAD)

    def abs_s(self) -> bytes:
        x = self.r.random()
        if x < 0.65:
            return self.r.choice(ABS_S)
        if x < 0.8:
            return self.r.choice(REL_S)  # far in the past as absolute seconds
        return self.r.choice(EXP_BAD)

    def abs_ms(self) -> bytes:
        x = self.r.random()
        if x < 0.65:
            return self.r.choice(ABS_MS)
        if x < 0.8:
            return self.r.choice(REL_MS[:4])  # 1970
        return self.r.choice(EXP_BAD)

    def case(self, name: str) -> bytes:
        x = self.r.random()
        if x < 0.6:
            return name.upper().encode()
        if x < 0.85:
            return name.lower().encode()
        return "".join(c.upper() if self.r.random() < 0.5 else c.lower()
                       for c in name).encode()

    def opts(self, choices: Sequence, max_n: int = 3) -> List[bytes]:
        """0..max_n options from `choices` (callables returning a list)."""
        n = self.r.choices(range(max_n + 1), weights=[40, 35, 18, 7][:max_n + 1])[0]
        out: List[bytes] = []
        for _ in range(n):
            out.extend(self.r.choice(choices)())
        return out

    # -- command generators --------------------------------------------------
    def g_get(self):
        return [self.case("get"), self.key()]

    def _expiry_opts(self, with_persist: bool = False):
        c = [lambda: [self.case("ex"), self.rel_s()],
             lambda: [self.case("px"), self.rel_ms()],
             lambda: [self.case("exat"), self.abs_s()],
             lambda: [self.case("pxat"), self.abs_ms()]]
        if with_persist:
            c.append(lambda: [self.case("persist")])
        return c

    def g_set(self):
        choices = self._expiry_opts() + [
            lambda: [self.case("nx")], lambda: [self.case("xx")],
            lambda: [self.case("get")], lambda: [self.case("get")],
            lambda: [self.case("keepttl")], lambda: [self.case("nx")],
        ]
        tail = self.opts(choices)
        if self.r.random() < 0.05:
            tail.insert(self.r.randint(0, len(tail)), self.junk())
        if self.r.random() < 0.02:
            tail.append(self.r.choice([b"EX", b"PX", b"EXAT", b"PXAT"]))  # missing value
        return [self.case("set"), self.key(), self.value()] + tail

    def g_setnx(self):
        return [self.case("setnx"), self.key(), self.value()]

    def g_setex(self):
        return [self.case("setex"), self.key(), self.rel_s(), self.value()]

    def g_psetex(self):
        return [self.case("psetex"), self.key(), self.rel_ms(), self.value()]

    def g_getset(self):
        return [self.case("getset"), self.key(), self.value()]

    def g_getdel(self):
        return [self.case("getdel"), self.key()]

    def g_getex(self):
        tail = self.opts(self._expiry_opts(with_persist=True), max_n=2)
        if self.r.random() < 0.05:
            tail.append(self.junk())
        return [self.case("getex"), self.key()] + tail

    def g_mget(self):
        return [self.case("mget")] + self.keys(1, 5)

    def _pairs(self, lo=1, hi=4):
        out = []
        for _ in range(self.r.randint(lo, hi)):
            out += [self.key(), self.value()]
        return out

    def g_mset(self):
        return [self.case("mset")] + self._pairs()

    def g_msetnx(self):
        return [self.case("msetnx")] + self._pairs()

    def g_append(self):
        return [self.case("append"), self.key(), self.value()]

    def g_strlen(self):
        return [self.case("strlen"), self.key()]

    def g_getrange(self):
        return [self.case(self.r.choice(["getrange", "getrange", "substr"])), self.key(),
                self.int_arg(), self.int_arg()]

    def setrange_offset(self) -> bytes:
        x = self.r.random()
        if x < 0.6:
            return B(self.r.randint(0, 40))
        if x < 0.8:
            return B(self.r.choice([100, 1000, 1023, 4096, 65535, 65536]))
        if x < 0.85:
            return B(self.r.choice([-1, -2**63, 2**63]) if self.r.random() < 0.5
                     else self.r.choice(NUM_JUNK))
        if x < 0.9:
            # Beyond 512 MB: an error (or a no-op with an empty value), no allocation.
            return B(self.r.choice([536870912, 2**32, 2**63 - 1, 536870911 + 1000]))
        if x < 0.995:
            return B(self.r.choice([2**17, 2**20]))
        return B(2**24)

    def g_setrange(self):
        off = self.setrange_offset()
        val = self.value()
        if int_or_none(off) is not None and int_or_none(off) >= 536870911 and len(val) < 2:
            val = self.r.choice([b"", b"ab"])  # never allocate ~512 MB
        return [self.case("setrange"), self.key(), off, val]

    def g_incr(self):
        return [self.case(self.r.choice(["incr", "decr"])), self.key()]

    def g_incrby(self):
        return [self.case(self.r.choice(["incrby", "decrby"])), self.key(), self.int_arg()]

    def g_incrbyfloat(self):
        return [self.case("incrbyfloat"), self.key(), self.float_arg()]

    def g_lcs(self):
        tail = self.opts([lambda: [self.case("len")], lambda: [self.case("idx")],
                          lambda: [self.case("idx")],
                          lambda: [self.case("minmatchlen"), self.r.choice(
                              [b"0", b"1", b"2", b"3", b"-1", b"abc", b"100"])],
                          lambda: [self.case("withmatchlen")]], max_n=3)
        if self.r.random() < 0.05:
            tail.append(self.junk())
        return [self.case("lcs"), self.key(), self.key()] + tail

    def bit_offset(self, for_set: bool) -> bytes:
        x = self.r.random()
        if x < 0.6:
            return B(self.r.randint(0, 70))
        if x < 0.75:
            return B(self.r.choice([100, 1000, 8191, 8192, 65536]))
        if x < 0.85:
            return B(self.r.choice([-1, 2**32, 2**63, 2**63 - 1, -2**63]))
        if x < 0.9:
            return self.r.choice(NUM_JUNK)
        if x < 0.99 or not for_set:
            return B(self.r.choice([2**20, 2**23, 2**32 - 1] if not for_set else [2**20]))
        return B(2**23)

    def g_setbit(self):
        bit = self.r.choice([b"0", b"1", b"1", b"0", b"2", b"-1", b"", b"abc", b" 1", b"01"])
        return [self.case("setbit"), self.key(), self.bit_offset(True), bit]

    def g_getbit(self):
        return [self.case("getbit"), self.key(), self.bit_offset(False)]

    def bit_range(self) -> List[bytes]:
        """BITCOUNT / BITPOS's optional start, end and unit."""
        args = [self.int_arg(), self.int_arg()]
        if self.r.random() < 0.5:
            args.append(self.case(self.r.choice(["bit", "byte", "bit", "bits"])))
        return args[:self.r.choice([0, 1, 2, 3, 3])]

    def g_bitcount(self):
        return [self.case("bitcount"), self.key()] + self.bit_range()

    def g_bitpos(self):
        bit = self.r.choice([b"0", b"1", b"1", b"0", b"2", b"-1", b"abc"])
        return [self.case("bitpos"), self.key(), bit] + self.bit_range()

    def g_bitop(self):
        op = self.case(self.r.choice(["and", "or", "xor", "not", "not", "nand"]))
        return [self.case("bitop"), op, self.key()] + self.keys(1, 3)

    def g_bitfield(self):
        name = "bitfield_ro" if self.r.random() < 0.2 else "bitfield"
        args = [self.case(name), self.key()]
        for _ in range(self.r.randint(0, 4)):
            kind = self.r.choice(["get", "set", "incrby", "overflow"])
            if kind == "overflow":
                args += [self.case("overflow"), self.case(self.r.choice(["wrap", "sat", "fail", "foo"]))]
                continue
            width = self.r.choice(["i", "u"]) + str(self.r.choice([1, 2, 5, 8, 16, 31, 32, 63, 64, 65, 0]))
            offset = self.r.choice([self.bit_offset(False), B("#" + str(self.r.randint(-1, 20)))])
            if int_or_none(offset) is not None and int_or_none(offset) > 2**20:
                offset = B(self.r.randint(0, 100))  # never allocate a large string
            args += [self.case(kind), B(width), offset]
            if kind != "get":
                args.append(self.int_arg())
        return args

    def g_pfadd(self):
        return [self.case("pfadd"), self.key()] + [self.value() for _ in range(self.r.randint(0, 5))]

    def g_pfcount(self):
        return [self.case("pfcount")] + self.keys(1, 3)

    def g_pfmerge(self):
        return [self.case("pfmerge")] + self.keys(1, 3)

    def g_del(self):
        return [self.case(self.r.choice(["del", "unlink"]))] + self.keys(1, 3)

    def g_exists(self):
        return [self.case("exists")] + self.keys(1, 4)

    def g_touch(self):
        return [self.case("touch")] + self.keys(1, 3)

    def g_type(self):
        return [self.case("type"), self.key()]

    def g_rename(self):
        return [self.case(self.r.choice(["rename", "renamenx"])), self.key(), self.key()]

    def g_copy(self):
        tail = self.opts([lambda: [self.case("db"), self.r.choice(DB_INDEXES)],
                          lambda: [self.case("replace")],
                          lambda: [self.case("replace")],
                          lambda: [self.junk()]], max_n=2)
        return [self.case("copy"), self.key(), self.key()] + tail

    def g_move(self):
        return [self.case("move"), self.key(), self.r.choice(DB_INDEXES)]

    def g_dbsize(self):
        return [self.case("dbsize")]

    def _cond_opts(self):
        n = self.r.choices([0, 1, 2, 3], weights=[40, 45, 12, 3])[0]
        return [self.case(self.r.choice(["nx", "xx", "gt", "lt", "gt", "lt"]))
                if self.r.random() < 0.97 else self.junk() for _ in range(n)]

    def g_expire(self):
        name = self.r.choice(["expire", "pexpire"])
        opts = self._cond_opts()
        gtlt = any(o.lower() in (b"gt", b"lt") for o in opts)
        if gtlt:
            # GT/LT compare with the existing expiry: random values so that
            # "equal" (a millisecond race) practically never happens; or values
            # that are invalid / already in the past.
            if self.r.random() < 0.85:
                val = B(self.r.randint(10**4, 10**8) if name == "expire"
                        else self.r.randint(10**7, 10**12))
            else:
                val = self.r.choice(EXP_BAD)
        else:
            val = self.rel_s() if name == "expire" else self.rel_ms()
        return [self.case(name), self.key(), val] + opts

    def g_expireat(self):
        name = self.r.choice(["expireat", "pexpireat"])
        val = self.abs_s() if name == "expireat" else self.abs_ms()
        return [self.case(name), self.key(), val] + self._cond_opts()

    def g_ttl(self):
        return [self.case(self.r.choice(["ttl", "pttl", "expiretime", "pexpiretime"])),
                self.key()]

    def g_persist(self):
        return [self.case("persist"), self.key()]

    def g_push(self):
        vals = [self.value() if self.r.random() < 0.5 else self.r.choice(MEMBERS)
                for _ in range(self.r.randint(1, 4))]
        return [self.case(self.r.choice(["lpush", "rpush"])), self.key()] + vals

    def g_pop(self):
        cmd = [self.case(self.r.choice(["lpop", "rpop"])), self.key()]
        if self.r.random() < 0.4:
            cmd.append(self.r.choice([b"0", b"1", b"2", b"3", b"10", b"-1", b"abc",
                                      B(2**63 - 1), B(2**63), b"", b" 1", b"1.5",
                                      B(-2**63)]))
        return cmd

    def g_llen(self):
        return [self.case("llen"), self.key()]

    def g_lrange(self):
        idx = lambda: self.small_int(-6, 6) if self.r.random() < 0.75 else self.int_arg()
        return [self.case("lrange"), self.key(), idx(), idx()]

    def g_hset(self):
        pairs = []
        for _ in range(self.r.randint(1, 3)):
            pairs += [self.r.choice(FIELDS), self.value()]
        return [self.case("hset"), self.key()] + pairs

    def g_hget(self):
        return [self.case("hget"), self.key(), self.r.choice(FIELDS)]

    def g_hlen(self):
        return [self.case("hlen"), self.key()]

    def g_hdel(self):
        return [self.case("hdel"), self.key()] + [self.r.choice(FIELDS)
                                                  for _ in range(self.r.randint(1, 3))]

    def g_sadd(self):
        return [self.case("sadd"), self.key()] + [self.r.choice(MEMBERS)
                                                  for _ in range(self.r.randint(1, 4))]

    def g_srem(self):
        return [self.case("srem"), self.key()] + [self.r.choice(MEMBERS)
                                                  for _ in range(self.r.randint(1, 3))]

    def g_scard(self):
        return [self.case("scard"), self.key()]

    def g_sismember(self):
        return [self.case("sismember"), self.key(), self.r.choice(MEMBERS)]

    def g_select(self):
        return [self.case("select"), self.r.choice(DB_INDEXES)]

    def g_ping(self):
        return [self.case("ping")] + ([self.value()] if self.r.random() < 0.5 else [])

    def g_echo(self):
        return [self.case("echo"), self.value()]

    def g_unknown(self):
        return [self.r.choice(UNKNOWN_NAMES)] + [self.value() for _ in range(self.r.randint(0, 3))]

    def g_multi(self):
        return [self.case("multi")]

    # -- top level -----------------------------------------------------------
    def command(self, in_multi: bool) -> List[bytes]:
        if in_multi:
            x = self.r.random()
            if x < 0.08:
                return [self.case("exec")]
            if x < 0.1:
                return [self.case("discard")]
        elif self.r.random() < 0.003:
            return [self.case(self.r.choice(["exec", "discard"]))]
        pick = self.r.random() * self.total
        for w, g in self.table:
            pick -= w
            if pick < 0:
                break
        self.family = self.family_of.get(g.__name__, "string")
        cmd = g()
        if self.r.random() < 0.05:
            cmd = self.mutate_arity(cmd)
        return cmd

    def mutate_arity(self, cmd: List[bytes]) -> List[bytes]:
        if len(cmd) > 1 and self.r.random() < 0.5:
            return cmd[:self.r.randint(1, len(cmd) - 1)]
        return cmd + [self.r.choice([self.value(), self.key(), self.junk()])
                      for _ in range(self.r.randint(1, 3))]


def int_or_none(b: bytes) -> Optional[int]:
    try:
        return int(b)
    except ValueError:
        return None


# ---------------------------------------------------------------------------
# Comparison
# ---------------------------------------------------------------------------

# Non-negative integer replies of these commands may differ by this much.
TOLERANCE = {b"ttl": 2, b"expiretime": 2, b"pttl": 1500, b"pexpiretime": 1500}


def replies_match(name: bytes, r: bytes, s: bytes) -> bool:
    if r == s:
        return True
    tol = TOLERANCE.get(name)
    if tol is not None and r[:1] == b":" and s[:1] == b":":
        try:
            a, b = int(r[1:].strip()), int(s[1:].strip())
        except ValueError:
            return False
        return a >= 0 and b >= 0 and abs(a - b) <= tol
    return False


def _error_words(line: str) -> str:
    """Leading words of an error message, up to the first one that looks like
    an echoed argument (not purely letters, or very long) -- at most 5."""
    words = []
    for w in line.split(" ")[:5]:
        if not w or len(w) > 20 or not re.fullmatch(r"[A-Za-z]+", w):
            break
        words.append(w)
    return " ".join(words)


def shape(raw: Optional[bytes]) -> str:
    """Coarse form of a reply, for de-duplicating mismatches."""
    if raw is None:
        return "<none>"
    if not raw:
        return "<empty>"
    if raw[:1] == b"-":
        return "-" + _error_words(raw[1:].split(b"\r\n", 1)[0].decode("latin-1"))
    if raw.startswith((b"$-1\r", b"*-1\r")):
        return raw[:1].decode() + "nil"
    if raw.startswith(b"*0\r"):
        return "*empty"
    return raw[:1].decode("latin-1")


def short(b: Optional[bytes], n: int = 300) -> str:
    if b is None:
        return "<no reply>"
    s = repr(b)
    return s if len(s) <= n else s[:n] + f"...<{len(b)} bytes>"


def cmd_repr(cmd: Sequence[bytes]) -> str:
    parts = []
    for a in cmd:
        tail = b""
        if len(a) > 60:
            a, tail = a[:40], b"...<%d bytes>" % len(a)
        r = repr(a)[2:-1]
        if not r or " " in r or "'" in r or '"' in r:
            r = repr(a)
        parts.append(r + tail.decode())
    return " ".join(parts)


class Mismatch:
    def __init__(self, index: int, cmd, redis_reply, sut_reply, context, note=""):
        self.index = index
        self.cmd = cmd
        self.redis = redis_reply
        self.sut = sut_reply
        self.context = list(context)
        self.note = note
        self.count = 1

    def render(self) -> str:
        lines = [f"#{self.index}: {cmd_repr(self.cmd)}   (x{self.count})"]
        if self.note:
            lines.append(f"    note:  {self.note}")
        lines.append(f"    redis: {short(self.redis)}")
        lines.append(f"    sut:   {short(self.sut)}")
        if self.context:
            lines.append("    preceding commands (since last resync): " +
                         " | ".join(cmd_repr(c) for c in self.context))
        return "\n".join(lines)


# ---------------------------------------------------------------------------
# The fuzzer
# ---------------------------------------------------------------------------

class Fuzzer:
    def __init__(self, seed: int, redis_server, sut_server):
        self.seed = seed
        self.rng = random.Random(seed)
        self.gen = Gen(self.rng)
        self.redis_server = redis_server
        self.sut_server = sut_server
        self.rc: Optional[RespClient] = None
        self.sc: Optional[RespClient] = None
        self.health: Optional[RespClient] = None
        self.in_multi = False
        self.queued: List[List[bytes]] = []
        self.history = collections.deque(maxlen=8)  # since last resync
        self.last_sent = collections.deque(maxlen=20)
        self.mismatches: Dict[Tuple[str, str, str], Mismatch] = {}
        self.n_mismatch = 0
        self.n_resync = 0
        self.sent = 0

    # -- connections -------------------------------------------------------
    def connect(self) -> None:
        for c in (self.rc, self.sc):
            if c is not None:
                c.close()
        self.rc = RespClient(self.redis_server.host, self.redis_server.port, REPLY_TIMEOUT)
        try:
            self.sc = RespClient(self.sut_server.host, self.sut_server.port, REPLY_TIMEOUT)
        except OSError as e:
            self.check_alive(f"cannot connect: {e}")
            raise
        self.in_multi = False
        self.queued = []
        self.history.clear()
        for c in (self.rc, self.sc):
            c.send(encode_command([b"FLUSHALL"]))
        if self.rc.read_reply() != b"+OK\r\n":
            raise AssertionError("FLUSHALL failed on redis")
        try:
            rep = self.sc.read_reply()
        except (ConnectionClosed, ReplyTimeout, OSError) as e:
            self.check_alive(f"FLUSHALL: {e}")
            raise
        if rep != b"+OK\r\n":
            pytest.fail(f"FLUSHALL on the server under test replied {rep!r}", pytrace=False)

    def resync(self) -> None:
        self.n_resync += 1
        self.connect()

    def sut_dead_message(self, why: str) -> Optional[str]:
        proc = self.sut_server.proc
        if proc is None or proc.poll() is None:
            return None
        return (f"SwiftKeyDB DIED (exit status {proc.returncode}) — {why}\n"
                f"seed {self.seed}, after {self.sent} commands\n"
                "last commands sent (oldest first):\n  " +
                "\n  ".join(cmd_repr(c) for c in self.last_sent) +
                f"\n--- server log (tail) ---\n{self.sut_server.log_tail(40)}")

    def check_alive(self, why: str) -> None:
        msg = self.sut_dead_message(why)
        if msg is None:
            try:
                if self.health is None:
                    self.health = RespClient(self.sut_server.host, self.sut_server.port,
                                             REPLY_TIMEOUT)
                rep = self.health.call("PING")
                if rep == b"+PONG\r\n":
                    return
                why += f"; health PING replied {rep!r}"
            except (OSError, ConnectionClosed, ReplyTimeout, RespError) as e:
                why += f"; health PING failed: {e}"
                self.health = None
            time.sleep(0.2)
            msg = self.sut_dead_message(why) or (
                f"SwiftKeyDB is unresponsive — {why}\nseed {self.seed}, after {self.sent} "
                "commands\nlast commands sent (oldest first):\n  " +
                "\n  ".join(cmd_repr(c) for c in self.last_sent) +
                f"\n--- server log (tail) ---\n{self.sut_server.log_tail(40)}")
        pytest.fail(msg, pytrace=False)

    # -- sending -------------------------------------------------------------
    def _send(self, client: RespClient, payload: bytes, cuts: List[int]) -> None:
        """Send `payload`, split at `cuts` (several writes, to exercise the
        servers' handling of partial requests)."""
        prev = 0
        for c in cuts + [len(payload)]:
            if c > prev:
                client.send(payload[prev:c])
                prev = c

    def exchange(self, cmds: List[List[bytes]]) -> List[Tuple[bytes, Optional[bytes], str]]:
        """Send a batch (a pipeline if several commands) to both servers and
        return one (redis reply, sut reply or None, error note) per command."""
        payload = b"".join(encode_command(c) for c in cmds)
        cuts: List[int] = []
        if len(cmds) > 1 and self.rng.random() < 0.3:
            cuts = sorted(self.rng.randrange(1, len(payload))
                          for _ in range(self.rng.randint(1, 3)))
        self.sent += len(cmds)
        self.last_sent.extend(cmds)
        self._send(self.rc, payload, cuts)
        note = ""
        sut_ok = True
        try:
            self._send(self.sc, payload, cuts)
        except OSError as e:
            sut_ok, note = False, f"send failed: {e}"
        out = []
        for cmd in cmds:
            try:
                r = self.rc.read_reply()
            except (ConnectionClosed, ReplyTimeout, RespError) as e:
                pytest.fail(f"reference redis-server failed on {cmd_repr(cmd)}: {e}",
                            pytrace=False)
            s = None
            if sut_ok:
                try:
                    s = self.sc.read_reply()
                except (ConnectionClosed, ReplyTimeout, RespError, OSError) as e:
                    note = f"{type(e).__name__}: {e}"
                    sut_ok = False
            if s is None:
                msg = self.sut_dead_message(note)
                if msg:
                    pytest.fail(msg, pytrace=False)
            out.append((r, s, note))
        return out

    def record(self, cmd, r, s, note="", name=None, rr=None, ss=None) -> None:
        self.n_mismatch += 1
        if name is None:
            name = cmd[0].lower().decode("latin-1") if cmd else ""
            if name.encode("latin-1") not in KNOWN_NAMES:
                name = "<unknown command>"
        k = (name, shape(rr if rr is not None else r), shape(ss if ss is not None else s))
        if k in self.mismatches:
            self.mismatches[k].count += 1
        else:
            self.mismatches[k] = Mismatch(self.sent, cmd, r, s, list(self.history)[:-1], note)

    def step(self, cmd: List[bytes]) -> bytes:
        return self.steps([cmd])[0]

    def steps(self, cmds: List[List[bytes]]) -> List[bytes]:
        """Run a batch; returns Redis' replies (fewer if a resync happened)."""
        results = self.exchange(cmds)
        out = []
        for cmd, (r, s, note) in zip(cmds, results):
            self.history.append(cmd)
            out.append(r)
            if not self.process(cmd, r, s, note):
                break  # resynced: the rest of the batch is moot
        return out

    def process(self, cmd: List[bytes], r: bytes, s: Optional[bytes], note: str) -> bool:
        """Compare one reply pair; False if the connections were resynced."""
        name = cmd[0].lower()
        if s is None:
            self.record(cmd, r, s, note)
            self.check_alive(note)
            self.resync()
            return False
        ok = replies_match(name, r, s)
        if not ok and name == b"exec" and self.queued:
            ok = self.compare_exec(cmd, r, s)
            if ok is None:
                self.resync()
                return False
            # "errors": already recorded, no state divergence
        if not ok:
            self.record(cmd, r, s)
            if not (r[:1] == b"-" and s[:1] == b"-"):
                self.resync()
                return False
        # Track MULTI state from the (equal enough) replies.
        if self.in_multi:
            if name in (b"exec", b"discard") and len(cmd) == 1:
                self.in_multi = False
                self.queued = []
            elif r == b"+QUEUED\r\n":
                self.queued.append(cmd)
        elif name == b"multi" and r == b"+OK\r\n":
            self.in_multi = True
            self.queued = []
        return True

    def compare_exec(self, cmd, r, s):
        """Element-wise EXEC comparison with the TTL tolerance. Returns True if
        equal, False for a plain mismatch (not recorded yet), "errors" if only
        error replies differed, None if a state-changing mismatch was recorded."""
        try:
            pr, ps = parse_reply(r), parse_reply(s)
        except (RespError, ValueError, IndexError):
            return False
        if not (pr.is_array and ps.is_array and len(pr.items) == len(ps.items) == len(self.queued)):
            return False
        result = True
        for q, a, b in zip(self.queued, pr.items, ps.items):
            if not replies_match(q[0].lower(), a, b):
                qname = q[0].lower().decode("latin-1")
                self.record(list(cmd) + [b"/*", ] + list(q) + [b"*/"], a, b,
                            note=f"inside EXEC of {len(self.queued)} queued commands: "
                                 + " ; ".join(cmd_repr(c) for c in self.queued)[:600],
                            name=f"exec/{qname}" if qname.encode("latin-1") in KNOWN_NAMES
                            else "exec/<unknown>")
                if a[:1] == b"-" and b[:1] == b"-":
                    result = "errors"
                else:
                    return None
        return result

    # -- main loop -----------------------------------------------------------
    def run(self, n: int) -> float:
        self.connect()
        t0 = time.monotonic()
        while self.sent < n:
            if time.monotonic() - t0 > TIME_BUDGET:
                break
            before = self.sent
            if self.rng.random() < PIPELINE_PROB:
                batch: List[List[bytes]] = []
                for _ in range(self.rng.randint(2, 12)):
                    cmd = self.gen.command(self.in_multi)
                    if cmd[0].lower() == b"lcs":
                        continue  # needs the STRLEN guard below
                    if cmd[0].lower() == b"dbsize" and len(cmd) == 1:
                        batch.append([b"EXISTS"] + KEYS)
                    batch.append(cmd)
                if batch:
                    self.steps(batch)
            else:
                cmd = self.gen.command(self.in_multi)
                name = cmd[0].lower()
                if name == b"dbsize" and len(cmd) == 1:
                    # Touch every key first: keys set with a past EXAT/PXAT are only
                    # removed from Redis' dict lazily or by the active expire cycle.
                    self.step([b"EXISTS"] + KEYS)
                if name == b"lcs" and len(cmd) >= 3:
                    if self.in_multi:
                        continue
                    # LCS needs len1*len2 memory: only on small strings.
                    lens = self.steps([[b"STRLEN", k] for k in cmd[1:3]])
                    if len(lens) < 2 or any(l[:1] == b":" and int(l[1:-2]) > LCS_MAX_LEN
                                            for l in lens):
                        continue
                self.step(cmd)
            if self.sent // ALIVE_EVERY != before // ALIVE_EVERY:
                self.check_alive("periodic liveness check")
        return time.monotonic() - t0

    def close(self) -> None:
        for c in (self.rc, self.sc, self.health):
            if c is not None:
                c.close()


KNOWN_NAMES = {B(x) for x in (
    "get set setnx setex psetex getset getdel getex mget mset msetnx append strlen "
    "getrange substr setrange incr decr incrby decrby incrbyfloat lcs setbit getbit del "
    "unlink exists touch type rename renamenx copy move dbsize expire pexpire expireat "
    "pexpireat ttl pttl expiretime pexpiretime persist lpush rpush lpop rpop llen lrange "
    "hset hget hlen hdel sadd srem scard sismember select ping echo multi exec discard"
).split()}


@pytest.mark.parametrize("seed", _seeds())
def test_fuzz_differential(seed, redis_server, sut_server):
    redis_server.require()
    sut_server.require()
    fz = Fuzzer(seed, redis_server, sut_server)
    try:
        elapsed = fz.run(N_COMMANDS)
        fz.check_alive("end of run")
    finally:
        fz.close()
    summary = (f"seed {seed}: {fz.sent} commands in {elapsed:.1f}s, "
               f"{fz.n_mismatch} mismatches ({len(fz.mismatches)} distinct), "
               f"{fz.n_resync} resyncs")
    print(summary)
    if fz.sent < N_COMMANDS:
        print(f"WARNING: time budget {TIME_BUDGET}s exhausted after {fz.sent}/{N_COMMANDS}")
    if fz.mismatches:
        items = list(fz.mismatches.values())[:MAX_REPORTED]
        body = "\n".join(m.render() for m in items)
        more = len(fz.mismatches) - len(items)
        pytest.fail(f"{summary}\n(reproduce: FUZZ_SEED={seed} FUZZ_COMMANDS={N_COMMANDS})\n"
                    f"{body}" + (f"\n... and {more} more distinct mismatches" if more else ""),
                    pytrace=False)
