// Static fields as conditioning (a config's data.condition_on), torch-free: which arrays they
// are, their values per trajectory and their normalisation. The pipeline checks a config's
// names with the same rule the learner reads them by.
#pragma once
#include <cstdint>
#include <string>
#include <vector>

namespace slift {
class DatasetReader;
}

namespace slift::learner {

// The array of the static field `name` that a model learning `state_array` (n_time x nx x ny per
// trajectory) can take as an input channel: t0_fields/<name>, static, on the state's grid.
// Anything else is a usage error naming the file and why (no such field, time-varying, a vector
// or tensor field, another grid).
std::string static_field_array(const DatasetReader& reader, const std::string& path, const std::string& name,
                               const std::string& state_array);

// The static fields `names` of every trajectory: n_traj x names.size() x (nx ny), checked as above
// and finite.
std::vector<float> read_static_fields(const DatasetReader& reader, const std::string& path,
                                      const std::vector<std::string>& names, const std::string& state_array);

// Per static field one mean and std over every cell of every trajectory (std 1 for a constant
// field), as the state's frames are pooled: the network sees each field as one field.
struct StaticNormalisation {
  std::vector<float> mean, std;  // one per field of condition_on
};
StaticNormalisation fit_static_normalisation(const std::vector<float>& values, int64_t n_fields, int64_t dim);

// The conditioning as part of a run's identity (checkpoints, stage hashes): "" for none, so that
// the identities of runs without it stay as they were.
std::string conditioning_identity(const std::vector<std::string>& names);

}  // namespace slift::learner
