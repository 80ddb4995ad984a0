// Counter-based randomness (Random123 Philox4x32-10).
//
// A stream is keyed by (seed, purpose) and indexed by a stream number (usually the trajectory
// index), so trajectory i draws the same numbers whichever MPI rank or thread computes it.
// Purposes are named by strings hashed at compile time, so a new part of the code picks its own
// purpose without a central list: Rng(seed, traj, "wave.medium").
#pragma once
#include <array>
#include <cstdint>
#include <string_view>

namespace slift {

constexpr uint32_t purpose_id(std::string_view name) {
  uint32_t h = 2166136261u;  // FNV-1a
  for (char c : name) h = (h ^ static_cast<uint8_t>(c)) * 16777619u;
  return h;
}

class Rng {
 public:
  // Philox4x32-10's key (two 32-bit words).
  using Key = std::array<uint32_t, 2>;
  // The key of every stream of (seed, purpose).
  static Key key(uint64_t seed, uint32_t purpose);

  Rng(uint64_t seed, uint64_t stream, std::string_view purpose)
      : Rng(seed, stream, purpose_id(purpose)) {}
  Rng(uint64_t seed, uint64_t stream, uint32_t purpose);

  uint32_t next_u32();
  uint64_t next_u64();
  double uniform();       // in (0, 1): never exactly 0 or 1
  double normal();        // standard normal (Box-Muller on two uniforms, no cached second value)
  uint64_t below(uint64_t n);  // uniform integer in [0, n), unbiased

  // Position in the stream, for checkpoints that resume exactly.
  // block_ counts the block after the buffered one, so a full buffer started at (block_ - 1) * 4.
  uint64_t position() const { return lane_ == 4 ? block_ * 4 : (block_ - 1) * 4 + lane_; }
  void seek(uint64_t position);

  // The stream's key and number, for the same draws made elsewhere (learner/tensor_rng.hpp):
  // 32-bit word w of the stream is word w % 4 of Philox block w / 4 with counter (block, stream).
  const Key& key() const { return key_; }
  uint64_t stream() const { return (static_cast<uint64_t>(stream_hi_) << 32) | stream_lo_; }

 private:
  void refill();
  Key key_;
  uint32_t stream_lo_, stream_hi_;
  uint64_t block_ = 0;  // counter of the next 4-word block
  uint32_t lane_ = 4;   // next word in buf_ (4 = empty)
  uint32_t buf_[4] = {0, 0, 0, 0};
};

}  // namespace slift
