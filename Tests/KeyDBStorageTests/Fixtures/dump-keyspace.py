#!/usr/bin/env python3
"""Prints the keyspace and functions of a running Redis in the line format that
RDBFixtureTests rebuilds from a decoded RDB file. Usage: dump-keyspace.py PORT

  function x<hex of the library source>
  key <db> x<hex key> <type> <PEXPIRETIME or -> <items>

Items are x<hex bytes>; sorted-set scores are d<16 hex digits of the IEEE bits>.
Set members, hash fields and sorted-set members are sorted by their bytes, so
the order of a hash table does not matter; list order is kept.
"""
import struct
import sys

import redis


def x(b):
    return "x" + b.hex()


def d(f):
    return "d" + struct.pack(">d", f).hex()


def main():
    r = redis.Redis(port=int(sys.argv[1]), decode_responses=False)
    lines = []
    for lib in r.execute_command("FUNCTION", "LIST", "WITHCODE"):
        # redis-py may already have turned the reply into a dict.
        fields = lib if isinstance(lib, dict) else dict(zip(lib[::2], lib[1::2]))
        lines.append("function " + x(fields[b"library_code"]))
    for db in range(16):
        c = redis.Redis(port=int(sys.argv[1]), db=db, decode_responses=False)
        for key in c.scan_iter(count=1000):
            kind = c.type(key).decode()
            ttl = c.pexpiretime(key)
            if kind == "string":
                items = [x(c.get(key))]
            elif kind == "list":
                items = [x(e) for e in c.lrange(key, 0, -1)]
            elif kind == "set":
                items = [x(e) for e in sorted(c.smembers(key))]
            elif kind == "hash":
                items = [t for f, v in sorted(c.hgetall(key).items()) for t in (x(f), x(v))]
            elif kind == "zset":
                pairs = c.zrange(key, 0, -1, withscores=True, score_cast_func=float)
                items = [t for m, s in sorted(pairs) for t in (x(m), d(s))]
            else:
                raise SystemExit(f"unexpected type {kind}")
            lines.append(" ".join(["key", str(db), x(key), kind, str(ttl) if ttl >= 0 else "-"] + items))
    for line in sorted(lines):
        print(line)


main()
