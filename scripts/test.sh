#!/usr/bin/env bash
# Installs what is missing (apt-get), builds the release preset, runs every test.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install-deps.sh
# The OpenAPI checks' npm packages (redocly, ajv), pinned by tests/openapi/package-lock.json.
npm ci --prefix tests/openapi --no-audit --no-fund --loglevel=error
cmake --preset release
cmake --build --preset release
ctest --preset release
# Issue 12: every libFuzzer harness (the `fuzz` preset) over its seeds in fuzz/corpus (the
# regression corpus: every crash found is one of them) and then 5 s of fuzzing each.
fuzz_runs=$(mktemp -d /tmp/soundtrend_fuzz_ci.XXXXXX)
FUZZ_RUNS=$fuzz_runs bash scripts/fuzz.sh 5 || { echo "fuzz: logs, reproducers: $fuzz_runs"; exit 1; }
rm -rf "$fuzz_runs"
