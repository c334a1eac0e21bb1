#!/usr/bin/env bash
# scripts/soak.sh [MINUTES] [BINARY]: a soak run (not a test). Starts one `soundtrend
# serve` (charging on, 2 event loops) on loopback in a temporary directory with demo data,
# puts MINUTES (default 10) of mixed load on it (scripts/soak_load.py: valid, invalid and
# slow clients, key creations, grants, revocations, an ingest a minute), and prints once a
# minute: the server's RSS, open fds, WAL size, ledger rows (grants and charges), error and
# warning lines in its log, and what the clients got. Goal: RSS and fds flat, no error the
# load did not ask for. Everything runs at nice 10 (the machine is shared).
set -euo pipefail
cd "$(dirname "$0")/.."
MINUTES=${1:-10}
BIN=$(readlink -f "${2:-build/release/src/app/soundtrend}")
[ -x "$BIN" ] || { echo "no binary at $BIN" >&2; exit 2; }
WORK=$(mktemp -d /tmp/st_soak.XXXXXX)
PID=
cleanup() {
  [ -n "$PID" ] && kill "$PID" 2>/dev/null && wait "$PID" 2>/dev/null || true
  [ "${KEEP:-0}" = 1 ] && echo "work dir kept: $WORK" || rm -rf "$WORK"
}
trap cleanup EXIT
export SOUNDTREND_DB=$WORK/st.db
ADMIN=soak-admin-$RANDOM$RANDOM
echo "== setup in $WORK ($(uptime))"
"$BIN" demo --out "$WORK/demo" --seed 7 --sounds 2000 --days 40 --scale 0.05 \
  --regions US,GB,DE,FR,JP >"$WORK/demo.log"
"$BIN" ingest "$WORK"/demo/* >"$WORK/ingest.log"
"$BIN" build >"$WORK/build.log"
KEY=$("$BIN" keys create --name soak --credits 1000000000000 --qps 100000 --burst 6000000 \
  2>/dev/null | head -1)
SOUNDTREND_ADMIN_TOKEN=$ADMIN nice -n 10 "$BIN" serve --port 0 --threads 2 \
  >"$WORK/serve.out" 2>"$WORK/serve.log" &
PID=$!
for _ in $(seq 300); do grep -q '^listening on ' "$WORK/serve.out" && break; sleep 0.1; done
PORT=$(sed -n 's#^listening on http://.*:\([0-9]*\)$#\1#p' "$WORK/serve.out")
[ -n "$PORT" ] || { cat "$WORK/serve.log"; exit 1; }
nice -n 10 python3 scripts/soak_load.py "$PORT" "$KEY" "$ADMIN" $((MINUTES * 60)) \
  "$WORK/clients.json" &
LOAD=$!
ledger_rows() {
  sqlite3 -readonly "$SOUNDTREND_DB" "SELECT (SELECT count(*) FROM gw_ledger) +
    (SELECT coalesce(sum(last_seq - first_seq + 1), 0) FROM gw_charge_blocks);" 2>/dev/null ||
    echo "?"
}
printf '%-6s %9s %5s %10s %12s %7s %7s\n' minute rss_mb fds wal_mb ledger_rows errors warns
for m in $(seq 0 "$MINUTES"); do
  rss=$(awk '/VmRSS/ {printf "%.1f", $2 / 1024}' "/proc/$PID/status")
  fds=$(ls "/proc/$PID/fd" | wc -l)
  wal=$(stat -c %s "$SOUNDTREND_DB-wal" 2>/dev/null | awk '{printf "%.1f", $1 / 1048576}')
  errors=$(grep -c '\[error\]' "$WORK/serve.log" || true)
  warns=$(grep -c '\[warning\]' "$WORK/serve.log" || true)
  printf '%-6s %9s %5s %10s %12s %7s %7s\n' "$m" "$rss" "$fds" "${wal:-0}" "$(ledger_rows)" \
    "$errors" "$warns"
  [ "$m" = "$MINUTES" ] || sleep 60
done
wait "$LOAD" || true
echo "== clients (status -> count):"
python3 -c 'import json,sys; [print("  %-28s %d" % kv) for kv in json.load(open(sys.argv[1])).items()]' \
  "$WORK/clients.json"
echo "== server log lines at error/warning level (first 20):"
grep -E '\[(error|warning)\]' "$WORK/serve.log" | head -20 || true
echo "== $(uptime)"
