// Rank-0 logging and progress.
//
// Only rank 0 prints ordinary messages; errors print on any rank. Progress shows a bar with
// rate and ETA when stderr is a terminal, and a one-line log every `interval` seconds otherwise
// (SLURM logs stay readable).
#pragma once
#include <chrono>
#include <cstdint>
#include <string>

namespace slift::log {

enum class Level { quiet = 0, normal = 1, verbose = 2 };

void set_level(Level level);
Level level();
void set_rank(int rank);  // set once MPI is up; before that every process is rank 0
int rank();

void info(const std::string& message);     // rank 0, unless quiet
void detail(const std::string& message);   // rank 0, only when verbose
void warn(const std::string& message);     // rank 0, to stderr
void error(const std::string& message);    // any rank, to stderr

class Progress {
 public:
  Progress(std::string label, uint64_t total, std::string unit = "it", double interval_seconds = 10.0);
  ~Progress();
  void advance(uint64_t n = 1, const std::string& extra = "");  // extra: e.g. "loss 1.2e-3"
  void done();

 private:
  void draw(bool final);
  std::string label_, unit_, extra_;
  uint64_t total_, count_ = 0;
  double interval_;
  bool tty_, active_, finished_ = false;
  std::chrono::steady_clock::time_point start_, last_;
};

// Seconds since construction, for per-phase timers.
class Stopwatch {
 public:
  Stopwatch() : start_(std::chrono::steady_clock::now()) {}
  double seconds() const {
    return std::chrono::duration<double>(std::chrono::steady_clock::now() - start_).count();
  }

 private:
  std::chrono::steady_clock::time_point start_;
};

std::string format_duration(double seconds);  // "1m23s"

}  // namespace slift::log
