#!/usr/bin/env bash
# Installs missing Debian packages (scripts/install-deps.sh) and builds a preset:
#   scripts/build.sh          # release: Debian's LibTorch 1.13 (CPU)
#   scripts/build.sh cuda     # cuda: LibTorch 2.11 with CUDA 13.0 from the pinned PyPI wheel (.venv/cuda), build/cuda
# Further arguments go to install-deps.sh (e.g. --bench).
set -euo pipefail
cd "$(dirname "$0")/.."
preset=release
case "${1:-}" in release | cuda | no-torch | debug-sanitize) preset=$1 && shift ;; esac
scripts/install-deps.sh "$@"
if [ "$preset" = cuda ]; then scripts/torch-venv.sh; fi
cmake --preset "$preset" >/dev/null
cmake --build --preset "$preset" -j "$(nproc)"
