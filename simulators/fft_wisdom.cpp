#include "simulators/fft_wisdom.hpp"

#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <vector>

#include "core/atomic_file.hpp"
#include "core/error.hpp"
#include "simulators/fftw.hpp"

namespace slift::sim {

std::string wisdom_path(const std::string& data_path) {
  return (std::filesystem::path(data_path).parent_path() / "fftw-wisdom").string();
}

WisdomFile::WisdomFile(const std::string& path) : path_(path) {
  const auto parent = std::filesystem::path(path).parent_path();
  if (!parent.empty()) std::filesystem::create_directories(parent);
  lock_ = open_in_place(path, LOCK_EX);
  std::ostringstream text;
  text << std::ifstream(path, std::ios::binary).rdbuf();
  text_ = text.str();
  if (!text_.empty() && !is_fftw_wisdom(text_)) {
    ::close(lock_);
    usage_error(path + ": not wisdom that FFTW " + fftw_version +
                " can read (simulate.fft_plans: measure plans from it); remove it to measure afresh");
  }
}

WisdomFile::~WisdomFile() { ::close(lock_); }

namespace {

std::vector<std::string> sorted_lines(const std::string& text) {
  std::vector<std::string> lines;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) lines.push_back(line);
  std::sort(lines.begin(), lines.end());
  return lines;
}

}  // namespace

const std::string& WisdomFile::store(const std::string& wisdom) {
  if (sorted_lines(wisdom) != sorted_lines(text_)) write_file_atomic(path_, wisdom), text_ = wisdom;
  return text_;
}

}  // namespace slift::sim
