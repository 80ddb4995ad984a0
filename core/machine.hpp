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

// OpenMP threads that wait for each other by spinning (libgomp's default, about 300,000 turns
// before they sleep) collapse when the cores are shared: beside one busy process, 2-thread
// training ran 40x slower (issue 23); threads that sleep at once (OMP_WAIT_POLICY=PASSIVE) slow
// down in proportion and cost a quiet machine nothing measurable (bench/learner/RESULTS.md). The
// runtime reads its environment when it is loaded, before main: so this sets PASSIVE, unless the
// user chose a policy, and executes the program again (once; argv as given). Call first in main.
void prefer_sleeping_openmp_threads(char** argv);

// Whether the CPU computes bfloat16 natively (/proc/cpuinfo lists avx512_bf16 or amx_bf16). Without
// it LibTorch emulates bf16 and training runs several times slower than in float32.
bool native_bf16();

}  // namespace slift::machine
