#!/usr/bin/env bash
# Installs what is missing (apt-get), builds the release preset, runs every test.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install-deps.sh
cmake --preset release
cmake --build --preset release
ctest --preset release
