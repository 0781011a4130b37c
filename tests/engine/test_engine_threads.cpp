// An engine's thread count (EngineOptions::threads, TrainingOptions::threads) holds for the engine's own
// work only: after an engine with one thread has compiled and run, the caller's OpenMP thread count is what
// it was before.
#include <gtest/gtest.h>
#include <omp.h>

#include "backend/onednn/omp_threads.h"
#include "cnnzoo/builder.h"
#include "cnnzoo/engine.h"
#include "cnnzoo/init.h"
#include "cnnzoo/optim.h"

namespace cnnzoo {
namespace {

constexpr uint64_t kSeed = 13;
constexpr int kCallerThreads = 3;  // neither the engines' 1 nor a machine's usual core count

// conv, relu, pool, linear: enough for oneDNN primitives of several kinds, small enough to take no time.
Graph small_net() {
  Builder b("small", {2, 3, 8, 8});
  ValueId x = b.relu(b.conv(b.input(), "conv", {.out = 4, .kernel = 3, .pad = 1}), "relu");
  x = b.flatten(b.adaptive_avg_pool(x, "pool", 1), "flatten");
  b.output(b.linear(x, "fc", {.out = 5}));
  return b.finish();
}

// Sets the caller's thread count for one test and puts back what it found.
class EngineThreads : public ::testing::Test {
 protected:
  void SetUp() override { omp_set_num_threads(kCallerThreads); }
  void TearDown() override { omp_set_num_threads(found_); }

 private:
  int found_ = omp_get_max_threads();
};

TEST_F(EngineThreads, InferenceEngineLeavesTheCallersThreadCount) {
  const Graph g = small_net();
  InferenceEngine engine(g, test_parameters(g, kSeed), {.threads = 1});
  EXPECT_EQ(omp_get_max_threads(), kCallerThreads) << "after compiling";
  const std::vector<Tensor> out = engine.run(test_uniform("x", g.shape(g.inputs()[0]), kSeed, -1, 1));
  ASSERT_EQ(out.size(), 1U);
  EXPECT_EQ(out[0].shape(), (Dims{2, 5}));
  EXPECT_EQ(omp_get_max_threads(), kCallerThreads) << "after running";
}

TEST_F(EngineThreads, TrainingEngineLeavesTheCallersThreadCount) {
  const Graph g = small_net();
  Parameters parameters = test_parameters(g, kSeed);
  const auto optimizer = make_optimizer({.kind = "sgd"}, g);
  TrainingEngine engine(g, parameters, {.threads = 1, .fused_update = true});
  EXPECT_EQ(omp_get_max_threads(), kCallerThreads) << "after compiling";
  const std::vector<int64_t> labels{0, 4};
  const double loss = engine.step(test_uniform("x", g.shape(g.inputs()[0]), kSeed, -1, 1), labels, *optimizer, 0.1);
  EXPECT_GT(loss, 0.0);
  EXPECT_EQ(omp_get_max_threads(), kCallerThreads) << "after a step";
}

TEST_F(EngineThreads, TheGuardSetsTheCountInsideItsScopeOnly) {
  {
    const onednn::ScopedOmpThreads one(1);
    EXPECT_EQ(omp_get_max_threads(), 1);
    {
      const onednn::ScopedOmpThreads two(2);
      EXPECT_EQ(omp_get_max_threads(), 2);
    }
    EXPECT_EQ(omp_get_max_threads(), 1);
  }
  EXPECT_EQ(omp_get_max_threads(), kCallerThreads);
  {
    const onednn::ScopedOmpThreads every_core(0);  // 0: the engine's default, the count as it is
    EXPECT_EQ(omp_get_max_threads(), kCallerThreads);
  }
  EXPECT_EQ(omp_get_max_threads(), kCallerThreads);
}

}  // namespace
}  // namespace cnnzoo
