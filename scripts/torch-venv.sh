#!/usr/bin/env bash
# Makes .venv/cuda: a project-local Python environment holding the pinned PyPI torch wheel, whose
# LibTorch (CUDA 13.0, with its CUDA libraries as pinned pip dependencies) the `cuda` preset builds
# against. Does nothing when that version is already there. About 4.6 GB; 2-3 minutes on a fresh machine.
set -euo pipefail
cd "$(dirname "$0")/.."
# The GPU machines' version (torch 2.11.0+cu130): PyPI's 2.11.0 Linux wheel is the CUDA 13.0 build.
TORCH_VERSION=2.11.0
# Beside torch, what the Python side of the export test reads slift's HDF5 files with (tests/export).
H5PY_VERSION=3.12.1
venv=.venv/cuda
if [ -x "$venv/bin/python3" ] &&
   "$venv/bin/python3" -c "import sys, importlib.metadata as m
sys.exit(m.version('torch') != '$TORCH_VERSION' or m.version('h5py') != '$H5PY_VERSION')" 2>/dev/null; then
  exit 0
fi
echo "torch-venv: installing torch==$TORCH_VERSION (CUDA 13.0) and h5py==$H5PY_VERSION into $venv"
python3 -m venv "$venv"
"$venv/bin/python3" -m pip install --quiet --disable-pip-version-check "torch==$TORCH_VERSION" "h5py==$H5PY_VERSION" "numpy==2.1.3"
