#include "core/atomic_file.hpp"

#include <fcntl.h>
#include <sys/file.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <filesystem>

#include "core/error.hpp"

namespace slift {
namespace {

[[noreturn]] void cannot(const std::string& what, const std::string& path, int err) {
  runtime_error("cannot " + what + " " + path + ": " + std::strerror(err));
}

// Closes a descriptor when it goes out of scope.
struct Fd {
  int fd;
  ~Fd() {
    if (fd >= 0) ::close(fd);
  }
};

// A name no other writer picks: the O_EXCL create is what makes it ours, the randomness only
// makes a clash (a leftover of a killed writer, a planted link) rare.
std::string temporary_name(const std::string& name) {
  uint32_t r = 0;
  if (::getrandom(&r, sizeof r, 0) != static_cast<ssize_t>(sizeof r)) r ^= static_cast<uint32_t>(::getpid());
  char suffix[16];
  std::snprintf(suffix, sizeof suffix, ".tmp.%08x", r);
  return name + suffix;
}

void write_all(int fd, const std::string& content, const std::string& path) {
  for (size_t done = 0; done < content.size();) {
    const ssize_t n = ::write(fd, content.data() + done, content.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) cannot("write", path, errno);  // e.g. the disk is full
    done += static_cast<size_t>(n);
  }
  if (::fsync(fd) != 0) cannot("write", path, errno);
}

}  // namespace

void create_directories(const std::string& dir) {
  std::error_code ec;
  std::filesystem::create_directories(dir, ec);
  if (ec) runtime_error("cannot create directory " + dir + ": " + ec.message());
}

void write_file_atomic(const std::string& path, const std::string& content) {
  const std::filesystem::path target(path);
  const std::string dir = target.has_parent_path() ? target.parent_path().string() : ".";
  const std::string name = target.filename().string();
  create_directories(dir);
  // Everything under one descriptor of the directory: a directory renamed or replaced by a link
  // meanwhile cannot redirect the temporary or the rename.
  const Fd d{::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC)};
  if (d.fd < 0) cannot("open directory", dir, errno);
  std::string tmp;
  int fd = -1;
  for (int attempt = 0; fd < 0; ++attempt) {
    tmp = temporary_name(name);
    fd = ::openat(d.fd, tmp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0666);
    if (fd < 0 && (errno != EEXIST || attempt == 100)) cannot("create a file in directory", dir, errno);
  }
  const Fd file{fd};
  try {
    write_all(fd, content, (target.parent_path() / tmp).string());
    if (::renameat(d.fd, tmp.c_str(), d.fd, name.c_str()) != 0) cannot("replace", path, errno);
  } catch (...) {
    ::unlinkat(d.fd, tmp.c_str(), 0);
    throw;
  }
  ::fsync(d.fd);  // the rename itself survives a crash
}

int open_in_place(const std::string& path, int operation, bool data) {
  for (;;) {
    const int fd = ::open(path.c_str(), O_RDWR | O_CREAT | O_NOFOLLOW | O_CLOEXEC, 0644);
    if (fd < 0 && errno == ELOOP)
      usage_error(path + " is a symbolic link; slift never writes through a link at a name it uses: remove it");
    if (fd < 0) cannot("open", path, errno);
    Fd guard{fd};
    struct stat held {};
    if (::fstat(fd, &held) != 0) cannot("open", path, errno);
    if (!S_ISREG(held.st_mode) || (data && held.st_nlink != 1))
      usage_error(path + " is not a plain file (a hard link, a device or a pipe); slift never writes through it: remove it");
    if (operation != 0 && ::flock(fd, operation) != 0) {
      if (errno == EWOULDBLOCK) return -1;
      cannot("lock", path, errno);
    }
    struct stat named {};
    if (::lstat(path.c_str(), &named) == 0 && named.st_ino == held.st_ino && named.st_dev == held.st_dev) {
      guard.fd = -1;
      return fd;
    }
    // renamed into place by its holder meanwhile: open the file that now bears the name
  }
}

void check_output(const std::string& flag, const std::string& out,
                  const std::vector<std::pair<std::string, std::string>>& inputs, bool force) {
  std::error_code ec;
  if (std::filesystem::is_directory(out)) usage_error(flag + " " + out + " is a directory; name a file");
  for (const auto& [input, what] : inputs)
    if (std::filesystem::equivalent(out, input, ec)) usage_error(flag + " " + out + " is " + what + " itself");
  if (std::filesystem::exists(std::filesystem::symlink_status(out)) && !force)
    usage_error(flag + " " + out + " exists; pass --force to replace it");
}

const std::string& path_component(const std::string& name, const std::string& what) {
  const auto control = [](char c) { return static_cast<unsigned char>(c) < 0x20 || c == 0x7f; };
  if (name.empty() || name == "." || name == ".." || name.find('/') != std::string::npos ||
      std::any_of(name.begin(), name.end(), control)) {
    std::string shown = name;  // on one line
    std::replace_if(shown.begin(), shown.end(), control, '?');
    usage_error(what + ": '" + shown + "' is not a plain file name (one path component, no '/', '..' or control characters)");
  }
  return name;
}

}  // namespace slift
