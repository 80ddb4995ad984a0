#include "core/log.hpp"

#include <unistd.h>

#include <cmath>
#include <cstdio>

namespace slift::log {

static Level g_level = Level::normal;
static int g_rank = 0;

void set_level(Level level) { g_level = level; }
Level level() { return g_level; }
void set_rank(int r) { g_rank = r; }
int rank() { return g_rank; }

void info(const std::string& m) {
  if (g_rank == 0 && g_level >= Level::normal) std::fprintf(stdout, "%s\n", m.c_str()), std::fflush(stdout);
}
void detail(const std::string& m) {
  if (g_rank == 0 && g_level >= Level::verbose) std::fprintf(stdout, "%s\n", m.c_str()), std::fflush(stdout);
}
void warn(const std::string& m) {
  if (g_rank == 0) std::fprintf(stderr, "warning: %s\n", m.c_str());
}
void error(const std::string& m) {
  if (g_rank == 0) std::fprintf(stderr, "error: %s\n", m.c_str());
  else std::fprintf(stderr, "error (rank %d): %s\n", g_rank, m.c_str());
}

std::string format_duration(double s) {
  char buf[32];
  if (!std::isfinite(s)) return "?";
  if (s < 60) std::snprintf(buf, sizeof buf, "%.1fs", s);
  else if (s < 3600) std::snprintf(buf, sizeof buf, "%dm%02ds", int(s) / 60, int(s) % 60);
  else std::snprintf(buf, sizeof buf, "%dh%02dm", int(s) / 3600, (int(s) % 3600) / 60);
  return buf;
}

Progress::Progress(std::string label, uint64_t total, std::string unit, double interval)
    : label_(std::move(label)), unit_(std::move(unit)), total_(total), interval_(interval),
      tty_(isatty(STDERR_FILENO) != 0), active_(g_rank == 0 && g_level >= Level::normal),
      start_(std::chrono::steady_clock::now()), last_(start_) {}

Progress::~Progress() { done(); }

void Progress::advance(uint64_t n, const std::string& extra) {
  count_ += n;
  if (!extra.empty()) extra_ = extra;
  if (!active_) return;
  auto now = std::chrono::steady_clock::now();
  double since = std::chrono::duration<double>(now - last_).count();
  if ((tty_ && since > 0.1) || (!tty_ && since >= interval_)) {
    last_ = now;
    draw(false);
  }
}

void Progress::done() {
  if (finished_) return;
  finished_ = true;
  if (active_) draw(true);
}

void Progress::draw(bool final) {
  double el = std::chrono::duration<double>(std::chrono::steady_clock::now() - start_).count();
  double rate = el > 0 ? count_ / el : 0;
  double eta = rate > 0 ? (total_ - std::min(count_, total_)) / rate : NAN;
  double frac = total_ ? double(count_) / total_ : 1.0;
  char head[160];
  std::snprintf(head, sizeof head, "%s %llu/%llu %s, %.3g %s/s, %s %s", label_.c_str(),
                (unsigned long long)count_, (unsigned long long)total_, unit_.c_str(), rate, unit_.c_str(),
                final ? "took" : "eta", format_duration(final ? el : eta).c_str());
  if (tty_) {
    const int width = 24;
    int filled = static_cast<int>(std::lround(frac * width));
    std::string bar = "[" + std::string(filled, '#') + std::string(width - filled, '.') + "]";
    std::fprintf(stderr, "\r\033[K%s %s %s", bar.c_str(), head, extra_.c_str());
    if (final) std::fprintf(stderr, "\n");
  } else {
    std::fprintf(stderr, "%s %s\n", head, extra_.c_str());
  }
  std::fflush(stderr);
}

}  // namespace slift::log
