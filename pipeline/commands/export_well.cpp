// slift export-well: a run's field data sets as a directory that The Well's WellDataset reads.
//
// OUT/<dataset_name>/data/{train,test,floor}/<dataset_name>_<split>.hdf5 (hard links to the run's
// files, copies across file systems), OUT/<dataset_name>/stats.yaml (the training set's per-field
// statistics, as The Well's compute_statistics writes them) and a README.md data set card.
// The directory is built beside its final name and renamed into place.
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <functional>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "core/dataset.hpp"
#include "core/error.hpp"
#include "core/log.hpp"
#include "pipeline/commands/common.hpp"

namespace slift::pipeline {
namespace fs = std::filesystem;

namespace {

// Our splits; none is The Well's "valid": floor is a second test set of the test set's size,
// drawn independently, that measures the sampling floor of every metric (docs/metrics.md).
constexpr const char* kSplits[] = {"train", "test", "floor"};

// Moments per tensor component of one field over trajectories, time and space (and of its
// time increments when it varies in time). Sums are shifted by the first value so that a field
// far from zero (a permeability) keeps its variance.
struct Moments {
  std::vector<double> shift, sum, sum2;
  uint64_t count = 0;
  void add(const float* v, size_t n, size_t comps) {
    if (shift.empty()) shift.assign(v, v + comps), sum.assign(comps, 0.0), sum2.assign(comps, 0.0);
    for (size_t i = 0; i < n; ++i) {
      const double d = v[i] - shift[i % comps];
      sum[i % comps] += d, sum2[i % comps] += d * d;
    }
    count += n / comps;
  }
  double mean(size_t c) const { return shift[c] + sum[c] / count; }
  double variance(size_t c) const { return std::max(0.0, sum2[c] / count - (sum[c] / count) * (sum[c] / count)); }
};

struct FieldStats {
  size_t order = 0;  // tensor order: 0, 1 or 2 (components 1, 2 or 4 in 2-D)
  Moments value, delta;
};

FieldStats field_stats(const DatasetReader& r, const std::string& array) {
  FieldStats s;
  s.order = static_cast<size_t>(array[1] - '0');
  const ArraySpec spec = r.spec(array);
  const size_t comps = s.order == 0 ? 1 : s.order == 1 ? 2 : 4;
  size_t frame = comps;
  for (size_t k = spec.time_varying ? 1 : 0; k < spec.shape.size(); ++k) frame *= spec.shape[k];
  if (!spec.time_varying) frame = 0;
  for (uint64_t i = 0; i < r.n_traj(); ++i) {
    const std::vector<float> v = r.read(array, i, 1);
    s.value.add(v.data(), v.size(), comps);
    if (frame == 0) continue;
    std::vector<float> d(v.size() - frame);
    for (size_t k = 0; k < d.size(); ++k) d[k] = v[k + frame] - v[k];
    s.delta.add(d.data(), d.size(), comps);
  }
  return s;
}

// A value per component, shaped like The Well's: a number, a list of 2, or a 2 x 2 list. Numbers
// as %.9e: PyYAML reads an exponent without a decimal point ("1e-05") as a string.
std::string yaml_value(size_t order, const std::function<double(size_t)>& value) {
  auto num = [&](size_t c) {
    char buf[32];
    std::snprintf(buf, sizeof buf, "%.9e", value(c));
    return std::string(buf);
  };
  if (order == 0) return num(0);
  if (order == 1) return "[" + num(0) + ", " + num(1) + "]";
  return "[[" + num(0) + ", " + num(1) + "], [" + num(2) + ", " + num(3) + "]]";
}

// stats.yaml: mean, std, rms of every field and of the time increments of the time-varying ones.
std::string stats_yaml(const DatasetReader& train) {
  std::vector<std::pair<std::string, FieldStats>> fields;
  for (const auto& a : train.array_paths()) fields.emplace_back(a.substr(a.find('/') + 1), field_stats(train, a));
  std::string y;
  for (bool delta : {false, true})
    for (const std::string what : {"mean", "std", "rms"}) {
      std::string entries;
      for (const auto& [name, s] : fields) {
        const Moments& m = delta ? s.delta : s.value;
        if (m.count == 0) continue;
        entries += "  " + name + ": " + yaml_value(s.order, [&](size_t c) {
               if (what == "mean") return m.mean(c);
               if (what == "std") return std::sqrt(m.variance(c));
               return std::sqrt(m.variance(c) + m.mean(c) * m.mean(c));
             }) + "\n";
      }
      y += what + (delta ? "_delta" : "") + ":" + (entries.empty() ? " {}\n" : "\n" + entries);
    }
  return y;
}

std::string card(const DatasetReader& train, const std::map<std::string, uint64_t>& sizes) {
  const DatasetHeader& h = train.header();
  std::ostringstream o;
  o << "# " << h.dataset_name << "\n\n"
    << "Written by " << h.created_by << " on " << h.created_at << " in The Well's format; every file also\n"
    << "reads with slift (`slift inspect FILE`) and carries the config that produced it (root attribute `config`).\n\n"
    << "| split | trajectories | meaning |\n| --- | --- | --- |\n"
    << "| train | " << sizes.at("train") << " | training set |\n"
    << "| test | " << sizes.at("test") << " | test set: models roll out from its initial states |\n"
    << "| floor | " << sizes.at("floor")
    << " | a second, independent test set: its distance to the test set is the sampling floor of a metric |\n\n"
    << "There is no `valid` split. `stats.yaml` holds the training set's statistics.\n\n"
    << "- grid: " << h.x.size() << " x " << h.y.size() << " (" << h.grid_type << "), " << h.time.size()
    << " saved times from " << h.time.front() << " to " << h.time.back() << "\n- boundary conditions:";
  for (const auto& bc : h.boundary_conditions) o << " " << bc.name << " (" << bc.bc_type << ")";
  o << "\n- fields:";
  for (const auto& a : train.array_paths()) {
    const ArraySpec s = train.spec(a);
    o << " `" << a << "` (" << (s.time_varying ? "time-varying" : "static") << ")";
  }
  o << "\n- simulation parameters:";
  for (const auto& [k, v] : h.simulation_parameters) o << " " << k << " = " << v << ";";
  o << "\n\nLoad it in Python with The Well's loader:\n\n```python\n"
    << "from the_well.data import WellDataset\n"
    << "from the_well.data.normalization import ZScoreNormalization\n"
    << "ds = WellDataset(path=\"" << h.dataset_name << "\", well_split_name=\"train\", use_normalization=True,\n"
    << "                 normalization_type=ZScoreNormalization)\n```\n";
  return o.str();
}

void link_or_copy(const fs::path& from, const fs::path& to) {
  std::error_code ec;
  fs::create_hard_link(from, to, ec);
  if (ec) fs::copy_file(from, to);
}

void export_well(const std::string& run_dir, const std::string& out) {
  const fs::path data = fs::path(run_dir) / "data";
  std::map<std::string, std::unique_ptr<DatasetReader>> readers;
  for (const char* split : kSplits) {
    const fs::path file = data / (std::string(split) + ".h5");
    if (!fs::exists(file)) usage_error(run_dir + ": no " + file.string() + " (run `slift simulate CONFIG` first)");
    readers[split] = std::make_unique<DatasetReader>(file.string());
    if (readers[split]->header().kind != "fields")
      usage_error(file.string() + ": a '" + readers[split]->header().kind +
                  "' data set; The Well holds field data sets only (wave, flow)");
  }
  const DatasetReader& train = *readers["train"];
  const std::string name = train.header().dataset_name;
  const fs::path final_dir = fs::path(out) / name, tmp = fs::path(out) / (name + ".partial");
  fs::remove_all(tmp);
  std::map<std::string, uint64_t> sizes;
  for (const char* split : kSplits) {
    fs::create_directories(tmp / "data" / split);
    link_or_copy(data / (std::string(split) + ".h5"), tmp / "data" / split / (name + "_" + split + ".hdf5"));
    sizes[split] = readers[split]->n_traj();
  }
  std::ofstream(tmp / "stats.yaml") << stats_yaml(train);
  std::ofstream(tmp / "README.md") << card(train, sizes);
  fs::remove_all(final_dir);
  fs::rename(tmp, final_dir);
  log::info("wrote " + final_dir.string() + " (splits train, test, floor; stats.yaml; README.md)");
}

}  // namespace

void add_export_well(CLI::App& app) {
  auto* cmd = app.add_subcommand("export-well", "write a run's field data sets as a data set of The Well's layout");
  cmd->footer("Example:\n  slift export-well runs/wave well   # well/wave/{data/{train,test,floor},stats.yaml,README.md}\n"
              "Python: WellDataset(path=\"well/wave\", well_split_name=\"train\") (docs/dataset-format.md)");
  static std::string run_dir, out;
  cmd->add_option("RUN_DIR", run_dir, "a run's output_dir (holding data/{train,test,floor}.h5)")->required();
  cmd->add_option("OUT", out, "directory that receives <dataset_name>/")->required();
  cmd->callback([] { export_well(run_dir, out); });
}

}  // namespace slift::pipeline
