// The HDF5 dataset format: round trips of both kinds, The Well's layout, refusals, resume.
#include <gtest/gtest.h>
#include <hdf5.h>

#include <cmath>
#include <filesystem>
#include <fstream>
#include <string>
#include <tuple>
#include <vector>

#include "core/dataset.hpp"
#include "core/error.hpp"
#include "core/version.hpp"
#include "support/test_support.hpp"

namespace fs = std::filesystem;
using namespace slift;
using slift::test::TempDir;

using slift::test::usage_message;

namespace {

std::vector<float> ramp(size_t n, float offset) {
  std::vector<float> v(n);
  for (size_t i = 0; i < n; ++i) v[i] = offset + 0.25f * static_cast<float>(i) - std::sin(static_cast<float>(i));
  return v;
}

DatasetHeader states_header(const std::string& hash = "hash-1") {
  DatasetHeader h;
  h.kind = "states";
  h.dataset_name = "toy";
  h.time = {0.0, 0.1, 0.2, 0.3};
  h.state_names = {"x", "v"};
  h.simulation_parameters = {{"alpha", -1.0}, {"sigma", 0.5}};
  h.config_yaml = "name: toy\nsimulate:\n  system: toy\n";
  h.seed = 123456789012345ull;
  h.params_hash = hash;
  return h;
}
const std::vector<ArraySpec> kStates{ArraySpec{"states", {4, 2}, true, {}}};
constexpr uint64_t kTraj = 6, kPer = 8;

// Writes trajectories [0, n) of the states file in blocks of 2 (finish: rename into place).
void write_states(const std::string& path, uint64_t upto, bool finish, const std::string& hash = "hash-1") {
  DatasetWriter w(path, states_header(hash), kStates, kTraj);
  const auto data = ramp(kTraj * kPer, 1.0f);
  for (uint64_t b = w.n_done(); b < upto; b += 2) {
    w.write(0, b, 2, data.data() + b * kPer);
    w.commit(b + 2);
  }
  if (finish) w.finish();
}

// HDF5 C API helpers for checks that must not go through our reader.
bool link_exists(hid_t f, const std::string& p) { return H5Lexists(f, p.c_str(), H5P_DEFAULT) > 0; }
bool attr_exists(hid_t f, const std::string& obj, const std::string& name) {
  return H5Aexists_by_name(f, obj.c_str(), name.c_str(), H5P_DEFAULT) > 0;
}
// A boolean attribute, which must be stored the way h5py stores numpy.bool_ (an enum FALSE/TRUE).
std::vector<uint8_t> attr_bools(hid_t f, const std::string& obj, const std::string& name) {
  hid_t a = H5Aopen_by_name(f, obj.c_str(), name.c_str(), H5P_DEFAULT, H5P_DEFAULT);
  if (a < 0) return {};
  hid_t type = H5Aget_type(a), sp = H5Aget_space(a);
  std::vector<uint8_t> v(std::max<hssize_t>(1, H5Sget_simple_extent_npoints(sp)));
  bool is_bool = H5Tget_class(type) == H5T_ENUM && H5Tget_size(type) == 1 && H5Tget_nmembers(type) == 2;
  if (is_bool) {
    char* name1 = H5Tget_member_name(type, 1);
    is_bool = name1 == std::string("TRUE");
    H5free_memory(name1);
  }
  if (is_bool) H5Aread(a, type, v.data());
  else v = {};
  H5Tclose(type);
  H5Sclose(sp);
  H5Aclose(a);
  return v;
}
std::vector<hsize_t> dims_of(hid_t f, const std::string& p) {
  hid_t d = H5Dopen2(f, p.c_str(), H5P_DEFAULT);
  if (d < 0) return {};
  hid_t sp = H5Dget_space(d);
  std::vector<hsize_t> dims(H5Sget_simple_extent_ndims(sp));
  H5Sget_simple_extent_dims(sp, dims.data(), nullptr);
  H5Sclose(sp);
  H5Dclose(d);
  return dims;
}

}  // namespace

TEST(Dataset, StatesRoundTrip) {
  TempDir dir;
  const std::string path = dir / "sub/states.h5";  // the writer creates missing folders
  write_states(path, kTraj, true);
  ASSERT_TRUE(fs::exists(path));
  EXPECT_FALSE(fs::exists(path + ".partial"));

  DatasetReader r(path, "states");
  const DatasetHeader& h = r.header();
  const DatasetHeader want = states_header();
  EXPECT_EQ(h.kind, "states");
  EXPECT_EQ(h.dataset_name, "toy");
  EXPECT_EQ(h.time, want.time);
  EXPECT_EQ(h.state_names, want.state_names);
  EXPECT_EQ(h.simulation_parameters, want.simulation_parameters);
  EXPECT_EQ(h.config_yaml, want.config_yaml);
  EXPECT_EQ(h.seed, want.seed);
  EXPECT_EQ(h.params_hash, "hash-1");
  EXPECT_NE(h.created_by.find(version()), std::string::npos) << h.created_by;
  EXPECT_NE(h.created_by.find(git_commit()), std::string::npos) << h.created_by;
  ASSERT_EQ(h.created_at.size(), 20u) << h.created_at;  // 2024-01-02T03:04:05Z
  EXPECT_EQ(h.created_at[10], 'T');
  EXPECT_EQ(h.created_at.back(), 'Z');
  EXPECT_EQ(r.n_traj(), kTraj);
  EXPECT_EQ(r.array_paths(), std::vector<std::string>{"states"});
  EXPECT_EQ(r.spec("states").shape, (std::vector<uint64_t>{4, 2}));
  EXPECT_EQ(r.read("states"), ramp(kTraj * kPer, 1.0f));
  const auto all = ramp(kTraj * kPer, 1.0f);
  EXPECT_EQ(r.read("states", 2, 3), std::vector<float>(all.begin() + 2 * kPer, all.begin() + 5 * kPer));
  EXPECT_NE(usage_message([&] { r.read("states", 5, 2); }), "");
  EXPECT_NE(usage_message([&] { r.read("nope"); }), "");

  // The documented layout, seen by the HDF5 library alone.
  hid_t f = H5Fopen(path.c_str(), H5F_ACC_RDONLY, H5P_DEFAULT);
  ASSERT_GE(f, 0);
  EXPECT_TRUE(link_exists(f, "dimensions"));
  EXPECT_EQ(dims_of(f, "dimensions/time"), (std::vector<hsize_t>{4}));
  EXPECT_EQ(dims_of(f, "states"), (std::vector<hsize_t>{kTraj, 4, 2}));
  for (const char* a : {"slift_format", "slift_format_version", "created_by", "created_at", "config", "seed",
                        "n_trajectories", "slift_complete", "alpha", "sigma"})
    EXPECT_TRUE(attr_exists(f, ".", a)) << a;
  H5Fclose(f);
}

TEST(Dataset, FieldsRoundTripInTheWellLayout) {
  TempDir dir;
  const std::string path = dir / "fields.h5";
  const uint64_t n = 3, nt = 5, nx = 4, ny = 6;
  DatasetHeader h;
  h.kind = "fields";
  h.dataset_name = "toy_wave";
  for (uint64_t t = 0; t < nt; ++t) h.time.push_back(0.5 * t);
  h.axes = {{"x", {}}, {"y", {}}};
  for (uint64_t i = 0; i < nx; ++i) h.axes[0].coordinates.push_back((i + 0.5) / nx);
  for (uint64_t j = 0; j < ny; ++j) h.axes[1].coordinates.push_back((j + 0.5) / ny);
  h.boundary_conditions = {{"periodic_x", "PERIODIC", {"x"}}, {"wall_y", "WALL", {"y"}}};
  h.simulation_parameters = {{"c", 1.5}};
  h.config_yaml = "name: toy_wave\n";
  h.seed = 7;
  h.params_hash = "fields-hash";
  const std::vector<ArraySpec> arrays{{"t0_fields/u", {nt, nx, ny}, true, {true, true}},
                                      {"t0_fields/K", {nx, ny}, false, {true, false}},
                                      {"t1_fields/velocity", {nt, nx, ny, 2}, true, {true, true}}};
  const auto u = ramp(n * nt * nx * ny, 0.0f), K = ramp(n * nx * ny, 10.0f), vel = ramp(n * nt * nx * ny * 2, -3.0f);
  {
    DatasetWriter w(path, h, arrays, n, /*compress=*/true);
    w.write(0, 0, n, u.data());
    w.write(1, 0, 1, K.data());  // partial blocks of one array at a time
    w.write(1, 1, 2, K.data() + nx * ny);
    w.write(2, 0, n, vel.data());
    w.finish();
  }
  DatasetReader r(path, "fields");
  EXPECT_EQ(r.header().dataset_name, "toy_wave");
  EXPECT_EQ(r.header().time, h.time);
  // The Well's dimensions are float32.
  ASSERT_EQ(r.header().axes.size(), 2u);
  for (size_t k = 0; k < 2; ++k) {
    EXPECT_EQ(r.header().axes[k].name, h.axes[k].name);
    const std::vector<double>&got = r.header().axes[k].coordinates, &want = h.axes[k].coordinates;
    ASSERT_EQ(got.size(), want.size());
    for (size_t i = 0; i < got.size(); ++i) EXPECT_EQ(got[i], static_cast<double>(static_cast<float>(want[i])));
  }
  EXPECT_EQ(r.header().grid_type, "cartesian");
  ASSERT_EQ(r.header().boundary_conditions.size(), 2u);
  EXPECT_EQ(r.header().boundary_conditions[0].name, "periodic_x");
  EXPECT_EQ(r.header().boundary_conditions[0].bc_type, "PERIODIC");
  EXPECT_EQ(r.header().boundary_conditions[1].associated_dims, std::vector<std::string>{"y"});
  EXPECT_EQ(r.header().simulation_parameters, h.simulation_parameters);
  EXPECT_EQ(r.array_paths(), (std::vector<std::string>{"t0_fields/u", "t0_fields/K", "t1_fields/velocity"}));
  EXPECT_EQ(r.read("t0_fields/u"), u);
  EXPECT_EQ(r.read("t0_fields/K"), K);
  EXPECT_EQ(r.read("t1_fields/velocity"), vel);
  EXPECT_EQ(r.spec("t0_fields/K").shape, (std::vector<uint64_t>{nx, ny}));
  EXPECT_FALSE(r.spec("t0_fields/K").time_varying);
  EXPECT_TRUE(r.spec("t0_fields/u").time_varying);

  hid_t f = H5Fopen(path.c_str(), H5F_ACC_RDONLY, H5P_DEFAULT);
  ASSERT_GE(f, 0);
  for (const char* g : {"dimensions", "boundary_conditions", "scalars", "t0_fields", "t1_fields", "t2_fields",
                        "boundary_conditions/periodic_x", "boundary_conditions/periodic_x/mask"})
    EXPECT_TRUE(link_exists(f, g)) << g;
  for (const char* a : {"dataset_name", "grid_type", "n_spatial_dims", "simulation_parameters", "c"})
    EXPECT_TRUE(attr_exists(f, ".", a)) << a;
  EXPECT_TRUE(attr_exists(f, "dimensions", "spatial_dims"));
  EXPECT_TRUE(attr_exists(f, "boundary_conditions/periodic_x", "bc_type"));
  for (const char* g : {"scalars", "t0_fields", "t1_fields", "t2_fields"})
    EXPECT_TRUE(attr_exists(f, g, "field_names")) << g;
  // The Well's shapes: (n_traj, n_time, nx, ny[, d]), static fields without the time axis.
  EXPECT_EQ(dims_of(f, "t0_fields/u"), (std::vector<hsize_t>{n, nt, nx, ny}));
  EXPECT_EQ(dims_of(f, "t0_fields/K"), (std::vector<hsize_t>{n, nx, ny}));
  EXPECT_EQ(dims_of(f, "t1_fields/velocity"), (std::vector<hsize_t>{n, nt, nx, ny, 2}));
  EXPECT_EQ(dims_of(f, "dimensions/x"), (std::vector<hsize_t>{nx}));
  for (const char* field : {"t0_fields/u", "t0_fields/K", "t1_fields/velocity"}) {
    EXPECT_EQ(attr_bools(f, field, "sample_varying"), std::vector<uint8_t>{1}) << field;
    EXPECT_EQ(attr_bools(f, field, "dim_varying").size(), 2u) << field;
  }
  EXPECT_EQ(attr_bools(f, "t0_fields/u", "time_varying"), std::vector<uint8_t>{1});
  EXPECT_EQ(attr_bools(f, "t0_fields/K", "time_varying"), std::vector<uint8_t>{0});
  EXPECT_EQ(attr_bools(f, "t0_fields/K", "dim_varying"), (std::vector<uint8_t>{1, 0}));
  EXPECT_EQ(attr_bools(f, "dimensions/time", "sample_varying"), std::vector<uint8_t>{0});
  // Boundary masks: 1-D along the condition's axis, true on its two end cells.
  EXPECT_EQ(dims_of(f, "boundary_conditions/periodic_x/mask"), (std::vector<hsize_t>{nx}));
  EXPECT_EQ(dims_of(f, "boundary_conditions/wall_y/mask"), (std::vector<hsize_t>{ny}));
  EXPECT_EQ(attr_bools(f, "boundary_conditions/wall_y", "time_varying"), std::vector<uint8_t>{0});
  // Each simulation parameter is also a constant scalar.
  EXPECT_EQ(dims_of(f, "scalars/c"), std::vector<hsize_t>{});
  EXPECT_EQ(attr_bools(f, "scalars/c", "sample_varying"), std::vector<uint8_t>{0});
  H5Fclose(f);
}

// The state field is named by the file (slift_state_field), not by the system's name; files
// without the attribute (older slift, The Well's format written by others) still read.
TEST(Dataset, TheFileNamesItsStateField) {
  TempDir dir;
  const uint64_t n = 2, nt = 3, nx = 4, ny = 4;
  auto write = [&](const std::string& path, const std::string& state_field) {
    DatasetHeader h;
    h.kind = "fields";
    h.dataset_name = "toy";
    h.time = {0.0, 0.5, 1.0};
    h.axes = {{"x", {}}, {"y", {}}};
    for (uint64_t i = 0; i < nx; ++i) h.axes[0].coordinates.push_back(i + 0.5), h.axes[1].coordinates.push_back(i + 0.5);
    h.state_field = state_field;
    h.params_hash = "h";
    // Two time-varying fields, the second the state when the file says so.
    DatasetWriter w(path, h,
                    {{"t0_fields/p", {nt, nx, ny}, true, {true, true}}, {"t0_fields/q", {nt, nx, ny}, true, {true, true}}},
                    n);
    const auto v = ramp(n * nt * nx * ny, 0.0f);
    w.write(0, 0, n, v.data());
    w.write(1, 0, n, v.data());
    w.finish();
  };
  write(dir / "named.h5", "q");
  EXPECT_EQ(DatasetReader(dir / "named.h5").state_field(), "t0_fields/q");
  // Older slift wrote no attribute and listed the state first.
  write(dir / "older.h5", "");
  EXPECT_EQ(DatasetReader(dir / "older.h5").state_field(), "t0_fields/p");
  // A name that is not a time-varying t0 field: refused with the file named.
  write(dir / "wrong.h5", "c");
  EXPECT_NE(usage_message([&] { DatasetReader(dir / "wrong.h5").state_field(); }).find("wrong.h5: slift_state_field 'c'"),
            std::string::npos);
  // Written by others (no slift provenance) with two time-varying fields: must be named.
  hid_t f = H5Fopen((dir / "older.h5").c_str(), H5F_ACC_RDWR, H5P_DEFAULT);
  ASSERT_GE(f, 0);
  H5Adelete(f, "created_by");
  H5Fclose(f);
  EXPECT_NE(usage_message([&] { DatasetReader(dir / "older.h5").state_field(); }).find("cannot tell which"),
            std::string::npos);
}

TEST(Dataset, FormatVersionOneStillReads) {
  // Version 1 stored booleans as uint8: rewrite this file's completion mark and a field's
  // time_varying that way, and read it again.
  TempDir dir;
  const std::string path = dir / "v1.h5";
  write_states(path, kTraj, true);
  hid_t f = H5Fopen(path.c_str(), H5F_ACC_RDWR, H5P_DEFAULT);
  ASSERT_GE(f, 0);
  for (auto [obj, name, value] : {std::tuple{".", "slift_complete", 1}, std::tuple{"states", "time_varying", 0}}) {
    H5Adelete_by_name(f, obj, name, H5P_DEFAULT);
    hid_t sp = H5Screate(H5S_SCALAR);
    hid_t a = H5Acreate_by_name(f, obj, name, H5T_NATIVE_UINT8, sp, H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT);
    uint8_t v = value;
    H5Awrite(a, H5T_NATIVE_UINT8, &v);
    H5Aclose(a);
    H5Sclose(sp);
  }
  H5Fclose(f);
  DatasetReader r(path, "states");
  EXPECT_FALSE(r.spec("states").time_varying);
  EXPECT_EQ(r.read("states"), ramp(kTraj * kPer, 1.0f));
}

TEST(Dataset, UnfinishedWriteIsNotVisibleAndIsRefusedAsIncomplete) {
  TempDir dir;
  const std::string path = dir / "d.h5";
  write_states(path, 4, false);
  EXPECT_FALSE(fs::exists(path));
  ASSERT_TRUE(fs::exists(path + ".partial"));
  std::string m = usage_message([&] { DatasetReader r(path); });
  EXPECT_NE(m.find("no such dataset"), std::string::npos) << m;
  m = usage_message([&] { DatasetReader r(path + ".partial"); });
  EXPECT_NE(m.find("incomplete"), std::string::npos) << m;
  // Moved into place by hand, it is still refused: the mark is inside the file.
  fs::copy_file(path + ".partial", path);
  m = usage_message([&] { DatasetReader r(path); });
  EXPECT_NE(m.find("incomplete"), std::string::npos) << m;
}

// A .partial that its writer holds is named as such, not as a damaged file.
TEST(Dataset, PartialBeingWrittenIsNotCalledCorrupt) {
  TempDir dir;
  const std::string path = dir / "d.h5";
  DatasetWriter writing(path, states_header(), kStates, kTraj);
  const std::string m = usage_message([&] { DatasetReader r(path + ".partial"); });
  EXPECT_NE(m.find(path + ".partial: is being written by another process"), std::string::npos) << m;
  EXPECT_EQ(m.find("corrupt"), std::string::npos) << m;
}

TEST(Dataset, TruncatedFileIsRefused) {
  TempDir dir;
  const std::string path = dir / "d.h5", cut = dir / "cut.h5";
  write_states(path, kTraj, true);
  fs::copy_file(path, cut);
  fs::resize_file(cut, fs::file_size(path) / 2);
  std::string m = usage_message([&] {
    DatasetReader r(cut);
    r.read("states");
  });
  EXPECT_NE(m.find(cut), std::string::npos) << m;
  EXPECT_NE(m.find("truncated"), std::string::npos) << m;
  // Cut in the superblock too.
  fs::resize_file(cut, 40);
  m = usage_message([&] { DatasetReader r(cut); });
  EXPECT_NE(m.find("truncated"), std::string::npos) << m;
}

TEST(Dataset, WrongKindAndForeignFilesAreRefused) {
  TempDir dir;
  const std::string path = dir / "d.h5";
  write_states(path, kTraj, true);
  std::string m = usage_message([&] { DatasetReader r(path, "fields"); });
  EXPECT_NE(m.find("kind 'states', expected 'fields'"), std::string::npos) << m;

  slift::test::write_file(dir / "text.h5", "this is not HDF5\n");
  m = usage_message([&] { DatasetReader r(dir / "text.h5"); });
  EXPECT_NE(m.find("not an HDF5 file"), std::string::npos) << m;

  // A valid HDF5 file that is not ours.
  hid_t f = H5Fcreate((dir / "other.h5").c_str(), H5F_ACC_TRUNC, H5P_DEFAULT, H5P_DEFAULT);
  ASSERT_GE(f, 0);
  H5Fclose(f);
  m = usage_message([&] { DatasetReader r(dir / "other.h5"); });
  EXPECT_NE(m.find("not a slift dataset"), std::string::npos) << m;
  m = usage_message([&] { DatasetReader r(dir / "missing.h5"); });
  EXPECT_NE(m.find("no such dataset"), std::string::npos) << m;
}

TEST(Dataset, ResumeContinuesFromTheLastCommitWithTheSameHash) {
  TempDir dir;
  const std::string path = dir / "d.h5";
  write_states(path, 4, false);
  {
    DatasetWriter w(path, states_header(), kStates, kTraj);
    EXPECT_EQ(w.n_done(), 4u);
    // Only the missing trajectories are written by the second run.
    const auto data = ramp(kTraj * kPer, 1.0f);
    w.write(0, 4, 2, data.data() + 4 * kPer);
    w.finish();
  }
  DatasetReader r(path);
  EXPECT_EQ(r.read("states"), ramp(kTraj * kPer, 1.0f));
}

TEST(Dataset, ResumeWithAnotherHashOrSizeStartsAfresh) {
  TempDir dir;
  const std::string path = dir / "d.h5";
  write_states(path, 4, false);
  {
    DatasetWriter w(path, states_header("hash-2"), kStates, kTraj);
    EXPECT_EQ(w.n_done(), 0u);
  }
  write_states(path, 4, false, "hash-2");
  {
    DatasetWriter w(path, states_header("hash-2"), kStates, kTraj + 1);
    EXPECT_EQ(w.n_done(), 0u);
  }
  // Garbage at the .partial name is replaced, not trusted.
  slift::test::write_file(path + ".partial", "garbage");
  DatasetWriter w(path, states_header(), kStates, kTraj);
  EXPECT_EQ(w.n_done(), 0u);
}

TEST(Dataset, RefusedReadLeavesThePartialResumable) {
  // A reader that refuses a file must close it: HDF5 refuses to reopen a file for writing
  // that the same process still holds open read-only, and the resume would be lost.
  TempDir dir;
  const std::string path = dir / "d.h5";
  write_states(path, 4, false);
  EXPECT_NE(usage_message([&] { DatasetReader r(path + ".partial"); }), "");
  DatasetWriter w(path, states_header(), kStates, kTraj);
  EXPECT_EQ(w.n_done(), 4u);
}

TEST(Dataset, ParameterNamesCannotReplaceFormatAttributes) {
  TempDir dir;
  for (const char* name : {"seed", "slift_n_done", "config"}) {
    DatasetHeader h = states_header();
    h.simulation_parameters[name] = 1.0;
    try {
      DatasetWriter w(dir / "p.h5", h, kStates, kTraj);
      ADD_FAILURE() << "parameter '" << name << "' was accepted";
    } catch (const Error& e) {
      EXPECT_EQ(e.code(), ExitCode::runtime);
      EXPECT_NE(std::string(e.what()).find(name), std::string::npos) << e.what();
    }
  }
}

namespace {

// A field data set on the given axes (boundary conditions from `bcs`), each trajectory's field a
// ramp; returns the field (n_traj x n_time x the grid).
std::vector<float> write_grid(const std::string& path, const std::vector<Axis>& axes,
                              const std::vector<BoundaryCondition>& bcs) {
  const uint64_t n = 2, nt = 3;
  DatasetHeader h;
  h.kind = "fields";
  h.dataset_name = "grid";
  h.time = {0.0, 0.5, 1.0};
  h.axes = axes;
  h.boundary_conditions = bcs;
  h.params_hash = "grid";
  std::vector<uint64_t> shape{nt}, grid;
  for (const auto& a : axes) grid.push_back(a.coordinates.size());
  shape.insert(shape.end(), grid.begin(), grid.end());
  uint64_t cells = 1;
  for (auto g : grid) cells *= g;
  const auto u = ramp(n * nt * cells, 0.0f), c = ramp(n * cells, 5.0f);
  DatasetWriter w(path, h, {{"t0_fields/u", shape, true, {}}, {"t0_fields/c", grid, false, {}}}, n);
  w.write(0, 0, n, u.data());
  w.write(1, 0, n, c.data());
  w.finish();
  return u;
}

std::vector<double> points(size_t n, double step) {
  std::vector<double> v(n);
  for (size_t i = 0; i < n; ++i) v[i] = static_cast<double>(i) * step;
  return v;
}

// Turns a file slift wrote into one of The Well written by others: no slift attribute at all.
void strip_slift_attributes(const std::string& path) {
  hid_t f = H5Fopen(path.c_str(), H5F_ACC_RDWR, H5P_DEFAULT);
  ASSERT_GE(f, 0);
  for (const char* a : {"slift_format", "slift_format_version", "slift_complete", "slift_n_done", "created_by"})
    EXPECT_GE(H5Adelete(f, a), 0) << a;
  H5Fclose(f);
}

}  // namespace

// One axis (a periodic interval, as a 1-D SPDE stores it) and three axes of three different
// boundary types: names, float32 coordinates, shapes, masks and the boundary of every axis.
TEST(Dataset, OneAndThreeSpatialAxesRoundTrip) {
  TempDir dir;
  struct Case {
    std::vector<Axis> axes;
    std::vector<BoundaryCondition> bcs;
    std::vector<std::string> boundaries;
  };
  const double L = 2 * M_PI;
  const std::vector<Case> cases{
      {{{"x", points(8, L / 8)}}, {{"periodic_x", "PERIODIC", {"x"}}}, {"PERIODIC"}},
      {{{"x", points(4, 0.25)}, {"y", points(3, 0.5)}, {"z", points(5, 0.1)}},
       {{"open_z", "OPEN", {"z"}}, {"periodic_x", "PERIODIC", {"x"}}, {"wall_y", "WALL", {"y"}}},
       {"PERIODIC", "WALL", "OPEN"}}};
  for (const Case& c : cases) {
    const size_t d = c.axes.size();
    const std::string path = dir / ("grid" + std::to_string(d) + ".h5");
    const auto u = write_grid(path, c.axes, c.bcs);
    DatasetReader r(path, "fields");
    const DatasetHeader& h = r.header();
    ASSERT_EQ(h.axes.size(), d);
    std::vector<uint64_t> grid;
    for (size_t k = 0; k < d; ++k) {
      EXPECT_EQ(h.axes[k].name, c.axes[k].name);
      ASSERT_EQ(h.axes[k].coordinates.size(), c.axes[k].coordinates.size());
      for (size_t i = 0; i < c.axes[k].coordinates.size(); ++i)
        EXPECT_EQ(h.axes[k].coordinates[i], static_cast<double>(static_cast<float>(c.axes[k].coordinates[i])));
      grid.push_back(c.axes[k].coordinates.size());
    }
    EXPECT_EQ(axis_boundaries(h), c.boundaries) << d << "-D";
    std::vector<uint64_t> shape{3};
    shape.insert(shape.end(), grid.begin(), grid.end());
    EXPECT_EQ(r.spec("t0_fields/u").shape, shape);
    EXPECT_EQ(r.spec("t0_fields/c").shape, grid);
    EXPECT_EQ(r.read("t0_fields/u"), u);
    EXPECT_EQ(r.state_field(), "t0_fields/u");

    hid_t f = H5Fopen(path.c_str(), H5F_ACC_RDONLY, H5P_DEFAULT);
    ASSERT_GE(f, 0);
    int64_t n_dims = 0;
    hid_t a = H5Aopen(f, "n_spatial_dims", H5P_DEFAULT);
    H5Aread(a, H5T_NATIVE_INT64, &n_dims);
    H5Aclose(a);
    EXPECT_EQ(n_dims, static_cast<int64_t>(d));
    EXPECT_EQ(attr_bools(f, "t0_fields/u", "dim_varying"), std::vector<uint8_t>(d, 1));
    for (size_t k = 0; k < d; ++k) EXPECT_EQ(dims_of(f, "dimensions/" + c.axes[k].name), std::vector<hsize_t>{grid[k]});
    for (const auto& bc : c.bcs) {  // the mask lies along the condition's own axis
      size_t k = 0;
      while (c.axes[k].name != bc.associated_dims[0]) ++k;
      EXPECT_EQ(dims_of(f, "boundary_conditions/" + bc.name + "/mask"), std::vector<hsize_t>{grid[k]}) << bc.name;
    }
    H5Fclose(f);
  }
}

// The Well's files name their axes as they like (dimensions/spatial_dims): polar axes r, theta
// keep their names, and so do their boundary conditions.
TEST(Dataset, ForeignAxesKeepTheirNames) {
  TempDir dir;
  const std::string path = dir / "polar.h5";
  const auto u = write_grid(path, {{"r", points(5, 0.2)}, {"theta", points(6, M_PI / 3)}},
                            {{"wall_r", "WALL", {"r"}}, {"periodic_theta", "PERIODIC", {"theta"}}});
  strip_slift_attributes(path);
  DatasetReader r(path, "fields");
  EXPECT_EQ(r.header().created_by, "");
  ASSERT_EQ(r.header().axes.size(), 2u);
  EXPECT_EQ(r.header().axes[0].name, "r");
  EXPECT_EQ(r.header().axes[1].name, "theta");
  EXPECT_EQ(r.header().axes[1].coordinates.size(), 6u);
  EXPECT_EQ(axis_boundaries(r.header()), (std::vector<std::string>{"WALL", "PERIODIC"}));
  EXPECT_EQ(r.read("t0_fields/u"), u);
}

// Axes the reader cannot take are refused naming the file and what is wrong.
TEST(Dataset, AxesOutsideOneToThreeOrMiscountedAreRefused) {
  TempDir dir;
  const std::string path = dir / "g.h5";
  write_grid(path, {{"x", points(4, 0.25)}, {"y", points(4, 0.25)}},
             {{"periodic_x", "PERIODIC", {"x"}}, {"periodic_y", "PERIODIC", {"y"}}});
  const auto set_attr = [&](const char* obj, const char* name, const std::vector<std::string>& names, int64_t n) {
    hid_t f = H5Fopen(path.c_str(), H5F_ACC_RDWR, H5P_DEFAULT);
    H5Adelete_by_name(f, obj, name, H5P_DEFAULT);
    if (names.empty()) {
      hid_t sp = H5Screate(H5S_SCALAR);
      hid_t a = H5Acreate_by_name(f, obj, name, H5T_NATIVE_INT64, sp, H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT);
      H5Awrite(a, H5T_NATIVE_INT64, &n);
      H5Aclose(a);
      H5Sclose(sp);
    } else {
      hid_t type = H5Tcopy(H5T_C_S1);
      H5Tset_size(type, H5T_VARIABLE);
      hsize_t count = names.size();
      hid_t sp = H5Screate_simple(1, &count, nullptr);
      std::vector<const char*> p;
      for (const auto& s : names) p.push_back(s.c_str());
      hid_t a = H5Acreate_by_name(f, obj, name, type, sp, H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT);
      H5Awrite(a, type, p.data());
      H5Aclose(a);
      H5Sclose(sp);
      H5Tclose(type);
    }
    H5Fclose(f);
  };
  EXPECT_EQ(axis_boundaries(DatasetReader(path).header()), (std::vector<std::string>{"PERIODIC", "PERIODIC"}));
  set_attr("dimensions", "spatial_dims", {"x", "y", "z", "w"}, 0);
  std::string m = usage_message([&] { DatasetReader r(path); });
  EXPECT_NE(m.find(path + ": dimensions/spatial_dims lists 4 axes; slift reads fields of 1, 2 or 3"), std::string::npos) << m;
  set_attr("dimensions", "spatial_dims", {"x", "x"}, 0);
  m = usage_message([&] { DatasetReader r(path); });
  EXPECT_NE(m.find("lists the axis 'x' twice"), std::string::npos) << m;
  set_attr("dimensions", "spatial_dims", {"x", "y"}, 0);
  set_attr(".", "n_spatial_dims", {}, 3);
  m = usage_message([&] { DatasetReader r(path); });
  EXPECT_NE(m.find("n_spatial_dims is 3 but dimensions/spatial_dims lists 2 axes"), std::string::npos) << m;
}

// Every axis needs exactly one boundary type: none, two different ones or an unknown type are
// refused naming the axis (callers name the file).
TEST(Dataset, AxisBoundariesNameTheAxisWithoutOneType) {
  DatasetHeader h;
  h.kind = "fields";
  h.axes = {{"x", points(4, 1)}, {"y", points(4, 1)}};
  h.boundary_conditions = {{"periodic_x", "PERIODIC", {"x"}}, {"also_x", "PERIODIC", {"x"}}, {"wall_y", "WALL", {"y"}}};
  EXPECT_EQ(axis_boundaries(h), (std::vector<std::string>{"PERIODIC", "WALL"})) << "agreeing conditions are one";
  h.boundary_conditions = {{"periodic_x", "PERIODIC", {"x"}}};
  std::string m = usage_message([&] { axis_boundaries(h); });
  EXPECT_NE(m.find("the axis 'y' has no boundary condition"), std::string::npos) << m;
  h.boundary_conditions = {{"periodic_x", "PERIODIC", {"x"}}, {"wall_y", "WALL", {"y"}}, {"open_y", "OPEN", {"y"}}};
  m = usage_message([&] { axis_boundaries(h); });
  EXPECT_NE(m.find("the axis 'y' has two boundary conditions: WALL ('wall_y') and OPEN ('open_y')"), std::string::npos)
      << m;
  h.boundary_conditions = {{"periodic_x", "PERIODIC", {"x"}}, {"odd_y", "SYMMETRIC", {"y"}}};
  m = usage_message([&] { axis_boundaries(h); });
  EXPECT_NE(m.find("'odd_y' of the axis 'y' has the type 'SYMMETRIC'"), std::string::npos) << m;
}
