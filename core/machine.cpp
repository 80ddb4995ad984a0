#include "core/machine.hpp"

#include <unistd.h>

#include <algorithm>

namespace slift::machine {

uint64_t memory_bytes() {
  const long pages = sysconf(_SC_PHYS_PAGES), page = sysconf(_SC_PAGESIZE);
  return pages > 0 && page > 0 ? static_cast<uint64_t>(pages) * static_cast<uint64_t>(page) : 0;
}

int cores() { return static_cast<int>(std::max(1L, sysconf(_SC_NPROCESSORS_ONLN))); }

int max_threads() {
  constexpr int kThreadsPerCore = 8;
  return kThreadsPerCore * cores();
}

}  // namespace slift::machine
