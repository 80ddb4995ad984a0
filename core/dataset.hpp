// The slift dataset format on HDF5 (docs/dataset-format.md).
//
// Two kinds share one writer and one reader:
//   "states": low-dimensional trajectories, `states` (n_traj, n_time, dim) + `dimensions/time`;
//   "fields": fields on a grid of 1, 2 or 3 axes in The Well's layout, `t0_fields/u`
//             (n_traj, n_time, n_1, ..., n_d), static fields without the time axis, `dimensions/`,
//             `boundary_conditions/`, `scalars/`.
// Every file carries provenance (resolved config, seed, slift version, git commit, time).
//
// The interface, in parts: core/dataset/layout.hpp (the header, array specs, axes and their
// boundaries), writer.hpp, reader.hpp and resume.hpp (crash-safe, resumable writing through
// "<path>.partial").
#pragma once
#include "core/dataset/layout.hpp"
#include "core/dataset/reader.hpp"
#include "core/dataset/resume.hpp"
#include "core/dataset/writer.hpp"
