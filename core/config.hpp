// Strict YAML configs.
//
// A Config holds one YAML file plus `--set key.path=value` overrides. Each part of the program
// reads its own section through a Section: every read names its default and its check in one
// place, and records the value it resolved, so the resolved config (defaults + file + overrides)
// can be printed and stored with every output. Section::finish() refuses keys nobody read,
// with a did-you-mean suggestion. Every problem is one line naming file, line and key path,
// thrown as a usage error (exit code 2) before anything is written.
#pragma once
#include <yaml-cpp/yaml.h>

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace slift::config {

// A check returns an error text for a bad value, or nothing.
template <class T>
using Check = std::function<std::optional<std::string>(const T&)>;

Check<double> positive();
Check<double> non_negative();
Check<double> in_range(double lo, double hi);  // closed interval
Check<int64_t> at_least(int64_t lo);
Check<int64_t> int_range(int64_t lo, int64_t hi);
Check<std::string> one_of(std::vector<std::string> choices);

struct Source;  // the file, its parsed tree and the resolved tree, shared by all sections

class Section {
 public:
  // Read a scalar or list with a default; types: bool, int64_t, double, std::string,
  // std::vector<double>, std::vector<int64_t>, std::vector<std::string>.
  template <class T>
  T get(const std::string& key, const T& fallback, const Check<T>& check = {});
  int get(const std::string& key, int fallback, const Check<int64_t>& check = {});
  // Read a value that has no default.
  template <class T>
  T required(const std::string& key, const Check<T>& check = {});
  bool has(const std::string& key) const;

  // A free-form mapping (e.g. override paths to values): each key with its value as YAML flow
  // text. Values are not checked here; whoever applies them checks them.
  std::vector<std::pair<std::string, std::string>> entries(const std::string& key);
  // A sub-section (an empty one if absent) and a list of sub-sections.
  Section section(const std::string& key);
  std::vector<Section> list(const std::string& key);

  // Refuse keys that were never read. Call after reading everything.
  void finish();
  // Refuse keys outside `known` now, before reading: a misspelt section name is then reported
  // as itself, not as a required key missing from the section it should have been.
  void expect_only(const std::vector<std::string>& known) const;
  // Report a bad value of `key` (checks that involve several keys).
  [[noreturn]] void fail(const std::string& key, const std::string& what) const;

  const std::string& path() const { return path_; }  // e.g. "simulate.medium"
  std::string key_path(const std::string& key) const;
  std::string location(const std::string& key) const;  // "file:line" or "--set"
  YAML::Node resolved() const { return resolved_; }

 private:
  friend class Config;
  Section(std::shared_ptr<Source> src, YAML::Node node, YAML::Node resolved, std::string path);
  YAML::Node lookup(const std::string& key) const;
  void refuse_unknown(const std::vector<std::string>& known) const;

  std::shared_ptr<Source> src_;
  YAML::Node node_;
  YAML::Node resolved_;
  std::string path_;
  std::vector<std::string> read_;
};

class Config {
 public:
  // Parse a file and apply overrides ("a.b.c=value", value parsed as YAML). Throws usage errors.
  static Config load(const std::string& file, const std::vector<std::string>& overrides = {});
  static Config from_string(const std::string& yaml_text, const std::string& name = "<string>",
                            const std::vector<std::string>& overrides = {});

  Section root();
  const std::string& file() const;
  // The resolved config as YAML text (what was read, with defaults), for logs and provenance.
  std::string resolved_yaml() const;
  YAML::Node resolved() const;

 public:  // construction helper for the loader
  static Config from_source(std::shared_ptr<Source> src);
 private:
  std::shared_ptr<Source> src_;
};

// Canonical text of a YAML node (keys sorted, numbers normalised) for hashing parameter values.
std::string canonical(const YAML::Node& node);

}  // namespace slift::config
