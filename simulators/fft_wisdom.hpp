// Measured FFT plans that every rank and thread of a run shares (`simulate.fft_plans: measure`).
//
// FFTW_MEASURE times candidate algorithms and keeps the fastest, so two processes may choose
// differently, and different algorithms round differently. Wisdom, FFTW's record of its choices,
// fixes them: rank 0 plans with FFTW_MEASURE starting from the wisdom file beside the data (so
// reruns and later runs writing there choose as before; sizes it lacks are measured and added),
// and every other rank plans from rank 0's wisdom alone. Each data set records the wisdom its
// plans came from, and a resumed .partial plans from that record, so every block of a file comes
// from the same plans whatever the file beside it holds by then.
#pragma once
#include <string>

namespace slift::sim {

// The root attribute of a data set that holds the wisdom of its measured plans.
inline constexpr const char* kWisdomAttribute = "fftw_wisdom";

// The wisdom file of the data set at `data_path`: "fftw-wisdom" in the same directory.
std::string wisdom_path(const std::string& data_path);

// The wisdom file, locked while this object lives: a second run writing beside the same data
// waits until this one has planned and stored what it measured.
class WisdomFile {
 public:
  // Opens the file (made empty if absent); text this FFTW cannot read as wisdom is a usage error
  // naming the file (remove it to measure afresh).
  explicit WisdomFile(const std::string& path);
  ~WisdomFile();
  WisdomFile(const WisdomFile&) = delete;
  WisdomFile& operator=(const WisdomFile&) = delete;

  const std::string& text() const { return text_; }
  // Replaces the file, atomically, when `wisdom` (exported after planning from text()) holds
  // entries it lacks; returns the file's text. FFTW may list the same entries in another order:
  // the file keeps its own, so runs that measured nothing record the same text.
  const std::string& store(const std::string& wisdom);

 private:
  std::string path_, text_;
  int lock_ = -1;
};

}  // namespace slift::sim
