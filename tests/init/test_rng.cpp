// The generator against its Python twin and its statistics. The pinned values come from
//   /usr/bin/python3 scripts/cnnzoo_rng.py
// so a change on either side that is not made on both breaks these tests.
#include <gtest/gtest.h>

#include <cmath>
#include <cstdint>
#include <vector>

#include "cnnzoo/error.h"
#include "cnnzoo/init.h"

namespace cnnzoo {
namespace {

TEST(Rng, HashesMatchTheirReferenceValues) {
  EXPECT_EQ(fnv1a64(""), 0xcbf29ce484222325ull);
  EXPECT_EQ(fnv1a64("conv1.weight"), 0x69a29a2cee47d254ull);
  EXPECT_EQ(splitmix64(0), 0xe220a8397b1dcdafull);  // also the published first output of splitmix64
  EXPECT_EQ(splitmix64(42), 0xbdd732262feb6e95ull);
}

TEST(Rng, UniformsMatchThePythonTwin) {
  struct Case {
    const char* name;
    uint64_t index;
    uint64_t seed;
    uint64_t numerator;  // u * 2^24
  };
  const Case cases[] = {
      {"conv1.weight", 0, 0, 6749713},
      {"conv1.weight", 1, 0, 3867183},
      {"conv1.weight", 0, 1, 11427215},
      {"fc.bias", 999, 42, 4695453},
      {"features.0.weight", 123456789, 9223372036854775813ull, 8785670},
  };
  for (const Case& c : cases) {
    EXPECT_EQ(unit_uniform(stream_key(c.name, c.seed), c.index), static_cast<double>(c.numerator) * 0x1p-24)
        << c.name << " index " << c.index << " seed " << c.seed;
  }
}

TEST(Rng, TestUniformMatchesThePythonTwinBitForBit) {
  const Tensor t = test_uniform("layer1.0.conv1.weight", {4}, 7, -0.25, 0.75);
  const std::vector<float> expected{-0.141327024f, 0.374170005f, -0.224361718f, 0.0721614361f};
  ASSERT_EQ(t.numel(), 4);
  for (std::size_t i = 0; i < expected.size(); ++i) EXPECT_EQ(t.f32()[i], expected[i]) << i;
}

TEST(Rng, NormalsMatchThePythonTwinToRounding) {
  const double expected[] = {-0.6815305685631903, 0.4246493017193134, 0.7531524898166044};
  const uint64_t key = stream_key("fc.weight", 3);
  for (uint64_t i = 0; i < 3; ++i) EXPECT_NEAR(standard_normal(key, i), expected[i], 1e-14) << i;
}

TEST(Rng, UniformDrawsHaveTheirMoments) {
  constexpr int kDraws = 100000;
  const uint64_t key = stream_key("stats", 0);
  double sum = 0, sum_sq = 0;
  for (int i = 0; i < kDraws; ++i) {
    const double u = unit_uniform(key, static_cast<uint64_t>(i));
    ASSERT_GE(u, 0.0);
    ASSERT_LT(u, 1.0);
    sum += u;
    sum_sq += u * u;
  }
  const double mean = sum / kDraws;
  // Standard errors: 0.29 / sqrt(1e5) ~ 0.0009 for the mean, ~0.0003 for the variance.
  EXPECT_NEAR(mean, 0.5, 0.005);
  EXPECT_NEAR(sum_sq / kDraws - mean * mean, 1.0 / 12.0, 0.002);
}

TEST(Rng, NormalDrawsHaveTheirMoments) {
  constexpr int kDraws = 100000;
  std::vector<float> z(kDraws);
  fill_normal(z, stream_key("normal", 5), 1.0, 2.0);
  double sum = 0, sum_sq = 0;
  for (float v : z) {
    sum += v;
    sum_sq += static_cast<double>(v) * v;
  }
  const double mean = sum / kDraws;
  EXPECT_NEAR(mean, 1.0, 0.03);
  EXPECT_NEAR(std::sqrt(sum_sq / kDraws - mean * mean), 2.0, 0.03);
}

TEST(Rng, DistinctNamesAndSeedsGiveDistinctStreams) {
  const Tensor a = test_uniform("layer1.0.conv1.weight", {64}, 0, 0, 1);
  const Tensor b = test_uniform("layer1.0.conv2.weight", {64}, 0, 0, 1);
  const Tensor c = test_uniform("layer1.0.conv1.weight", {64}, 1, 0, 1);
  const Tensor again = test_uniform("layer1.0.conv1.weight", {64}, 0, 0, 1);
  int same_name = 0, same_seed = 0;
  for (int i = 0; i < 64; ++i) {
    same_name += a.f32()[i] == b.f32()[i];
    same_seed += a.f32()[i] == c.f32()[i];
    EXPECT_EQ(a.f32()[i], again.f32()[i]);
  }
  EXPECT_LE(same_name, 1);
  EXPECT_LE(same_seed, 1);
}

TEST(Rng, TruncatedNormalStaysWithinItsBounds) {
  std::vector<float> v(20000);
  fill_truncated_normal(v, stream_key("trunc", 1), 0.0, 1.0, -0.5, 0.25);
  for (float x : v) {
    ASSERT_GE(x, -0.5f);
    ASSERT_LE(x, 0.25f);
  }
  EXPECT_THROW(fill_truncated_normal(v, 1, 0.0, 1.0, 1.0, 1.0), InvalidArgument);
  EXPECT_THROW(fill_truncated_normal(v, 1, 0.0, 1e-3, 50.0, 51.0), InvalidArgument);
}

}  // namespace
}  // namespace cnnzoo
