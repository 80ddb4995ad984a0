#!/bin/bash
# Side-by-side training throughput: LibTorch (slift's learner) vs Debian's python3-torch, same MLP,
# optimizer, batch and threads. Alternates the two REPEATS times and keeps each one's best.
#   bench/learner/run_bench.sh BUILD_DIR [WIDTH DEPTH LABEL_DIM BATCH STEPS THREADS REPEATS]
set -euo pipefail
build=${1:?build dir}; width=${2:-512}; depth=${3:-3}; label_dim=${4:-64}; batch=${5:-1024}; steps=${6:-200}
threads=${7:-$(nproc)}; repeats=${8:-3}
here=$(cd "$(dirname "$0")" && pwd)
export OMP_NUM_THREADS=$threads
echo "MLP ${depth}x${width} SiLU, label dim $label_dim, batch $batch, $steps AdamW steps, $threads threads"
best_cpp=0; best_py=0
for _ in $(seq "$repeats"); do
  cpp=$("$build/bench/learner/train_throughput" "$width" "$depth" "$label_dim" "$batch" "$steps")
  py=$(/usr/bin/python3 "$here/train_throughput.py" "$width" "$depth" "$label_dim" "$batch" "$steps")
  echo "$cpp"; echo "$py"
  best_cpp=$(awk -v a="$best_cpp" -v b="$(echo "$cpp" | awk '{print $2}')" 'BEGIN{print (b>a)?b:a}')
  best_py=$(awk -v a="$best_py" -v b="$(echo "$py" | awk '{print $2}')" 'BEGIN{print (b>a)?b:a}')
done
awk -v c="$best_cpp" -v p="$best_py" 'BEGIN{printf "best: libtorch %.0f, python %.0f transitions/s, ratio %.2f\n", c, p, c/p}'
