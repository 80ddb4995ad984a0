#!/usr/bin/env bash
# Data-parallel training (learner/distributed.hpp): training steps per second with 2 MPI ranks x
# 1 thread against 1 rank x 1 thread, side by side in one run (A B A B ...: the pair's ratio
# stays meaningful when the machine's speed drifts), for the CPU-scale wave config (UNet, global
# batch 32) and the Duffing MLP (global batch 512). The time is the training's own clock
# (models/sl.json: seconds of the step loop), so process start-up and data loading are left out.
# Duffing also trains its full default length once per rank count: the final training losses,
# which must agree within 2%. Prints the load average before and after (the machine may be shared).
#   bench/learner/data_parallel.sh build/release/pipeline/slift [PAIRS] [WAVE_STEPS]
set -euo pipefail
slift=$(realpath "$1")
pairs=${2:-3} wave_steps=${3:-200}
# A rank waiting in a collective yields its core (OpenMPI spins by default): on a machine shared
# with other work a spinning rank takes the core the other rank or the other work needs.
mpi="mpiexec --allow-run-as-root --oversubscribe --bind-to none --mca mpi_yield_when_idle 1 -n 2"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
echo "$(date -u '+%Y-%m-%d %H:%M UTC'), $(nproc) cores, $(uname -n); load average before: $(cut -d' ' -f1-3 /proc/loadavg)"

# prepare CONFIG DIR ARGS...: the data (simulated once, not timed).
prepare() {
  "$slift" run "$1" simulate -q --threads 2 --set output_dir="$2" "${@:3}"
}
# train RANKS CONFIG DIR ARGS...: retrain sl; prints "steps/s final_loss".
train() {
  local launch=()
  [ "$1" -gt 1 ] && launch=($mpi)
  "${launch[@]}" "$slift" train "$2" --force -q --threads 1 --set output_dir="$3" --set 'train.models=[sl]' "${@:4}"
  python3 -c 'import json, sys; j = json.load(open(sys.argv[1])); print(j["steps"] / j["seconds"], j["final_loss"])' \
    "$3/models/sl.json"
}
# compare NAME CONFIG ARGS...: PAIRS alternating runs of 1 and 2 ranks, the median of each and of the pair ratios.
compare() {
  local name=$1 config=$2
  shift 2
  prepare "$config" "$tmp/$name" "$@"
  local ones=() twos=() ratios=()
  for ((i = 0; i < pairs; i++)); do
    read -r s1 _ < <(train 1 "$config" "$tmp/$name" "$@")
    read -r s2 _ < <(train 2 "$config" "$tmp/$name" "$@")
    ones+=("$s1") twos+=("$s2") ratios+=("$(python3 -c "print($s2 / $s1)")")
  done
  python3 - "$name" "${ones[*]}" "${twos[*]}" "${ratios[*]}" <<'EOF'
import statistics, sys
name, ones, twos, ratios = sys.argv[1], *[[float(x) for x in a.split()] for a in sys.argv[2:]]
fmt = lambda v: " ".join(f"{x:.2f}" for x in v)
print(f"{name}: steps/s 1 rank x 1 thread [{fmt(ones)}] median {statistics.median(ones):.2f}; "
      f"2 ranks x 1 thread [{fmt(twos)}] median {statistics.median(twos):.2f}; "
      f"ratio per pair [{fmt(ratios)}] median {statistics.median(ratios):.2f}")
EOF
}

compare wave configs/wave.yaml --set train.iterations="$wave_steps" --set train.checkpoint_every="$wave_steps"
compare duffing configs/duffing.yaml --set train.iterations=300 --set train.checkpoint_every=300

# The full Duffing training on 1 and on 2 ranks: final losses.
prepare configs/duffing.yaml "$tmp/full"
read -r s1 l1 < <(train 1 configs/duffing.yaml "$tmp/full")
read -r s2 l2 < <(train 2 configs/duffing.yaml "$tmp/full")
python3 -c "
l1, l2, s1, s2 = $l1, $l2, $s1, $s2
print(f'duffing full training: final loss 1 rank {l1:.5g}, 2 ranks {l2:.5g} (difference {100 * abs(l2 - l1) / l1:.2f}%); '
      f'steps/s {s1:.1f} vs {s2:.1f} ({s2 / s1:.2f}x)')"
echo "load average after: $(cut -d' ' -f1-3 /proc/loadavg)"
