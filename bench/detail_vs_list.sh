#!/usr/bin/env bash
# Issue 11's serving benchmarks (not tests: they print numbers):
#  1. past editions (docs/api.md §9; goal: the first request for an edition not in memory
#     under 50 ms at demo scale, then from the cache): PAST_DAYS days back from the last
#     (and the first day) x PAST_REGIONS x periods 7/30/120 x popular/surging, each asked
#     twice on one keep-alive connection, one request at a time, timed by the client
#     (request sent to response read); also the detail endpoint with as_of, and the latest
#     edition as the baseline;
#  2. the sound detail endpoint against the list endpoint (goal: detail >= 0.8 of the
#     list's requests/s).
#
#   bash bench/detail_vs_list.sh [SOUNDTREND_BINARY]   (default build/release/src/app/soundtrend)
#
# Environment (defaults): DEMO=default (the default demo, 71 regions, 240 days: "demo
#   scale"; small: 5 regions, 40 days, scale 0.1) ROUNDS=3 DURATION=10s CONNECTIONS=64
#   WRK_THREADS=2 SERVER_THREADS=2 PAST=1 (0: skip part 1) PAST_DAYS="1 7 30 90 180"
#   PAST_REGIONS="US JP GB" KEEP=0 (1: keep the work dir)
#
# It builds nothing. In a temporary directory: demo data (`soundtrend demo`) + ingest +
# build, a key with huge credits and a high QPS limit, one server with keys, limits and
# charging on (a fresh process: no past edition in memory). Part 2: ROUNDS rounds
# alternating wrk on the list (US, 7 days, 20 items) and on the detail of the list's
# number 1 (US, 7 days), same threads, connections and duration; prints every round, the
# medians and detail/list. Both are charged (2 credits each). The clients and the server
# share the machine: read the figures with `uptime`.
set -euo pipefail

BIN=${1:-build/release/src/app/soundtrend}
ROUNDS=${ROUNDS:-3}
DURATION=${DURATION:-10s}
CONNECTIONS=${CONNECTIONS:-64}
WRK_THREADS=${WRK_THREADS:-2}
SERVER_THREADS=${SERVER_THREADS:-2}
KEEP=${KEEP:-0}
DEMO=${DEMO:-default}
PAST=${PAST:-1}
PAST_DAYS=${PAST_DAYS:-1 7 30 90 180}
PAST_REGIONS=${PAST_REGIONS:-US JP GB}
LIST="/v1/tiktok/trending/music?region=US&period=7&limit=20"

source "$(dirname "$0")/lib.sh"
bench_require wrk curl python3
bench_binary "$BIN"
bench_workdir st_detail_vs_list

echo "== setup in $WORK (DEMO=$DEMO)"
case "$DEMO" in
  default) bench_demo_with_key --seed 7 ;;
  small) bench_demo_with_key ;;
  *) echo "DEMO must be default or small" >&2; exit 2 ;;
esac
grep -h '^demo platform\|^uses:' "$WORK/demo.log" || true

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

if [ "$PAST" = 1 ]; then
  echo "== past editions: first request (computed) and again (cached), one at a time"
  echo "   uptime before: $(uptime)"
  python3 - "$PORT" "$KEY" "$CLIP" "$PAST_DAYS" "$PAST_REGIONS" <<'PY'
import datetime, http.client, json, statistics, sys, time
port, key, clip = int(sys.argv[1]), sys.argv[2], sys.argv[3]
back = [int(x) for x in sys.argv[4].split()]
regions = sys.argv[5].split()
conn = http.client.HTTPConnection("127.0.0.1", port)
def get(target, auth=True):
    headers = {"Authorization": "Bearer " + key} if auth else {}
    t = time.perf_counter()
    conn.request("GET", target, headers=headers)
    r = conn.getresponse()
    body = r.read()
    ms = 1000 * (time.perf_counter() - t)
    if r.status != 200:
        sys.exit(f"{target}: {r.status} {body[:200]!r}")
    return ms, json.loads(body)
_, editions = get("/v1/tiktok/trending/music/editions", auth=False)
first = datetime.date.fromisoformat(editions["data"]["first_day"])
last = datetime.date.fromisoformat(editions["data"]["last_day"])
days = sorted({max(first, last - datetime.timedelta(days=b)) for b in back} | {first}, reverse=True)
print(f"editions {first}..{last}; days asked: {' '.join(str(d) for d in days)}")
def stats(v):
    v = sorted(v)
    return (f"median {statistics.median(v):.2f} ms, p90 {v[int(0.9 * (len(v) - 1))]:.2f} ms, "
            f"max {v[-1]:.2f} ms (n={len(v)})")
latest = []
for region in regions:
    for period in (7, 30, 120):
        for kind in ("popular", "surging"):
            for _ in range(3):
                latest.append(get(f"/v1/tiktok/trending/music?region={region}&period={period}"
                                  f"&rank_type={kind}")[0])
print("latest edition (baseline, precomputed): " + stats(latest))
firsts, agains, by_period, empty = [], [], {7: [], 30: [], 120: []}, 0
for day in days:
    for region in regions:
        for period in (7, 30, 120):
            for kind in ("popular", "surging"):
                target = (f"/v1/tiktok/trending/music?region={region}&period={period}"
                          f"&rank_type={kind}&as_of={day}")
                ms, body = get(target)
                empty += not body["data"]["sound_list"]
                firsts.append(ms)
                by_period[period].append(ms)
                agains.append(get(target)[0])
print(f"first request of a past edition: {stats(firsts)}; {empty} of them empty charts")
for period, v in by_period.items():
    print(f"  period {period}: {stats(v)}")
print(f"the same request again (cached): {stats(agains)}")
dfirst, dagain = [], []
for day in days:
    for period in (7, 30, 120):
        target = f"/v1/tiktok/trending/music/detail?clip_id={clip}&region=US&period={period}&as_of={day}"
        dfirst.append(get(target)[0])
        dagain.append(get(target)[0])
print(f"detail with as_of, first: {stats(dfirst)}; again: {stats(dagain)}")
print(f"SUMMARY past editions: first request median {statistics.median(firsts):.1f} ms, "
      f"max {max(firsts):.1f} ms over {len(firsts)} editions (goal < 50 ms); cached median "
      f"{statistics.median(agains):.2f} ms; latest edition median {statistics.median(latest):.2f} ms; "
      f"detail as_of first max {max(dfirst):.1f} ms")
PY
  echo "   uptime after: $(uptime)"
fi

# One wrk run on TARGET (bench_wrk): "RPS P99_MS NON2XX REQUESTS".
run_wrk() {
  bench_wrk "http://127.0.0.1:$PORT$1" "Authorization: Bearer $KEY"
}

echo "== wrk -t$WRK_THREADS -c$CONNECTIONS -d$DURATION, server --threads $SERVER_THREADS, $ROUNDS rounds"
echo "   uptime before: $(uptime)"
LIST_RPS=()
DETAIL_RPS=()
for round in $(seq "$ROUNDS"); do
  read -r rps p99 bad _ < <(run_wrk "$LIST")
  echo "round $round list:   $rps req/s, p99 $p99 ms, non-2xx $bad"
  LIST_RPS+=("$rps")
  read -r rps p99 bad _ < <(run_wrk "$DETAIL")
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
