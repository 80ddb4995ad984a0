#!/bin/bash
# Training speed of two builds of slift side by side (issue 23), alternating REPEATS times:
#  1. the CPU-scale wave UNet of configs/wave.yaml (its model and batch, 1 thread as configured),
#     train:sl for STEPS steps on a small simulated set: steps/s of each build;
#  2. the Duffing main job's training (configs/duffing.yaml, train:sl, 2 threads) on a quiet
#     machine and beside one busy process (`yes`): steps/s of each build.
#   bench/learner/step_speed.sh OLD_BUILD NEW_BUILD [STEPS REPEATS]
# A build's slift is BUILD/pipeline/slift. The environment's OMP_WAIT_POLICY is cleared, so each
# build runs with its own default.
set -euo pipefail
old=${1:?old build dir}; new=${2:?new build dir}; steps=${3:-60}; repeats=${4:-3}
root=$(cd "$(dirname "$0")/../.." && pwd)
tmp=$(mktemp -d); busy=""
trap '[ -n "$busy" ] && kill "$busy" 2>/dev/null; rm -rf "$tmp"' EXIT
unset OMP_WAIT_POLICY GOMP_SPINCOUNT
steps_per_second() { /usr/bin/python3 -c "import json,sys; m=json.load(open(sys.argv[1])); print('%.2f' % (m['steps'] / m['seconds']))" "$1"; }
# train BUILD CONFIG STEPS SETS...: steps/s of train:sl.
train() {
  local build=$1 config=$2 n=$3; shift 3
  "$build/pipeline/slift" run "$config" train:sl --force -q "$@" --set train.iterations="$n" --set train.warmup=0 \
    --set train.log_every="$n" --set train.checkpoint_every="$n" --set train.device=cpu
  steps_per_second "$tmp/$(basename "$config" .yaml)/models/sl.json"
}

wave=(--set "output_dir=$tmp/wave" --set simulate.n_train=16 --set simulate.n_test=8)
"$new/pipeline/slift" run "$root/configs/wave.yaml" simulate -q "${wave[@]}"
echo "wave UNet (configs/wave.yaml's model), $steps steps, steps/s: old new"
for _ in $(seq "$repeats"); do
  echo "  $(train "$old" "$root/configs/wave.yaml" "$steps" "${wave[@]}") $(train "$new" "$root/configs/wave.yaml" "$steps" "${wave[@]}")"
done

duffing=(--set "output_dir=$tmp/duffing" --set train.threads=2)
"$new/pipeline/slift" run "$root/configs/duffing.yaml" simulate -q "${duffing[@]}"
echo "Duffing main job's training, 2 threads, $((steps * 3)) steps, steps/s: old new (quiet), old new (beside yes)"
for _ in $(seq "$repeats"); do
  quiet="$(train "$old" "$root/configs/duffing.yaml" $((steps * 3)) "${duffing[@]}") $(train "$new" "$root/configs/duffing.yaml" $((steps * 3)) "${duffing[@]}")"
  yes >/dev/null & busy=$!
  loaded="$(train "$old" "$root/configs/duffing.yaml" $((steps * 3)) "${duffing[@]}") $(train "$new" "$root/configs/duffing.yaml" $((steps * 3)) "${duffing[@]}")"
  kill "$busy"; wait "$busy" 2>/dev/null || true; busy=""
  echo "  $quiet, $loaded"
done
