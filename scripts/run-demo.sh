#!/usr/bin/env bash
# Usage: scripts/run-demo.sh BINARY
#
# Serves soundtrend with demo data on 127.0.0.1:8080 until Ctrl-C (called by scripts/run.sh
# after the build).
#  - First run (the database has no usage data yet): writes a seeded demo platform
#    (`soundtrend demo`), ingests it and builds the chart history.
#  - Every run: revokes the earlier keys named "demo", creates a fresh one (shown on the
#    terminal only, never written to a file), starts `soundtrend serve` and, once it
#    listens, prints a ready-to-paste curl line.
#
# Environment: SOUNDTREND_DB (default data/soundtrend.db; the demo files go to a `demo`
# directory next to it), SOUNDTREND_HOST (127.0.0.1), SOUNDTREND_PORT (8080),
# DEMO_SOUNDS / DEMO_DAYS / DEMO_SEED (size and seed of the generated platform; 5000 sounds
# x 240 days: ~3.8 million daily cells, every region has >= 200 sounds in its last 7 days).
set -euo pipefail

if [ $# -ne 1 ]; then
  echo "usage: $0 BINARY" >&2
  exit 2
fi
bin=$1
db=${SOUNDTREND_DB:-data/soundtrend.db}
host=${SOUNDTREND_HOST:-127.0.0.1}
port=${SOUNDTREND_PORT:-8080}
# Defaults measured so that demo + ingest + build take well under a minute on 2 cores
# while every region still gets full 100-entry charts for 7, 30 and 120 days.
sounds=${DEMO_SOUNDS:-5000}
days=${DEMO_DAYS:-240}
seed=${DEMO_SEED:-42}
demo_dir=$(dirname "$db")/demo

st() { "$bin" --db "$db" "$@"; }

# 1. Data: build reports "no usage data yet" on an empty database, and refuses a missing
# one (ingest below creates it).
if [ -e "$db" ]; then
  build_out=$(st build)
else
  build_out="no usage data yet (no database at $db)"
fi
if grep -q "^no usage data yet" <<<"$build_out"; then
  echo "== first run: generating the demo platform into $demo_dir"
  start=$SECONDS
  st demo --out "$demo_dir" --seed "$seed" --sounds "$sounds" --days "$days"
  echo "== ingesting"
  st ingest "$demo_dir"/catalog.ndjson "$demo_dir"/daily.csv.gz "$demo_dir"/uses.ndjson.gz
  echo "== building the chart history"
  st build
  echo "== demo data ready in $((SECONDS - start)) s"
else
  printf '%s\n' "$build_out"
  # Charts are as of the latest closed day: once the data is days old, the short windows
  # thin out. Say so (the database may hold more than the demo, so it is not deleted here).
  last_day=$(sed -n 's/.*daily cells ([0-9-]*\.\.\([0-9-]*\)).*/\1/p' <<<"$build_out" | head -n 1)
  yesterday=$(date -u -d yesterday +%F)
  if [ -n "$last_day" ] && [[ $last_day < $yesterday ]]; then
    echo "note: the data ends on $last_day; the 7-day charts empty out a week after that." >&2
    echo "      For fresh demo data: stop, remove $db* and $demo_dir, and run again." >&2
  fi
fi

# 2. A fresh demo key; earlier ones are revoked so that keys do not pile up.
st keys list | awk -F'\t' 'NR > 1 && $NF == "demo" && $2 == "active" { print $1 }' |
  while read -r old_id; do st keys revoke "$old_id" >/dev/null; done
key=$(st keys create --name demo --credits 1000000 --qps 50 | head -n 1)
case $key in
  sk_live_*) ;;
  *) echo "run-demo: keys create did not print a key" >&2; exit 1 ;;
esac

# 3. Serve; print the curl line once it listens. Ctrl-C or SIGTERM: serve gets SIGTERM
# (a background job ignores the terminal's SIGINT) and shuts down gracefully; the script
# exits with serve's status.
coproc SERVE { exec "$bin" --db "$db" serve --host "$host" --port "$port"; }
serve_pid=$SERVE_PID
exec {serve_out}<&"${SERVE[0]}"  # the coproc's own fd is closed in subshells
signalled=0
trap 'signalled=1; kill -TERM "$serve_pid" 2>/dev/null || true' INT TERM
url=""
while IFS= read -r line <&"$serve_out"; do
  echo "$line"
  if [[ $line == "listening on "* ]]; then
    url=${line#listening on }
    break
  fi
done
if [ -z "$url" ]; then
  wait "$serve_pid" || rc=$?
  echo "run-demo: serve exited before listening (exit ${rc:-0})" >&2
  exit "${rc:-1}"
fi
cat <&"$serve_out" &  # keep draining serve's stdout
cat <<EOF

soundtrend is serving the demo charts at $url (Ctrl-C to stop). Try:

  curl -H 'Authorization: Bearer $key' '$url/v1/tiktok/trending/music?region=US&period=7'

Other regions, periods and filters: see $url/docs
EOF
# `wait` returns early (128 + signal) when a trapped signal arrives; wait again for serve's
# own exit status (bash keeps it after reaping).
while :; do
  signalled=0
  rc=0
  wait "$serve_pid" || rc=$?
  [ "$signalled" -eq 1 ] || break
done
exit "$rc"
