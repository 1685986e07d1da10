"""The command table against redis-server 7.0's: for every command both
servers know, COMMAND INFO must agree on arity, flags, key positions, ACL
categories, tips and key specs with their notes (ACL checks and COMMAND
GETKEYS rely on the key specs; cluster clients route by the tips).
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
        table[entry[0].decode()] = entry[1:9]
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
