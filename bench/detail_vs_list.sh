#!/usr/bin/env bash
# The sound detail endpoint against the list endpoint (issue 11's benchmark; goal: detail
# >= 0.8 of the list's requests/s). A benchmark, not a test: it prints numbers.
#
#   bash bench/detail_vs_list.sh [SOUNDTREND_BINARY]   (default build/release/src/app/soundtrend)
#
# Environment (defaults): ROUNDS=3 DURATION=10s CONNECTIONS=64 WRK_THREADS=2
#   SERVER_THREADS=2 KEEP=0 (1: keep the work dir)
#
# It builds nothing. In a temporary directory: demo data (`soundtrend demo` small, 5
# regions) + ingest + build, a key with huge credits and a high QPS limit, one server
# with keys, limits and charging on. Then ROUNDS rounds alternating wrk on the list
# (US, 7 days, 20 items) and on the detail of the list's number 1 (US, 7 days), same
# threads, connections and duration; prints every round, the medians and detail/list.
# Both are charged (2 credits each). wrk and the server share the machine: read the
# figures with `uptime`.
set -euo pipefail

BIN=${1:-build/release/src/app/soundtrend}
ROUNDS=${ROUNDS:-3}
DURATION=${DURATION:-10s}
CONNECTIONS=${CONNECTIONS:-64}
WRK_THREADS=${WRK_THREADS:-2}
SERVER_THREADS=${SERVER_THREADS:-2}
KEEP=${KEEP:-0}
LIST="/v1/tiktok/trending/music?region=US&period=7&limit=20"

source "$(dirname "$0")/lib.sh"
bench_require wrk curl python3
bench_binary "$BIN"
bench_workdir st_detail_vs_list

echo "== setup in $WORK"
bench_demo_with_key

"$BIN" --log-level warn serve --port 0 --threads "$SERVER_THREADS" >"$WORK/serve.out" \
  2>"$WORK/serve.log" &
PIDS+=($!)
bench_wait_port serve

CLIP=$(curl -sf -H "Authorization: Bearer $KEY" "http://127.0.0.1:$PORT$LIST" |
  python3 -c 'import json,sys; print(json.load(sys.stdin)["data"]["sound_list"][0]["clip_id"])')
DETAIL="/v1/tiktok/trending/music/detail?clip_id=$CLIP&region=US&period=7"
for target in "$LIST" "$DETAIL"; do
  curl -sf -o "$WORK/probe.json" -w "%{http_code} %{size_download} bytes  $target\n" \
    -H "Authorization: Bearer $KEY" "http://127.0.0.1:$PORT$target"
done

# One wrk run: prints "RPS P99_MS NON2XX".
run_wrk() {
  local target=$1 out
  out=$(wrk -t"$WRK_THREADS" -c"$CONNECTIONS" -d"$DURATION" --latency \
    -H "Authorization: Bearer $KEY" "http://127.0.0.1:$PORT$target")
  echo "$out" >>"$WORK/wrk.log"
  echo "$out" | python3 -c '
import re, sys
text = sys.stdin.read()
rps = float(re.search(r"Requests/sec:\s+([\d.]+)", text).group(1))
m = re.search(r"^\s*99%\s+([\d.]+)(us|ms|s)\s*$", text, re.M)
p99 = float(m.group(1)) * {"us": 0.001, "ms": 1.0, "s": 1000.0}[m.group(2)]
bad = re.search(r"Non-2xx or 3xx responses:\s+(\d+)", text)
print(f"{rps:.0f} {p99:.3f} {int(bad.group(1)) if bad else 0}")'
}

echo "== wrk -t$WRK_THREADS -c$CONNECTIONS -d$DURATION, server --threads $SERVER_THREADS, $ROUNDS rounds"
echo "   uptime before: $(uptime)"
LIST_RPS=()
DETAIL_RPS=()
for round in $(seq "$ROUNDS"); do
  read -r rps p99 bad < <(run_wrk "$LIST")
  echo "round $round list:   $rps req/s, p99 $p99 ms, non-2xx $bad"
  LIST_RPS+=("$rps")
  read -r rps p99 bad < <(run_wrk "$DETAIL")
  echo "round $round detail: $rps req/s, p99 $p99 ms, non-2xx $bad"
  DETAIL_RPS+=("$rps")
done
echo "   uptime after: $(uptime)"
python3 - "${LIST_RPS[*]}" "${DETAIL_RPS[*]}" <<'PY'
import statistics, sys
lst = [float(x) for x in sys.argv[1].split()]
det = [float(x) for x in sys.argv[2].split()]
ml, md = statistics.median(lst), statistics.median(det)
print(f"SUMMARY detail vs list: list median {ml:.0f} req/s, detail median {md:.0f} req/s, "
      f"detail/list {md / ml:.2f} (goal >= 0.8)")
PY
