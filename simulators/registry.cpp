#include <map>

#include "core/error.hpp"
#include "simulators/system.hpp"

namespace slift::sim {
namespace {
struct Entry {
  std::string summary;
  Factory factory;
};
std::map<std::string, Entry>& registry() {
  static std::map<std::string, Entry> r;  // filled by static Registration objects
  return r;
}
}  // namespace

Registration::Registration(const std::string& name, const std::string& summary, Factory factory) {
  registry()[name] = {summary, std::move(factory)};
}

std::vector<std::string> system_names() {
  std::vector<std::string> names;
  for (const auto& kv : registry()) names.push_back(kv.first);
  return names;
}

std::unique_ptr<System> make_system(config::Section& simulate) {
  std::string name = simulate.required<std::string>("system", config::one_of(system_names()));
  return registry().at(name).factory(simulate);
}

}  // namespace slift::sim
