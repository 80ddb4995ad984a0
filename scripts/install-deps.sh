#!/usr/bin/env bash
# Installs what slift needs from Debian 12 packages; does nothing when all are present.
# As root it uses apt-get; otherwise it prints the missing packages and exits 1.
#   scripts/install-deps.sh            build + test dependencies
#   scripts/install-deps.sh --bench    also what bench/ uses: the Python references (numpy, scipy, torch), hypre, hyperfine
set -euo pipefail

packages=(
  build-essential cmake pkg-config git
  libeigen3-dev libfftw3-dev
  libhdf5-openmpi-dev hdf5-tools libopenmpi-dev openmpi-bin
  libtorch-dev libopenblas0-pthread   # OpenBLAS: LibTorch trains ~8x faster than on the reference BLAS
  libyaml-cpp-dev libcli11-dev nlohmann-json3-dev librandom123-dev
  libgtest-dev googletest
  slurm-wlm munge                     # the SLURM integration test runs a real one-node cluster
  python3-venv python3-torch python3-numpy python3-yaml   # The Well's loader in the `well` tests (scripts/well-venv.sh)
  clang libclang-rt-14-dev            # libFuzzer: the bounded fuzz runs of tests/fuzz
)
if [[ "${1:-}" == "--bench" ]]; then
  packages+=(python3-numpy python3-scipy python3-torch python3-h5py libhypre-dev hyperfine)  # hypre: bench/flow/pressure_variants; hyperfine: whole commands (bench/README.md)
fi

missing=()
for p in "${packages[@]}"; do
  if [[ "$(dpkg-query -W -f='${Status}' "$p" 2>/dev/null)" != "install ok installed" ]]; then
    missing+=("$p")
  fi
done
if [[ ${#missing[@]} -eq 0 ]]; then
  exit 0
fi
if [[ $(id -u) -ne 0 ]]; then
  echo "slift needs these Debian packages: ${missing[*]}" >&2
  echo "install them with: sudo apt-get install -y ${missing[*]}" >&2
  exit 1
fi
echo "installing: ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
apt-get update -q
apt-get install -y -q --no-install-recommends "${missing[@]}"
