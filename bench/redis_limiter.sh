#!/usr/bin/env bash
# The cost of shared rate limits (serve --redis, issue 10): one node with its own limits vs
# one node whose limits are decided in Redis, same page and wrk settings as
# bench/serve_vs_nginx.sh, alternating. A benchmark, not a test: it prints numbers.
#
#   bash bench/redis_limiter.sh [SOUNDTREND_BINARY]   (default build/release/src/app/soundtrend)
#
# Environment (defaults): ROUNDS=3 DURATION=10s CONNECTIONS=64 WRK_THREADS=2
#   SERVER_THREADS=2 KEEP=0 (1: keep the work dir)
#
# It builds nothing. In a temporary directory: the small demo in a SQLite database (two
# copies: two charging servers cannot share one file's ledger), a key with huge credits and
# a high limit, a private redis-server on a free loopback port (nothing saved), and two
# servers: `local` (no --redis) and `redis` (--redis). Prints req/s and p99 of every round,
# the medians, redis/local, and the Redis script calls per 1,000 requests (from the redis
# node's /metrics: soundtrend_redis_calls_total over soundtrend_rate_limit_shared_decisions_total).
# Read the figures with `uptime`: wrk, both servers and Redis share the machine.
set -euo pipefail

BIN=${1:-build/release/src/app/soundtrend}
ROUNDS=${ROUNDS:-3}
DURATION=${DURATION:-10s}
CONNECTIONS=${CONNECTIONS:-64}
WRK_THREADS=${WRK_THREADS:-2}
SERVER_THREADS=${SERVER_THREADS:-2}
KEEP=${KEEP:-0}
PATH_AND_QUERY="/v1/tiktok/trending/music?region=US&period=7&limit=20"

source "$(dirname "$0")/lib.sh"
bench_require wrk curl python3 redis-server redis-cli sqlite3
bench_binary "$BIN"
bench_workdir st_redis_limiter

echo "== setup in $WORK"
bench_demo_with_key
sqlite3 "$SOUNDTREND_DB" ".backup '$WORK/st_redis.db'"

REDIS_PORT=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
redis-server --port "$REDIS_PORT" --bind 127.0.0.1 --dir "$WORK" --save "" --appendonly no \
  --daemonize no --logfile "$WORK/redis.log" &
PIDS+=($!)
for _ in $(seq 100); do
  [ "$(redis-cli -p "$REDIS_PORT" ping 2>/dev/null)" = PONG ] && break
  sleep 0.1
done
[ "$(redis-cli -p "$REDIS_PORT" ping 2>/dev/null)" = PONG ] || { echo "redis-server did not start" >&2; cat "$WORK/redis.log" >&2; exit 1; }

start_soundtrend() {  # start_soundtrend NAME DB [SERVE_FLAG...]
  local name=$1 db=$2
  shift 2
  "$BIN" --log-level warn --db "$db" serve --port 0 --threads "$SERVER_THREADS" "$@" \
    >"$WORK/$name.out" 2>"$WORK/$name.log" &
  PIDS+=($!)
  bench_wait_port "$name"
}
start_soundtrend local "$SOUNDTREND_DB"
PORT_LOCAL=$PORT
start_soundtrend redis "$WORK/st_redis.db" --redis "redis://127.0.0.1:$REDIS_PORT"
PORT_REDIS=$PORT

metric() {  # metric PORT NAME
  curl -sf "http://127.0.0.1:$1/metrics" | sed -n "s/^$2 //p"
}
for _ in $(seq 100); do
  [ "$(metric "$PORT_REDIS" soundtrend_rate_limit_shared)" = 1 ] && break
  sleep 0.1
done
[ "$(metric "$PORT_REDIS" soundtrend_rate_limit_shared)" = 1 ] || { echo "the redis node is not connected to Redis" >&2; cat "$WORK/redis.log" >&2; exit 1; }
for port in "$PORT_LOCAL" "$PORT_REDIS"; do
  code=$(curl -s -o /dev/null -w '%{http_code}' -H "Authorization: Bearer $KEY" \
    "http://127.0.0.1:$port$PATH_AND_QUERY")
  [ "$code" = 200 ] || { echo "port $port answers $code" >&2; exit 1; }
done

run_wrk() {
  bench_wrk "http://127.0.0.1:$1$PATH_AND_QUERY" "Authorization: Bearer $KEY"
}

echo "== load before: $(uptime)"
echo "== wrk -t$WRK_THREADS -c$CONNECTIONS -d$DURATION --latency, $ROUNDS rounds," \
  "servers with $SERVER_THREADS threads, $(nproc) cores"
RESULTS=$WORK/results.txt
: >"$RESULTS"
CALLS0=$(metric "$PORT_REDIS" soundtrend_redis_calls_total)
DECIDED0=$(metric "$PORT_REDIS" soundtrend_rate_limit_shared_decisions_total)
LOCAL0=$(metric "$PORT_REDIS" soundtrend_rate_limit_local_decisions_total)
for round in $(seq "$ROUNDS"); do
  for target in local redis; do
    case $target in
      local) port=$PORT_LOCAL ;;
      redis) port=$PORT_REDIS ;;
    esac
    read -r rps p99 non2xx _ <<<"$(run_wrk "$port")"
    printf 'round %d  %-6s %9s req/s   p99 %8s ms   non-2xx %s\n' "$round" "$target" "$rps" \
      "$p99" "$non2xx"
    echo "$target $rps $p99" >>"$RESULTS"
  done
done
CALLS1=$(metric "$PORT_REDIS" soundtrend_redis_calls_total)
DECIDED1=$(metric "$PORT_REDIS" soundtrend_rate_limit_shared_decisions_total)
LOCAL1=$(metric "$PORT_REDIS" soundtrend_rate_limit_local_decisions_total)
echo "== load after: $(uptime)"
python3 - "$RESULTS" "$CALLS0" "$CALLS1" "$DECIDED0" "$DECIDED1" "$LOCAL0" "$LOCAL1" <<'PY'
import statistics, sys
rows = [line.split() for line in open(sys.argv[1])]
med = {t: statistics.median(float(r[1]) for r in rows if r[0] == t) for t in ("local", "redis")}
p99 = {t: statistics.median(float(r[2]) for r in rows if r[0] == t) for t in ("local", "redis")}
calls = int(sys.argv[3]) - int(sys.argv[2])
decided = int(sys.argv[5]) - int(sys.argv[4])
local = int(sys.argv[7]) - int(sys.argv[6])
print(f"median req/s: local {med['local']:.0f} (p99 {p99['local']:.2f} ms), "
      f"redis {med['redis']:.0f} (p99 {p99['redis']:.2f} ms)")
print(f"redis/local: {med['redis'] / med['local']:.3f}")
print(f"Redis script calls: {calls} for {decided} requests decided in Redis = "
      f"{1000.0 * calls / max(1, decided):.1f} per 1,000 requests "
      f"({local} decided locally on the redis node)")
PY
