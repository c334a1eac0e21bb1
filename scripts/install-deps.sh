#!/usr/bin/env bash
# Installs the Debian packages soundtrend needs to build, test and benchmark.
# Idempotent: does nothing when everything is already installed.
set -euo pipefail
packages=(
  build-essential g++ cmake ninja-build ccache pkg-config clang-format
  clang-14 libclang-rt-14-dev
  libboost-dev libboost-system-dev libsimdjson-dev libspdlog-dev libfmt-dev libcli11-dev
  libssl-dev libsqlite3-dev sqlite3 zlib1g-dev libicu-dev
  libgtest-dev libgmock-dev libbenchmark-dev
  python3 python3-requests nodejs curl
  nginx-light wrk postgresql postgresql-client libpq-dev libhiredis-dev redis-server
  chromium
)
missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -eq 0 ]; then
  exit 0
fi
echo "installing: ${missing[*]}"
SUDO=""
[ "$(id -u)" -eq 0 ] || SUDO="sudo"
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}"
