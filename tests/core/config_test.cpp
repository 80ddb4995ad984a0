// The config core API: defaults recorded, overrides, canonical text, type and range checks.
#include <gtest/gtest.h>

#include <string>

#include "core/config.hpp"
#include "core/error.hpp"
#include "support/test_support.hpp"

using slift::Error;
using slift::ExitCode;
using slift::config::Config;
using slift::config::Section;

using slift::test::usage_message;

namespace {

// A small typed reader standing in for a real section parser.
struct Demo {
  int64_t n = 0;
  double dt = 0;
  std::string mode;
  std::vector<double> x0;
};
Demo read_demo(Config& c) {
  Section root = c.root();
  root.get<int64_t>("other", 0);
  Section s = root.section("sim");
  Demo d;
  d.n = s.get<int64_t>("n", 10, slift::config::at_least(1));
  d.dt = s.get<double>("dt", 0.5, slift::config::positive());
  d.mode = s.get<std::string>("mode", "fast", slift::config::one_of({"fast", "exact"}));
  d.x0 = s.get<std::vector<double>>("x0", {1.0, 2.0});
  s.finish();
  root.finish();
  return d;
}

}  // namespace

TEST(Config, DefaultsAreRecordedInTheResolvedConfig) {
  Config c = Config::from_string("sim:\n  n: 3\n", "demo.yaml");
  Demo d = read_demo(c);
  EXPECT_EQ(d.n, 3);
  EXPECT_EQ(d.dt, 0.5);
  YAML::Node r = c.resolved();
  ASSERT_TRUE(r["sim"].IsMap());
  EXPECT_EQ(r["sim"]["n"].as<int64_t>(), 3);
  EXPECT_EQ(r["sim"]["dt"].as<double>(), 0.5);  // never in the file: the default
  EXPECT_EQ(r["sim"]["mode"].as<std::string>(), "fast");
  EXPECT_EQ(r["sim"]["x0"].size(), 2u);
  std::string text = c.resolved_yaml();
  EXPECT_NE(text.find("dt: 0.5"), std::string::npos) << text;
  EXPECT_NE(text.find("mode: fast"), std::string::npos) << text;
}

TEST(Config, OverridesWinOverFileValues) {
  Config c = Config::from_string("sim:\n  n: 3\n  mode: exact\n", "demo.yaml", {"sim.n=7", "sim.dt=0.25"});
  Demo d = read_demo(c);
  EXPECT_EQ(d.n, 7);
  EXPECT_EQ(d.dt, 0.25);
  EXPECT_EQ(d.mode, "exact");
  EXPECT_EQ(c.resolved()["sim"]["n"].as<int64_t>(), 7);
  // An override can create a section that the file lacks, with a YAML list value.
  Config c2 = Config::from_string("{}", "demo.yaml", {"sim.x0=[3, 4, 5]"});
  EXPECT_EQ(read_demo(c2).x0, (std::vector<double>{3, 4, 5}));
}

TEST(Config, OverrideMatchesAKeyTheFileSpellsWithDots) {
  // A sweep's grid keys are dotted paths into the base config: --set grid.train.label_dim=...
  // replaces that grid line instead of nesting a new train: {label_dim: ...} under grid.
  Config c = Config::from_string("grid:\n  train.label_dim: [0, 1, 64]\n", "sweep.yaml", {"grid.train.label_dim=[0, 4]"});
  auto grid = c.root().entries("grid");
  ASSERT_EQ(grid.size(), 1u);
  EXPECT_EQ(grid[0].first, "train.label_dim");
  EXPECT_EQ(YAML::Load(grid[0].second).size(), 2u) << grid[0].second;
  // Without such a key the path nests as before.
  Config d = Config::from_string("grid:\n  seed: [1]\n", "sweep.yaml", {"grid.train.lr=[0.1]"});
  EXPECT_TRUE(d.root().section("grid").section("train").has("lr"));
}

TEST(Config, CanonicalIgnoresKeyOrderAndComments) {
  Config a = Config::from_string("# first\nsim:\n  n: 3   # three\n  dt: 0.1\nother: 1\n", "a.yaml");
  Config b = Config::from_string("other: 1\nsim:\n  dt: 0.10\n\n  n: 3\n", "b.yaml");
  Config c = Config::from_string("other: 1\nsim:\n  dt: 0.2\n  n: 3\n", "c.yaml");
  for (Config* x : {&a, &b, &c}) read_demo(*x);
  using slift::config::canonical;
  // The resolved trees hold typed values, so 0.1 and 0.10 are the same number.
  EXPECT_EQ(canonical(a.resolved()), canonical(b.resolved()));
  EXPECT_NE(canonical(a.resolved()), canonical(c.resolved()));
  // Raw trees: key order and comments do not matter either.
  EXPECT_EQ(canonical(YAML::Load("{a: 1, b: [1, 2], c: {x: 1, y: 2}}")),
            canonical(YAML::Load("# c\nc: {y: 2, x: 1}\nb: [1, 2]\na: 1\n")));
  EXPECT_NE(canonical(YAML::Load("{b: [1, 2]}")), canonical(YAML::Load("{b: [2, 1]}")));
  EXPECT_NE(canonical(YAML::Load("{a: {b: 1}}")), canonical(YAML::Load("{a: {c: 1}}")));
}

TEST(Config, IntegerRangeChecks) {
  auto read = [](const std::string& text) {
    Config c = Config::from_string(text, "r.yaml");
    Section s = c.root();
    return s.get<int64_t>("k", 5, slift::config::int_range(1, 10));
  };
  EXPECT_EQ(read("k: 1"), 1);
  EXPECT_EQ(read("k: 10"), 10);
  EXPECT_EQ(read("{}"), 5);
  std::string m = usage_message([&] { read("k: 0"); });
  EXPECT_NE(m.find("r.yaml:1"), std::string::npos) << m;
  EXPECT_NE(m.find("k: must be in [1, 10], got 0"), std::string::npos) << m;
  EXPECT_NE(usage_message([&] { read("k: 11"); }), "");
  // The int overload refuses values that do not fit 32 bits instead of wrapping them.
  Config c = Config::from_string("w: 5000000000", "r.yaml");
  Section s = c.root();
  m = usage_message([&] { s.get("w", 1); });
  EXPECT_NE(m.find("w: value out of the integer range"), std::string::npos) << m;
}

TEST(Config, IntegersAcceptFloatNotationOnlyForWholeValues) {
  auto read = [](const std::string& value) {
    Config c = Config::from_string("k: " + value, "i.yaml");
    Section s = c.root();
    return s.get<int64_t>("k", 0);
  };
  EXPECT_EQ(read("1e3"), 1000);
  EXPECT_EQ(read("2.0"), 2);
  EXPECT_EQ(read("-4"), -4);
  std::string m = usage_message([&] { read("1.5"); });
  EXPECT_NE(m.find("k: expected an integer, got '1.5'"), std::string::npos) << m;
  EXPECT_NE(usage_message([&] { read("ten"); }), "");
  EXPECT_NE(usage_message([&] { read("1e30"); }), "");
  EXPECT_NE(usage_message([&] { read("[1]"); }), "");
}

TEST(Config, WrongTypesAndMissingValuesNameTheKeyAndLine) {
  Config c = Config::from_string("a: 1\nsim:\n  dt: fast\n  n:\n", "t.yaml");
  Section root = c.root();
  Section s = root.section("sim");
  std::string m = usage_message([&] { s.get<double>("dt", 1.0); });
  EXPECT_EQ(m, "config error: t.yaml:3: sim.dt: expected a number, got 'fast'");
  m = usage_message([&] { s.get<int64_t>("n", 1); });
  EXPECT_NE(m.find("sim.n: missing value"), std::string::npos) << m;
  m = usage_message([&] { s.required<std::string>("system"); });
  EXPECT_NE(m.find("sim.system: required key is missing"), std::string::npos) << m;
  m = usage_message([&] { s.get<bool>("dt", false); });
  EXPECT_NE(m.find("expected a boolean"), std::string::npos) << m;
}

TEST(Config, UnknownKeysGetASuggestionAndTheirLine) {
  Config c = Config::from_string("sim:\n  n: 3\n  dtt: 0.1\n", "u.yaml");
  std::string m = usage_message([&] { read_demo(c); });
  EXPECT_EQ(m, "config error: u.yaml:3: sim.dtt: unknown key (did you mean 'dt'?)");
  // Nothing close: no suggestion.
  Config c2 = Config::from_string("sim:\n  completely_different: 1\n", "u.yaml");
  m = usage_message([&] { read_demo(c2); });
  EXPECT_NE(m.find("sim.completely_different: unknown key"), std::string::npos) << m;
  EXPECT_EQ(m.find("did you mean"), std::string::npos) << m;
}

TEST(Config, OverrideErrorsNameTheFileAndTheOverride) {
  std::string m = usage_message([] { Config::from_string("{}", "o.yaml", {"sim.n"}); });
  EXPECT_NE(m.find("o.yaml"), std::string::npos) << m;
  EXPECT_NE(m.find("sim.n"), std::string::npos) << m;
  m = usage_message([] { Config::from_string("{}", "o.yaml", {"sim..n=3"}); });
  EXPECT_NE(m.find("empty key"), std::string::npos) << m;
  m = usage_message([] { Config::from_string("sim: 3", "o.yaml", {"sim.n=3"}); });
  EXPECT_NE(m.find("not a mapping"), std::string::npos) << m;
  Config c = Config::from_string("sim:\n  n: 3\n", "o.yaml", {"sim.nn=4"});
  m = usage_message([&] { read_demo(c); });
  EXPECT_NE(m.find("o.yaml"), std::string::npos) << m;
  EXPECT_NE(m.find("--set sim.nn"), std::string::npos) << m;
  EXPECT_NE(m.find("did you mean 'n'"), std::string::npos) << m;
}

TEST(Config, SyntaxErrorsAndNonMappingsAreUsageErrors) {
  std::string m = usage_message([] { Config::from_string("a: [1, 2\nb: 3\n", "s.yaml"); });
  EXPECT_NE(m.find("s.yaml:"), std::string::npos) << m;
  EXPECT_NE(m.find("YAML syntax"), std::string::npos) << m;
  m = usage_message([] { Config::from_string("- 1\n- 2\n", "s.yaml"); });
  EXPECT_NE(m.find("top level must be a mapping"), std::string::npos) << m;
  m = usage_message([] { Config::load("/nonexistent/dir/x.yaml"); });
  EXPECT_NE(m.find("cannot read config file"), std::string::npos) << m;
}
