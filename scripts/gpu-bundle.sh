#!/usr/bin/env bash
# Packs what the GPU check needs to run on a machine that has a CUDA PyTorch (torch 2.11, the
# version build/cuda links) but none of our Debian libraries: slift, the learner plugin, the CUDA
# test, gpu_check and every shared library they load that is neither glibc's, the C++ runtime's nor
# LibTorch's/CUDA's (those come from that machine's torch), plus OpenMPI's components. The CUDA
# tests: learner_cuda_test, and learner_nccl_test with its helper (several GPUs).
#   scripts/gpu-bundle.sh [BUILD_DIR] [OUT_DIR]     # defaults: build/cuda .gpu-bundle
# On the other machine: scripts/gpu-check.sh --bundle OUT_DIR
set -euo pipefail
cd "$(dirname "$0")/.."
build=${1:-build/cuda}
out=${2:-.gpu-bundle}
binaries=("$build/pipeline/slift" "$build/learner/libslift_learner.so" "$build/tests/learner/learner_cuda_test"
          "$build/tests/learner/learner_nccl_test" "$build/tests/learner/learner_dp_helper" "$build/bench/gpu/gpu_check")
for f in "${binaries[@]}"; do [ -e "$f" ] || { echo "gpu-bundle: $f is missing: scripts/build.sh cuda first" >&2; exit 2; }; done
rm -rf "$out"
# OpenMPI's components (dlopened by MPI_Init) and messages, found again through
# OPAL_PREFIX=$out/openmpi, which stands for /usr in Debian's paths.
mpi_components=$out/openmpi/lib/x86_64-linux-gnu/openmpi/lib
mkdir -p "$out/bin" "$out/lib" "$mpi_components" "$out/openmpi/share"
cp "${binaries[@]}" "$out/bin/"
cp -r /usr/lib/x86_64-linux-gnu/openmpi/lib/openmpi3 "$mpi_components/"
cp -r /usr/share/openmpi "$out/openmpi/share/"
# The dependency closure, as the loader resolves it here, without what the other machine brings.
skip='^(linux-vdso|ld-linux|libc\.so|libm\.so|libpthread|libdl\.so|librt\.so|libresolv|libutil\.so|libnss|libanl|libstdc\+\+|libgcc_s|libtorch|libc10|libcuda|libcudart|libcublas|libcudnn|libcufft|libcurand|libcusparse|libcufile|libnccl|libnvshmem|libnvrtc|libnvJitLink|libnvToolsExt|libcupti|libshm|libcaffe2)'
objects=("${binaries[@]}" "$mpi_components"/openmpi3/*.so)
ldd "${objects[@]}" 2>/dev/null | awk '$2 == "=>" && $3 ~ /^\// {print $1, $3}' | sort -u |
  while read -r name path; do
    if [[ ! $name =~ $skip ]] && [[ $path != "$PWD/$build"/* ]]; then cp -L "$path" "$out/lib/$name"; fi
  done
cp "$build"/core/libslift_core.so* "$out/lib/" 2>/dev/null || true
echo "gpu-bundle: $out ($(du -sh "$out" | cut -f1)): $(ls "$out/lib" | wc -l) libraries"
