// The data-parallel path of the training engine (TrainingOptions::communicator) in one process: the gradient
// buckets, the averaged losses and sync batch norm run as they do across ranks, with a job of one rank. A
// job of one rank must train exactly as the engine without a communicator; sync batch norm, whose forward
// and backward are built differently (given statistics and a correction step), within float rounding.
// The runs across ranks are tests/distributed/.
#include <gtest/gtest.h>

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <limits>

#include "cnnzoo/distributed.h"
#include "cnnzoo/engine.h"
#include "cnnzoo/init.h"
#include "cnnzoo/models.h"
#include "cnnzoo/optim.h"

namespace cnnzoo {
namespace {

constexpr uint64_t kSeed = 11;

struct Trained {
  Parameters parameters;
  std::vector<double> losses;
  StepCommunication last;
};

Trained train(const Graph& g, TrainingOptions options, int steps) {
  Trained r{.parameters = test_parameters(g, kSeed), .losses = {}, .last = {}};
  const auto optimizer = make_optimizer({.kind = "sgd", .momentum = 0.9, .weight_decay = 1e-4}, g);
  options.threads = 1;
  options.fused_update = true;
  TrainingEngine engine(g, r.parameters, options);
  const int64_t batch = g.shape(g.inputs()[0])[0];
  for (int s = 0; s < steps; ++s) {
    const Tensor x = test_uniform(fmt::format("input{}", s), g.shape(g.inputs()[0]), kSeed, -1, 1);
    std::vector<int64_t> labels;
    for (int64_t i = 0; i < batch; ++i) labels.push_back((3 * i + s) % 10);
    r.losses.push_back(engine.step(x, labels, *optimizer, 0.05));
  }
  r.last = engine.communication();
  return r;
}

// The largest difference of any tensor (or of the weights only, not batch norm's running statistics),
// relative to that tensor's range in `a`.
double largest_relative_difference(const Parameters& a, const Parameters& b, bool weights_only = false) {
  double worst = 0;
  for (const auto& [name, t] : a) {
    if (t.dtype() != DType::F32 || (weights_only && name.find("running_") != std::string::npos)) continue;
    const auto x = t.f32(), y = b.at(name).f32();
    const auto [lo, hi] = std::minmax_element(x.begin(), x.end());
    const double range = std::max(static_cast<double>(*hi - *lo), 1e-12);
    for (std::size_t i = 0; i < x.size(); ++i) worst = std::max(worst, std::abs(x[i] - y[i]) / range);
  }
  return worst;
}

const Graph& resnet20() {
  static const Graph g = build_model("resnet20", {.batch = 8, .input = Dims{3, 16, 16}});
  return g;
}

TEST(DataParallelEngine, AJobOfOneRankTrainsBitForBitAsOneProcess) {
  const Trained alone = train(resnet20(), {}, 3);
  // Small buckets: many of them, each started during backward.
  const Trained job =
      train(resnet20(), {.communicator = &Communicator::world(), .first_bucket_bytes = 4096, .bucket_bytes = 65536}, 3);
  EXPECT_EQ(job.losses, alone.losses);
  EXPECT_EQ(largest_relative_difference(alone.parameters, job.parameters), 0.0);
  // Every trainable parameter travels, in several buckets: the 4 KiB first one, then 64 KiB ones (a
  // parameter is never split: each 147 KiB convolution of the last stage fills one alone).
  int64_t trainable = 0;
  for (const Node& n : resnet20().nodes()) {
    for (const ParamSpec& p : n.params) trainable += p.kind == ParamKind::Trainable ? numel(p.shape) : 0;
  }
  EXPECT_EQ(job.last.bytes, trainable * 4);
  EXPECT_GE(job.last.buckets, 8);
  EXPECT_GT(job.last.step_seconds, 0);
}

TEST(DataParallelEngine, SyncBatchNormOfOneRankEqualsBatchNorm) {
  const Trained alone = train(resnet20(), {}, 3);
  const Trained synced = train(resnet20(), {.communicator = &Communicator::world(), .sync_batch_norm = true}, 3);
  ASSERT_EQ(synced.losses.size(), 3u);
  for (std::size_t s = 0; s < 3; ++s) EXPECT_NEAR(synced.losses[s], alone.losses[s], 1e-6 * alone.losses[s]) << s;
  EXPECT_NE(synced.losses[0], synced.losses[2]);  // the weights did change
  EXPECT_LT(largest_relative_difference(alone.parameters, synced.parameters), 1e-5);
}

// A step whose loss is NaN leaves the weights alone, yet its sums end within it: the next step runs, and the
// run goes on as if the bad batch had not been there.
TEST(DataParallelEngine, AStepWithANonFiniteLossStillEndsItsSums) {
  const Graph& g = resnet20();
  Parameters parameters = test_parameters(g, kSeed);
  const Parameters before = parameters;
  const auto optimizer = make_optimizer({.kind = "sgd", .momentum = 0.9}, g);
  TrainingEngine engine(g, parameters, {.threads = 1, .fused_update = true, .communicator = &Communicator::world()});
  Tensor x = test_uniform("input", g.shape(g.inputs()[0]), kSeed, -1, 1);
  const std::vector<int64_t> labels(8, 3);
  x.f32()[5] = std::numeric_limits<float>::quiet_NaN();
  EXPECT_TRUE(std::isnan(engine.step(x, labels, *optimizer, 0.05)));
  EXPECT_EQ(largest_relative_difference(before, parameters, true), 0.0);
  x.f32()[5] = 0.5f;
  EXPECT_TRUE(std::isfinite(engine.step(x, labels, *optimizer, 0.05)));  // an unfinished sum would throw here
  EXPECT_GT(largest_relative_difference(before, parameters, true), 0.0);
}

}  // namespace
}  // namespace cnnzoo
