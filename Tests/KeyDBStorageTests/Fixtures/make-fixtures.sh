#!/usr/bin/env bash
# Regenerates the RDB fixtures with a real redis-server 7.0 (plus redis-py):
#   all-types.rdb               default settings (LZF on, CRC64 on)
#   all-types-uncompressed.rdb  rdbcompression no
#   all-types-nochecksum.rdb    rdbchecksum no (the trailer is zero)
#   all-types.expected          the keyspace as the server reports it (dump-keyspace.py)
# Usage: Tests/KeyDBStorageTests/Fixtures/make-fixtures.sh
set -euo pipefail

here="$(cd "$(dirname "$0")" && pwd)"
work="$(mktemp -d)"
pid=""
cleanup() {
    if [[ -n "$pid" ]]; then kill "$pid" 2>/dev/null || true; wait "$pid" 2>/dev/null || true; fi
    rm -rf "$work"
}
trap cleanup EXIT

port="$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')"

start() {
    redis-server --port "$port" --bind 127.0.0.1 --dir "$work" --save "" --appendonly no \
        --enable-debug-command yes "$@" >"$work/redis.log" 2>&1 &
    pid=$!
    for _ in $(seq 100); do
        redis-cli -p "$port" PING >/dev/null 2>&1 && return
        sleep 0.05
    done
    echo "redis-server did not start:" >&2
    cat "$work/redis.log" >&2
    exit 1
}

stop() {
    redis-cli -p "$port" SHUTDOWN NOSAVE >/dev/null 2>&1 || true
    wait "$pid" 2>/dev/null || true
    pid=""
}

start

python3 - "$port" <<'PY'
import random
import sys

import redis

port = int(sys.argv[1])
rng = random.Random(20240607)


def rand_bytes(n):
    return bytes(rng.randrange(256) for _ in range(n))


r = redis.Redis(port=port, db=0)

# Strings: plain, integer-encodable (and edges just past them), not canonical, LZF, random, binary.
r.set("str:short", "hello")
r.set("str:empty", "")
for v in ["0", "-1", "127", "-128", "128", "-129", "32767", "-32768", "32768", "-32769",
          "2147483647", "-2147483648", "2147483648", "-2147483649",
          "9223372036854775807", "-9223372036854775808", "9223372036854775808",
          "007", "-0", "+1", " 1", "1.5"]:
    r.set(b"str:int:" + v.encode(), v)
r.set("str:lzf", "abcdefgh" * 300)
r.set("str:random", rand_bytes(1000))
r.set(b"str:bin\x00key\r\n", b"\x00\xff\r\nvalue\x00")

# Lists: one small listpack node, many nodes, and elements over 8 KB
# (packed nodes of one element by default; PLAIN nodes below the packed threshold).
r.rpush("list:small", "a", "b", "1", "-5", "300", "70000", "5000000000", "", b"\x00\r\n")
r.rpush("list:many", *[f"item-{i}" for i in range(1500)])
r.rpush("list:bigelem", "head", b"B" * 8300, "tail")
r.execute_command("DEBUG", "QUICKLIST-PACKED-THRESHOLD", "8192")
r.rpush("list:plain", "x", rand_bytes(8300), "y", "z", b"P" * 8300)
r.execute_command("DEBUG", "QUICKLIST-PACKED-THRESHOLD", "1gb")

# Sets: intsets of each width, a hash table of strings, an integer set too big for an intset.
r.sadd("set:int16", 1, 2, 3, -5, 32767, -32768)
r.sadd("set:int32", 1, 70000, -70000, 2147483647)
r.sadd("set:int64", 1, 5000000000, -9223372036854775808, 9223372036854775807)
r.sadd("set:str", "a", "b", "c", b"\x00")
r.sadd("set:manyints", *range(600))
r.sadd("set:mixed", "1", "2", "x")

# Hashes: listpack, and hash tables (over 512 fields, the built-in hash-max-listpack-entries; a value over 64 bytes).
r.hset("hash:small", mapping={"f1": "v1", "n": "123", "neg": "-4096", "empty": "", b"b\x00": b"\r\n"})
r.hset("hash:many", mapping={f"f{i}": f"v{i}" for i in range(600)})
r.hset("hash:longval", mapping={"f": "v" * 100, "g": "1"})

# Sorted sets: listpack and skiplist, with scores that stress the text and binary forms.
special = {"zero": 0.0, "negzero": -0.0, "half": 1.5, "huge": 1e300, "inf": float("inf"),
           "-inf": float("-inf"), "pi": 3.141592653589793, "int": 42, "negint": -7,
           "big": 1e20, "tiny": 2.5e-300, "third": 1 / 3, "e62": 4611686018427387904.0}
r.zadd("zset:small", special)
r.zadd("zset:many", {**special, **{f"m{i}": i * 0.25 for i in range(200)}})
r.zadd("zset:longmember", {"m" * 100: 1.0, "short": 2.0})

# Expiry, far in the future so the fixture stays valid.
r.set("ttl:str", "v")
r.pexpireat("ttl:str", 4102444800123)
r.rpush("ttl:list", "a", "b")
r.pexpireat("ttl:list", 4102444800000)
r.hset("ttl:hash", "f", "v")
r.pexpireat("ttl:hash", 4102444801000)

for db in (1, 15):
    c = redis.Redis(port=port, db=db)
    c.set(f"db{db}:str", f"in db {db}")
    c.rpush(f"db{db}:list", "1", "2", "3")
    c.zadd(f"db{db}:zset", {"a": 1, "b": 2})

r.execute_command("FUNCTION", "LOAD",
                  "#!lua name=fixturelib\nredis.register_function('fixture_echo', function(keys, args) return args[1] end)")
PY

save() {
    redis-cli -p "$port" SAVE >/dev/null
    cp "$work/dump.rdb" "$here/$1"
}

save all-types.rdb
redis-cli -p "$port" CONFIG SET rdbcompression no >/dev/null
save all-types-uncompressed.rdb
python3 "$here/dump-keyspace.py" "$port" >"$here/all-types.expected"
stop

# rdbchecksum cannot change at run time: restart on the saved file with it off.
cp "$here/all-types.rdb" "$work/dump.rdb"
start --rdbchecksum no
save all-types-nochecksum.rdb
python3 "$here/dump-keyspace.py" "$port" | cmp - "$here/all-types.expected"
stop

for f in all-types.rdb all-types-uncompressed.rdb all-types-nochecksum.rdb; do
    redis-check-rdb "$here/$f" | grep -q "RDB looks OK" || { echo "redis-check-rdb rejects $f" >&2; exit 1; }
done
ls -l "$here"
