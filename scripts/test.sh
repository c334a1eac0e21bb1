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
