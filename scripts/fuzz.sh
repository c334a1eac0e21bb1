#!/usr/bin/env bash
# scripts/fuzz.sh [SECONDS] [HARNESS...]: builds the `fuzz` preset (clang, ASan + UBSan)
# and runs each libFuzzer harness of fuzz/ for SECONDS (default 60), one at a time, at low
# priority (nice 19: the machine is shared). Seeds: fuzz/corpus/<harness>/ (read only);
# what a run finds grows build/fuzz/runs/corpus/<harness>/ (kept between runs). Prints one
# line per harness: executions, executions/s, new corpus size; exits 1 if any harness
# crashed, leaked, hung or ran out of memory (the reproducer is under build/fuzz/runs/).
#   FUZZ_JOBS=N   build parallelism (default 2)
#   FUZZ_MAX_EXECS=N  stop a harness after N executions if that comes before SECONDS
#   FUZZ_RUNS=DIR where corpora, logs and reproducers go (default build/fuzz/runs; CI gives
#                 an empty one, so that its pass is the seeds plus SECONDS of fuzzing)
#   FUZZ_BIN=DIR  run the harness binaries in DIR (a copy: a long run then survives rebuilds)
#                 instead of building the preset
#   --seeds       instead: rewrite the charge-log seeds in fuzz/corpus with the real encoders
set -euo pipefail
cd "$(dirname "$0")/.."
if [ "${1:-}" = "--seeds" ]; then
  cmake --preset fuzz >/dev/null
  cmake --build --preset fuzz --target make_seeds -j "${FUZZ_JOBS:-2}"
  build/fuzz/fuzz/make_seeds fuzz/corpus
  exit 0
fi
seconds="${1:-60}"
shift || true
all=(query ndjson_record csv_record gzip_source charge_lane charge_journal charge_block admin_json
     http_request)
harnesses=("$@")
[ ${#harnesses[@]} -gt 0 ] || harnesses=("${all[@]}")

if [ -z "${FUZZ_BIN:-}" ]; then
  cmake --preset fuzz >/dev/null
  cmake --build --preset fuzz -j "${FUZZ_JOBS:-2}" >/dev/null
fi
runs=${FUZZ_RUNS:-build/fuzz/runs}
mkdir -p "$runs"
failed=0
printf '%-16s %14s %10s %7s %6s %8s  %s\n' harness executions exec/s seconds cov corpus result
for h in "${harnesses[@]}"; do
  bin=${FUZZ_BIN:-build/fuzz/fuzz}/${h}_fuzz
  corpus=$runs/corpus/$h
  mkdir -p "$corpus"
  args=(-max_total_time="$seconds" -print_final_stats=1 -timeout=20 -rss_limit_mb=3072
        -max_len=65536 -artifact_prefix="$runs/$h-")
  [ -n "${FUZZ_MAX_EXECS:-}" ] && args+=(-runs="$FUZZ_MAX_EXECS")
  [ -f "fuzz/dict/$h.dict" ] && args+=(-dict="fuzz/dict/$h.dict")
  # The in-process server keeps threads and buffers across inputs: no per-input leak check.
  [ "$h" = http_request ] && args+=(-detect_leaks=0)
  result=ok
  t0=$(date +%s)
  nice -n 19 "$bin" "${args[@]}" "$corpus" "fuzz/corpus/$h" >"$runs/$h.log" 2>&1 || result=FAILED
  execs=$(awk '/stat::number_of_executed_units:/ {n = $2} END {print n}' "$runs/$h.log")
  rate=$(awk '/stat::average_exec_per_sec:/ {n = $2} END {print n}' "$runs/$h.log")
  # Edges covered (libFuzzer's "cov:" of its last status line).
  cov=$(grep -o 'cov: [0-9]*' "$runs/$h.log" | tail -1 | awk '{print $2}')
  size=$(find "$corpus" -type f | wc -l)
  printf '%-16s %14s %10s %7s %6s %8s  %s\n' "$h" "${execs:-?}" "${rate:-?}" \
    "$(($(date +%s) - t0))" "${cov:-?}" "$size" "$result"
  if [ "$result" != ok ]; then
    failed=1
    grep -E 'ERROR|SUMMARY|Test unit written|==[0-9]+==' "$runs/$h.log" | head -20 || true
  fi
done
exit $failed
