#!/usr/bin/env bash
# Installs missing Debian packages (scripts/install-deps.sh) and builds the release preset.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-deps.sh "$@"
cmake --preset release >/dev/null
cmake --build --preset release -j "$(nproc)"
