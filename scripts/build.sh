#!/usr/bin/env bash
# Installs missing Debian packages (scripts/install-deps.sh) and builds a preset:
#   scripts/build.sh          # release: Debian's LibTorch 1.13 (CPU)
#   scripts/build.sh cuda     # cuda: LibTorch 2.11 with CUDA 13.0 from the pinned PyPI wheel (.venv/cuda), build/cuda
# Further arguments go to install-deps.sh (e.g. --bench).
set -euo pipefail
cd "$(dirname "$0")/.."
preset=release
case "${1:-}" in release | cuda | no-torch | debug-sanitize) preset=$1 && shift ;; esac
scripts/install-deps.sh "$@"
if [ "$preset" = cuda ]; then scripts/torch-venv.sh; fi
# Warnings are errors in every build this script makes (CI's): a new warning fails the build.
cmake --preset "$preset" -DSLIFT_WERROR=ON >/dev/null
cmake --build --preset "$preset" -j "$(nproc)"
if [ "$preset" = release ]; then
  # `slift` on PATH: a link in /usr/local/bin (root) or ~/.local/bin; the build tree finds its plugin.
  bin_dir=/usr/local/bin
  [[ -w $bin_dir ]] || bin_dir="$HOME/.local/bin"
  mkdir -p "$bin_dir" && ln -sf "$PWD/build/release/pipeline/slift" "$bin_dir/slift"
  [[ ":$PATH:" == *":$bin_dir:"* ]] || echo "add $bin_dir to PATH to run slift by name" >&2
fi
