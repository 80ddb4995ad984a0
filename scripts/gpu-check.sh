#!/usr/bin/env bash
# The GPU check: the CUDA tests, then a wave config simulated, trained and sampled on the GPU and
# on the CPU of the same machine, printed as one table (bench/gpu/gpu_check.cpp).
#   scripts/gpu-check.sh                  # with build/cuda (scripts/build.sh cuda); no GPU: CPU mode
#   scripts/gpu-check.sh --bundle DIR     # with a scripts/gpu-bundle.sh bundle and that machine's torch 2.11
#   scripts/gpu-check.sh --cpu            # CPU mode: the CPU-scale config, a few steps (under 5 minutes on 2 cores)
# GPU mode uses configs/paper/wave.yaml (the paper's 20M-parameter UNet, 128^2 frames, batch 64) with
# small data sets: the rates do not depend on the number of trajectories. Results: $GPU_CHECK_OUT
# (default runs/gpu-check): log, table and gpu-check.json.
set -euo pipefail
cd "$(dirname "$0")/.."
mode=auto bundle="" out=${GPU_CHECK_OUT:-runs/gpu-check}
while [ $# -gt 0 ]; do
  case "$1" in
    --cpu) mode=cpu ;;
    --bundle) bundle=$(cd "$2" && pwd) && shift ;;
    *) echo "gpu-check: unknown argument '$1' (--cpu, --bundle DIR)" >&2 && exit 2 ;;
  esac
  shift
done
if [ -n "$bundle" ]; then
  bin=$bundle/bin
  torch_lib=$(python3 -c 'import os, torch; print(os.path.join(os.path.dirname(torch.__file__), "lib"))' 2>/dev/null)
  export LD_LIBRARY_PATH="$bundle/lib:$bin:$torch_lib${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}"
  export OPAL_PREFIX=$bundle/openmpi  # OpenMPI's components, relocated
  slift=$bin/slift cuda_test=$bin/learner_cuda_test gpu_check=$bin/gpu_check
else
  slift=build/cuda/pipeline/slift cuda_test=build/cuda/tests/learner/learner_cuda_test gpu_check=build/cuda/bench/gpu/gpu_check
fi
for f in "$slift" "$cuda_test" "$gpu_check"; do
  [ -x "$f" ] || { echo "gpu-check: $f is missing: scripts/build.sh cuda (or scripts/gpu-bundle.sh)" >&2; exit 2; }
done
# One process, no launcher: OpenMPI's singleton without its helper daemon.
export OMPI_MCA_ess_singleton_isolated=1
if [ "$mode" = auto ]; then
  if nvidia-smi -L >/dev/null 2>&1; then mode=gpu; else mode=cpu; fi
fi
if [ "$mode" = gpu ]; then
  config=configs/paper/wave.yaml seconds=${GPU_CHECK_SECONDS:-12}
  sets=(simulate.n_train=32 simulate.n_test=16 simulate.n_floor=1 simulate.n_frames=17 sample.n_trajectories=8)
else
  config=configs/wave.yaml seconds=${GPU_CHECK_SECONDS:-10}
  sets=(simulate.n_train=8 simulate.n_test=4 simulate.n_floor=1 sample.n_trajectories=4 train.threads=0)
fi
rm -rf "$out" && mkdir -p "$out/data"
exec > >(tee "$out/log") 2>&1
echo "gpu-check: $(date -u +%FT%TZ), $mode mode, $(nproc) cores"
if [ "$mode" = gpu ]; then nvidia-smi --query-gpu=name,driver_version,memory.total --format=csv,noheader; fi

echo "== CUDA tests"
cuda_ok=yes
"$cuda_test" --gtest_brief=1 || cuda_ok=no

echo "== data: $config (${sets[*]})"
set_args=()
for s in "${sets[@]}"; do set_args+=(--set "$s"); done
start=$(date +%s.%N)
"$slift" simulate "$config" "${set_args[@]}" --split train --out "$out/data/train.h5" -q
"$slift" simulate "$config" "${set_args[@]}" --split test --out "$out/data/test.h5" -q
echo "simulated in $(python3 -c "print(round($(date +%s.%N) - $start, 1))") s"

echo "== training and sampling"
"$gpu_check" "$config" "$out/data" "$out" "$seconds" "${sets[@]}" | tee "$out/table.md"
echo "gpu-check: CUDA tests $([ $cuda_ok = yes ] && echo passed || echo FAILED); $(date -u +%FT%TZ)"
[ $cuda_ok = yes ]
