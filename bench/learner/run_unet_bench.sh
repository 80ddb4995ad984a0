#!/bin/bash
# Side-by-side UNet training throughput: slift's learner (through `slift run CONFIG train:sl` on a
# small wave data set) vs the same UNet and step in Debian's python3-torch (unet_throughput.py),
# same widths, label, window, batch and threads. Alternates the two REPEATS times, keeps each best.
#   bench/learner/run_unet_bench.sh BUILD_DIR [STEPS THREADS REPEATS]
set -euo pipefail
build=${1:?build dir}; steps=${2:-60}; threads=${3:-1}; repeats=${4:-3}
here=$(cd "$(dirname "$0")" && pwd); root=$(cd "$here/../.." && pwd)
n_traj=32; n_frames=33; grid=32; widths=16,32,64; embed=128; label_dim=64; window=3; batch=32
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
export OMP_NUM_THREADS=$threads
echo "UNet [$widths] FiLM on ${grid}x${grid} periodic, label dim $label_dim, window $window, batch $batch, $steps AdamW steps, $threads threads"
sets=(--set "output_dir=$tmp/run" --set simulate.n_train=$n_traj --set simulate.n_test=8 --set simulate.n_out=$grid
      --set simulate.n_frames=$n_frames --set "train.unet_widths=[${widths}]" --set train.embed_dim=$embed --set train.unet_blocks=1 --set train.conditioning=film
      --set train.label_dim=$label_dim --set train.label_channels=false --set train.output=increment --set train.window=$window --set train.batch_size=$batch
      --set train.iterations=$steps --set train.warmup=0 --set train.grad_clip=1.0 --set train.threads=$threads
      --set train.checkpoint_every=$steps --set train.log_every=$steps --set train.device=cpu)
"$build/pipeline/slift" run "$root/configs/wave.yaml" simulate -q "${sets[@]}"
best_cpp=0; best_py=0
for _ in $(seq "$repeats"); do
  "$build/pipeline/slift" run "$root/configs/wave.yaml" train:sl --force -q "${sets[@]}"
  cpp=$(/usr/bin/python3 -c "import json,sys; m=json.load(open(sys.argv[1])); print('libtorch  %.1f transitions/s  (%d steps in %.2f s, %d parameters)' % (m['samples_per_second'], m['steps'], m['seconds'], m['parameters']))" "$tmp/run/models/sl.json")
  py=$(/usr/bin/python3 "$here/unet_throughput.py" $n_traj $n_frames $grid $widths $embed $label_dim $window $batch "$steps")
  echo "$cpp"; echo "$py"
  best_cpp=$(awk -v a="$best_cpp" -v b="$(echo "$cpp" | awk '{print $2}')" 'BEGIN{print (b>a)?b:a}')
  best_py=$(awk -v a="$best_py" -v b="$(echo "$py" | awk '{print $2}')" 'BEGIN{print (b>a)?b:a}')
done
awk -v c="$best_cpp" -v p="$best_py" 'BEGIN{printf "best: libtorch %.1f, python %.1f transitions/s, ratio %.2f\n", c, p, c/p}'
