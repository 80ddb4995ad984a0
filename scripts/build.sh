#!/usr/bin/env bash
# Installs missing Debian packages (scripts/install-deps.sh) and builds the release preset.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-deps.sh "$@"
cmake --preset release >/dev/null
cmake --build --preset release -j "$(nproc)"
# `slift` on PATH: a link in /usr/local/bin (root) or ~/.local/bin; the build tree finds its plugin.
bin_dir=/usr/local/bin
[[ -w $bin_dir ]] || bin_dir="$HOME/.local/bin"
mkdir -p "$bin_dir" && ln -sf "$PWD/build/release/pipeline/slift" "$bin_dir/slift"
[[ ":$PATH:" == *":$bin_dir:"* ]] || echo "add $bin_dir to PATH to run slift by name" >&2
