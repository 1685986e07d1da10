#!/bin/sh
# Container entrypoint for SwiftKeyDB.
#
#   (no arguments)              swiftkeydb-server DEFAULTS
#   --opt value ...             swiftkeydb-server DEFAULTS --opt value ...
#   /path/file.conf [--opt ...] swiftkeydb-server /path/file.conf DEFAULTS [--opt ...]
#   any other command           run as given (e.g. `sh`, `swiftkeydb-server --help`)
#
# DEFAULTS make the server reachable from outside the container and keep its
# files on the /data volume. They come before the caller's options, so options
# given to `docker run` override them (the last occurrence of an option wins,
# as with redis-server); a config file, which must be the first argument,
# comes before them. Protected mode is turned off, as the official Redis image
# does: clients reach the container from a bridge address, never loopback, so
# access is controlled by how the port is published (and by --requirepass).
# A config file that sets protected-mode itself keeps its setting.
set -eu

server=/usr/local/bin/swiftkeydb-server

if [ "$#" -eq 0 ] || [ "${1#-}" != "$1" ]; then
    exec "$server" --bind 0.0.0.0 --port 6379 --dir /data --protected-mode no "$@"
fi

case "$1" in
    *.conf)
        config=$1
        shift
        if grep -qi '^[[:space:]]*protected-mode[[:space:]]' "$config"; then
            exec "$server" "$config" --bind 0.0.0.0 --port 6379 --dir /data "$@"
        fi
        exec "$server" "$config" --bind 0.0.0.0 --port 6379 --dir /data --protected-mode no "$@"
        ;;
esac

exec "$@"
