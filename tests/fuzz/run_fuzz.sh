#!/usr/bin/env bash
# run_fuzz.sh TARGET SECONDS BUILD_DIR: builds the libFuzzer target tests/fuzz/TARGET_fuzz.cpp
# with Debian's clang (address and undefined-behaviour sanitizers, the core sources it reads
# compiled in) and fuzzes it for SECONDS (config: from the project's configs). Exit 0 when nothing was found; a finding is kept in
# BUILD_DIR/fuzz/ as crash-*, leak-* or timeout-*. The dataset target builds its files itself
# (through the HDF5 API, from the input's choices) and starts from an empty corpus. The config
# target also starts from tests/fuzz/seeds/config/ with the dictionary tests/fuzz/config.dict.
set -euo pipefail
target=$1 seconds=$2 build=$3
src=$(cd "$(dirname "$0")/../.." && pwd)
out=$build/fuzz
mkdir -p "$out/corpus-$target"
bin=$out/${target}_fuzz
case $target in
  config) sources="$src/core/config.cpp" ;;
  dataset) sources="$(echo "$src"/core/dataset/*.cpp) $src/core/atomic_file.cpp $build/core/version.cpp" ;;
  *) echo "unknown fuzz target $target" >&2; exit 2 ;;
esac
if [[ ! -x $bin || -n $(find "$src/core" "$src/tests/fuzz" -newer "$bin" -name '*.[ch]pp' | head -1) ]]; then
  # shellcheck disable=SC2046,SC2086
  clang++ -std=c++20 -O1 -g -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=undefined -I"$src" \
    $(pkg-config --cflags yaml-cpp hdf5-openmpi) $(mpicc --showme:compile) -DOMPI_SKIP_MPICXX \
    "$src/tests/fuzz/${target}_fuzz.cpp" $sources -o "$bin" \
    $(pkg-config --libs yaml-cpp hdf5-openmpi) $(mpicc --showme:link)
fi
corpus=$out/corpus-$target
dict=()
if [[ $target == config ]]; then
  # The project's configs, and YAML anchor and alias structures (recursive, deep, wide) with a
  # dictionary of their tokens: random mutation alone did not find the recursive alias.
  for f in "$src"/configs/*.yaml "$src"/configs/paper/*.yaml "$src"/experiments/*.yaml "$src"/tests/fuzz/seeds/config/*.yaml; do
    rel=${f#"$src"/}
    cp "$f" "$corpus/${rel//\//_}"
  done
  dict=(-dict="$src/tests/fuzz/config.dict")
fi
cd "$out"
ASAN_OPTIONS=detect_leaks=0 "$bin" -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 -max_len=65536 \
  -artifact_prefix="$out/$target-" -print_final_stats=1 "${dict[@]}" "$corpus"
