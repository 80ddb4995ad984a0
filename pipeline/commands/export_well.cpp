// slift export-well: a run's field data sets as a data set of The Well, which its own tools
// (WellDataset, WellDataModule, compute_statistics, the checker) accept.
//
// OUT/<dataset_name>/data/{train,valid,test}/<dataset_name>_<split>.hdf5 (copies of the run's
// train, floor and test sets, plus the static fields the data imply, such as the flow's wells),
// stats.yaml (the training set's statistics, as The Well's compute_statistics writes them),
// <dataset_name>.yaml (The Well's metadata) and a README.md data set card. The directory is built
// beside its final name and then moved into place: an existing export is replaced only with
// --force, and only once the new one is complete.
#include <fcntl.h>
#include <linux/fs.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <functional>
#include <map>
#include <memory>
#include <sstream>
#include <string>
#include <vector>

#include "core/atomic_file.hpp"
#include "core/config.hpp"
#include "core/dataset.hpp"
#include "core/error.hpp"
#include "core/log.hpp"
#include "pipeline/commands/common.hpp"
#include "simulators/system.hpp"

namespace slift::pipeline {
namespace fs = std::filesystem;

namespace {

// The Well's splits and the run's set each one is. The test set stays the test set, so that The
// Well's test metrics look at the trajectories slift evaluates on. The floor set, an independent
// draw of the test distribution of the same size (slift's sampling floor, docs/metrics.md), is
// the validation set: model selection on it never touches the test set.
struct Split {
  const char* well;
  const char* ours;
};
constexpr Split kWellSplits[] = {{"train", "train"}, {"valid", "floor"}, {"test", "test"}};

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

size_t tensor_order(const std::string& array) { return static_cast<size_t>(array[1] - '0'); }

FieldStats field_stats(const DatasetReader& r, const std::string& array) {
  FieldStats s;
  s.order = tensor_order(array);
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

// A number as PyYAML reads it: %.9e (an exponent without a decimal point, "1e-05", is a string).
std::string yaml_number(double v) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.9e", v);
  return buf;
}

// A value per component, shaped like The Well's: a number, a list of 2, or a 2 x 2 list.
std::string yaml_value(size_t order, const std::function<double(size_t)>& value) {
  auto num = [&](size_t c) { return yaml_number(value(c)); };
  if (order == 0) return num(0);
  if (order == 1) return "[" + num(0) + ", " + num(1) + "]";
  return "[[" + num(0) + ", " + num(1) + "], [" + num(2) + ", " + num(3) + "]]";
}

std::string field_name(const std::string& array) { return array.substr(array.find('/') + 1); }

// stats.yaml: mean, std, rms of every field and of the time increments of the time-varying ones.
std::string stats_yaml(const DatasetReader& train) {
  std::vector<std::pair<std::string, FieldStats>> fields;
  for (const auto& a : train.array_paths()) fields.emplace_back(field_name(a), field_stats(train, a));
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

std::string yaml_list(const std::vector<std::string>& items) {
  std::string s = "[";
  for (size_t i = 0; i < items.size(); ++i) s += (i ? ", " : "") + items[i];
  return s + "]";
}

// The names WellDataset gives a field's channels: K_xx, K_xy, ... for a tensor.
std::vector<std::string> channel_names(const std::string& array) {
  std::vector<std::string> names{field_name(array)};
  for (size_t k = 0; k < tensor_order(array); ++k) {
    std::vector<std::string> longer;
    for (const auto& n : names)
      for (const char* d : {"x", "y"}) longer.push_back(n + (k == 0 ? "_" : "") + d);
    names = longer;
  }
  return names;
}

// <name>.yaml: The Well's metadata of the data set, as its scripts/generate_metadata.py writes it
// (WellDataset's WellMetadata of the valid split).
std::string metadata_yaml(const DatasetReader& valid) {
  const DatasetHeader& h = valid.header();
  std::map<size_t, std::vector<std::string>> variable, constant;
  for (const auto& a : valid.array_paths())
    for (const auto& n : channel_names(a)) (valid.spec(a).time_varying ? variable : constant)[tensor_order(a)].push_back(n);
  std::vector<std::string> scalars, bcs;
  for (const auto& [k, v] : h.simulation_parameters) scalars.push_back(k);
  for (const auto& bc : h.boundary_conditions)
    if (std::find(bcs.begin(), bcs.end(), bc.bc_type) == bcs.end()) bcs.push_back(bc.bc_type);
  std::ostringstream o;
  std::string resolution;
  for (const auto& a : h.axes) resolution += (resolution.empty() ? "" : ", ") + std::to_string(a.coordinates.size());
  o << "dataset_name: " << h.dataset_name << "\nn_spatial_dims: " << h.axes.size() << "\nspatial_resolution: ["
    << resolution << "]\nscalar_names: []\nconstant_scalar_names: " << yaml_list(scalars) << "\n";
  for (auto [key, names] : {std::pair{"field_names", &variable}, std::pair{"constant_field_names", &constant}}) {
    o << key << ":\n";
    for (size_t order = 0; order < 3; ++order) o << "  " << order << ": " << yaml_list((*names)[order]) << "\n";
  }
  o << "boundary_condition_types: " << yaml_list(bcs) << "\nn_files: 1\nn_trajectories_per_file: [" << valid.n_traj()
    << "]\nn_steps_per_trajectory: [" << h.time.size() << "]\ngrid_type: " << h.grid_type << "\n";
  return o.str();
}

// The Well's augmentations that map a sample to another solution of the same equations. Both
// systems' equations are invariant under the symmetries of the square when their coefficients
// move with the grid (a scalar speed, a permeability tensor and the wells stored as fields):
// flips always; axis swaps (RandomAxisPermute, RandomRotation90) on a grid of two or more axes
// of equal size and equal spacing; shifts (RandomAxisRoll) only with periodic boundaries, where
// walls would be cut open.
std::vector<std::string> physical_augmentations(const DatasetHeader& h) {
  std::vector<std::string> a{"RandomAxisFlip"};
  const auto spacing = [](const std::vector<double>& v) { return v.size() > 1 ? v[1] - v[0] : 0.0; };
  const std::vector<double>& first = h.axes.front().coordinates;
  const bool cubic = h.axes.size() > 1 && std::all_of(h.axes.begin(), h.axes.end(), [&](const Axis& axis) {
    const std::vector<double>& v = axis.coordinates;
    return v.size() == first.size() && std::abs(spacing(v) - spacing(first)) <= 1e-6 * std::abs(spacing(first));
  });
  if (cubic) a.insert(a.end(), {"RandomAxisPermute", "RandomRotation90"});
  if (std::all_of(h.boundary_conditions.begin(), h.boundary_conditions.end(),
                  [](const BoundaryCondition& bc) { return bc.bc_type == "PERIODIC"; }))
    a.push_back("RandomAxisRoll");
  return a;
}

// The grid for the data card, e.g. "32 x 32 (cartesian), x from 0 to 6.08, y from 0 to 6.08".
std::string grid_text(const DatasetHeader& h) {
  std::ostringstream sizes, ranges;
  for (const auto& a : h.axes) {
    sizes << (&a == &h.axes.front() ? "" : " x ") << a.coordinates.size();
    ranges << ", " << a.name << " from " << a.coordinates.front() << " to " << a.coordinates.back();
  }
  return sizes.str() + " (" + h.grid_type + ")" + ranges.str();
}

std::string parameter_table(const std::vector<std::pair<std::string, std::string>>& meanings,
                            const std::map<std::string, double>& values) {
  std::ostringstream o;
  o << "| parameter | value | meaning |\n| --- | --- | --- |\n";
  for (const auto& [k, meaning] : meanings)
    if (values.count(k)) o << "| `" << k << "` | " << values.at(k) << " | " << meaning << " |\n";
  return o.str();
}

std::string card(const DatasetReader& train, const sim::Card& c, const std::map<std::string, uint64_t>& sizes,
                 const std::string& final_dir) {
  const DatasetHeader& h = train.header();
  std::ostringstream o;
  o << "# " << h.dataset_name << ": " << c.title << "\n\n"
    << "Written by `slift export-well` from data of " << h.created_by << " (" << h.created_at
    << "). Every file also reads with slift (`slift inspect FILE`) and carries the config that produced it (root "
       "attribute `config`).\n\n"
    << "## Equations\n\n" << c.equations << "\n\n## Initial condition\n\n" << c.initial_condition
    << "\n\n## Boundary conditions\n\n" << c.boundary_conditions << "\n\n## Fields\n\n"
    << "| field | tensor order | meaning and unit |\n| --- | --- | --- |\n";
  for (const auto& a : train.array_paths()) {
    const std::string name = field_name(a);
    const auto m = std::find_if(c.fields.begin(), c.fields.end(), [&](const auto& f) { return f.first == name; });
    o << "| `" << name << "` | " << tensor_order(a) << " | " << (m == c.fields.end() ? "" : m->second) << " |\n";
  }
  o << "\n## Physical parameters\n\n" << parameter_table(c.physical, h.simulation_parameters)
    << "\n## Numerical settings\n\n" << c.numerics << "\n\n" << parameter_table(c.numerical, h.simulation_parameters)
    << "\n## Data\n\n"
    << "- grid: " << grid_text(h) << "\n- " << h.time.size()
    << " saved times, evenly spaced from " << h.time.front() << " to " << h.time.back() << "\n\n"
    << "| split | trajectories | slift's set | why |\n| --- | --- | --- | --- |\n"
    << "| train | " << sizes.at("train") << " | train | the training set |\n"
    << "| valid | " << sizes.at("valid")
    << " | floor | an independent draw of the test distribution (slift measures its sampling floor with it): "
       "validation never touches the test set |\n"
    << "| test | " << sizes.at("test") << " | test | the set slift evaluates on, so that results compare |\n\n"
    << "`stats.yaml` holds the training set's statistics (as The Well's `compute_statistics` writes them); `"
    << h.dataset_name << ".yaml` The Well's metadata of the data set.\n\n## Augmentations\n\n"
    << "Augmentations that keep the data physical: ";
  const std::vector<std::string> aug = physical_augmentations(h);
  for (size_t i = 0; i < aug.size(); ++i) o << (i ? ", " : "") << "`" << aug[i] << "`";
  o << ".\nFlips, swaps and rotations map a solution to a solution: the coefficients (the medium, and the flow's "
       "wells) are fields that move with the grid. A roll (shift) does so only along periodic axes; it is listed only "
       "when every boundary is periodic.\n\n"
    << "## Loading with The Well\n\n```python\nfrom the_well.data import WellDataModule\n"
    << "from the_well.data.normalization import ZScoreNormalization\n"
    << "root = \"" << final_dir << "\"\n"
    << "# The Well's datamodule takes only the names of its own data sets: name the folder of each split instead.\n"
    << "splits = (\"train\", \"val\", \"rollout_val\", \"test\", \"rollout_test\")\n"
    << "dm = WellDataModule(well_base_path=root, well_dataset_name=\"" << h.dataset_name
    << "\", batch_size=4, n_steps_input=3,\n"
    << "                    use_normalization=True, normalization_type=ZScoreNormalization,\n"
    << "                    dataset_kws={s: {\"path\": root} for s in splits})\n```\n";
  return o.str();
}

// The system that made the data, rebuilt from the config stored in the file: its card and the
// static fields the data imply.
std::unique_ptr<sim::System> system_of(const DatasetReader& r, const std::string& file) {
  try {
    config::Config config = config::Config::from_string(r.header().config_yaml, file + " (attribute config)");
    config::Section simulate = config.root().section("simulate");
    return sim::make_system(simulate);
  } catch (const Error& e) {
    usage_error(file + ": its stored config does not rebuild the system that wrote it (" + e.what() + ")");
  }
}

// A copy that shares nothing writable with the run's file: a reflink (FICLONE) where the file
// system has them, else a plain copy.
void clone_or_copy(const fs::path& from, const fs::path& to) {
  const int in = ::open(from.c_str(), O_RDONLY | O_CLOEXEC);
  if (in < 0) runtime_error(from.string() + ": " + std::strerror(errno));
  const int out = ::open(to.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0644);
  if (out < 0) {
    const int e = errno;
    ::close(in);
    runtime_error(to.string() + ": " + std::strerror(e));
  }
  const bool cloned = ::ioctl(out, FICLONE, in) == 0;
  ::close(out);
  ::close(in);
  if (!cloned) fs::copy_file(from, to, fs::copy_options::overwrite_existing);
}

// The export being built, removed unless it was moved into place.
struct Staging {
  fs::path dir;
  ~Staging() {
    std::error_code ec;
    if (!dir.empty()) fs::remove_all(dir, ec);
  }
};

// A new hidden directory beside OUT/<name>, made by this process alone (mkdir fails on an existing
// one, a planted link included), with the permissions the umask gives.
fs::path staging_dir(const std::string& out, const std::string& name) {
  for (int k = 0;; ++k) {
    const fs::path dir = fs::path(out) / ("." + name + ".export-" + std::to_string(::getpid()) + "-" + std::to_string(k));
    if (::mkdir(dir.c_str(), 0777) == 0) return dir;
    if (errno != EEXIST || k == 100) runtime_error("cannot create a directory in " + out + ": " + std::strerror(errno));
  }
}

// Moves `from` to `to`: atomically replacing an existing `to` only with `force`, after which the
// old export (now at `from`) is removed.
void move_into_place(const fs::path& from, const fs::path& to, bool force) {
  if (::renameat2(AT_FDCWD, from.c_str(), AT_FDCWD, to.c_str(), RENAME_NOREPLACE) == 0) return;
  if (errno != EEXIST) runtime_error("cannot move " + from.string() + " to " + to.string() + ": " + std::strerror(errno));
  if (!force) usage_error(to.string() + " exists; pass --force to replace it");
  if (::renameat2(AT_FDCWD, from.c_str(), AT_FDCWD, to.c_str(), RENAME_EXCHANGE) != 0)
    runtime_error("cannot replace " + to.string() + ": " + std::strerror(errno));
}

void export_well(const std::string& run_dir, const std::string& out, bool force) {
  const fs::path data = fs::path(run_dir) / "data";
  std::map<std::string, std::unique_ptr<DatasetReader>> readers;  // by The Well's split name
  for (const auto& [well, ours] : kWellSplits) {
    const fs::path file = data / (std::string(ours) + ".h5");
    if (!fs::exists(file)) usage_error(run_dir + ": no " + file.string() + " (run `slift simulate CONFIG` first)");
    readers[well] = std::make_unique<DatasetReader>(file.string());
    const DatasetHeader& h = readers[well]->header();
    if (h.kind != "fields")
      usage_error(file.string() + ": a '" + h.kind + "' data set; The Well holds field data sets only (wave, flow)");
    path_component(h.dataset_name, file.string() + ": dataset_name");  // becomes a directory and file names under OUT
    if (h.dataset_name != readers["train"]->header().dataset_name)
      usage_error(file.string() + ": data set '" + h.dataset_name + "', but the training set is '" +
                  readers["train"]->header().dataset_name + "'");
  }
  const std::string train_file = (data / "train.h5").string();
  const std::string name = readers["train"]->header().dataset_name;
  const std::unique_ptr<sim::System> system = system_of(*readers["train"], train_file);
  const fs::path final_dir = fs::path(out) / name;
  if (fs::exists(fs::symlink_status(final_dir)) && !force)
    usage_error(final_dir.string() + " exists; pass --force to replace it");
  if (fs::exists(out) && !fs::is_directory(out)) usage_error(out + " is not a directory");
  fs::create_directories(out);

  Staging staging;
  staging.dir = staging_dir(out, name);
  std::vector<ArraySpec> implied_specs;
  std::vector<std::vector<float>> implied_values;
  for (const auto& f : system->implied_fields()) implied_specs.push_back(f.spec), implied_values.push_back(f.values);
  std::map<std::string, uint64_t> sizes;
  std::map<std::string, std::unique_ptr<DatasetReader>> exported;
  for (const auto& [well, ours] : kWellSplits) {
    const fs::path dir = staging.dir / "data" / well, file = dir / (name + "_" + well + ".hdf5");
    fs::create_directories(dir);
    clone_or_copy(data / (std::string(ours) + ".h5"), file);
    if (!implied_specs.empty()) add_static_fields(file.string(), implied_specs, implied_values);
    exported[well] = std::make_unique<DatasetReader>(file.string());
    sizes[well] = exported[well]->n_traj();
  }
  write_file_atomic((staging.dir / "stats.yaml").string(), stats_yaml(*exported["train"]));
  write_file_atomic((staging.dir / (name + ".yaml")).string(), metadata_yaml(*exported["valid"]));
  write_file_atomic((staging.dir / "README.md").string(), card(*exported["train"], system->card(), sizes, final_dir.string()));
  exported.clear();
  move_into_place(staging.dir, final_dir, force);  // with --force, staging now holds the old export
  log::info("wrote " + final_dir.string() + " (splits train, valid (our floor), test; stats.yaml; " + name +
            ".yaml; README.md)");
}

}  // namespace

void add_export_well(CLI::App& app) {
  auto* cmd = app.add_subcommand("export-well", "write a run's field data sets as a data set of The Well");
  cmd->footer("Example:\n  slift export-well runs/wave well   # well/wave/{data/{train,valid,test},stats.yaml,wave.yaml,README.md}\n"
              "Python: WellDataModule / WellDataset with path=\"well/wave\" (docs/dataset-format.md)");
  static std::string run_dir, out;
  static bool force = false;
  cmd->add_option("RUN_DIR", run_dir, "a run's output_dir (holding data/{train,test,floor}.h5)")->required();
  cmd->add_option("OUT", out, "directory that receives <dataset_name>/")->required();
  cmd->add_flag("--force", force, "replace an existing OUT/<dataset_name> (kept until the new export is complete)");
  cmd->callback([] { export_well(run_dir, out, force); });
}

}  // namespace slift::pipeline
