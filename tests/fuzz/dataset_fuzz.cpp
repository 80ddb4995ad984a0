// libFuzzer target: the dataset reader on files that are valid HDF5 but anything else as a slift
// dataset. The input drives a few edits of a small complete dataset through the HDF5 API (arrays
// replaced by other ranks, shapes, types, groups or links; attributes and the time axis rewritten),
// so the fuzzing searches our reader's checks, not HDF5's own parser (a byte-level file corrupts
// HDF5's internals, where the `slift` command can only name the file as it crashes; see
// tests/reliability, corrupt_global_heap.h5). Every input must be read or refused with a
// slift::Error; anything else is a finding.
#include <fuzzer/FuzzedDataProvider.h>
#include <hdf5.h>
#include <unistd.h>

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "core/dataset.hpp"
#include "core/error.hpp"

namespace {

void write_base(const std::string& path, bool fields) {
  slift::DatasetHeader h;
  h.kind = fields ? "fields" : "states";
  h.dataset_name = "fuzz";
  h.time = {0, 1, 2};
  h.params_hash = "fuzz";
  std::vector<slift::ArraySpec> arrays;
  if (fields) {
    h.axes = {{"x", {0.5, 1.5}}, {"y", {0.5, 1.5, 2.5}}};
    h.boundary_conditions = {{"periodic_x", "PERIODIC", {"x"}}};
    arrays = {{"t0_fields/u", {3, 2, 3}, true, {true, true}}, {"t0_fields/c", {2, 3}, false, {true, true}}};
  } else {
    h.state_names = {"x", "v"};
    arrays = {{"states", {3, 2}, true, {}}};
  }
  slift::DatasetWriter w(path, h, arrays, 2);
  for (size_t a = 0; a < arrays.size(); ++a) {
    uint64_t n = 2;
    for (auto d : arrays[a].shape) n *= d;
    const std::vector<float> data(n, 0.5f);
    w.write(a, 0, 2, data.data());
  }
  w.finish();
}

void edit(hid_t f, FuzzedDataProvider& in) {
  static const char* names[] = {"states", "t0_fields/u", "t0_fields/c", "dimensions/time", "dimensions/x", "t0_fields",
                                "dimensions", "boundary_conditions/periodic_x", "loop"};
  static const char* attrs[] = {"slift_format", "slift_complete", "n_trajectories", "state_names", "field_names",
                                "time_varying", "simulation_parameters", "seed", "params_hash", "bc_type"};
  const std::string name = in.PickValueInArray(names);
  switch (in.ConsumeIntegralInRange(0, 5)) {
    case 0: H5Ldelete(f, name.c_str(), H5P_DEFAULT); break;
    case 1: {  // an array of another rank, shape and type
      H5Ldelete(f, name.c_str(), H5P_DEFAULT);
      const int rank = in.ConsumeIntegralInRange(0, 5);
      std::vector<hsize_t> dims(rank);
      for (auto& d : dims) d = in.ConsumeIntegralInRange(0, 6);
      hid_t space = rank ? H5Screate_simple(rank, dims.data(), nullptr) : H5Screate(H5S_SCALAR);
      hid_t type = in.ConsumeBool() ? H5T_NATIVE_DOUBLE : H5T_NATIVE_INT8;
      hid_t d = H5Dcreate2(f, name.c_str(), type, space, H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT);
      if (d >= 0 && type == H5T_NATIVE_DOUBLE && rank == 1) {
        std::vector<double> v(dims[0]);
        for (auto& x : v) x = in.ConsumeFloatingPoint<double>();
        H5Dwrite(d, type, H5S_ALL, H5S_ALL, H5P_DEFAULT, v.data());
      }
      if (d >= 0) H5Dclose(d);
      H5Sclose(space);
      break;
    }
    case 2:
      H5Ldelete(f, name.c_str(), H5P_DEFAULT);
      if (hid_t g = H5Gcreate2(f, name.c_str(), H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT); g >= 0) H5Gclose(g);
      break;
    case 3:
      H5Ldelete(f, name.c_str(), H5P_DEFAULT);
      H5Lcreate_soft(in.PickValueInArray(names), f, name.c_str(), H5P_DEFAULT, H5P_DEFAULT);
      break;
    case 4:
      H5Ldelete(f, name.c_str(), H5P_DEFAULT);
      H5Lcreate_external("missing.h5", "/states", f, name.c_str(), H5P_DEFAULT, H5P_DEFAULT);
      break;
    default: {  // an attribute of the root or of an object, as strings or numbers of any count
      hid_t obj = in.ConsumeBool() ? H5Oopen(f, name.c_str(), H5P_DEFAULT) : H5Oopen(f, "/", H5P_DEFAULT);
      if (obj < 0) break;
      const char* attr = in.PickValueInArray(attrs);
      H5Adelete(obj, attr);
      const hsize_t n = in.ConsumeIntegralInRange(0, 3);
      hid_t space = in.ConsumeBool() ? H5Screate(H5S_SCALAR) : H5Screate_simple(1, &n, nullptr);
      if (in.ConsumeBool()) {
        hid_t type = H5Tcopy(H5T_C_S1);
        H5Tset_size(type, H5T_VARIABLE);
        std::vector<std::string> text(3);
        std::vector<const char*> p;
        for (auto& t : text) t = in.ConsumeRandomLengthString(16), p.push_back(t.c_str());
        if (hid_t a = H5Acreate2(obj, attr, type, space, H5P_DEFAULT, H5P_DEFAULT); a >= 0) {
          H5Awrite(a, type, p.data());
          H5Aclose(a);
        }
        H5Tclose(type);
      } else {
        const double v[3] = {in.ConsumeFloatingPoint<double>(), in.ConsumeFloatingPoint<double>(), -1};
        if (hid_t a = H5Acreate2(obj, attr, H5T_NATIVE_DOUBLE, space, H5P_DEFAULT, H5P_DEFAULT); a >= 0) {
          H5Awrite(a, H5T_NATIVE_DOUBLE, v);
          H5Aclose(a);
        }
      }
      H5Sclose(space);
      H5Oclose(obj);
    }
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static const bool quiet = [] { return H5Eset_auto2(H5E_DEFAULT, nullptr, nullptr) >= 0; }();
  (void)quiet;
  static const std::string path = "/dev/shm/slift-dataset-fuzz-" + std::to_string(::getpid()) + ".h5";
  FuzzedDataProvider in(data, size);
  try {
    write_base(path, in.ConsumeBool());
    hid_t f = H5Fopen(path.c_str(), H5F_ACC_RDWR, H5P_DEFAULT);
    if (f < 0) return 0;
    for (int k = in.ConsumeIntegralInRange(1, 4); k > 0; --k) edit(f, in);
    H5Fclose(f);
    slift::DatasetReader r(path);
    for (const auto& a : r.array_paths()) {
      const slift::ArraySpec s = r.spec(a);
      uint64_t n = 1;
      for (auto d : s.shape) n *= d;
      if (n <= (1u << 20)) r.read(a);
    }
    if (r.header().kind == "fields") r.state_field();
  } catch (const slift::Error&) {
  }
  return 0;
}
