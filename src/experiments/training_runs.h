// The runs of a training experiment: each model trained with fit() for each seed, its per-epoch errors kept,
// results.json rewritten after every run so that --resume keeps the finished ones, and a summary per model
// (mean and spread over the seeds).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "cnnzoo/experiments.h"
#include "cnnzoo/fit.h"
#include "experiments/experiment_folder.h"

namespace cnnzoo::experiments {

/// A training experiment's schedule, the same for every run (recorded in results.json: --resume keeps only
/// runs made with the same one).
struct Schedule {
  std::string data{};
  int64_t epochs = 0, subset = 0, val_subset = 0, batch = 0;
  double lr = 0;
  double warmup_epochs = 0.2;  ///< fit()'s linear warm-up from a tenth of lr (its default: 0.2 epochs)
  int threads = 0;

  nlohmann::json to_json() const;
};

/// An experiment's default schedule `s` with the user's options applied: the data and threads, then --quick (a
/// smoke run: one epoch of `quick_subset` training and `quick_val` test images), then --epochs and --subset.
Schedule with_options(Schedule s, const ExperimentOptions& o, int64_t quick_subset, int64_t quick_val);

/// One network an experiment trains: `key` names it in results.json and the run folders ("plain56_nobn"),
/// `model` and `options` build it.
struct RunSpec {
  std::string key;
  std::string model;
  ModelOptions options{};
  int64_t image_size = 0;  ///< FitOptions::image_size: 0 = the data's own size
  /// Runs of this spec, seeds 0..seeds-1; 0 = ExperimentOptions::seeds (an ensemble trains one member of a
  /// family once and another for several seeds).
  int64_t seeds = 0;

  int64_t seeds_of(const ExperimentOptions& o) const { return seeds > 0 ? seeds : o.seeds; }
};

struct RunRecord {
  std::string model;  ///< the RunSpec's key
  uint64_t seed = 0;
  std::vector<double> train_error{}, test_error{}, train_loss{};  ///< per epoch; errors in [0, 1]
  std::vector<double> step_loss{};                                ///< the loss of every training step, in order
  /// Where the loss turned NaN or infinite ("epoch 1 batch 12"); empty for a run that finished. The per-epoch
  /// figures then end with the last finished epoch.
  std::string diverged{};
  double seconds = 0;

  bool finished(int64_t epochs) const {
    return !diverged.empty() || static_cast<int64_t>(train_error.size()) == epochs;
  }

  nlohmann::json to_json() const;
  static RunRecord from_json(const nlohmann::json& j);
};

/// Mean and sample standard deviation (0 for one value).
struct Spread {
  double mean = 0, sd = 0;
};
Spread spread(const std::vector<double>& values);

/// The final-epoch figures of a model over its runs that finished (diverged runs are counted apart).
struct ModelSummary {
  std::string model;
  int64_t runs = 0, diverged = 0;
  Spread train_error{}, test_error{}, train_loss{};
};
ModelSummary summarize(const std::string& model, const std::vector<RunRecord>& runs);

/// The per-epoch mean over a model's runs of one figure (`field`: train_error, test_error or train_loss).
std::vector<double> mean_curve(const std::vector<RunRecord>& runs, const std::string& model,
                               std::vector<double> RunRecord::*field);

/// The RunSpecs of zoo models under their own names, with default options.
std::vector<RunSpec> zoo_models(const std::vector<std::string>& models);

/// The folder a run's fit() writes into: OUT/runs/KEY_seedS (its checkpoints, metrics.csv, report.html).
std::string run_folder(const ExperimentOptions& options, const std::string& key, uint64_t seed);

/// Trains every spec for its seeds (spec by spec, seed by seed), keeping those that
/// folder.previous() holds with the same schedule, and rewriting results.json after each. A run whose loss
/// turns NaN or infinite is recorded as diverged, and the experiment goes on.
std::vector<RunRecord> train_runs(const std::string& experiment, const std::vector<RunSpec>& specs,
                                  const Schedule& schedule, const ExperimentOptions& options,
                                  const ExperimentCallbacks& callbacks, ExperimentFolder& folder);

}  // namespace cnnzoo::experiments
