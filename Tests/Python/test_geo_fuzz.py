"""Seeded geo fuzzer: random geo sets searched at random, Redis 7.0 vs SwiftKeyDB.

Each round fills one key with GEOADD (points spread over the globe, clustered
round a centre, packed on a few spots so many share a distance, hugging the
antimeridian or the latitude limits), then runs random GEORADIUS,
GEORADIUSBYMEMBER, GEOSEARCH (radius and box, from a point or a member) with
random units, WITHDIST / WITHCOORD / WITHHASH, ASC / DESC, COUNT [ANY], and
the STORE forms followed by ZRANGE WITHSCORES. Raw replies must be equal:
the same cells searched, the same distances to the last digit, and ties in
the order Redis's sorts leave them.

Environment: GEO_FUZZ_SEED ("7", "1,5", "1..4"; default 1..3),
GEO_FUZZ_ROUNDS (sets per seed, default 25).
"""

from __future__ import annotations

import os
import random

import pytest


def _seeds():
    text = os.environ.get("GEO_FUZZ_SEED", "1..3")
    if ".." in text:
        low, high = text.split("..")
        return list(range(int(low), int(high) + 1))
    return [int(part) for part in text.split(",")]


ROUNDS = int(os.environ.get("GEO_FUZZ_ROUNDS", "25"))
UNITS = {"m": 1.0, "km": 1000.0, "mi": 1609.34, "ft": 0.3048}
LAT_LIMIT = 85.05112878


def _clamp(value, low, high):
    return max(low, min(high, value))


def _points(rng, count, centre):
    """`count` GEOADD triples in one of several layouts."""
    layout = rng.randrange(5)
    clon, clat = centre
    args = []
    for index in range(count):
        if layout == 0:
            lon, lat = rng.uniform(-180, 180), rng.uniform(-LAT_LIMIT, LAT_LIMIT)
        elif layout == 1:
            lon, lat = clon + rng.gauss(0, 2), clat + rng.gauss(0, 2)
        elif layout == 2:  # a few spots: many members at equal distances
            lon = round(clon + rng.choice([-1, 0, 1]) * rng.choice([0, 0.01, 0.02]), 2)
            lat = round(clat + rng.choice([-1, 0, 1]) * rng.choice([0, 0.01, 0.02]), 2)
        elif layout == 3:  # along the antimeridian
            lon, lat = rng.choice([-180, 180, 179.9, -179.9]) + rng.uniform(-0.5, 0.5), rng.uniform(-85, 85)
        else:  # near the latitude limits
            lon, lat = rng.uniform(-180, 180), rng.choice([85.05, -85.05, 84, -84, 80, -80]) + rng.uniform(-1, 1)
        args += [repr(_clamp(lon, -180, 180)), repr(_clamp(lat, -LAT_LIMIT, LAT_LIMIT)), f"p{index}"]
    return args


def _query(rng, count, centre):
    """One random search command over key `pts`."""
    unit = rng.choice(list(UNITS))
    size = rng.choice([0, 1, 1000, 50_000, 200_000, 1_000_000, 5_000_000, 15_000_000]) * rng.random() / UNITS[unit]
    if rng.random() < 0.5:
        lon, lat = _clamp(centre[0] + rng.gauss(0, 1), -180, 180), _clamp(centre[1] + rng.gauss(0, 1), -85, 85)
    else:
        lon, lat = rng.uniform(-180, 180), rng.uniform(-85.05, 85.05)
    member = f"p{rng.randrange(count)}"
    kind = rng.randrange(5)
    if kind == 0:
        args = ["GEORADIUS", "pts", repr(lon), repr(lat), repr(size), unit]
    elif kind == 1:
        args = ["GEORADIUSBYMEMBER", "pts", member, repr(size), unit]
    elif kind == 2:
        args = ["GEOSEARCH", "pts", "FROMLONLAT", repr(lon), repr(lat), "BYRADIUS", repr(size), unit]
    elif kind == 3:
        args = ["GEOSEARCH", "pts", "FROMLONLAT", repr(lon), repr(lat), "BYBOX",
                repr(size * rng.uniform(0.2, 3)), repr(size * rng.uniform(0.2, 3)), unit]
    else:
        args = ["GEOSEARCH", "pts", "FROMMEMBER", member, "BYBOX", repr(size), repr(size * 2), unit]
    order = rng.random()
    if order < 0.3:
        args.append("ASC")
    elif order < 0.6:
        args.append("DESC")
    if rng.random() < 0.4:
        args += ["COUNT", str(rng.choice([rng.randint(1, 20), rng.randint(1, count)]))]
        if rng.random() < 0.3:
            args.append("ANY")
    store = None
    if kind <= 1 and rng.random() < 0.25:
        store = [rng.choice(["STORE", "STOREDIST"]), "dst"]
    elif kind >= 2 and rng.random() < 0.25:
        store = ["GEOSEARCHSTORE", "dst"] + args[1:] + (["STOREDIST"] if rng.random() < 0.5 else [])
    if store is None:
        for option in ("WITHDIST", "WITHCOORD", "WITHHASH"):
            if rng.random() < 0.5:
                args.append(option)
        return args
    return store if store[0] == "GEOSEARCHSTORE" else args + store


@pytest.mark.parametrize("seed", _seeds())
def test_geo_fuzz(seed, redis_server, sut_server):
    redis_server.require()
    sut_server.require()
    rng = random.Random(seed)
    mismatches = []
    with redis_server.client(timeout=30) as reference, sut_server.client(timeout=30) as tested:
        def both(*args):
            replies = (reference.call(*args), tested.call(*args))
            if replies[0] != replies[1] and len(mismatches) < 10:
                mismatches.append((" ".join(args)[:300], replies[0][:300], replies[1][:300]))
            return replies

        for _ in range(ROUNDS):
            both("DEL", "pts", "dst")
            count = rng.choice([5, 50, 300, 2000])
            centre = (rng.uniform(-180, 180), rng.uniform(-85, 85))
            both("GEOADD", "pts", *_points(rng, count, centre))
            both("ZRANGE", "pts", "0", "-1", "WITHSCORES")
            for _ in range(20):
                both(*_query(rng, count, centre))
                both("ZRANGE", "dst", "0", "-1", "WITHSCORES")
    assert not mismatches, "\n".join(f"{cmd}\n  redis: {a!r}\n  ours:  {b!r}" for cmd, a, b in mismatches)
