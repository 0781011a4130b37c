// A run asked to stop (FitCallbacks::stop_requested, as `cnnzoo train` does on SIGINT/SIGTERM) writes
// last.safetensors at the batch it reached, in training or in the evaluation, and a resume from there ends
// with the bits of a run never stopped.
#include <gtest/gtest.h>

#include <cstring>
#include <nlohmann/json.hpp>

#include "cnnzoo/checkpoint.h"
#include "cnnzoo/fit.h"
#include "io/file_support.h"
#include "support/same_bits.h"

namespace cnnzoo {
namespace {

// resnet8 on 256 images: 4 batches an epoch, one evaluation batch of 256.
FitOptions tiny_run(const std::string& out) {
  FitOptions o;
  o.model_options.depth = 8;
  o.out_dir = out;
  o.epochs = 2;
  o.subset = 256;
  o.val_subset = 256;
  o.batch_size = 64;
  o.threads = 2;
  o.seed = 11;
  return o;
}

TEST(FitStop, StoppedMidEpochAndMidEvaluationResumesBitForBit) {
  const std::string root = test::temp_dir("cnnzoo_fit");
  const FitResult straight = fit(tiny_run(root + "/straight"));

  // Stopped after the 6th batch: 1 epoch and 2 batches of the second.
  FitOptions o = tiny_run(root + "/stopped");
  int batches = 0;
  FitCallbacks stop_in_training;
  stop_in_training.on_batch = [&](int64_t, int64_t, int64_t, double, double) { ++batches; };
  stop_in_training.stop_requested = [&] { return batches == 6; };
  FitResult r = fit(o, stop_in_training);
  EXPECT_TRUE(r.stopped);
  EXPECT_EQ(r.epochs_done, 1);
  EXPECT_EQ(r.batches_done, 2);
  Checkpoint c = load_checkpoint(o.out_dir + "/last.safetensors");
  EXPECT_EQ(c.meta.at(kCheckpointEpochKey), "1");
  EXPECT_EQ(c.meta.at(kCheckpointIterationKey), "6");
  const auto progress = nlohmann::json::parse(c.meta.at(kCheckpointEpochProgressKey));
  EXPECT_EQ(progress.at("batches"), 2);
  EXPECT_EQ(progress.at("seen"), 128);

  // Resumed, then stopped in the evaluation that ends epoch 2: the position is its last batch, and the
  // evaluation runs again on the next resume.
  o.resume = true;
  batches = 0;
  FitCallbacks stop_in_evaluation;
  stop_in_evaluation.on_batch = [&](int64_t, int64_t done, int64_t, double, double) {
    EXPECT_GE(done, 3) << "resumed after batch 2";
    ++batches;
  };
  bool evaluating = false;
  stop_in_evaluation.on_eval_start = [&](int64_t) { evaluating = true; };
  stop_in_evaluation.stop_requested = [&] { return evaluating; };
  r = fit(o, stop_in_evaluation);
  EXPECT_EQ(batches, 2);
  EXPECT_TRUE(r.stopped);
  EXPECT_EQ(r.epochs_done, 1);
  EXPECT_EQ(r.batches_done, 4);
  EXPECT_EQ(load_checkpoint(o.out_dir + "/last.safetensors").meta.at(kCheckpointIterationKey), "8");

  const FitResult resumed = fit(o);
  EXPECT_FALSE(resumed.stopped);
  ASSERT_EQ(resumed.history.size(), 2u);
  for (std::size_t e = 0; e < 2; ++e) {
    EXPECT_EQ(resumed.history[e].train_loss, straight.history[e].train_loss) << e;
    EXPECT_EQ(resumed.history[e].train_accuracy, straight.history[e].train_accuracy) << e;
    EXPECT_EQ(resumed.history[e].lr, straight.history[e].lr) << e;
    EXPECT_EQ(resumed.history[e].top1, straight.history[e].top1) << e;
  }
  const Checkpoint x = load_checkpoint(root + "/straight/last.safetensors");
  const Checkpoint y = load_checkpoint(o.out_dir + "/last.safetensors");
  test::expect_same_tensors(x.model, y.model);
  test::expect_same_tensors(x.optimizer, y.optimizer);
}

TEST(FitStop, AStopBeforeTheFirstBatchKeepsTheStartingPoint) {
  FitOptions o = tiny_run(test::temp_dir("cnnzoo_fit") + "/at_once");
  FitCallbacks now;
  now.stop_requested = [] { return true; };
  const FitResult r = fit(o, now);
  EXPECT_TRUE(r.stopped);
  EXPECT_EQ(r.epochs_done, 0);
  EXPECT_EQ(r.batches_done, 0);
  EXPECT_EQ(load_checkpoint(o.out_dir + "/last.safetensors").meta.at(kCheckpointIterationKey), "0");
}

}  // namespace
}  // namespace cnnzoo
