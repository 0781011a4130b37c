// Ensembles of trained checkpoints, as the lecture's (and the 2014-2016 ImageNet winners'): each member
// evaluated on the same test images with its own preprocessing, then their class probabilities averaged.
// `cnnzoo eval --ensemble` and `cnnzoo experiment ensemble` both use it.
#pragma once

#include <cstdint>
#include <span>
#include <string>

#include "cnnzoo/fit.h"
#include "cnnzoo/quantization.h"

namespace cnnzoo {

struct CheckpointEvaluationOptions {
  std::string data{};   ///< a data set spec (open_dataset); empty = the one the checkpoint was trained on
  int64_t subset = 0;   ///< the first N test images (0 = all), as FitOptions::val_subset
  int64_t batch = 256;  ///< at most; fewer when the test images are fewer
  int threads = 0;      ///< engine threads (0 = every core)
  DecodeBudgets budgets{};
  Precision precision = Precision::F32;
  /// int8 of a checkpoint without calibrated ranges (no `cnnzoo quantize` output): calibrate on this many
  /// images of the training split of the data set it was trained on, with these options.
  int64_t calibration_images = 512;
  CalibrationOptions calibration{};
  FitCallbacks callbacks{};  ///< on_eval_start and on_eval_batch: progress
};

struct CheckpointEvaluation {
  TrainedModel model;
  Evaluation result;
  /// int8: the ranges used, from the checkpoint's metadata or calibrated here (Quantization::source says).
  std::shared_ptr<const Quantization> quantization{};
  bool calibrated_here = false;
};

/// A checkpoint written by fit() on the test split of its data set (or options.data), with the evaluation
/// transform for the model's own input size (a GoogLeNet trained at 32x32 gets Fashion-MNIST resized to it).
CheckpointEvaluation evaluate_checkpoint(const std::string& path, const CheckpointEvaluationOptions& options = {});

/// The ensemble of `members` (evaluations of the same images in the same order): the mean of their class
/// probabilities, scored against their labels. `names` (one per member) name a member whose images differ
/// in the InvalidArgument thrown then; InvalidArgument too for no member.
Evaluation ensemble_evaluation(std::span<const Evaluation> members, std::span<const std::string> names);

}  // namespace cnnzoo
