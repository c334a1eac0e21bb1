#!/usr/bin/env bash
# The module layout's rules (README "Architecture", DESIGN.md), checked on the sources'
# #include lines:
#   1. only src/app/ (and the implementations themselves) names a store implementation:
#      no other non-test source includes store/sqlite/, store/postgres/ or store/redis/;
#   2. dependencies point one way: http/ includes nothing above it; engine/ and gateway/
#      never include http/ or api/; store/ never includes engine/, gateway/, ledger/, api/
#      or http/; nothing includes app/.
# Tests (*_test.cc, tests/) and benchmarks may name implementations: they pick what they test.
# Usage: check_layout.sh SOURCE_DIR   (exit 1 and one line per violation)
#        check_layout.sh --self-test  (plants violations in a temporary tree, expects them)
set -euo pipefail

check() {
  local root="$1" bad=0
  cd "$root/src"
  # include lines of non-test sources: FILE:LINE:#include "x/y.h"
  local includes
  includes=$(grep -rnE '^[[:space:]]*#[[:space:]]*include[[:space:]]*"' --include='*.h' --include='*.cc' . |
    sed 's|^\./||' | grep -vE '^[^:]*_test\.cc:' || true)
  report() {
    while IFS= read -r line; do
      [[ -z "$line" ]] && continue
      echo "layout: $1: $line"
      bad=1
    done
  }
  report "a store implementation named outside app/" < <(
    grep -E ':[0-9]+:.*"store/(sqlite|postgres|redis)/' <<<"$includes" |
      grep -vE '^(app|store/sqlite|store/postgres|store/redis)/' || true)
  report "http/ includes a module above it" < <(
    grep -E '^http/[^:]*:[0-9]+:.*"(api|gateway|ledger|engine|store|ingest|dashboard|app|demo)/' <<<"$includes" || true)
  report "engine/ or gateway/ includes http/ or api/" < <(
    grep -E '^(engine|gateway)/[^:]*:[0-9]+:.*"(http|api)/' <<<"$includes" || true)
  report "store/ includes a module above it" < <(
    grep -E '^store/[^:]*:[0-9]+:.*"(engine|gateway|ledger|api|http|app)/' <<<"$includes" || true)
  report "app/ included" < <(grep -E ':[0-9]+:.*"app/' <<<"$includes" | grep -vE '^app/' || true)
  return $bad
}

if [[ "${1:-}" == "--self-test" ]]; then
  tmp=$(mktemp -d)
  trap 'rm -rf "$tmp"' EXIT
  mkdir -p "$tmp/src/"{app,api,http,engine,store/sqlite,gateway}
  echo '#include "store/sqlite/sqlite_key_store.h"' > "$tmp/src/app/ok.cc"
  echo '#include "store/sqlite/sqlite_key_store.h"' > "$tmp/src/api/x_test.cc"
  echo '#include "store/key_store.h"' > "$tmp/src/gateway/ok.cc"
  check "$tmp" >/dev/null || { echo "self-test: a clean tree was refused"; exit 1; }
  echo '#include "store/postgres/pg_key_store.h"' > "$tmp/src/api/bad.cc"
  echo '  #include "api/paid_endpoint.h"' > "$tmp/src/http/bad.h"
  echo '#include "http/server.h"' > "$tmp/src/engine/bad.cc"
  echo '#include "gateway/gateway.h"' > "$tmp/src/store/sqlite/bad.cc"
  echo '#include "app/commands.h"' > "$tmp/src/gateway/bad.cc"
  out=$(check "$tmp" || true)
  for want in "api/bad.cc" "http/bad.h" "engine/bad.cc" "store/sqlite/bad.cc" "gateway/bad.cc"; do
    grep -q "$want" <<<"$out" || { echo "self-test: $want not reported"; echo "$out"; exit 1; }
  done
  echo "self-test ok"
  exit 0
fi

check "${1:?usage: check_layout.sh SOURCE_DIR | --self-test}" && echo "layout ok"
