#!/usr/bin/env bash
# A private, throw-away PostgreSQL 15 cluster for benchmarks (Debian's postgresql-15).
#
#   postgres_cluster.sh start   -> prints "DIR PORT" on stdout: the cluster's directory (also
#                                  its unix socket directory) and its loopback TCP port
#   postgres_cluster.sh stop DIR -> stops the cluster and deletes DIR
#   postgres_cluster.sh psql DIR PORT [psql args...] -> runs psql against it as postgres
#   postgres_cluster.sh pause DIR -> stops the server, keeping its data (tests of an
#                                  unreachable database)
#   postgres_cluster.sh resume DIR PORT -> starts it again, same port and settings
#
# Tests use it through the C++ fixture src/store/postgres/pg_test_server.h.
# Runs the server as the invoking user, or as `postgres` when invoked as root (PostgreSQL
# refuses to run as root). Settings favour PostgreSQL's speed over durability (fsync off,
# large work_mem, parallel query on), since the benchmark compares query times only.
# Environment: PG_BIN (default /usr/lib/postgresql/15/bin), PG_SHARED_BUFFERS (default
# 4GB), PG_WORK_MEM (default 2GB).
set -euo pipefail

PG_BIN=${PG_BIN:-/usr/lib/postgresql/15/bin}
as_pg() {
  if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi
}

case "${1:-}" in
  start)
    [ -x "$PG_BIN/initdb" ] || { echo "postgres_cluster: $PG_BIN/initdb not found (apt-get install postgresql-15)" >&2; exit 1; }
    dir=$(mktemp -d "${TMPDIR:-/tmp}/soundtrend_pg.XXXXXX")
    if [ "$(id -u)" = 0 ]; then chown postgres: "$dir"; fi
    as_pg "$PG_BIN/initdb" -D "$dir/data" -A trust -U postgres --no-sync -E UTF8 --locale=C \
      >"$dir/initdb.log" 2>&1 || { cat "$dir/initdb.log" >&2; exit 1; }
    # A free loopback port (the kernel picks it; a race with another process is unlikely).
    port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
    echo "-k $dir -c listen_addresses=127.0.0.1 -c fsync=off -c synchronous_commit=off \
       -c full_page_writes=off -c shared_buffers=${PG_SHARED_BUFFERS:-4GB} \
       -c work_mem=${PG_WORK_MEM:-2GB} -c maintenance_work_mem=1GB -c max_wal_size=8GB \
       -c checkpoint_timeout=30min -c jit=off" > "$dir/options"
    as_pg "$PG_BIN/pg_ctl" -D "$dir/data" -l "$dir/server.log" -w -t 60 -o \
      "-p $port $(cat "$dir/options")" start >/dev/null \
      || { cat "$dir/server.log" >&2; exit 1; }
    echo "$dir $port"
    ;;
  pause)
    dir=${2:?usage: postgres_cluster.sh pause DIR}
    as_pg "$PG_BIN/pg_ctl" -D "$dir/data" -m fast -w stop >/dev/null
    ;;
  resume)
    dir=${2:?usage: postgres_cluster.sh resume DIR PORT}; port=${3:?}
    as_pg "$PG_BIN/pg_ctl" -D "$dir/data" -l "$dir/server.log" -w -t 60 -o \
      "-p $port $(cat "$dir/options")" start >/dev/null \
      || { cat "$dir/server.log" >&2; exit 1; }
    ;;
  stop)
    dir=${2:?usage: postgres_cluster.sh stop DIR}
    [ -d "$dir/data" ] && as_pg "$PG_BIN/pg_ctl" -D "$dir/data" -m fast -w stop >/dev/null || true
    rm -rf "$dir"
    ;;
  psql)
    dir=${2:?}; port=${3:?}; shift 3
    as_pg "$PG_BIN/psql" -h "$dir" -p "$port" -U postgres -X -v ON_ERROR_STOP=1 "$@"
    ;;
  *)
    echo "usage: postgres_cluster.sh start | stop DIR | psql DIR PORT [args...] | pause DIR | resume DIR PORT" >&2
    exit 2
    ;;
esac
