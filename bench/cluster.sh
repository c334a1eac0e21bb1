#!/usr/bin/env bash
# Issue 10's benchmark (not a test: it prints numbers): one 20-item page, with the page and
# wrk settings of bench/serve_vs_nginx.sh, against
#   (a) sqlite   one node on SQLite,
#   (b) pg       one node on PostgreSQL + Redis (--redis),
#   (c) 2nodes   two nodes on PostgreSQL + Redis behind nginx (round robin, keep-alive
#                upstream connections),
# every server with keys, limits and charging on, in ROUNDS rounds alternating a, b, c. It
# prints req/s and p99 of every round, the medians, (b)/(a) and (c)/(a), and for (b) and
# (c) the PostgreSQL round trips and Redis calls per 1,000 requests:
#  - PostgreSQL: soundtrend_pg_round_trips_total of each node's /metrics (every statement,
#    script and connect of the process), read before and after each wrk run; "busy key"
#    subtracts what the same nodes do with no request at all (change-counter polls,
#    readiness, publication polls, usage flushes), measured over an idle DURATION before
#    the rounds, so it is what the requests of the one busy key (with credit) cost;
#  - Redis: soundtrend_redis_calls_total of each node's /metrics (rate-limit script calls;
#    one call decides the requests of one key waiting on an event loop and may grant cells
#    ahead for its next ones, README "Run as a cluster"), before and after.
# Goals (issue 10): (b) >= 0.8 x (a) in the same run; <= 1 PostgreSQL round trip per 1,000
# requests of a busy key with credit.
#
#   bash bench/cluster.sh [SOUNDTREND_BINARY]       (default build/release/src/app/soundtrend)
#
# Environment (defaults): ROUNDS=3 DURATION=10s CONNECTIONS=64 WRK_THREADS=2
#   SERVER_THREADS=2 (each node's --threads; nginx worker_processes in (c)) KEEP=0
#   PG_SHARED_BUFFERS=512MB PG_WORK_MEM=256MB NGINX=/usr/sbin/nginx REDIS_SERVER=redis-server
#
# It builds nothing. In temporary directories: the small demo (bench/lib.sh) into a SQLite
# file and into a private PostgreSQL (bench/postgres_cluster.sh), a Redis server on a free
# loopback port, one key with huge credits and a high QPS limit per target. The clients
# and the servers share the machine: read the figures with `uptime`.
set -euo pipefail

BIN=${1:-build/release/src/app/soundtrend}
ROUNDS=${ROUNDS:-3}
DURATION=${DURATION:-10s}
CONNECTIONS=${CONNECTIONS:-64}
WRK_THREADS=${WRK_THREADS:-2}
SERVER_THREADS=${SERVER_THREADS:-2}
KEEP=${KEEP:-0}
NGINX=${NGINX:-/usr/sbin/nginx}
REDIS_SERVER=${REDIS_SERVER:-redis-server}
PATH_AND_QUERY="/v1/tiktok/trending/music?region=US&period=7&limit=20"
export PG_SHARED_BUFFERS=${PG_SHARED_BUFFERS:-512MB} PG_WORK_MEM=${PG_WORK_MEM:-256MB}
HERE=$(cd "$(dirname "$0")" && pwd)

source "$HERE/lib.sh"
bench_require wrk curl python3 redis-cli "$REDIS_SERVER" "$NGINX"
bench_binary "$BIN"
bench_workdir st_cluster_bench
PG_DIR=
cleanup() {
  local pid
  for pid in "${PIDS[@]}"; do kill "$pid" 2>/dev/null || true; done
  for pid in "${PIDS[@]}"; do wait "$pid" 2>/dev/null || true; done
  PIDS=()
  [ -n "$PG_DIR" ] && bash "$HERE/postgres_cluster.sh" stop "$PG_DIR" || true
  bench_cleanup
}
trap cleanup EXIT
free_port() {
  python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

echo "== setup in $WORK"
bench_demo_with_key  # SQLite: $WORK/st.db, key KEY
KEY_A=$KEY
read -r PG_DIR PG_PORT < <(bash "$HERE/postgres_cluster.sh" start)
[ -n "${PG_PORT:-}" ] || { echo "PostgreSQL did not start" >&2; exit 1; }
bash "$HERE/postgres_cluster.sh" psql "$PG_DIR" "$PG_PORT" -q -c "CREATE DATABASE bench" >/dev/null
PG_URL=postgresql://postgres@127.0.0.1:$PG_PORT/bench
pg() { "$BIN" --db "$PG_URL" "$@"; }
pg migrate >"$WORK/pg_migrate.log"
pg ingest "$WORK"/demo/* >"$WORK/pg_ingest.log"
pg build >"$WORK/pg_build.log"
pg_key() {
  pg keys create --name "$1" --credits 1000000000000 --qps 100000 --burst 6000000 2>/dev/null |
    head -1
}
KEY_B=$(pg_key bench-b)
KEY_C=$(pg_key bench-c)
case "$KEY_B$KEY_C" in sk_live_*sk_live_*) ;; *) echo "keys create printed no key" >&2; exit 1 ;; esac

REDIS_PORT=
for _ in 1 2 3 4 5; do
  port=$(free_port)
  "$REDIS_SERVER" --port "$port" --bind 127.0.0.1 --dir "$WORK" --save '' --appendonly no \
    >"$WORK/redis.log" 2>&1 &
  pid=$!
  for _ in $(seq 100); do redis-cli -p "$port" ping >/dev/null 2>&1 && break; sleep 0.1; done
  if redis-cli -p "$port" ping >/dev/null 2>&1; then
    PIDS+=("$pid")
    REDIS_PORT=$port
    break
  fi
  kill "$pid" 2>/dev/null || true  # the port was taken meanwhile: another one
  wait "$pid" 2>/dev/null || true
done
[ -n "$REDIS_PORT" ] || { cat "$WORK/redis.log" >&2; echo "redis-server did not start" >&2; exit 1; }

# Starts `soundtrend serve --port 0 ARGS...` as NAME; sets PORT.
start_node() {
  local name=$1
  shift
  "$BIN" --log-level warn "$@" serve --port 0 --threads "$SERVER_THREADS" \
    >"$WORK/$name.out" 2>"$WORK/$name.log" &
  PIDS+=($!)
  bench_wait_port "$name"
}
start_node sqlite
PORT_A=$PORT
"$BIN" --log-level warn --db "$PG_URL" serve --port 0 --threads "$SERVER_THREADS" \
  --node-id bench-b --state-dir "$WORK/state" --redis "redis://127.0.0.1:$REDIS_PORT" \
  >"$WORK/pg.out" 2>"$WORK/pg.log" &
PIDS+=($!)
bench_wait_port pg
PORT_B=$PORT
PORTS_C=()
for n in c1 c2; do
  "$BIN" --log-level warn --db "$PG_URL" serve --port 0 --threads "$SERVER_THREADS" \
    --node-id "bench-$n" --state-dir "$WORK/state" --redis "redis://127.0.0.1:$REDIS_PORT" \
    >"$WORK/$n.out" 2>"$WORK/$n.log" &
  PIDS+=($!)
  bench_wait_port "$n"
  PORTS_C+=("$PORT")
done

NGINX_PORT=$(free_port)
mkdir -p "$WORK/nginx_tmp"
chmod a+rx "$WORK"
chmod -R a+rwX "$WORK/nginx_tmp"  # nginx workers run unprivileged when started by root
cat >"$WORK/nginx.conf" <<EOF
daemon off;
worker_processes $SERVER_THREADS;
pid $WORK/nginx.pid;
error_log $WORK/nginx_error.log warn;
events { worker_connections 4096; }
http {
  access_log off;
  keepalive_timeout 65;
  keepalive_requests 100000000;
  client_body_temp_path $WORK/nginx_tmp/body;
  proxy_temp_path $WORK/nginx_tmp/proxy;
  fastcgi_temp_path $WORK/nginx_tmp/fastcgi;
  uwsgi_temp_path $WORK/nginx_tmp/uwsgi;
  scgi_temp_path $WORK/nginx_tmp/scgi;
  upstream soundtrend {
    server 127.0.0.1:${PORTS_C[0]};
    server 127.0.0.1:${PORTS_C[1]};
    keepalive 128;
    keepalive_requests 100000000;
  }
  server {
    listen 127.0.0.1:$NGINX_PORT;
    location / {
      proxy_pass http://soundtrend;
      proxy_http_version 1.1;
      proxy_set_header Connection "";
    }
  }
}
EOF
"$NGINX" -p "$WORK" -c "$WORK/nginx.conf" 2>"$WORK/nginx_start.log" &
PIDS+=($!)
for _ in $(seq 100); do
  curl -sf -o /dev/null "http://127.0.0.1:$NGINX_PORT/healthz" && break
  sleep 0.1
done
curl -sf -o /dev/null "http://127.0.0.1:$NGINX_PORT/healthz" ||
  { echo "nginx does not answer" >&2; cat "$WORK/nginx_start.log" "$WORK/nginx_error.log" >&2; exit 1; }

# The same page from every target, byte for byte apart from requestId.
fetch() { curl -sf -H "Authorization: Bearer $2" "http://127.0.0.1:$1$PATH_AND_QUERY"; }
fetch "$PORT_A" "$KEY_A" >"$WORK/page_a.json"
fetch "$PORT_B" "$KEY_B" >"$WORK/page_b.json"
fetch "$NGINX_PORT" "$KEY_C" >"$WORK/page_c.json"
python3 - "$WORK" <<'PY'
import json, re, sys
pages = [open(f"{sys.argv[1]}/page_{t}.json").read() for t in "abc"]
items = len(json.loads(pages[0])["data"]["sound_list"])
norm = [re.sub(r'"requestId":"[^"]*"', '"requestId":""', p) for p in pages]
print(f"page: {items} items, {len(pages[0])} bytes;",
      "the same bytes (apart from requestId) from a, b and c" if norm[0] == norm[1] == norm[2]
      else "WARNING: the targets serve different bytes")
if items != 20: print(f"WARNING: the page has {items} items, not 20", file=sys.stderr)
PY

# METRIC (a counter of /metrics) of the nodes on PORTS..., summed.
metric_sum() {
  local metric=$1 port sum=0 v
  shift
  for port in "$@"; do
    v=$(curl -sf "http://127.0.0.1:$port/metrics" | sed -n "s/^$metric \([0-9]*\)\$/\1/p")
    sum=$((sum + ${v:-0}))
  done
  echo "$sum"
}
pg_trips() { metric_sum soundtrend_pg_round_trips_total "$@"; }
redis_calls() { metric_sum soundtrend_redis_calls_total "$@"; }
# (Read whole first: with pipefail, grep -q leaving early would fail curl's write.)
METRICS_B=$(curl -sf "http://127.0.0.1:$PORT_B/metrics")
if ! grep -q '^soundtrend_pg_round_trips_total ' <<<"$METRICS_B"; then
  echo "WARNING: this binary has no soundtrend_pg_round_trips_total in /metrics: PostgreSQL" \
    "round trips are shown as 0" >&2
fi

# Idle: what the three PostgreSQL nodes do without requests, per second.
SECS=$(python3 -c 'import re,sys; m=re.fullmatch(r"(\d+(?:\.\d+)?)(s|m|h)?", sys.argv[1]); print(float(m.group(1)) * {"s":1,"m":60,"h":3600,None:1}[m.group(2)])' "$DURATION")
echo "== idle ${SECS}s: PostgreSQL round trips and Redis calls with no request"
t0_b=$(pg_trips "$PORT_B"); t0_c=$(pg_trips "${PORTS_C[@]}"); r0=$(redis_calls "$PORT_B" "${PORTS_C[@]}")
sleep "$SECS"
t1_b=$(pg_trips "$PORT_B"); t1_c=$(pg_trips "${PORTS_C[@]}"); r1=$(redis_calls "$PORT_B" "${PORTS_C[@]}")
IDLE_B=$(python3 -c "print(($t1_b - $t0_b) / $SECS)")
IDLE_C=$(python3 -c "print(($t1_c - $t0_c) / $SECS)")
echo "idle: (b) $IDLE_B PostgreSQL round trips/s (one node), (c) $IDLE_C/s (two nodes)," \
  "Redis $(python3 -c "print(($r1 - $r0) / $SECS)") calls/s"

# One wrk run on PORT with KEY (bench_wrk): "RPS P99_MS NON2XX REQUESTS".
run_wrk() {
  bench_wrk "http://127.0.0.1:$1$PATH_AND_QUERY" "Authorization: Bearer $2"
}

echo "== load before: $(uptime)"
echo "== wrk -t$WRK_THREADS -c$CONNECTIONS -d$DURATION --latency, $ROUNDS rounds, nodes with" \
  "$SERVER_THREADS threads (nginx $SERVER_THREADS workers), $(nproc) cores"
RESULTS=$WORK/results.txt
: >"$RESULTS"
for round in $(seq "$ROUNDS"); do
  for target in sqlite pg 2nodes; do
    case $target in
      sqlite) port=$PORT_A key=$KEY_A nodes=() idle=0 ;;
      pg) port=$PORT_B key=$KEY_B nodes=("$PORT_B") idle=$IDLE_B ;;
      2nodes) port=$NGINX_PORT key=$KEY_C nodes=("${PORTS_C[@]}") idle=$IDLE_C ;;
    esac
    t0=0 t1=0
    [ ${#nodes[@]} -gt 0 ] && t0=$(pg_trips "${nodes[@]}")
    r0=0 r1=0
    [ ${#nodes[@]} -gt 0 ] && r0=$(redis_calls "${nodes[@]}")
    read -r rps p99 non2xx requests _ <<<"$(run_wrk "$port" "$key")"
    [ ${#nodes[@]} -gt 0 ] && t1=$(pg_trips "${nodes[@]}")
    [ ${#nodes[@]} -gt 0 ] && r1=$(redis_calls "${nodes[@]}")
    read -r pg_per busy_per redis_per <<<"$(python3 -c "
n = max($requests, 1)
trips = $t1 - $t0
print(f'{trips * 1000 / n:.3f} {max(trips - $idle * $SECS, 0) * 1000 / n:.3f} {($r1 - $r0) * 1000 / n:.1f}')")"
    printf 'round %d  %-7s %9s req/s   p99 %8s ms' "$round" "$target" "$rps" "$p99"
    if [ "$target" != sqlite ]; then
      printf '   per 1,000 requests: PostgreSQL %s round trips (busy key %s), Redis %s calls' \
        "$pg_per" "$busy_per" "$redis_per"
    fi
    [ "$non2xx" != 0 ] && printf '   WARNING: %s non-2xx responses' "$non2xx"
    printf '\n'
    echo "$target $rps $p99 $non2xx $pg_per $busy_per $redis_per" >>"$RESULTS"
  done
done
echo "== load after: $(uptime)"

python3 - "$RESULTS" <<'EOF'
import statistics, sys
rows = [line.split() for line in open(sys.argv[1])]
med = {}
for target in ("sqlite", "pg", "2nodes"):
    rs = [r for r in rows if r[0] == target]
    col = lambda i: statistics.median(float(r[i]) for r in rs)
    med[target] = (col(1), col(2), col(4), col(5), col(6))
    line = f"median {target:7s} {med[target][0]:9.0f} req/s   p99 {med[target][1]:8.3f} ms"
    if target != "sqlite":
        line += (f"   per 1,000 requests: PostgreSQL {med[target][2]:.3f} round trips"
                 f" (busy key {med[target][3]:.3f}), Redis {med[target][4]:.1f} calls")
    print(line)
print(f"(b) PostgreSQL + Redis node / SQLite node: {med['pg'][0] / med['sqlite'][0]:.3f}  (goal >= 0.8)")
print(f"(c) two nodes behind nginx / SQLite node:  {med['2nodes'][0] / med['sqlite'][0]:.3f}")
print(f"(b) PostgreSQL round trips per 1,000 requests of the busy key: {med['pg'][3]:.3f}  (goal <= 1)")
EOF
