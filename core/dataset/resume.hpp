// Crash-safe, resumable writing: a writer holds "<path>.partial" under an exclusive lock, commits
// blocks with a `slift_n_done` counter, and resumes a .partial of the same content identity
// (params_hash, trajectories, arrays) after its last committed block; the file is marked complete
// and renamed to <path> only at the end. Readers refuse a file without the completion mark.
#pragma once
#include <cstdint>
#include <string>

namespace slift {

// Whether `path` is a complete dataset of this content identity: a rerun keeps it as it is.
bool is_complete_dataset(const std::string& path, const std::string& params_hash, uint64_t n_traj);

}  // namespace slift
