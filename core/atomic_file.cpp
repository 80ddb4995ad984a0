#include "core/atomic_file.hpp"

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>

#include "core/error.hpp"

namespace slift {

void write_file_atomic(const std::string& path, const std::string& content) {
  auto parent = std::filesystem::path(path).parent_path();
  if (!parent.empty()) std::filesystem::create_directories(parent);
  const std::string tmp = path + ".tmp";
  {
    std::ofstream out(tmp, std::ios::binary);
    out << content;
    out.flush();
    if (!out) {
      const std::string reason = std::strerror(errno);  // e.g. the disk is full
      std::filesystem::remove(tmp);
      runtime_error("cannot write " + tmp + ": " + reason);
    }
  }
  std::filesystem::rename(tmp, path);
}

}  // namespace slift
