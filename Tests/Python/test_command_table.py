"""The command table against redis-server 7.0's: for every command both
servers know, COMMAND INFO must agree on arity, flags, key positions, ACL
categories and key specs (ACL checks and COMMAND GETKEYS rely on them).
Tips and key-spec notes are documentation and are not compared.
"""

from __future__ import annotations

import redis


def _commands(server):
    connection = redis.Connection(host=server.host, port=server.port, protocol=2)
    connection.connect()
    connection.send_command("COMMAND")
    entries = connection.read_response()
    connection.disconnect()
    table = {}

    def walk(entry):
        name = entry[0].decode()
        specs = [[field for i, field in enumerate(spec) if not (i % 2 == 0 and field == b"notes")
                  and not (i % 2 == 1 and spec[i - 1] == b"notes")] for spec in entry[8]]
        table[name] = [entry[1], entry[2], entry[3], entry[4], entry[5], entry[6], specs]
        for sub in entry[9]:
            walk(sub)

    for entry in entries:
        walk(entry)
    return table


def test_command_info_matches_redis(redis_server, sut_server):
    reference, ours = _commands(redis_server.require()), _commands(sut_server.require())
    # CLIENT SETINFO and CLIENT NO-TOUCH arrived in Redis 7.2; clients send SETINFO on
    # connect, and NO-TOUCH was asked for ahead of 7.2, so both are here too.
    extra = sorted(set(ours) - set(reference) - {"client|setinfo", "client|no-touch"})
    assert extra == [], f"commands Redis 7.0 does not have: {extra}"
    differing = {name: (ours[name], reference[name]) for name in ours if name in reference and ours[name] != reference[name]}
    assert differing == {}
