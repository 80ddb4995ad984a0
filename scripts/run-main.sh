#!/usr/bin/env bash
# The main job on its default config: install, build, then the whole Duffing pipeline
# (simulate -> train -> sample -> evaluate -> report). Extra arguments go to `slift run`.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/build.sh
build/release/pipeline/slift run configs/duffing.yaml "$@"
