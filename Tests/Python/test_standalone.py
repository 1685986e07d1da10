"""MODULE LOAD / LOADEX / UNLOAD where `enable-module-command` lets the client
run them: a module that cannot be loaded gets the same reply from both servers,
and each says why in its log. SwiftKeyDB loads no Redis module at all, so every
LOAD fails so. (The other replies of a standalone server, ROLE, REPLICAOF,
FAILOVER, CLUSTER and MODULE under the default `no`, are compared in
cases/standalone.txt; WAIT's blocking in test_blocking.py.)
"""

from __future__ import annotations

import pytest

from conftest import serve_pair

COMMANDS = [
    ("MODULE", "LOAD", "/nonexistent/module.so"),
    ("MODULE", "LOAD", "/nonexistent/module.so", "arg1", "arg2"),
    ("MODULE", "LOADEX", "/nonexistent/module.so"),
    ("MODULE", "LOADEX", "/nonexistent/module.so", "CONFIG", "name", "value", "ARGS", "a"),
    ("MODULE", "LOADEX", "/nonexistent/module.so", "CONFIG", "name"),
    ("MODULE", "UNLOAD", "nosuch"),
    ("MODULE", "LIST"),
    ("MODULE", "LOAD"),
]


@pytest.fixture(scope="module", params=["yes", "local"])
def pair(request):
    yield from serve_pair(["--enable-module-command", request.param])


def test_module_commands_where_allowed(pair):
    replies = []
    for server in pair:
        client = server.client()
        try:
            replies.append([client.call(*command) for command in COMMANDS])
        finally:
            client.close()
    assert replies[0] == replies[1]
    assert replies[1][0] == b"-ERR Error loading the extension. Please check the server logs.\r\n"
    assert replies[1][5] == b"-ERR Error unloading module: no such module with that name\r\n"
    for server in pair:
        with open(server.log_path, "rb") as log:
            assert b"Module /nonexistent/module.so failed to load" in log.read(), server.name
