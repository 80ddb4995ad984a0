// What this machine can do. Input ranges are derived from it, so a value the machine cannot
// serve is refused with a usage error before anything runs.
#pragma once
#include <cstdint>

namespace slift::machine {

uint64_t memory_bytes();  // physical memory
int cores();              // online CPU cores (at least 1)
// Threads per process worth starting: more than a few per core only slows CPU-bound work down,
// and thousands crash the OpenMP runtime.
int max_threads();
// Whether the CPU computes bfloat16 natively (/proc/cpuinfo: avx512_bf16 or amx_bf16); without
// it LibTorch emulates bf16 in float32 and bf16 work runs several times slower than float32.
bool native_bf16();

}  // namespace slift::machine
