// core::Rng's draws as tensor ops (learner/tensor_rng.hpp) against Random123 and core::Rng on the
// host, bit for bit: the Philox words for many seeds, purposes, streams and blocks (64-bit
// counters with their high words set included), the normals as static_cast<float>(rng.normal())
// and the streams' positions after them, and the integers of below(). The ARDM's training draws
// made with them: the host streams they stand for, read from a step tensor (as a CUDA graph's
// replay counts it up) as from a host step, and the same rows whatever the rank split.
#include <Random123/philox.h>
#include <gtest/gtest.h>
#include <torch/torch.h>

#include <cstring>

#include "core/config.hpp"
#include "core/error.hpp"
#include "core/rng.hpp"
#include "field_model.hpp"
#include "learner/diffusion.hpp"
#include "learner/models.hpp"
#include "learner/options.hpp"
#include "learner/tensor_rng.hpp"

namespace slift::learner {
namespace {

// Seeds and streams with their high 32 bits set, purposes from the code and a made-up one.
const std::vector<uint64_t> kSeeds{0, 1, 7, 0x123456789ABCDEF0ull, ~uint64_t{0}};
const std::vector<uint32_t> kPurposes{purpose_id("learner.sample"), purpose_id("learner.ardm_noise"), 0xFFFFFFFFu};

// floor(x n / 2^64) for the next 64 bits x of rng.
int64_t multiply_shift(Rng& rng, int64_t n) {
  return static_cast<int64_t>((static_cast<unsigned __int128>(rng.next_u64()) * static_cast<uint64_t>(n)) >> 64);
}

uint32_t float_bits(float f) {
  uint32_t b;
  std::memcpy(&b, &f, sizeof b);
  return b;
}

TEST(TensorRng, PhiloxWordsAreRandom123s) {
  // Blocks across the 2^32 boundary and near 2^64 (held in int64 as their two's complement).
  const std::vector<uint64_t> blocks{0, 1, 2, 1000, 0xFFFFFFFFull, 0x100000000ull, 0x7FFFFFFFFFFFFFFFull, ~uint64_t{0}};
  const std::vector<uint64_t> streams{0, 3, 0xFFFFFFFFull, 0xDEADBEEF00000001ull, ~uint64_t{0}};
  int64_t compared = 0;
  for (uint64_t seed : kSeeds)
    for (uint32_t purpose : kPurposes) {
      std::vector<int64_t> b, s;
      for (uint64_t block : blocks)
        for (uint64_t stream : streams) b.push_back(static_cast<int64_t>(block)), s.push_back(static_cast<int64_t>(stream));
      const auto w = philox(PhiloxKey(Rng::key(seed, purpose)), torch::tensor(b), torch::tensor(s));
      const Rng::Key key = Rng::key(seed, purpose);
      for (size_t i = 0; i < b.size(); ++i) {
        const auto block = static_cast<uint64_t>(b[i]), stream = static_cast<uint64_t>(s[i]);
        const auto expected = r123::Philox4x32()(
            {{static_cast<uint32_t>(block), static_cast<uint32_t>(block >> 32), static_cast<uint32_t>(stream),
              static_cast<uint32_t>(stream >> 32)}},
            {{key[0], key[1]}});
        for (int k = 0; k < 4; ++k, ++compared)
          ASSERT_EQ(w[k][static_cast<int64_t>(i)].item<int64_t>(), int64_t{expected.v[k]})
              << "seed " << seed << " purpose " << purpose << " block " << b[i] << " stream " << s[i] << " word " << k;
      }
    }
  EXPECT_EQ(compared, 4 * 5 * 3 * 8 * 5);
}

TEST(TensorRng, NormalsAreRngNormalBitForBit) {
  // Rows of several streams at different positions (after some draws), 4 million values in all.
  const int64_t rows = 40, d = 16384;
  int64_t compared = 0;
  for (uint64_t seed : {uint64_t{3}, uint64_t{0x123456789ABCDEF0}})
    for (uint32_t purpose : kPurposes) {
      std::vector<Rng> rngs, reference;
      for (int64_t r = 0; r < rows; ++r) {
        rngs.emplace_back(seed, static_cast<uint64_t>(r) * 0x100000001ull, purpose);
        for (int64_t skip = 0; skip < r % 3; ++skip) rngs.back().normal();
      }
      reference = rngs;
      const auto z = normals(rngs, d, torch::kCPU);
      ASSERT_EQ(z.sizes(), (std::vector<int64_t>{rows, d}));
      ASSERT_EQ(z.scalar_type(), torch::kFloat32);
      const float* values = z.data_ptr<float>();
      for (int64_t r = 0; r < rows; ++r) {
        for (int64_t j = 0; j < d; ++j, ++compared)
          ASSERT_EQ(float_bits(values[r * d + j]), float_bits(static_cast<float>(reference[r].normal())))
              << "seed " << seed << " purpose " << purpose << " row " << r << " normal " << j;
        EXPECT_EQ(rngs[r].position(), reference[r].position()) << "the streams advance as the host's draws do";
      }
    }
  EXPECT_EQ(compared, 2 * 3 * rows * d);
}

TEST(TensorRng, NormalsRefuseAStreamWithinABlock) {
  std::vector<Rng> rngs{Rng(1, 0, "test")};
  rngs[0].next_u32();
  EXPECT_THROW(normals(rngs, 3, torch::kCPU), Error);
}

TEST(TensorRng, BelowIsTheMultiplyShiftOfTheFirst64Bits) {
  for (int64_t n : {int64_t{1}, int64_t{2}, int64_t{7}, int64_t{1000}, (int64_t{1} << 31) - 1}) {
    const int64_t count = 10000;
    const auto b = below(philox(PhiloxKey(Rng::key(5, purpose_id("test"))), torch::arange(count), torch::full({}, 9, torch::kInt64)), n);
    const int64_t* values = b.data_ptr<int64_t>();
    Rng rng(5, 9, "test");
    for (int64_t i = 0; i < count; ++i) {
      rng.seek(4 * static_cast<uint64_t>(i));
      ASSERT_EQ(values[i], multiply_shift(rng, n)) << "n " << n << " block " << i;
    }
    EXPECT_GE(b.min().item<int64_t>(), 0);
    EXPECT_LT(b.max().item<int64_t>(), n);
  }
  EXPECT_THROW(below(philox(PhiloxKey(Rng::key(5, 1)), torch::arange(3), torch::arange(3)), 0), Error);
}

// The ARDM's regression of a tiny field model's minibatch at `step` (eps prediction: the target is the noise).
class ArdmDraws : public ::testing::Test {
 protected:
  ArdmDraws() : m(field_model("ardm")) {
    m.spec.options.ardm_prediction = "eps";
    m.spec.options.ardm_train_steps = kTrainSteps;
    m.spec.periodic = {true, true};
    model = model_for_training(m.spec, m.seed);
    torch::manual_seed(1);
    batch = {torch::randn({kGlobal, m.spec.window() * m.spec.dim}), torch::randn({kGlobal, m.spec.dim}), {}};
    batch.global = kGlobal;
  }
  Regression regression(const Minibatch& b, const torch::Tensor& step) const { return model->regression(b, step); }
  static constexpr int64_t kGlobal = 6, kTrainSteps = 1000, kStep = 12345;
  LoadedModel m;
  std::unique_ptr<Model> model;
  Minibatch batch;
};

TEST_F(ArdmDraws, AreTheStepsHostStreams) {
  const Regression r = regression(batch, torch::full({}, kStep, torch::kInt64));
  // Row i: its time from block i of Rng(seed, step, "learner.ardm_times"), its noise the next
  // dim normals of Rng(seed, step, "learner.ardm_noise") after the rows before it.
  Rng noise(m.seed, kStep, "learner.ardm_noise"), times(m.seed, kStep, "learner.ardm_times");
  std::vector<float> eps, s;
  for (int64_t i = 0; i < kGlobal; ++i) {
    for (int64_t j = 0; j < m.spec.dim; ++j) eps.push_back(static_cast<float>(noise.normal()));
    times.seek(4 * static_cast<uint64_t>(i));
    s.push_back(static_cast<float>(1 + multiply_shift(times, kTrainSteps)) / static_cast<float>(kTrainSteps));
  }
  EXPECT_TRUE(torch::equal(r.target, to_tensor(eps, {kGlobal, m.spec.dim})));
  EXPECT_TRUE(torch::equal(r.cond, time_embedding(to_tensor(s, {kGlobal}), m.spec.options.embed_dim)));
  // Another step draws other numbers.
  const Regression next = regression(batch, torch::full({}, kStep + 1, torch::kInt64));
  EXPECT_FALSE(torch::equal(next.target, r.target));
  EXPECT_FALSE(torch::equal(next.cond, r.cond));
}

TEST_F(ArdmDraws, AStepTensorCountedUpDrawsWhatTheHostStepDoes) {
  torch::manual_seed(5);
  Net net(m.spec);
  // As a CUDA graph's replay: the step tensor counted up in place just before the draw.
  auto counter = torch::full({}, kStep - 1, torch::kInt64);
  counter.add_(1);
  const Loss from_host = regression_loss(*model, net, batch, kStep, Execution{});
  const Loss from_tensor = regression_loss(*model, net, batch, counter, Execution{});
  EXPECT_TRUE(torch::equal(from_host.target, from_tensor.target));
  EXPECT_TRUE(torch::equal(from_host.value, from_tensor.value));
}

TEST_F(ArdmDraws, DoNotDependOnTheRankSplit) {
  const auto step = torch::full({}, kStep, torch::kInt64);
  const Regression whole = regression(batch, step);
  for (int64_t split : {1, 2, 5}) {
    std::vector<torch::Tensor> inputs, conds, targets;
    for (const auto& [first, end] : {std::pair<int64_t, int64_t>{0, split}, {split, kGlobal}}) {
      Minibatch shard{batch.x.slice(0, first, end), batch.y.slice(0, first, end), {}};
      shard.first = first, shard.global = kGlobal;
      const Regression r = regression(shard, step);
      inputs.push_back(r.input), conds.push_back(r.cond), targets.push_back(r.target);
    }
    EXPECT_TRUE(torch::equal(torch::cat(inputs), whole.input)) << "split at " << split;
    EXPECT_TRUE(torch::equal(torch::cat(conds), whole.cond)) << "split at " << split;
    EXPECT_TRUE(torch::equal(torch::cat(targets), whole.target)) << "split at " << split;
  }
}

TEST_F(ArdmDraws, TakeDiffusionStepCountsBelow2To31Only) {
  // below() multiplies 32-bit words by the count in int64: a config asking for more is refused.
  const auto parse = [](const std::string& steps) {
    auto cfg = config::Config::from_string("train: {arch: unet, models: [ardm], ardm_train_steps: " + steps + "}");
    auto root = cfg.root();
    auto train = root.section("train");
    return parse_train(train);
  };
  EXPECT_EQ(parse("2147483647").ardm_train_steps, 2147483647);
  EXPECT_THROW(parse("2147483648"), Error);
}

TEST_F(ArdmDraws, OnCudaAreTheCpus) {
  if (!torch::cuda::is_available()) GTEST_SKIP() << "no CUDA device here: this test runs on a machine with a GPU";
  // The Philox words are integer arithmetic, exact on any device. The normals' log and cos are
  // libdevice's, within 2 ulp of glibc's in double: a float32 normal differs from the host's with
  // a probability under 7.5e-9 (docs/gpu.md), none is expected among these 1.3 million.
  std::vector<Rng> cpu;
  for (int64_t r = 0; r < 20; ++r) cpu.emplace_back(3, static_cast<uint64_t>(r), "learner.sample");
  std::vector<Rng> gpu = cpu;
  const auto expected = normals(cpu, 65536, torch::kCPU), drawn = normals(gpu, 65536, torch::kCUDA);
  ASSERT_TRUE(drawn.is_cuda());
  EXPECT_EQ(torch::ne(drawn.cpu(), expected).sum().item<int64_t>(), 0);
  EXPECT_EQ(gpu[19].position(), cpu[19].position());
  // The ARDM's training draws (the eps target: its noise, and the time embedding).
  const Regression on_cpu = regression(batch, torch::full({}, kStep, torch::kInt64));
  Minibatch on_device{batch.x.cuda(), batch.y.cuda(), {}};
  on_device.global = kGlobal;
  const Regression on_gpu = regression(on_device, torch::full({}, kStep, torch::TensorOptions(torch::kInt64).device(torch::kCUDA)));
  EXPECT_TRUE(torch::equal(on_gpu.target.cpu(), on_cpu.target));
  EXPECT_TRUE(torch::allclose(on_gpu.cond.cpu(), on_cpu.cond, 1e-5, 1e-6)) << "the same times, embedded by the device's sin and cos";
}

}  // namespace
}  // namespace slift::learner
