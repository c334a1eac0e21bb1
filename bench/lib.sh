# Shared pieces of the serving benchmarks (sourced, not run). Each function states what it
# sets; all of them exit the script with a message on failure.

# bench_require TOOL...: exits 2 naming the first tool that is not on PATH.
bench_require() {
  local tool
  for tool in "$@"; do
    command -v "$tool" >/dev/null || { echo "missing: $tool" >&2; exit 2; }
  done
}

# bench_binary PATH: sets BIN to PATH made absolute; exits 2 when it is not executable.
bench_binary() {
  [ -x "$1" ] || { echo "no soundtrend binary at $1 (build it, or pass its path)" >&2; exit 2; }
  BIN=$(readlink -f "$1")
}

# bench_workdir NAME: sets WORK (a new /tmp/NAME.XXXXXX), PIDS=() and SOUNDTREND_DB; on exit
# every pid in PIDS is killed and waited for, and WORK removed unless KEEP=1.
bench_workdir() {
  WORK=$(mktemp -d "/tmp/$1.XXXXXX")
  PIDS=()
  export SOUNDTREND_DB=$WORK/st.db
  trap bench_cleanup EXIT
}
bench_cleanup() {
  local pid
  for pid in "${PIDS[@]}"; do kill "$pid" 2>/dev/null || true; done
  for pid in "${PIDS[@]}"; do wait "$pid" 2>/dev/null || true; done
  if [ "${KEEP:-0}" = 1 ]; then echo "work dir kept: $WORK"; else rm -rf "$WORK"; fi
}

# bench_demo_with_key [DEMO_FLAG...]: a demo ingested and built into SOUNDTREND_DB, and a
# key with huge credits and a high QPS limit in KEY. The demo is the small one (5 regions)
# unless flags for `soundtrend demo` are given (e.g. `--seed 7` alone: the default demo).
bench_demo_with_key() {
  local flags=(--seed 7 --sounds 3000 --days 40 --scale 0.1 --regions US,GB,DE,FR,JP)
  [ $# -eq 0 ] || flags=("$@")
  "$BIN" demo --out "$WORK/demo" "${flags[@]}" >"$WORK/demo.log"
  "$BIN" ingest "$WORK"/demo/* >"$WORK/ingest.log"
  "$BIN" build >"$WORK/build.log"
  KEY=$("$BIN" keys create --name bench --credits 1000000000000 --qps 100000 --burst 6000000 \
    2>/dev/null | head -1)
  case "$KEY" in sk_live_*) ;; *) echo "keys create printed no key" >&2; exit 1 ;; esac
}

# bench_wait_port NAME: waits (up to 30 s) for "listening on http://HOST:PORT" in
# WORK/NAME.out and sets PORT; exits 1 showing WORK/NAME.log when it never comes.
bench_wait_port() {
  PORT=
  local _
  for _ in $(seq 300); do
    if grep -q '^listening on ' "$WORK/$1.out"; then
      PORT=$(sed -n 's#^listening on http://.*:\([0-9]*\)$#\1#p' "$WORK/$1.out")
      break
    fi
    sleep 0.1
  done
  [ -n "$PORT" ] || { echo "soundtrend did not start:" >&2; cat "$WORK/$1.log" >&2; exit 1; }
}

# bench_wrk URL [HEADER...]: one `wrk --latency` run on URL with WRK_THREADS, CONNECTIONS
# and DURATION, each HEADER ("Name: value") sent; its output appended to WORK/wrk.log.
# Prints "RPS P99_MS NON2XX REQUESTS", then "Socket_errors:..." when wrk reported some.
bench_wrk() {
  local url=$1 out header
  shift
  local args=()
  for header in "$@"; do args+=(-H "$header"); done
  out=$(wrk -t"$WRK_THREADS" -c"$CONNECTIONS" -d"$DURATION" --latency "${args[@]}" "$url")
  echo "$out" >>"$WORK/wrk.log"
  echo "$out" | python3 -c '
import re, sys
text = sys.stdin.read()
rps = float(re.search(r"Requests/sec:\s+([\d.]+)", text).group(1))
m = re.search(r"^\s*99%\s+([\d.]+)(us|ms|s)\s*$", text, re.M)
p99 = float(m.group(1)) * {"us": 0.001, "ms": 1.0, "s": 1000.0}[m.group(2)]
bad = re.search(r"Non-2xx or 3xx responses:\s+(\d+)", text)
total = re.search(r"^\s*(\d+) requests in", text, re.M)
errors = re.search(r"Socket errors:.*", text)
print(f"{rps:.0f} {p99:.3f} {int(bad.group(1)) if bad else 0} {total.group(1)}"
      + (" " + errors.group(0).replace(" ", "_") if errors else ""))'
}
