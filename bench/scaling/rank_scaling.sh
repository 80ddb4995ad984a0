#!/usr/bin/env bash
# Ensemble throughput of `slift simulate` on 1 and 2 MPI ranks (one thread each), in one run,
# and the parallel efficiency T1 / (2 T2); also checks the two data sets are byte-identical.
# Needs an otherwise idle machine with 2+ cores.
#   bench/scaling/rank_scaling.sh build/release/pipeline/slift configs/wave.yaml 128 [--set ...]
set -euo pipefail
slift=$1 config=$2 n=$3
shift 3
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
seconds() {  # ranks -> wall seconds of the whole mpiexec
  local start end
  start=$(date +%s.%N)
  mpiexec --allow-run-as-root --oversubscribe --bind-to none -n "$1" "$slift" simulate "$config" --split train \
    --out "$tmp/np$1.h5" --threads 1 -q --set simulate.n_train="$n" "${@:2}" >/dev/null
  end=$(date +%s.%N)
  awk -v a="$start" -v b="$end" 'BEGIN { printf "%.3f", b - a }'
}
t1=$(seconds 1 "$@")
t2=$(seconds 2 "$@")
field=$(h5ls -r "$tmp/np1.h5" | awk '$1 ~ /^\/(t0_fields\/[^\/]+|states)$/ { print $1; exit }')
same=DIFFERENT
cmp -s <(h5dump -d "$field" "$tmp/np1.h5" | tail -n +3) <(h5dump -d "$field" "$tmp/np2.h5" | tail -n +3) && same=identical
awk -v c="$config" -v n="$n" -v t1="$t1" -v t2="$t2" -v s="$same" 'BEGIN {
  printf "%s: %d trajectories, 1 rank %.2f s (%.1f traj/s), 2 ranks %.2f s (%.1f traj/s), efficiency %.2f, data %s\n",
         c, n, t1, n / t1, t2, n / t2, t1 / (2 * t2), s }'
