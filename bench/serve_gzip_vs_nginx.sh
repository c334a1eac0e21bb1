#!/usr/bin/env bash
# soundtrend's gzip pages against nginx serving the same gzip bytes (gzip_static), in the
# same run (issue 13's benchmark). A benchmark, not a test: it prints numbers.
#
#   bash bench/serve_gzip_vs_nginx.sh [SOUNDTREND_BINARY]   (default build/release/src/app/soundtrend)
#
# Environment (defaults): ROUNDS=3 DURATION=10s CONNECTIONS=64 WRK_THREADS=2
#   SERVER_THREADS=2 (soundtrend --threads and nginx worker_processes) KEEP=0
#
# In a temporary directory: demo data (`soundtrend demo` small + ingest + build), a key with
# huge credits and QPS, one soundtrend (keys + limits + charging, --ledger-sync normal,
# logs at warn) and nginx (Debian's nginx-light, `gzip_static on`, the page's gzip bytes as
# music.gz beside the plain bytes, access log off). Rounds alternate: nginx gzip,
# soundtrend gzip, soundtrend plain, each with wrk and the same Authorization and
# Accept-Encoding headers. Prints requests/s and p99 per round, the medians and the ratios,
# and the page's plain and gzip sizes. Everything shares the machine: read it with `uptime`.
set -euo pipefail

BIN=${1:-build/release/src/app/soundtrend}
ROUNDS=${ROUNDS:-3}
DURATION=${DURATION:-10s}
CONNECTIONS=${CONNECTIONS:-64}
WRK_THREADS=${WRK_THREADS:-2}
SERVER_THREADS=${SERVER_THREADS:-2}
KEEP=${KEEP:-0}
NGINX=${NGINX:-/usr/sbin/nginx}
PATH_AND_QUERY="/v1/tiktok/trending/music?region=US&period=7&limit=20"

source "$(dirname "$0")/lib.sh"
bench_require wrk curl python3 "$NGINX"
bench_binary "$BIN"
bench_workdir st_gzip_vs_nginx

echo "== setup in $WORK"
bench_demo_with_key

"$BIN" --log-level warn serve --port 0 --threads "$SERVER_THREADS" \
  >"$WORK/serve.out" 2>"$WORK/serve.log" &
PIDS+=($!)
bench_wait_port serve

# The page as soundtrend serves it, gzip and plain; nginx serves these very bytes.
mkdir -p "$WORK/www/v1/tiktok/trending" "$WORK/nginx_tmp"
PAGE=$WORK/www/v1/tiktok/trending/music
curl -sf -H "Authorization: Bearer $KEY" -H "Accept-Encoding: gzip" -D "$WORK/gzip.headers" \
  "http://127.0.0.1:$PORT$PATH_AND_QUERY" >"$PAGE.gz"
grep -qi '^content-encoding: gzip' "$WORK/gzip.headers" || { echo "soundtrend sent no gzip" >&2; exit 1; }
gzip -dc "$PAGE.gz" >"$PAGE"
python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); assert len(d["data"]["sound_list"]) == 20' "$PAGE" \
  || { echo "the gzip page does not decompress to a 20-item page" >&2; exit 1; }
PLAIN_BYTES=$(stat -c %s "$PAGE")
GZIP_BYTES=$(stat -c %s "$PAGE.gz")
REF_BYTES=$(gzip -6 -c "$PAGE" | wc -c)
echo "page: $PLAIN_BYTES bytes plain, $GZIP_BYTES gzip (pieces per item + stored per-request bytes);" \
  "gzip -6 of the whole page: $REF_BYTES"
chmod a+rx "$WORK"
chmod -R a+rX "$WORK/www"

NGINX_PORT=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
cat >"$WORK/nginx.conf" <<EOF
daemon off;
worker_processes $SERVER_THREADS;
pid $WORK/nginx.pid;
error_log $WORK/nginx_error.log warn;
events { worker_connections 4096; }
http {
  access_log off;
  sendfile on;
  tcp_nopush on;
  keepalive_timeout 65;
  keepalive_requests 100000000;
  types { }
  default_type application/json;
  gzip_static on;
  gzip_vary on;
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
cmp -s <(curl -sf -H "Accept-Encoding: gzip" "http://127.0.0.1:$NGINX_PORT$PATH_AND_QUERY") "$PAGE.gz" \
  || { echo "nginx does not serve the gzip bytes" >&2; cat "$WORK/nginx_error.log" >&2; exit 1; }

# One wrk run on PORT with ENCODING (bench_wrk): "RPS P99_MS NON2XX REQUESTS".
run_wrk() {
  bench_wrk "http://127.0.0.1:$1$PATH_AND_QUERY" "Authorization: Bearer $KEY" \
    "Accept-Encoding: $2"
}

echo "== load before: $(uptime)"
echo "== wrk -t$WRK_THREADS -c$CONNECTIONS -d$DURATION --latency, $ROUNDS rounds, servers with" \
  "$SERVER_THREADS threads/workers, $(nproc) cores"
RESULTS=$WORK/results.txt
: >"$RESULTS"
for round in $(seq "$ROUNDS"); do
  for target in nginx_gzip soundtrend_gzip soundtrend_plain; do
    case $target in
      nginx_gzip) port=$NGINX_PORT enc=gzip ;;
      soundtrend_gzip) port=$PORT enc=gzip ;;
      soundtrend_plain) port=$PORT enc=identity ;;
    esac
    read -r rps p99 non2xx _ <<<"$(run_wrk "$port" "$enc")"
    printf 'round %d  %-17s %9s req/s   p99 %8s ms' "$round" "$target" "$rps" "$p99"
    [ "$non2xx" != 0 ] && printf '   WARNING: %s non-2xx responses' "$non2xx"
    printf '\n'
    echo "$target $rps $p99" >>"$RESULTS"
  done
done
echo "== load after: $(uptime)"
python3 - "$RESULTS" <<'EOF'
import statistics, sys
rows = [line.split() for line in open(sys.argv[1])]
med = {}
for target in ("nginx_gzip", "soundtrend_gzip", "soundtrend_plain"):
    med[target] = (statistics.median(float(r[1]) for r in rows if r[0] == target),
                   statistics.median(float(r[2]) for r in rows if r[0] == target))
    print(f"median {target:17s} {med[target][0]:9.0f} req/s   p99 {med[target][1]:8.3f} ms")
print(f"soundtrend gzip / nginx gzip_static: {med['soundtrend_gzip'][0] / med['nginx_gzip'][0]:.3f}")
print(f"soundtrend gzip / soundtrend plain:  {med['soundtrend_gzip'][0] / med['soundtrend_plain'][0]:.3f}")
EOF
