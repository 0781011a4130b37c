// What a checkpoint records about a run besides its tensors, as JSON metadata: the model's options,
// the data, and the history of epochs.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "cnnzoo/fit.h"

namespace cnnzoo::fit_detail {

std::string model_options_json(const ModelOptions& options);
ModelOptions model_options_from_json(const std::string& json, const std::string& file);

std::string history_json(const std::vector<EpochMetrics>& history);
std::vector<EpochMetrics> history_from_json(const std::string& json, const std::string& file);

/// Where a run stands inside the epoch under way, as a checkpoint written mid-epoch (a stop on a signal)
/// records it, so that a resume continues with the same batches, steps and running figures.
struct EpochProgress {
  int64_t batches = 0;  ///< training batches done in the epoch
  double loss_sum = 0;  ///< the sum of loss x images over them
  int64_t correct = 0, seen = 0;
  double seconds = 0;  ///< training time spent on them, in seconds (earlier processes included)
};

std::string epoch_progress_json(const EpochProgress& progress);
/// `meta`'s progress key, or no progress (an epoch boundary) for a checkpoint without it.
EpochProgress epoch_progress_from_meta(const std::map<std::string, std::string>& meta, const std::string& file);

/// Where the run of a checkpoint stands, as a resume reads it from the metadata.
struct ResumePoint {
  int64_t epochs_done = 0;  ///< whole epochs ("epoch")
  EpochProgress progress;   ///< into the next ("epoch_progress")
  std::vector<EpochMetrics> history;
  double best_top1 = 0;  ///< "best_metric"
};

/// The resume point of a checkpoint's metadata; Error naming the file and the key when one is missing or
/// malformed (not a number, a negative epoch count, JSON of the wrong shape).
ResumePoint resume_point_from_meta(const std::map<std::string, std::string>& meta, const std::string& file);

/// The value of `key` in a checkpoint's metadata; Error naming the file and the key when absent.
const std::string& meta_value(const std::map<std::string, std::string>& meta, const std::string& key,
                              const std::string& file);

/// metrics.csv: a header and one row per epoch, written atomically.
void write_metrics_csv(const std::string& path, const std::vector<EpochMetrics>& history);
/// The rows of a metrics.csv (images_per_second is not in the file and stays 0); Error naming the file and
/// line when the header is not write_metrics_csv's or a field is not a finite number.
std::vector<EpochMetrics> read_metrics_csv(const std::string& path);

/// evaluation.json: the latest epoch's evaluation of a run, for its report.
struct EvaluationRecord {
  std::string model, data;
  int64_t epoch = 0;  ///< 1-based
  std::vector<std::string> class_names;
  Evaluation evaluation;  ///< images, loss, top1, top5, per_class and confusion (no probabilities)
};
void write_evaluation_json(const std::string& path, const EvaluationRecord& record);
/// Error naming the file when it is not JSON of that shape, or the confusion matrix is not square over
/// the classes, or holds a negative count.
EvaluationRecord read_evaluation_json(const std::string& path);

}  // namespace cnnzoo::fit_detail
