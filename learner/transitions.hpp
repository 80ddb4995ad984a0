// Training transitions of a "states" or "fields" dataset, torch-free: windows of past states, next states,
// the fixed labels and the normalisation. Training and the label-gradient probe build the same
// transitions from the same seed, so a probe sees exactly the labels the model was trained with.
#pragma once
#include <cstdint>
#include <string>
#include <vector>

namespace slift {
class DatasetReader;
}

namespace slift::learner {

// Per-component affine maps of the network's input and output (stored in the model file):
//   network input  = (state - in_mean) / in_std           (every slot of the window alike)
//   network output = (x_{t+1} - x_t) / out_scale          (the normalised increment)
struct Normalisation {
  std::vector<float> in_mean, in_std, out_scale;  // each of length dim
};

struct Transitions {
  int64_t n = 0, dim = 0, window = 1, label_dim = 0;
  std::vector<float> inputs;   // n x (window x dim), raw states, oldest first
  std::vector<float> targets;  // n x dim, raw next states
  std::vector<float> labels;   // n x label_dim, z ~ N(0, I)
};

// Trajectories of a dataset: n_traj x n_time x dim. A "fields" dataset contributes its learned
// field (field_array), each frame flattened row-major to dim = n_1 ... n_d (1 to 3 spatial axes);
// static fields (the medium) are not read: the model must generate the spread from its labels alone.
struct Trajectories {
  int64_t n_traj = 0, n_time = 0, dim = 0;
  std::vector<float> states;
  std::string kind = "states";  // states | fields
  std::string array = "states"; // the array read, e.g. t0_fields/u
  std::vector<int64_t> grid;    // fields: the sizes of the spatial axes, from the array's shape
  std::vector<bool> periodic;   // fields: per axis, whether its boundary is PERIODIC (axis_boundaries)
};
// `state_field`: the field to learn ("": the file's own choice; DatasetReader::state_field).
Trajectories read_trajectories(const std::string& path, const std::string& state_field = "");
// The same from a reader already open on `path` (its header read once).
Trajectories read_trajectories(const DatasetReader& reader, const std::string& path, const std::string& state_field = "");

// Transition k = i (n_time - 1) + t maps the window ending at x_t of trajectory i (copies of state
// 0 before the start) to x_{t+1}. Its label comes from Rng(seed, k, "learner.labels"). With
// shuffle_fraction p, round(p n_traj) trajectories chosen by the RNG get their next states permuted
// among themselves, independently at every t (breaking the pairing, paper figure 2 left).
Transitions make_transitions(const Trajectories& data, int64_t window, int64_t label_dim, double shuffle_fraction,
                             uint64_t seed);

// The same transitions as indices, without copying states (fields: the materialised windows of
// a paper-scale set would not fit in memory): row r = i n_time + t of data.states is x_t of
// trajectory i; transition k reads rows inputs[k window ..] (oldest first) and targets[k].
struct TransitionRows {
  int64_t n = 0, window = 1;
  std::vector<int64_t> inputs;   // n x window
  std::vector<int64_t> targets;  // n
};
// With `final` (the direct map, train.target final) there is one transition per trajectory,
// k = i: the window of copies of x_0 to the last state x_{n_time-1}.
TransitionRows transition_rows(const Trajectories& data, int64_t window, double shuffle_fraction, uint64_t seed,
                               bool final = false);
// The labels of transitions 0..n-1 (n x label_dim), as make_transitions draws them.
std::vector<float> transition_labels(int64_t n, int64_t label_dim, uint64_t seed);

// Mean and std of all states used as inputs and the std of the increments; a component that does
// not vary gets scale 1 so that it passes through unchanged.
Normalisation fit_normalisation(const Transitions& tr);
// Fields: one mean, std and increment scale over all pixels of the newest input frames and their
// increments, repeated for every component, so that the network sees one field and not dim
// independently scaled pixels (cells that barely move would be blown up).
// extrapolate: the output scale is that of x_{t+1} - (2 x_t - x_{t-1}) (output extrapolation).
Normalisation fit_pooled_normalisation(const Trajectories& data, const TransitionRows& rows, bool extrapolate = false);

}  // namespace slift::learner
