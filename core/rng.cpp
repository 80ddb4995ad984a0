#include "core/rng.hpp"

#include <Random123/philox.h>

#include <cmath>

namespace slift {

Rng::Key Rng::key(uint64_t seed, uint32_t purpose) {
  // 32 bits of seed mixed with the purpose, and the high seed bits.
  return {static_cast<uint32_t>(seed) ^ (purpose * 0x9E3779B9u), static_cast<uint32_t>(seed >> 32) ^ purpose};
}

Rng::Rng(uint64_t seed, uint64_t stream, uint32_t purpose) : key_(key(seed, purpose)) {
  // Counter: (block, stream).
  stream_lo_ = static_cast<uint32_t>(stream);
  stream_hi_ = static_cast<uint32_t>(stream >> 32);
}

void Rng::refill() {
  r123::Philox4x32 gen;
  r123::Philox4x32::ctr_type ctr = {{static_cast<uint32_t>(block_), static_cast<uint32_t>(block_ >> 32),
                                     stream_lo_, stream_hi_}};
  r123::Philox4x32::key_type key = {{key_[0], key_[1]}};
  auto out = gen(ctr, key);
  for (int i = 0; i < 4; ++i) buf_[i] = out.v[i];
  ++block_;
  lane_ = 0;
}

uint32_t Rng::next_u32() {
  if (lane_ == 4) refill();
  return buf_[lane_++];
}

uint64_t Rng::next_u64() {
  uint64_t hi = next_u32();
  return (hi << 32) | next_u32();
}

double Rng::uniform() {
  // 53 random bits mapped to the open interval (0, 1).
  return (static_cast<double>(next_u64() >> 11) + 0.5) * 0x1.0p-53;
}

double Rng::normal() {
  double u1 = uniform(), u2 = uniform();
  return std::sqrt(-2.0 * std::log(u1)) * std::cos(2.0 * M_PI * u2);
}

uint64_t Rng::below(uint64_t n) {
  // Lemire-style rejection on 64 bits keeps the draw unbiased.
  uint64_t limit = UINT64_MAX - UINT64_MAX % n;
  uint64_t x;
  do x = next_u64();
  while (x >= limit);
  return x % n;
}

void Rng::seek(uint64_t position) {
  block_ = position / 4;
  lane_ = 4;
  uint32_t skip = static_cast<uint32_t>(position % 4);
  if (skip) {
    refill();
    lane_ = skip;
  }
}

}  // namespace slift
