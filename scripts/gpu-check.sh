#!/usr/bin/env bash
# The GPU check: the CUDA tests, then a wave config simulated and its training and sampling measured
# in a steady state, printed as one table (bench/gpu/gpu_check.cpp).
#   scripts/gpu-check.sh                  # with build/cuda (scripts/build.sh cuda); no GPU: CPU mode
#   scripts/gpu-check.sh --bundle DIR     # with a scripts/gpu-bundle.sh bundle and that machine's torch 2.11
#   scripts/gpu-check.sh --cpu            # CPU mode: the CPU-scale config (configs/wave.yaml)
# GPU mode uses configs/paper/wave.yaml (the paper's 20M-parameter UNet, 128^2 frames, batch 64) with
# small data sets: the rates do not depend on the number of trajectories. Training: 20 warm-up steps,
# then GPU_CHECK_STEPS (default 200) timed, in float32, bfloat16 and performance: fast (a CUDA
# graph), and fast once more without the graph over a quarter of the steps; sampling:
# SL and ARDM-40 at the largest batch that fits; with several GPUs the fast training again on all
# of them (mpirun, NCCL). Sized for 10 minutes of an H100 or H200. TFLOP/s from the FLOPs of one
# training step as the dry run counts them (24.19e12 for the paper config at batch 64;
# GPU_CHECK_FLOPS_PER_STEP overrides) against GPU_CHECK_PEAK_TFLOPS (default: the card's dense
# bf16 peak where the name is known).
# Results: $GPU_CHECK_OUT (default runs/gpu-check): log, table and gpu-check.json.
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
  slift=$bin/slift tests=$bin gpu_check=$bin/gpu_check
  export SLIFT_DP_HELPER=$bin/learner_dp_helper
else
  # CPU mode runs with the release build too, where no cuda build is there.
  build=build/cuda
  [ "$mode" = cpu ] && [ ! -x $build/bench/gpu/gpu_check ] && build=build/release
  slift=$build/pipeline/slift tests=$build/tests/learner gpu_check=$build/bench/gpu/gpu_check
fi
for f in "$slift" "$tests/learner_cuda_test" "$tests/learner_nccl_test" "$gpu_check"; do
  [ -x "$f" ] || { echo "gpu-check: $f is missing: scripts/build.sh cuda (or scripts/gpu-bundle.sh)" >&2; exit 2; }
done
# One process, no launcher: OpenMPI's singleton without its helper daemon.
export OMPI_MCA_ess_singleton_isolated=1
if [ "$mode" = auto ]; then
  if nvidia-smi -L >/dev/null 2>&1; then mode=gpu; else mode=cpu; fi
fi
gpus=0
if [ "$mode" = gpu ]; then
  gpus=$(nvidia-smi -L | grep -c '^GPU')
  config=configs/paper/wave.yaml
  sets=(simulate.n_train=32 simulate.n_test=16 simulate.n_floor=1 simulate.n_frames=17)
  name=$(nvidia-smi --query-gpu=name --format=csv,noheader | head -1)
  case "$name" in  # dense bf16 tensor-core peaks, TFLOP/s
    *H100* | *H200* | *H20[!0-9]* | *GH200*) peak=989 ;;
    *B200*) peak=2250 ;;
    *A100*) peak=312 ;;
    *L40S*) peak=362 ;;
    *) peak="" ;;
  esac
  export GPU_CHECK_PEAK_TFLOPS=${GPU_CHECK_PEAK_TFLOPS:-$peak}
else
  config=configs/wave.yaml
  sets=(simulate.n_train=8 simulate.n_test=4 simulate.n_floor=1 train.threads=0)
  export GPU_CHECK_MAX_ROLLOUTS=${GPU_CHECK_MAX_ROLLOUTS:-16}
fi
steps=${GPU_CHECK_STEPS:-200}
rm -rf "$out" && mkdir -p "$out/data"
exec > >(tee "$out/log") 2>&1
echo "gpu-check: $(date -u +%FT%TZ), $mode mode, $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //')"
if [ "$mode" = gpu ]; then nvidia-smi --query-gpu=name,driver_version,memory.total --format=csv,noheader; fi

echo "== CUDA tests"
cuda_ok=yes
"$tests/learner_cuda_test" --gtest_brief=1 || cuda_ok=no
"$tests/learner_nccl_test" --gtest_brief=1 || cuda_ok=no

echo "== data: $config (${sets[*]})"
set_args=()
for s in "${sets[@]}"; do set_args+=(--set "$s"); done
start=$(date +%s.%N)
"$slift" simulate "$config" "${set_args[@]}" --split train --out "$out/data/train.h5" -q
"$slift" simulate "$config" "${set_args[@]}" --split test --out "$out/data/test.h5" -q
echo "simulated in $(python3 -c "print(round($(date +%s.%N) - $start, 1))") s"

echo "== training and sampling"
check_ok=yes
"$gpu_check" "$config" "$out/data" "$out" "$steps" "${sets[@]}" | tee "$out/table.md" || check_ok=no
if [ "$gpus" -ge 2 ]; then
  echo "== $gpus GPUs (mpirun, one rank per GPU)"
  GPU_CHECK_ONLY=ranks mpirun --allow-run-as-root -np "$gpus" -x LD_LIBRARY_PATH -x OPAL_PREFIX -x GPU_CHECK_ONLY \
    ${GPU_CHECK_FLOPS_PER_STEP:+-x GPU_CHECK_FLOPS_PER_STEP} -x GPU_CHECK_PEAK_TFLOPS "$gpu_check" "$config" "$out/data" "$out" "$steps" "${sets[@]}" |
    tee -a "$out/table.md" || check_ok=no
fi
echo "gpu-check: CUDA tests $([ $cuda_ok = yes ] && echo passed || echo FAILED), measurements $([ $check_ok = yes ] && echo complete || echo INCOMPLETE); $(date -u +%FT%TZ)"
[ $cuda_ok = yes ] && [ $check_ok = yes ]
