#!/usr/bin/env bash
# soundtrend vs nginx on one 20-item page (issue 2's benchmark) and charging on vs off
# (issue 4's ratio). A benchmark, not a test: it prints numbers.
#
#   bash bench/serve_vs_nginx.sh [SOUNDTREND_BINARY]     (default build/release/src/app/soundtrend)
#
# Environment (defaults): ROUNDS=3 DURATION=10s CONNECTIONS=64 WRK_THREADS=2
#   SERVER_THREADS=2 (soundtrend --threads and nginx worker_processes)
#   LEDGER_SYNC=normal (soundtrend --ledger-sync: normal = a charge survives kill -9,
#   full = also power loss, one fdatasync per group commit)
#   ACCESS_LOG=0 (1: nginx writes its access log and soundtrend runs at --log-level info,
#   i.e. one log line per request, both to files in the work dir)
#   KEEP=0 (1: keep the work dir)
#   SOURCE_DB= (a database with built charts to copy instead of demo + ingest + build)
#
# It builds nothing. In a temporary directory it creates a database with demo data
# (`soundtrend demo` small + `ingest` + `build`), a key with huge credits and a high QPS
# limit, and starts three servers on loopback: soundtrend with keys + limits + charging,
# soundtrend with `--no-charging` (keys and limits still on), and nginx (Debian's
# nginx-light, own config, `daemon off`) serving the bytes of the same page as a static
# file. Then it alternates ROUNDS rounds of wrk (same threads, connections, duration,
# --latency, the same Authorization header) against the three, and prints requests/s and
# p99 of every round, the medians, soundtrend/nginx and charging-on/charging-off.
# wrk, the servers and everything else share the machine: read the figures with `uptime`.
set -euo pipefail

BIN=${1:-build/release/src/app/soundtrend}
ROUNDS=${ROUNDS:-3}
DURATION=${DURATION:-10s}
CONNECTIONS=${CONNECTIONS:-64}
WRK_THREADS=${WRK_THREADS:-2}
SERVER_THREADS=${SERVER_THREADS:-2}
LEDGER_SYNC=${LEDGER_SYNC:-normal}
ACCESS_LOG=${ACCESS_LOG:-0}
KEEP=${KEEP:-0}
NGINX=${NGINX:-/usr/sbin/nginx}
PATH_AND_QUERY="/v1/tiktok/trending/music?region=US&period=7&limit=20"

source "$(dirname "$0")/lib.sh"
bench_require wrk curl python3 "$NGINX"
bench_binary "$BIN"
bench_workdir st_serve_vs_nginx
LOG_LEVEL=warn
[ "$ACCESS_LOG" = 1 ] && LOG_LEVEL=info

echo "== setup in $WORK"
if [ -n "${SOURCE_DB:-}" ]; then
  # A database whose charts are already built (its keys are left alone; a new one is added).
  sqlite3 "$SOURCE_DB" ".backup '$SOUNDTREND_DB'"
else
  "$BIN" demo --out "$WORK/demo" --seed 7 --sounds 3000 --days 40 --scale 0.1 \
    --regions US,GB,DE,FR,JP >"$WORK/demo.log"
  if "$BIN" ingest --help 2>&1 | grep -q 'not yet available'; then
    # Older binaries without the ingest command: the same records through the admin API.
    python3 - "$WORK/demo" <<'PY'
import csv, gzip, json, os, sys
d = sys.argv[1]
with gzip.open(os.path.join(d, "daily.csv.gz"), "rt") as src, open(os.path.join(d, "daily.ndjson"), "w") as out:
    for row in csv.DictReader(src):
        out.write(json.dumps({"type": "daily", "clip_id": row["clip_id"], "region": row["region"],
                              "day": row["day"], "uses": int(row["uses"])}) + "\n")
PY
    "$BIN" --log-level warn serve --port 0 --admin-token bench-setup-token \
      >"$WORK/setup.out" 2>"$WORK/setup.log" &
    SETUP_PID=$!
    for _ in $(seq 300); do grep -q '^listening on ' "$WORK/setup.out" && break; sleep 0.1; done
    SETUP_URL=$(sed -n 's#^listening on ##p' "$WORK/setup.out")
    for f in catalog.ndjson daily.ndjson uses.ndjson.gz; do
      curl -sf -X POST -H "Authorization: Bearer bench-setup-token" --data-binary "@$WORK/demo/$f" \
        "$SETUP_URL/admin/v1/ingest" >>"$WORK/ingest.log" || { echo "ingest of $f failed" >&2; exit 1; }
    done
    kill "$SETUP_PID"
    wait "$SETUP_PID" || true
  else
    "$BIN" ingest "$WORK"/demo/* >"$WORK/ingest.log"
  fi
  "$BIN" build >"$WORK/build.log"
fi
KEY=$("$BIN" keys create --name bench --credits 1000000000000 --qps 100000 --burst 6000000 \
  2>/dev/null | head -1)
case "$KEY" in sk_live_*) ;; *) echo "keys create printed no key" >&2; exit 1 ;; esac

# Starts `soundtrend serve --port 0 ARGS...`; sets PORT from its "listening on" line.
start_soundtrend() {
  local name=$1
  shift
  "$BIN" --log-level "$LOG_LEVEL" serve --port 0 --threads "$SERVER_THREADS" "$@" \
    >"$WORK/$name.out" 2>"$WORK/$name.log" &
  PIDS+=($!)
  bench_wait_port "$name"
}
start_soundtrend charging --ledger-sync "$LEDGER_SYNC"
PORT_ON=$PORT
start_soundtrend nocharging --no-charging
PORT_OFF=$PORT

# The page, as served with charging on; nginx serves exactly these bytes.
mkdir -p "$WORK/www/v1/tiktok/trending" "$WORK/nginx_tmp"
curl -sf -H "Authorization: Bearer $KEY" "http://127.0.0.1:$PORT_ON$PATH_AND_QUERY" \
  >"$WORK/www/v1/tiktok/trending/music"
ITEMS=$(python3 -c 'import json,sys; print(len(json.load(open(sys.argv[1]))["data"]["sound_list"]))' \
  "$WORK/www/v1/tiktok/trending/music")
BYTES=$(stat -c %s "$WORK/www/v1/tiktok/trending/music")
echo "page: $ITEMS items, $BYTES bytes"
[ "$ITEMS" = 20 ] || echo "WARNING: the page has $ITEMS items, not 20" >&2
# nginx workers run as an unprivileged user when started by root: let them read the page.
chmod a+rx "$WORK"
chmod -R a+rX "$WORK/www"

NGINX_PORT=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
NGINX_ACCESS="access_log off;"
[ "$ACCESS_LOG" = 1 ] && NGINX_ACCESS="access_log $WORK/nginx_access.log;"
cat >"$WORK/nginx.conf" <<EOF
daemon off;
worker_processes $SERVER_THREADS;
pid $WORK/nginx.pid;
error_log $WORK/nginx_error.log warn;
events { worker_connections 4096; }
http {
  $NGINX_ACCESS
  sendfile on;
  tcp_nopush on;
  keepalive_timeout 65;
  keepalive_requests 100000000;
  types { }
  default_type application/json;
  client_body_temp_path $WORK/nginx_tmp/body;
  proxy_temp_path $WORK/nginx_tmp/proxy;
  fastcgi_temp_path $WORK/nginx_tmp/fastcgi;
  uwsgi_temp_path $WORK/nginx_tmp/uwsgi;
  scgi_temp_path $WORK/nginx_tmp/scgi;
  server {
    listen 127.0.0.1:$NGINX_PORT;
    root $WORK/www;
    location / { }
  }
}
EOF
"$NGINX" -p "$WORK" -c "$WORK/nginx.conf" 2>"$WORK/nginx_start.log" &
PIDS+=($!)
for _ in $(seq 100); do
  curl -sf -o /dev/null "http://127.0.0.1:$NGINX_PORT$PATH_AND_QUERY" && break
  sleep 0.1
done
cmp -s <(curl -sf "http://127.0.0.1:$NGINX_PORT$PATH_AND_QUERY") \
  "$WORK/www/v1/tiktok/trending/music" || { echo "nginx does not serve the page" >&2; cat "$WORK/nginx_start.log" "$WORK/nginx_error.log" >&2; exit 1; }

# One wrk run on PORT (bench_wrk): "RPS P99_MS NON2XX REQUESTS [SOCKET_ERRORS]".
run_wrk() {
  bench_wrk "http://127.0.0.1:$1$PATH_AND_QUERY" "Authorization: Bearer $KEY"
}

# With --ledger-sync full a charge is fsynced (SQLite WAL, synchronous=FULL) before its
# response leaves, so with C connections each waiting for its answer, charged requests/s
# <= C / (commit latency). With normal (default) no fsync is on the request path.
FSYNC_MS=$(python3 - "$WORK" <<'PY'
import os, statistics, sys, time
path = os.path.join(sys.argv[1], "fsync_probe")
fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC)
lat = []
for _ in range(50):
    os.write(fd, b"x" * 4096)
    t = time.perf_counter()
    os.fdatasync(fd)
    lat.append((time.perf_counter() - t) * 1000)
os.close(fd)
os.unlink(path)
print(f"{statistics.median(lat):.2f}")
PY
)
echo "fdatasync on the database's file system: median $FSYNC_MS ms, so with --ledger-sync full" \
  "at most ~$(python3 -c "print(int($CONNECTIONS / ($FSYNC_MS / 1000)))") req/s at $CONNECTIONS connections" \
  "(this run: --ledger-sync $LEDGER_SYNC)"
echo "== load before: $(uptime)"
echo "== wrk -t$WRK_THREADS -c$CONNECTIONS -d$DURATION --latency, $ROUNDS rounds," \
  "servers with $SERVER_THREADS threads/workers, $(nproc) cores, access logs: $ACCESS_LOG"
RESULTS=$WORK/results.txt
: >"$RESULTS"
for round in $(seq "$ROUNDS"); do
  for target in nginx charging_on charging_off; do
    case $target in
      nginx) port=$NGINX_PORT ;;
      charging_on) port=$PORT_ON ;;
      charging_off) port=$PORT_OFF ;;
    esac
    read -r rps p99 non2xx _ extra <<<"$(run_wrk "$port")"
    printf 'round %d  %-13s %9s req/s   p99 %8s ms' "$round" "$target" "$rps" "$p99"
    [ "$non2xx" != 0 ] && printf '   WARNING: %s non-2xx responses' "$non2xx"
    [ -n "${extra:-}" ] && printf '   %s' "$extra"
    printf '\n'
    echo "$target $rps $p99 $non2xx" >>"$RESULTS"
  done
done
echo "== load after: $(uptime)"

python3 - "$RESULTS" <<'EOF'
import statistics, sys
rows = [line.split() for line in open(sys.argv[1])]
med = {}
for target in ("nginx", "charging_on", "charging_off"):
    rps = [float(r[1]) for r in rows if r[0] == target]
    p99 = [float(r[2]) for r in rows if r[0] == target]
    med[target] = (statistics.median(rps), statistics.median(p99))
    print(f"median {target:13s} {med[target][0]:9.0f} req/s   p99 {med[target][1]:8.3f} ms")
print(f"soundtrend (auth + limits + charging) / nginx: {med['charging_on'][0] / med['nginx'][0]:.3f}  (goal >= 0.8)")
print(f"soundtrend --no-charging / nginx:               {med['charging_off'][0] / med['nginx'][0]:.3f}")
print(f"charging on / charging off:                    {med['charging_on'][0] / med['charging_off'][0]:.3f}  (goal >= 0.9)")
EOF

# The charging server's view: every request it answered with 200 is in the ledger.
"$BIN" keys list | awk -F'\t' 'NR == 2 { print "ledger: " $6 " charged requests (charging-on rounds + 1 page fetch), balance " $3 }'
