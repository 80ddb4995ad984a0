#!/usr/bin/env bash
# The whole test suite: install, build, run every test (MPI, SLURM and LibTorch ones included);
# then the learner's tests again against LibTorch 2.11 with CUDA (preset cuda; without a GPU the
# CUDA library runs on the CPU and the tests labelled `cuda` skip with a message).
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/build.sh
scripts/well-venv.sh   # The Well's loader for the `well` tests (pinned PyPI packages, build/well-venv)
ctest --preset release "$@"
scripts/build.sh cuda
ctest --preset cuda "$@"
