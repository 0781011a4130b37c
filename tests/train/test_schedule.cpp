#include <gtest/gtest.h>

#include <cmath>
#include <numbers>

#include "cnnzoo/error.h"
#include "cnnzoo/optim.h"

namespace cnnzoo {
namespace {

TEST(Schedule, Constant) {
  const ScheduleOptions o{.kind = "constant", .base_lr = 0.25};
  for (int64_t i : {0, 1, 99, 100000}) EXPECT_EQ(learning_rate(o, i, 10), 0.25);
}

TEST(Schedule, StepChangesAtEpochBoundaries) {
  const ScheduleOptions o{.kind = "step", .base_lr = 0.1, .step_size = 30, .gamma = 0.1};
  const int64_t n = 10;  // iterations per epoch
  EXPECT_DOUBLE_EQ(learning_rate(o, 0, n), 0.1);
  EXPECT_DOUBLE_EQ(learning_rate(o, 30 * n - 1, n), 0.1);  // last iteration of epoch 29
  EXPECT_DOUBLE_EQ(learning_rate(o, 30 * n, n), 0.01);     // first of epoch 30
  EXPECT_DOUBLE_EQ(learning_rate(o, 60 * n - 1, n), 0.01);
  EXPECT_DOUBLE_EQ(learning_rate(o, 60 * n, n), 0.001);
}

TEST(Schedule, MultistepChangesAtMilestones) {
  const ScheduleOptions o{.kind = "multistep", .base_lr = 0.2, .milestones = {2, 5}, .gamma = 0.5};
  const int64_t n = 4;
  EXPECT_DOUBLE_EQ(learning_rate(o, 7, n), 0.2);    // epoch 1
  EXPECT_DOUBLE_EQ(learning_rate(o, 8, n), 0.1);    // epoch 2
  EXPECT_DOUBLE_EQ(learning_rate(o, 19, n), 0.1);   // epoch 4
  EXPECT_DOUBLE_EQ(learning_rate(o, 20, n), 0.05);  // epoch 5
  EXPECT_DOUBLE_EQ(learning_rate(o, 400, n), 0.05);
}

TEST(Schedule, CosineEndsMidpointAndClamp) {
  const ScheduleOptions o{.kind = "cosine", .base_lr = 0.1, .epochs = 10, .min_lr = 0.0};
  const int64_t n = 100;
  EXPECT_DOUBLE_EQ(learning_rate(o, 0, n), 0.1);
  EXPECT_NEAR(learning_rate(o, 500, n), 0.05, 1e-15);  // the midpoint: half way
  EXPECT_NEAR(learning_rate(o, 250, n), 0.1 * (1 + std::sqrt(0.5)) / 2, 1e-15);
  EXPECT_NEAR(learning_rate(o, 1000, n), 0.0, 1e-15);  // the end
  EXPECT_NEAR(learning_rate(o, 5000, n), 0.0, 1e-15);  // past the end: stays
  // Per iteration, not per epoch: iteration 1 is already below the base.
  EXPECT_LT(learning_rate(o, 1, n), 0.1);

  ScheduleOptions floor = o;
  floor.min_lr = 0.01;
  EXPECT_NEAR(learning_rate(floor, 500, n), 0.055, 1e-15);
  EXPECT_NEAR(learning_rate(floor, 1000, n), 0.01, 1e-15);
}

TEST(Schedule, LinearWarmupThenCosine) {
  const ScheduleOptions o{
      .kind = "cosine", .base_lr = 0.4, .warmup_epochs = 2, .warmup_start_factor = 0.1, .epochs = 12, .min_lr = 0};
  const int64_t n = 5;  // warm-up: 10 iterations
  EXPECT_DOUBLE_EQ(learning_rate(o, 0, n), 0.04);
  EXPECT_DOUBLE_EQ(learning_rate(o, 5, n), 0.4 * (0.1 + 0.9 * 0.5));
  EXPECT_DOUBLE_EQ(learning_rate(o, 9, n), 0.4 * (0.1 + 0.9 * 0.9));
  EXPECT_DOUBLE_EQ(learning_rate(o, 10, n), 0.4);         // end of warm-up: the cosine starts at base
  EXPECT_NEAR(learning_rate(o, 10 + 25, n), 0.2, 1e-15);  // midpoint of the 10 epochs after warm-up
  EXPECT_NEAR(learning_rate(o, 10 + 50, n), 0.0, 1e-15);  // end of the run
  for (int64_t i = 1; i <= 10; ++i) EXPECT_GT(learning_rate(o, i, n), learning_rate(o, i - 1, n)) << i;
}

TEST(Schedule, FractionalWarmupBeforeSteps) {
  const ScheduleOptions o{
      .kind = "step", .base_lr = 1.0, .step_size = 1, .gamma = 0.5, .warmup_epochs = 0.5, .warmup_start_factor = 0.2};
  const int64_t n = 10;  // warm-up: 5 iterations
  EXPECT_DOUBLE_EQ(learning_rate(o, 0, n), 0.2);
  EXPECT_DOUBLE_EQ(learning_rate(o, 4, n), 0.2 + 0.8 * 0.8);
  EXPECT_DOUBLE_EQ(learning_rate(o, 5, n), 1.0);
  EXPECT_DOUBLE_EQ(learning_rate(o, 9, n), 1.0);
  EXPECT_DOUBLE_EQ(learning_rate(o, 10, n), 0.5);
  EXPECT_DOUBLE_EQ(learning_rate(o, 25, n), 0.25);
}

TEST(Schedule, Errors) {
  try {
    learning_rate({.kind = "linear"}, 0, 1);
    ADD_FAILURE() << "unknown kind accepted";
  } catch (const UnknownNameError& e) {
    EXPECT_STREQ(e.what(), "unknown schedule 'linear' (known: constant, step, multistep, cosine)");
  }
  EXPECT_THROW(learning_rate({.kind = "multistep", .milestones = {5, 3}}, 0, 1), InvalidArgument);
  EXPECT_THROW(learning_rate({.kind = "multistep"}, 0, 1), InvalidArgument);
  EXPECT_THROW(learning_rate({.kind = "step", .step_size = 0}, 0, 1), InvalidArgument);
  EXPECT_THROW(learning_rate({.kind = "cosine", .warmup_epochs = 5, .epochs = 5}, 0, 1), InvalidArgument);
  EXPECT_THROW(learning_rate({.kind = "cosine", .epochs = 0}, 0, 1), InvalidArgument);
  EXPECT_THROW(learning_rate({.kind = "cosine", .base_lr = 0.1, .min_lr = 0.2}, 0, 1), InvalidArgument);
  EXPECT_THROW(learning_rate({.kind = "constant", .base_lr = -1}, 0, 1), InvalidArgument);
  EXPECT_THROW(learning_rate({.kind = "constant", .warmup_start_factor = 0}, 0, 1), InvalidArgument);
  EXPECT_THROW(learning_rate({.kind = "constant"}, -1, 1), InvalidArgument);
  EXPECT_THROW(learning_rate({.kind = "constant"}, 0, 0), InvalidArgument);
}

TEST(Schedule, OptionsJsonRoundTrip) {
  const ScheduleOptions o{.kind = "multistep",
                          .base_lr = 0.3,
                          .step_size = 7,
                          .milestones = {30, 60, 80},
                          .gamma = 0.2,
                          .warmup_epochs = 2.5,
                          .warmup_start_factor = 0.01,
                          .epochs = 100,
                          .min_lr = 1e-5};
  const ScheduleOptions back = schedule_options_from_json(to_json(o));
  EXPECT_EQ(to_json(back), to_json(o));
  EXPECT_EQ(back.milestones, o.milestones);
  EXPECT_EQ(back.warmup_epochs, 2.5);
  EXPECT_THROW(schedule_options_from_json(R"({"milestones":[1,"x"]})"), InvalidArgument);
  EXPECT_THROW(schedule_options_from_json(R"({"warmup":1})"), InvalidArgument);
}

}  // namespace
}  // namespace cnnzoo
