#!/usr/bin/env bash
# Installs what is missing (apt-get), builds, creates demo data and a demo key on first
# run, and serves on 127.0.0.1:8080 until Ctrl-C.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install-deps.sh
cmake --preset release
cmake --build --preset release --target soundtrend
exec bash scripts/run-demo.sh build/release/src/app/soundtrend
