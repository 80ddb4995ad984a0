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

}  // namespace slift::machine
