#!/bin/bash
# Container health check for SwiftKeyDB: sends PING as a RESP array and
# expects +PONG. A -NOAUTH reply (the server runs with --requirepass) also
# proves the server is up and speaking RESP, so it counts as healthy.
# Uses only bash's /dev/tcp, so the image needs no client tools.
# SWIFTKEYDB_HEALTHCHECK_PORT overrides the port (default 6379).
set -euo pipefail

port="${SWIFTKEYDB_HEALTHCHECK_PORT:-6379}"

if ! exec 3<>"/dev/tcp/127.0.0.1/${port}"; then
    echo "unhealthy: cannot connect to 127.0.0.1:${port}"
    exit 1
fi

# RESP array with one bulk string: *1 CRLF $4 CRLF PING CRLF
printf '%s\r\n' '*1' "\$4" 'PING' >&3

reply=""
if ! IFS= read -r -t 2 reply <&3; then
    echo "unhealthy: no reply to PING on port ${port}"
    exit 1
fi
exec 3<&-

case "$reply" in
    +PONG*|-NOAUTH*)
        exit 0
        ;;
    *)
        echo "unhealthy: unexpected reply to PING: ${reply%$'\r'}"
        exit 1
        ;;
esac
