#!/usr/bin/env bash
# The whole test suite: install, build, run every test (MPI, SLURM and LibTorch ones included).
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/build.sh
scripts/well-venv.sh   # The Well's loader for the `well` tests (pinned PyPI packages, build/well-venv)
ctest --preset release "$@"
