// libFuzzer target: the config parser on any text. Every input must end in a parsed config or a
// slift::Error (exit code 2 in the command); anything else (another exception, a crash, a
// sanitizer report) is a finding.
#include <cstddef>
#include <cstdint>
#include <string>

#include "core/config.hpp"
#include "core/error.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string text(reinterpret_cast<const char*>(data), size);
  try {
    slift::config::Config c = slift::config::Config::from_string(text, "fuzz.yaml", {"simulate.n_train=3"});
    slift::config::Section root = c.root();
    slift::config::Section sim = root.section("simulate");
    sim.get<std::string>("system", "duffing");
    sim.get<int64_t>("n_train", 1, slift::config::at_least(1));
    sim.get<std::vector<double>>("center", {0.0, 0.0});
    sim.list("wells");
    sim.entries("grid");
    slift::config::canonical(c.root().resolved());
    c.resolved_yaml();
    root.finish();
  } catch (const slift::Error&) {
  }
  return 0;
}
