#include "learner/tensor_rng.hpp"

#include <cmath>

#include "core/error.hpp"

namespace slift::learner {

namespace {

constexpr int64_t kWord = 0xFFFFFFFF;  // the low 32 bits
// Random123's Philox4x32 constants: the round multipliers and the key's Weyl increments.
constexpr int64_t kM0 = 0xD2511F53, kM1 = 0xCD9E8D57, kW0 = 0x9E3779B9, kW1 = 0xBB67AE85;

// The high and low words of a * m (a: words, m a word). The 64-bit product's bits are int64's: its
// multiplication wraps modulo 2^64 on every device (the machine's two's complement multiply, on
// the CPU and CUDA alike; the tests compare against Random123); the arithmetic shift brings the
// sign bit down, so the high word is masked after it.
std::pair<torch::Tensor, torch::Tensor> mulhilo(const torch::Tensor& a, int64_t m) {
  const auto p = a * m;
  return {p.bitwise_right_shift(32).bitwise_and_(kWord), p.bitwise_and(kWord)};
}

// Word k of a 64-bit counter held in int64 (its two's complement bits).
torch::Tensor word(const torch::Tensor& counter, int k) {
  return k == 0 ? counter.bitwise_and(kWord) : counter.bitwise_right_shift(32).bitwise_and_(kWord);
}

// Rng::uniform of the 64 bits (hi, lo): their top 53 bits, plus a half, times 2^-53, in double.
torch::Tensor uniform(const torch::Tensor& hi, const torch::Tensor& lo) {
  return hi.bitwise_left_shift(21).bitwise_or_(lo.bitwise_right_shift(11)).to(torch::kFloat64).add_(0.5).mul_(0x1.0p-53);
}

}  // namespace

PhiloxKey::PhiloxKey(const Rng::Key& key)
    : k0(torch::scalar_tensor(static_cast<int64_t>(key[0]), torch::kInt64)),
      k1(torch::scalar_tensor(static_cast<int64_t>(key[1]), torch::kInt64)) {}

PhiloxWords philox(const PhiloxKey& key, const torch::Tensor& block, const torch::Tensor& stream) {
  torch::Tensor c0 = word(block, 0), c1 = word(block, 1), c2 = word(stream, 0), c3 = word(stream, 1);
  for (int64_t round = 0; round < 10; ++round) {
    // Random123 bumps the key by the Weyl increments before every round but the first.
    const auto k0 = round == 0 ? key.k0 : (key.k0 + round * kW0).bitwise_and_(kWord);
    const auto k1 = round == 0 ? key.k1 : (key.k1 + round * kW1).bitwise_and_(kWord);
    auto [hi0, lo0] = mulhilo(c0, kM0);
    auto [hi1, lo1] = mulhilo(c2, kM1);
    c0 = torch::bitwise_xor(hi1, c1).bitwise_xor_(k0);
    c2 = torch::bitwise_xor(hi0, c3).bitwise_xor_(k1);
    c1 = std::move(lo1);
    c3 = std::move(lo0);
  }
  return {c0, c1, c2, c3};
}

torch::Tensor normal(const PhiloxWords& w) {
  // std::sqrt(-2.0 * std::log(u1)) * std::cos(2.0 * M_PI * u2), operation by operation.
  const auto radius = uniform(w[0], w[1]).log_().mul_(-2.0).sqrt_();
  return radius.mul_(uniform(w[2], w[3]).mul_(2.0 * M_PI).cos_()).to(torch::kFloat32);
}

torch::Tensor below(const PhiloxWords& w, int64_t n) {
  if (n <= 0 || n >= (int64_t{1} << 31)) runtime_error("internal: below(" + std::to_string(n) + "), not in (0, 2^31)");
  // x = hi 2^32 + lo: floor(x n / 2^64) = (hi n + floor(lo n / 2^32)) / 2^32, each product under 2^63.
  return (w[0] * n).add_((w[1] * n).bitwise_right_shift(32)).bitwise_right_shift(32);
}

torch::Tensor normals(std::vector<Rng>& rngs, int64_t d, const torch::Device& device) {
  const auto n = static_cast<int64_t>(rngs.size());
  // Per row: the key's words, the stream and its next block; sent in one copy.
  auto rows = torch::empty({n, 4}, torch::TensorOptions(torch::kInt64).pinned_memory(device.is_cuda()));
  int64_t* const row = rows.data_ptr<int64_t>();
  for (int64_t r = 0; r < n; ++r) {
    Rng& rng = rngs[r];
    const uint64_t position = rng.position();
    if (position % 4 != 0) runtime_error("internal: normals from a stream within a block (at word " + std::to_string(position) + ")");
    row[4 * r] = rng.key()[0], row[4 * r + 1] = rng.key()[1];
    row[4 * r + 2] = static_cast<int64_t>(rng.stream()), row[4 * r + 3] = static_cast<int64_t>(position / 4);
    rng.seek(position + 4 * static_cast<uint64_t>(d));  // one block per normal
  }
  rows = rows.to(device, /*non_blocking=*/true);
  const auto block = rows.slice(1, 3, 4) + torch::arange(d, rows.options());
  return normal(philox(PhiloxKey(rows.slice(1, 0, 1), rows.slice(1, 1, 2)), block, rows.slice(1, 2, 3)));
}

}  // namespace slift::learner
