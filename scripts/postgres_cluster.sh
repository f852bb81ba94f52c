#!/usr/bin/env bash
# A throwaway PostgreSQL cluster for the ledger's PostgreSQL tests and bench.
#
#   scripts/postgres_cluster.sh start [DIR]   initdb + start; prints `export ECS_LEDGER_TEST_POSTGRES=...`
#   scripts/postgres_cluster.sh stop  [DIR]   stop it and remove DIR
#   scripts/postgres_cluster.sh env   [DIR]   print the export line again
#
# DIR defaults to target/pg-cluster. The cluster listens on a Unix socket in
# DIR only (no TCP port), with synchronous_commit and fsync on (the defaults).
# initdb refuses to run as root: as root, the cluster is owned by an
# unprivileged user (ECS_LEDGER_PG_USER, default `nobody`). The binaries are
# found on PATH, or under /usr/lib/postgresql/*/bin; when there are none and
# apt-get is there, the distribution's `postgresql` package is installed.
set -euo pipefail

cmd="${1:-}"
dir="${2:-$(cd "$(dirname "$0")/.." && pwd)/target/pg-cluster}"
pg_user="${ECS_LEDGER_PG_USER:-nobody}"

find_bin() {
    if command -v initdb >/dev/null 2>&1 && command -v pg_ctl >/dev/null 2>&1; then
        dirname "$(command -v initdb)"
        return
    fi
    local d
    for d in $(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V -r); do
        if [ -x "$d/initdb" ] && [ -x "$d/pg_ctl" ]; then
            echo "$d"
            return
        fi
    done
}

ensure_installed() {
    local bin
    bin="$(find_bin)"
    if [ -z "$bin" ]; then
        if command -v apt-get >/dev/null 2>&1 && [ "$(id -u)" = 0 ]; then
            echo "postgres_cluster: installing PostgreSQL (apt-get install postgresql)" >&2
            DEBIAN_FRONTEND=noninteractive apt-get update -qq >&2
            DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql >&2
            bin="$(find_bin)"
        fi
    fi
    if [ -z "$bin" ]; then
        echo "postgres_cluster: no PostgreSQL binaries (initdb, pg_ctl) found" >&2
        exit 2
    fi
    echo "$bin"
}

# Runs a command as the cluster's owner.
as_owner() {
    if [ "$(id -u)" = 0 ]; then
        su "$pg_user" -s /bin/sh -c "$*"
    else
        sh -c "$*"
    fi
}

url_of() {
    # libpq-style key/value string: a Unix socket directory as host.
    echo "host=$1 port=5432 user=ledger dbname=postgres"
}

case "$cmd" in
start)
    bin="$(ensure_installed)"
    if [ -f "$dir/data/postmaster.pid" ] && as_owner "'$bin/pg_ctl' -D '$dir/data' status" >/dev/null 2>&1; then
        echo "export ECS_LEDGER_TEST_POSTGRES='$(url_of "$dir")'"
        exit 0
    fi
    rm -rf "$dir"
    mkdir -p "$dir"
    if [ "$(id -u)" = 0 ]; then
        chown "$pg_user" "$dir"
        # The owner must reach DIR through its parents.
        p="$dir"
        while [ "$p" != / ]; do
            p="$(dirname "$p")"
            chmod o+x "$p" 2>/dev/null || true
        done
    fi
    as_owner "'$bin/initdb' -D '$dir/data' -U ledger --auth=trust -E UTF8 --no-locale" >"$dir/initdb.log" 2>&1 || {
        cat "$dir/initdb.log" >&2
        exit 2
    }
    opts="-c listen_addresses='' -c unix_socket_directories='$dir' -c port=5432 -c max_connections=200 -c shared_buffers=128MB -c fsync=on -c synchronous_commit=on"
    as_owner "'$bin/pg_ctl' -D '$dir/data' -l '$dir/server.log' -w -t 60 -o \"$opts\" start" >/dev/null || {
        cat "$dir/server.log" >&2
        exit 2
    }
    echo "export ECS_LEDGER_TEST_POSTGRES='$(url_of "$dir")'"
    ;;
stop)
    if [ -d "$dir/data" ]; then
        bin="$(find_bin)"
        if [ -n "$bin" ]; then
            as_owner "'$bin/pg_ctl' -D '$dir/data' -m fast -w stop" >/dev/null 2>&1 || true
        fi
    fi
    rm -rf "$dir"
    ;;
env)
    echo "export ECS_LEDGER_TEST_POSTGRES='$(url_of "$dir")'"
    ;;
*)
    echo "usage: $0 start|stop|env [DIR]" >&2
    exit 2
    ;;
esac
