#!/usr/bin/env bash
# The platform-scale benchmark of issue 3 (not a test): prints the raw ingest rate, the
# chart engine's figures and the PostgreSQL comparison, all on seeded generated data.
#
#   bash bench/platform.sh                 # full scale (1M sounds, 240 days, 500k cells/day,
#                                          # 50M raw records); needs ~12 GB RAM and ~10 GB of
#                                          # /tmp; ~30 minutes, most of it PostgreSQL's query
#                                          # (best of 3; add --pg-runs 1 for a shorter run)
#   bash bench/platform.sh --quick         # 10% of the engine data, 5M raw records
#   BUILD_DIR=build/engine bash bench/platform.sh [engine_bench flags...]
#
# Builds engine_bench and ingest_bench in BUILD_DIR (default build/release) if needed.
# Extra arguments go to engine_bench (e.g. --sounds N --cells-per-day N --days N).
set -euo pipefail
cd "$(dirname "$0")/.."
BUILD_DIR=${BUILD_DIR:-build/release}
RECORDS=50000000
INGEST_DAYS=30  # the raw records in time order over the latest 30 days: ~1.7M a day
ENGINE_ARGS=()
for arg in "$@"; do
  if [ "$arg" = --quick ]; then
    RECORDS=5000000
    INGEST_DAYS=3
    ENGINE_ARGS+=(--sounds 100000 --cells-per-day 50000)
  else
    ENGINE_ARGS+=("$arg")
  fi
done

if [ ! -f "$BUILD_DIR/CMakeCache.txt" ]; then
  cmake -S . -B "$BUILD_DIR" -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
fi
cmake --build "$BUILD_DIR" --target engine_bench -j2 >/dev/null
cmake --build "$BUILD_DIR" --target ingest_bench -j2 >/dev/null 2>&1 || true

echo "== machine: $(nproc) cores, $(free -g | awk '/Mem:/ {print $2}') GB RAM; $(uptime)"
echo "== git: $(git rev-parse --short HEAD 2>/dev/null || echo unknown)"

INGEST_BENCH=$(find "$BUILD_DIR" -type f -name ingest_bench -perm -u+x 2>/dev/null | head -1)
echo "== raw ingest: ingest_bench --records $RECORDS --days $INGEST_DAYS --format ndjson (uptime: $(uptime))"
if [ -n "$INGEST_BENCH" ]; then
  "$INGEST_BENCH" --records "$RECORDS" --days "$INGEST_DAYS" --format ndjson
else
  echo "ingest_bench is not built yet (bench/ingest.cmake missing or not building): no raw ingest rate"
fi

echo "== engine and PostgreSQL: engine_bench --postgres ${ENGINE_ARGS[*]:-}"
echo "   (uptime before: $(uptime))"
"$BUILD_DIR/bench/engine_bench" --postgres "${ENGINE_ARGS[@]}"
echo "== done; uptime after: $(uptime)"
