// The lecture's findings as experiments: each one measures what the lecture claims (the analysis of the zoo's
// graphs, or training runs), draws it and says in one sentence whether the claim holds, with the measured
// numbers. An experiment writes into its folder, each file atomically:
//   results.json  the measured numbers (a training experiment: one entry per run, a summary per model);
//   NAME.svg      one standalone SVG figure per chart;
//   report.html   a self-contained page with the figures, the tables and the finding.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "cnnzoo/fit.h"

namespace cnnzoo {

struct ExperimentInfo {
  std::string name;          ///< "design"
  std::string shows;         ///< one line: the claims it measures
  std::string default_time;  ///< "instant", "about 12 min on 2 cores"
  bool trains = false;       ///< whether it trains networks (and so takes the training options)
};

/// Every experiment, in the lecture's order.
const std::vector<ExperimentInfo>& list_experiments();

/// The experiment of that name; UnknownNameError with the nearest names otherwise.
const ExperimentInfo& find_experiment(const std::string& name);

struct ExperimentOptions {
  std::string out_dir;  ///< required; created when missing
  /// Training experiments only (an analysis experiment refuses them, naming the option):
  std::string data = "fashion-mnist";
  std::optional<int64_t> epochs{};  ///< default: the experiment's schedule
  std::optional<int64_t> subset{};  ///< training images; default: the experiment's
  int64_t seeds = 1;                ///< runs per model (seeds 0 .. seeds-1): mean and spread
  int threads = 0;                  ///< engine threads (0 = every core)
  bool quick = false;               ///< a smoke run: a tiny subset, one epoch
  bool resume = false;              ///< keep the runs OUT/results.json already holds, run the others
  /// Start afresh even when OUT holds an experiment's results.json (else that is an error).
  bool overwrite = false;
};

struct ExperimentCallbacks {
  /// A training run starts: its model, seed, and its place among the experiment's runs (1-based).
  std::function<void(const std::string& model, uint64_t seed, int run, int runs)> on_run_start;
  /// A run from OUT/results.json is kept (--resume).
  std::function<void(const std::string& model, uint64_t seed)> on_run_kept;
  /// A run's loss turned NaN or infinite ("epoch 1 batch 12"); it is recorded as diverged and the experiment
  /// goes on.
  std::function<void(const std::string& model, uint64_t seed, const std::string& where)> on_run_diverged;
  /// The fit() callbacks of every run (progress).
  FitCallbacks fit{};
  /// A measurement starts (experiment cost): what it measures, and its place among the experiment's (1-based).
  std::function<void(const std::string& what, int done, int total)> on_measure;
};

struct ExperimentOutcome {
  nlohmann::json results;          ///< as written to results.json
  std::vector<std::string> files;  ///< the files written, in order (results.json, the SVGs, report.html)
  std::string table;               ///< a short text table of the main numbers
  std::string finding;             ///< one sentence with the measured numbers
  bool reproduced = false;         ///< whether the data agree with the lecture's claim
};

/// The report of an experiment folder (`cnnzoo report DIR`): the report.html its run wrote, once results.json
/// names a known experiment and the page is one cnnzoo wrote; Error naming the file at fault otherwise.
std::string experiment_report_html(const std::string& folder);

/// Runs the experiment `name` into options.out_dir. Throws an OptionError naming the field at fault
/// ("ExperimentOptions::epochs") for an option it does not take or a bad value, before any work starts.
ExperimentOutcome run_experiment(const std::string& name, const ExperimentOptions& options,
                                 const ExperimentCallbacks& callbacks = {});

}  // namespace cnnzoo
