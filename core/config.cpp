#include "core/config.hpp"

#include <yaml-cpp/eventhandler.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <map>
#include <set>
#include <sstream>

#include "core/error.hpp"

namespace slift::config {

struct Source {
  std::string file;
  YAML::Node root;
  YAML::Node resolved;
  std::set<std::string> overridden;  // key paths given with --set
};

// ---- checks ---------------------------------------------------------------------------------

// A value as an error line quotes it: a 100 KB --set value is not echoed whole.
static std::string shown(const std::string& text) {
  constexpr size_t kMax = 80;
  if (text.size() <= kMax) return text;
  return text.substr(0, kMax) + "... (" + std::to_string(text.size()) + " characters)";
}

static std::string num(double v) {
  std::ostringstream s;
  s << v;
  return s.str();
}

Check<double> positive() {
  return [](const double& v) -> std::optional<std::string> {
    if (!(v > 0)) return "must be > 0, got " + num(v);
    return std::nullopt;
  };
}
Check<double> non_negative() {
  return [](const double& v) -> std::optional<std::string> {
    if (!(v >= 0)) return "must be >= 0, got " + num(v);
    return std::nullopt;
  };
}
Check<double> in_range(double lo, double hi) {
  return [lo, hi](const double& v) -> std::optional<std::string> {
    if (!(v >= lo && v <= hi)) return "must be in [" + num(lo) + ", " + num(hi) + "], got " + num(v);
    return std::nullopt;
  };
}
Check<int64_t> at_least(int64_t lo) {
  return [lo](const int64_t& v) -> std::optional<std::string> {
    if (v < lo) return "must be >= " + std::to_string(lo) + ", got " + std::to_string(v);
    return std::nullopt;
  };
}
Check<int64_t> int_range(int64_t lo, int64_t hi) {
  return [lo, hi](const int64_t& v) -> std::optional<std::string> {
    if (v < lo || v > hi)
      return "must be in [" + std::to_string(lo) + ", " + std::to_string(hi) + "], got " + std::to_string(v);
    return std::nullopt;
  };
}
Check<std::string> one_of(std::vector<std::string> choices) {
  return [choices](const std::string& v) -> std::optional<std::string> {
    if (std::find(choices.begin(), choices.end(), v) != choices.end()) return std::nullopt;
    std::string all;
    for (auto& c : choices) all += (all.empty() ? "" : ", ") + c;
    return "must be one of {" + all + "}, got '" + shown(v) + "'";
  };
}

// ---- conversion -----------------------------------------------------------------------------

namespace {

const char* type_name(const bool*) { return "a boolean"; }
const char* type_name(const int64_t*) { return "an integer"; }
const char* type_name(const double*) { return "a number"; }
const char* type_name(const std::string*) { return "a string"; }
const char* type_name(const std::vector<double>*) { return "a list of numbers"; }
const char* type_name(const std::vector<int64_t>*) { return "a list of integers"; }
const char* type_name(const std::vector<std::string>*) { return "a list of strings"; }

bool convert_scalar(const YAML::Node& n, bool& out) {
  if (!n.IsScalar()) return false;
  const std::string& s = n.Scalar();
  if (s == "true" || s == "True" || s == "yes") return out = true, true;
  if (s == "false" || s == "False" || s == "no") return out = false, true;
  return false;
}
bool convert_scalar(const YAML::Node& n, int64_t& out) {
  if (!n.IsScalar()) return false;
  const std::string& s = n.Scalar();
  try {
    size_t pos = 0;
    long long v = std::stoll(s, &pos, 10);
    if (pos != s.size()) {
      // Accept integral values written in float notation, e.g. 1e6.
      double d = std::stod(s, &pos);
      if (pos != s.size() || d != std::floor(d) || std::fabs(d) > 9e15) return false;
      v = static_cast<long long>(d);
    }
    out = v;
    return true;
  } catch (...) {
    return false;
  }
}
bool convert_scalar(const YAML::Node& n, double& out) {
  if (!n.IsScalar()) return false;
  const std::string& s = n.Scalar();
  try {
    size_t pos = 0;
    out = std::stod(s, &pos);
    return pos == s.size() && std::isfinite(out);
  } catch (...) {
    return false;
  }
}
bool convert_scalar(const YAML::Node& n, std::string& out) {
  if (!n.IsScalar()) return false;
  out = n.Scalar();
  return true;
}
template <class T>
bool convert_scalar(const YAML::Node& n, std::vector<T>& out) {
  if (!n.IsSequence()) return false;
  out.clear();
  for (const auto& e : n) {
    T v;
    if (!convert_scalar(e, v)) return false;
    out.push_back(v);
  }
  return true;
}

// Resolved values as YAML nodes; doubles with 15 significant digits, so 0.1 prints as 0.1.
template <class T>
YAML::Node to_node(const T& v) {
  return YAML::Node(v);
}
YAML::Node to_node(const double& v) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.15g", v);
  return YAML::Node(std::string(buf));
}
YAML::Node to_node(const std::vector<double>& v) {
  YAML::Node n(YAML::NodeType::Sequence);
  for (double x : v) n.push_back(to_node(x));
  return n;
}

size_t edit_distance(const std::string& a, const std::string& b) {
  std::vector<size_t> prev(b.size() + 1), cur(b.size() + 1);
  for (size_t j = 0; j <= b.size(); ++j) prev[j] = j;
  for (size_t i = 1; i <= a.size(); ++i) {
    cur[0] = i;
    for (size_t j = 1; j <= b.size(); ++j)
      cur[j] = std::min({prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (a[i - 1] != b[j - 1])});
    std::swap(prev, cur);
  }
  return prev[b.size()];
}

std::string node_text(const YAML::Node& n) {
  if (n.IsScalar()) return n.Scalar();
  YAML::Emitter e;
  e << YAML::Flow << n;
  return e.c_str();
}

}  // namespace

// ---- Section --------------------------------------------------------------------------------

Section::Section(std::shared_ptr<Source> src, YAML::Node node, YAML::Node resolved, std::string path)
    : src_(std::move(src)), node_(node), resolved_(resolved), path_(std::move(path)) {}

std::string Section::key_path(const std::string& key) const { return path_.empty() ? key : path_ + "." + key; }

YAML::Node Section::lookup(const std::string& key) const {
  if (!node_ || !node_.IsMap()) return YAML::Node();
  const YAML::Node& n = node_;
  return n[key];
}

bool Section::has(const std::string& key) const {
  YAML::Node n = lookup(key);
  return n.IsDefined() && !n.IsNull();
}

std::string Section::location(const std::string& key) const {
  std::string kp = key_path(key);
  // A value --set gave (or one inside it: a list item's key) has no line in the file.
  for (const auto& o : src_->overridden)
    if (kp == o || kp.rfind(o + ".", 0) == 0 || kp.rfind(o + "[", 0) == 0 || o.rfind(kp + ".", 0) == 0)
      return src_->file + " (--set " + o + ")";
  // The key's own line: an empty value's mark is where the parser found the next token, a line on.
  YAML::Mark m = node_.Mark();
  if (node_ && node_.IsMap())
    for (const auto& kv : node_)
      if (kv.first.IsScalar() && kv.first.Scalar() == key && kv.first.Mark().line >= 0) m = kv.first.Mark();
  if (m.line >= 0) return src_->file + ":" + std::to_string(m.line + 1);
  return src_->file;
}

void Section::fail(const std::string& key, const std::string& what) const {
  usage_error("config error: " + location(key) + ": " + key_path(key) + ": " + what);
}

template <class T>
T Section::get(const std::string& key, const T& fallback, const Check<T>& check) {
  read_.push_back(key);
  YAML::Node n = lookup(key);
  T value = fallback;
  if (n.IsDefined()) {
    if (n.IsNull()) fail(key, std::string("missing value, expected ") + type_name(&value));
    if (!convert_scalar(n, value))
      fail(key, std::string("expected ") + type_name(&value) + ", got '" + shown(node_text(n)) + "'");
  }
  if (check)
    if (auto err = check(value)) fail(key, *err);
  resolved_[key] = to_node(value);
  return value;
}

int Section::get(const std::string& key, int fallback, const Check<int64_t>& check) {
  int64_t v = get<int64_t>(key, fallback, check);
  if (v > INT32_MAX || v < INT32_MIN) fail(key, "value out of the integer range: " + std::to_string(v));
  return static_cast<int>(v);
}

template <class T>
T Section::required(const std::string& key, const Check<T>& check) {
  if (!has(key)) fail(key, std::string("required key is missing (") + type_name(static_cast<T*>(nullptr)) + ")");
  return get<T>(key, T{}, check);
}

#define SLIFT_CONFIG_TYPE(T)                                                          \
  template T Section::get<T>(const std::string&, const T&, const Check<T>&); \
  template T Section::required<T>(const std::string&, const Check<T>&);
SLIFT_CONFIG_TYPE(bool)
SLIFT_CONFIG_TYPE(int64_t)
SLIFT_CONFIG_TYPE(double)
SLIFT_CONFIG_TYPE(std::string)
SLIFT_CONFIG_TYPE(std::vector<double>)
SLIFT_CONFIG_TYPE(std::vector<int64_t>)
SLIFT_CONFIG_TYPE(std::vector<std::string>)
#undef SLIFT_CONFIG_TYPE

Section Section::section(const std::string& key) {
  read_.push_back(key);
  YAML::Node n = lookup(key);
  if (n.IsDefined() && !n.IsNull() && !n.IsMap()) fail(key, "expected a mapping of keys, got '" + shown(node_text(n)) + "'");
  resolved_[key] = YAML::Node(YAML::NodeType::Map);
  return Section(src_, n.IsDefined() && !n.IsNull() ? n : YAML::Node(YAML::NodeType::Map), resolved_[key],
                 key_path(key));
}

std::vector<std::pair<std::string, std::string>> Section::entries(const std::string& key) {
  read_.push_back(key);
  YAML::Node n = lookup(key);
  std::vector<std::pair<std::string, std::string>> out;
  if (!n.IsDefined() || n.IsNull()) return out;
  if (!n.IsMap()) fail(key, "expected a mapping, got '" + shown(node_text(n)) + "'");
  for (const auto& kv : n) out.emplace_back(kv.first.as<std::string>(), node_text(kv.second));
  resolved_[key] = YAML::Clone(n);
  return out;
}

std::vector<Section> Section::list(const std::string& key) {
  read_.push_back(key);
  YAML::Node n = lookup(key);
  std::vector<Section> out;
  if (!n.IsDefined() || n.IsNull()) return out;
  if (!n.IsSequence()) fail(key, "expected a list, got '" + shown(node_text(n)) + "'");
  YAML::Node res(YAML::NodeType::Sequence);
  for (size_t i = 0; i < n.size(); ++i) {
    if (!n[i].IsMap()) fail(key, "item " + std::to_string(i) + " must be a mapping, got '" + shown(node_text(n[i])) + "'");
    res.push_back(YAML::Node(YAML::NodeType::Map));
  }
  resolved_[key] = res;
  for (size_t i = 0; i < n.size(); ++i)
    out.push_back(Section(src_, n[i], res[i], key_path(key) + "[" + std::to_string(i) + "]"));
  return out;
}

void Section::finish() { refuse_unknown(read_); }

void Section::expect_only(const std::vector<std::string>& known) const { refuse_unknown(known); }

void Section::refuse_unknown(const std::vector<std::string>& known_keys) const {
  if (!node_ || !node_.IsMap()) return;
  for (const auto& kv : node_) {
    std::string key = kv.first.as<std::string>();
    if (std::find(known_keys.begin(), known_keys.end(), key) != known_keys.end()) continue;
    std::string best;
    size_t best_d = 1000;
    for (const auto& known : known_keys) {
      size_t d = edit_distance(key, known);
      if (d < best_d) best_d = d, best = known;
    }
    std::string msg = "unknown key";
    if (!best.empty() && best_d <= std::max<size_t>(2, key.size() / 3)) msg += " (did you mean '" + best + "'?)";
    usage_error("config error: " + location(key) + ": " + key_path(key) + ": " + msg);
  }
}

// ---- Config ---------------------------------------------------------------------------------

namespace {

// Aliases share nodes in yaml-cpp's tree, but everything that walks the tree (the checks below,
// the resolved config, the stage hashes) walks them expanded: an alias inside its own anchor never
// ends (a stack overflow), and nested aliases ("billion laughs": nine levels of nine copies) grow
// exponentially. Both are refused from the parser's events, before any tree is built or walked.
constexpr int64_t kMaxValues = 100000;  // values after expanding aliases; shipped configs have < 1000
constexpr int64_t kMaxDepth = 64;       // nesting after expanding aliases; shipped configs have < 6

class StructureCheck : public YAML::EventHandler {
 public:
  // `where` starts every message; `line`: add the line of the problem to it.
  StructureCheck(std::string where, bool line) : where_(std::move(where)), line_(line) {}
  // Checks the first YAML document of `in`.
  void check(std::istream& in) {
    YAML::Parser parser(in);
    parser.HandleNextDocument(*this);
  }
  void OnDocumentStart(const YAML::Mark&) override {}
  void OnDocumentEnd() override {}
  void OnNull(const YAML::Mark& m, YAML::anchor_t a) override { value(m, a, {1, 1}); }
  void OnScalar(const YAML::Mark& m, const std::string&, YAML::anchor_t a, const std::string&) override {
    value(m, a, {1, 1});
  }
  void OnAlias(const YAML::Mark& m, YAML::anchor_t a) override {
    const auto it = anchors_.find(a);
    if (it != anchors_.end() && it->second.values < 0)
      fail(m, "a YAML alias inside its own anchor (a structure without end)");
    if (it != anchors_.end()) value(m, 0, it->second);
  }
  void OnSequenceStart(const YAML::Mark& m, const std::string&, YAML::anchor_t a, YAML::EmitterStyle::value) override {
    open(m, a);
  }
  void OnSequenceEnd() override { close(); }
  void OnMapStart(const YAML::Mark& m, const std::string&, YAML::anchor_t a, YAML::EmitterStyle::value) override {
    open(m, a);
  }
  void OnMapEnd() override { close(); }

 private:
  struct Size {
    int64_t values = 0, depth = 0;  // values < 0: the anchor's node is still open
  };
  struct Open {
    YAML::anchor_t anchor;
    YAML::Mark mark;
    Size size;
  };
  [[noreturn]] void fail(const YAML::Mark& m, const std::string& what) const {
    usage_error(where_ + (line_ ? ":" + std::to_string(m.line + 1) : std::string()) + ": " + what);
  }
  // A finished value (a scalar, an alias's expansion, a closed list or mapping) in its parent.
  void value(const YAML::Mark& m, YAML::anchor_t anchor, Size size) {
    if (anchor) anchors_[anchor] = size;
    total_ += size.values;
    if (total_ > kMaxValues)
      fail(m, "YAML aliases expand to more than " + std::to_string(kMaxValues) + " values (nested aliases)");
    if (static_cast<int64_t>(open_.size()) + size.depth > kMaxDepth)
      fail(m, "YAML nested deeper than " + std::to_string(kMaxDepth) + " levels (aliases expanded)");
    if (open_.empty()) return;
    Size& parent = open_.back().size;
    parent.values += size.values;
    parent.depth = std::max(parent.depth, size.depth);
  }
  void open(const YAML::Mark& m, YAML::anchor_t anchor) {
    if (anchor) anchors_[anchor] = {-1, 0};
    open_.push_back({anchor, m, {}});
    if (static_cast<int64_t>(open_.size()) > kMaxDepth)
      fail(m, "YAML nested deeper than " + std::to_string(kMaxDepth) + " levels (aliases expanded)");
  }
  void close() {
    const Open done = open_.back();
    open_.pop_back();
    total_ -= done.size.values;  // counted again, with the node itself, as the parent's value
    value(done.mark, done.anchor, {done.size.values + 1, done.size.depth + 1});
  }

  std::string where_;
  bool line_;
  std::map<YAML::anchor_t, Size> anchors_;
  std::vector<Open> open_;
  int64_t total_ = 0;
};

void apply_override(Source& src, const std::string& text) {
  auto eq = text.find('=');
  // Every message names the config file too: the override only makes sense next to it.
  const std::string where = "config error: " + src.file + ": bad --set '" + shown(text) + "': ";
  if (eq == std::string::npos || eq == 0) usage_error(where + "expected key.path=value");
  std::string path = text.substr(0, eq), value = text.substr(eq + 1);
  YAML::Node parsed;
  try {
    std::stringstream in(value);
    StructureCheck(where.substr(0, where.size() - 2), false).check(in);
    parsed = YAML::Load(value);
  } catch (const YAML::Exception& e) {
    usage_error(where + "value is not valid YAML: " + e.msg);
  }
  std::vector<std::string> keys;
  std::stringstream ss(path);
  for (std::string k; std::getline(ss, k, '.');) {
    if (k.empty()) usage_error(where + "empty key in '" + path + "'");
    keys.push_back(k);
  }
  // Walk with explicit copies: YAML::Node assignment rebinds, so we keep a vector of handles.
  std::vector<YAML::Node> chain{src.root};
  for (size_t i = 0; i + 1 < keys.size(); ++i) {
    // A key the file itself spells with dots (a sweep's `grid: {train.label_dim: ...}`) is
    // matched whole: --set grid.train.label_dim=[0,4] replaces that grid line.
    std::string rest = keys[i];
    for (size_t k = i + 1; k < keys.size(); ++k) rest += "." + keys[k];
    if (const YAML::Node here = chain.back(); here.IsMap() && here[rest].IsDefined()) {
      chain.back()[rest] = parsed;
      src.overridden.insert(path);
      return;
    }
    YAML::Node child = chain.back()[keys[i]];
    if (child.IsDefined() && !child.IsNull() && !child.IsMap())
      usage_error(where + "'" + keys[i] + "' is not a mapping");
    if (!child.IsDefined() || child.IsNull()) {
      chain.back()[keys[i]] = YAML::Node(YAML::NodeType::Map);
      child = chain.back()[keys[i]];
    }
    chain.push_back(child);
  }
  chain.back()[keys.back()] = parsed;
  src.overridden.insert(path);
}

// yaml-cpp keeps the first of two equal keys and ignores the second silently: refused here, with
// keys that are not plain names (a mapping or a list as a key).
void refuse_ambiguous_keys(const YAML::Node& n, const std::string& file, const std::string& path) {
  if (n.IsSequence())
    for (size_t i = 0; i < n.size(); ++i) refuse_ambiguous_keys(n[i], file, path + "[" + std::to_string(i) + "]");
  if (!n.IsMap()) return;
  std::set<std::string> seen;
  for (const auto& kv : n) {
    const std::string where = "config error: " + file + ":" + std::to_string(kv.first.Mark().line + 1) + ": ";
    if (!kv.first.IsScalar()) usage_error(where + "a key must be a name, got '" + shown(node_text(kv.first)) + "'");
    const std::string key = path.empty() ? kv.first.Scalar() : path + "." + kv.first.Scalar();
    if (!seen.insert(kv.first.Scalar()).second) usage_error(where + key + ": given twice (one value per key)");
    refuse_ambiguous_keys(kv.second, file, key);
  }
}

// Whether the text holds a second YAML document with content (yaml-cpp's Load reads the first
// one and ignores the rest). Events are only looked at: YAML::LoadAll never ended on some inputs
// (found by tests/fuzz). Returns the second document's line, or -1.
// Checks the first document's structure (StructureCheck) on the way.
int second_document_line(const std::string& file, const std::string& text) {
  struct Watcher : YAML::EventHandler {
    int line = -1;
    void note(const YAML::Mark& m) {
      if (line < 0) line = m.line;
    }
    void OnDocumentStart(const YAML::Mark&) override {}
    void OnDocumentEnd() override {}
    void OnNull(const YAML::Mark& m, YAML::anchor_t) override { note(m); }
    void OnAlias(const YAML::Mark& m, YAML::anchor_t) override { note(m); }
    void OnScalar(const YAML::Mark& m, const std::string&, YAML::anchor_t, const std::string&) override { note(m); }
    void OnSequenceStart(const YAML::Mark& m, const std::string&, YAML::anchor_t, YAML::EmitterStyle::value) override {
      note(m);
    }
    void OnSequenceEnd() override {}
    void OnMapStart(const YAML::Mark& m, const std::string&, YAML::anchor_t, YAML::EmitterStyle::value) override {
      note(m);
    }
    void OnMapEnd() override {}
  } second;
  std::stringstream in(text);
  YAML::Parser parser(in);
  StructureCheck first("config error: " + file, true);
  parser.HandleNextDocument(first);
  parser.HandleNextDocument(second);
  return second.line;
}

// The file's tree, parsed and checked. A sweep loads its base config once per run (thousands):
// the checks (a second parse for a second document, the keys) are done once per (file, text).
// The tree itself is parsed every time: a clone would lose the line numbers of its messages.
YAML::Node parse_checked(const std::string& file, const std::string& text) {
  static std::set<std::pair<std::string, std::string>> checked;
  YAML::Node root;
  const bool known = checked.count({file, text}) > 0;
  try {
    // The structure first: the tree of a recursive alias is cyclic, so nothing may walk it.
    if (!known)
      if (const int line = second_document_line(file, text); line >= 0)
        usage_error("config error: " + file + ":" + std::to_string(line + 1) + ": a second YAML document (one config per file)");
    root = YAML::Load(text);
    if (known) return root;
  } catch (const YAML::ParserException& e) {
    usage_error("config error: " + file + ":" + std::to_string(e.mark.line + 1) + ": YAML syntax: " + e.msg);
  }
  refuse_ambiguous_keys(root, file, "");
  checked.insert({file, text});
  return root;
}

Config make(std::shared_ptr<Source> src, const std::string& text, const std::vector<std::string>& overrides) {
  src->root = parse_checked(src->file, text);
  if (src->root.IsNull()) src->root = YAML::Node(YAML::NodeType::Map);
  if (!src->root.IsMap()) usage_error("config error: " + src->file + ": the top level must be a mapping of keys");
  for (const auto& o : overrides) apply_override(*src, o);
  src->resolved = YAML::Node(YAML::NodeType::Map);
  return Config::from_source(src);
}

}  // namespace

Config Config::from_source(std::shared_ptr<Source> src) {
  Config c;
  c.src_ = std::move(src);
  return c;
}

Config Config::load(const std::string& file, const std::vector<std::string>& overrides) {
  if (std::filesystem::is_directory(file)) usage_error("config error: '" + file + "' is a directory, not a config file");
  std::ifstream in(file);
  if (!in) usage_error("config error: cannot read config file '" + file + "'");
  std::stringstream buf;
  buf << in.rdbuf();
  if (in.bad()) usage_error("config error: cannot read config file '" + file + "'");
  auto src = std::make_shared<Source>();
  src->file = file;
  return make(src, buf.str(), overrides);
}

Config Config::from_string(const std::string& text, const std::string& name, const std::vector<std::string>& overrides) {
  auto src = std::make_shared<Source>();
  src->file = name;
  return make(src, text, overrides);
}

Section Config::root() { return Section(src_, src_->root, src_->resolved, ""); }
const std::string& Config::file() const { return src_->file; }
YAML::Node Config::resolved() const { return src_->resolved; }

std::string Config::resolved_yaml() const {
  YAML::Emitter e;
  e.SetSeqFormat(YAML::Flow);
  e << src_->resolved;
  return std::string(e.c_str()) + "\n";
}

std::string canonical(const YAML::Node& node) {
  if (!node.IsDefined() || node.IsNull()) return "null";
  if (node.IsScalar()) return "\"" + node.Scalar() + "\"";
  std::string out;
  if (node.IsSequence()) {
    out = "[";
    for (size_t i = 0; i < node.size(); ++i) out += (i ? "," : "") + canonical(node[i]);
    return out + "]";
  }
  std::map<std::string, std::string> sorted;
  for (const auto& kv : node) sorted[kv.first.as<std::string>()] = canonical(kv.second);
  out = "{";
  bool first = true;
  for (const auto& [k, v] : sorted) out += (first ? "" : ",") + ("\"" + k + "\":" + v), first = false;
  return out + "}";
}

}  // namespace slift::config
