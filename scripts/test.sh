#!/usr/bin/env bash
# The whole test suite: install, build, run every test (MPI, SLURM and LibTorch ones included).
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/build.sh
ctest --preset release "$@"
