#!/usr/bin/env bash
# The Python side of the `well` tests: The Well's own loader (PyPI package the-well, pinned) in a
# project-local virtual environment, build/well-venv. It sees Debian's python3-torch (a CPU
# LibTorch, installed by scripts/install-deps.sh) instead of a multi-gigabyte PyPI torch; the
# package's other needs come pinned from PyPI. Idempotent: a venv holding these pins is kept.
set -euo pipefail
cd "$(dirname "$0")/.."
venv=build/well-venv
pins=(the-well==1.2.0 einops==0.8.1 fsspec==2024.10.0 h5py==3.12.1)
if [[ -f $venv/pins.txt && "$(cat "$venv/pins.txt")" == "${pins[*]}" ]]; then
  exit 0
fi
rm -rf "$venv"
/usr/bin/python3 -m venv --system-site-packages "$venv"
# the-well asks for torch>=2.1 from PyPI; its data loader runs on Debian's torch 1.13.
"$venv/bin/pip" install -q --no-deps "${pins[0]}"
"$venv/bin/pip" install -q "${pins[@]:1}"
echo "${pins[*]}" > "$venv/pins.txt"
