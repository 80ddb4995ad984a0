#!/bin/sh
# SL on the CPU-scale wave without and with its medium c as an input channel (data.condition_on),
# the same data, seeds and training budget; prints the headline metrics of both beside the floors.
# About 2 x 3 minutes of training on one idle core. Run from the source tree, after the build:
#   experiments/conditioning/wave.sh [path/to/slift]
set -e
slift=${1:-build/release/pipeline/slift}
config=experiments/conditioning/wave.yaml
"$slift" simulate configs/wave.yaml --set output_dir=runs/conditioning-wave-data --threads 1
"$slift" run "$config" --threads 1
"$slift" run "$config" --threads 1 --set 'data.condition_on=[c]' --set output_dir=runs/conditioning-wave-c
python3 - <<'PY'
import json
runs = {"SL": "runs/conditioning-wave", "SL, condition_on: [c]": "runs/conditioning-wave-c"}
keys = ["wct", "wim", "w2_points_mean", "w2_energy_mean", "crossing_std", "final_train_loss"]
print("| set | " + " | ".join(keys) + " |")
print("|---" * (len(keys) + 1) + "|")
def row(name, m):
    cells = [(f"{m[k]:.4g}" + (f" ± {m[k + '_se']:.2g}" if k + "_se" in m else "")) if k in m else "" for k in keys]
    print(f"| {name} | " + " | ".join(cells) + " |")
for name, run in runs.items():
    row(name, json.load(open(run + "/metrics.json"))["sl"])
floors = json.load(open(runs["SL"] + "/metrics.json"))
for floor in ("data_floor", "sampling_floor"):
    row(floor, floors[floor])
PY
