// The runs of a training experiment (training_runs.h).
#include "experiments/training_runs.h"

#include <fmt/format.h>

#include <chrono>
#include <cmath>
#include <filesystem>
#include <numeric>

#include "cnnzoo/error.h"
#include "io/json_get.h"

namespace cnnzoo::experiments {
namespace {

// Runs of `previous` (a results.json) made with `schedule`; an --resume under another schedule is refused,
// since its runs could not be compared with the new ones.
std::vector<RunRecord> kept_runs(const std::optional<nlohmann::json>& previous, const Schedule& schedule) {
  if (!previous) return {};
  if (previous->value("schedule", nlohmann::json()) != schedule.to_json()) {
    throw OptionError({"ExperimentOptions::resume"},
                      fmt::format("ExperimentOptions::resume: the results there were made with {}, not {}; give the "
                                  "same options, or pass ExperimentOptions::overwrite to start again",
                                  previous->value("schedule", nlohmann::json()).dump(), schedule.to_json().dump()));
  }
  std::vector<RunRecord> runs;
  for (const nlohmann::json& j : previous->value("runs", nlohmann::json::array())) {
    try {
      runs.push_back(RunRecord::from_json(j));
    } catch (const nlohmann::json::exception& e) {
      throw Error(fmt::format("results.json: a run cannot be read ({}); pass --overwrite to start again", e.what()));
    }
  }
  return runs;
}

}  // namespace

nlohmann::json Schedule::to_json() const {
  return {{"data", data},
          {"epochs", epochs},
          {"subset", subset},
          {"val_subset", val_subset},
          {"batch", batch},
          {"lr", lr},
          {"warmup_epochs", warmup_epochs},
          {"schedule", "cosine"},
          {"optimizer", "sgd nesterov 0.9, wd 5e-4"}};
}

nlohmann::json RunRecord::to_json() const {
  nlohmann::json j = {
      {"model", model},           {"seed", seed},           {"train_error", train_error}, {"test_error", test_error},
      {"train_loss", train_loss}, {"step_loss", step_loss}, {"seconds", seconds}};
  if (!diverged.empty()) j["diverged"] = diverged;
  return j;
}

RunRecord RunRecord::from_json(const nlohmann::json& j) {
  return {.model = j.at("model").get<std::string>(),
          .seed = json_get<uint64_t>(j.at("seed")),
          .train_error = j.at("train_error").get<std::vector<double>>(),
          .test_error = j.at("test_error").get<std::vector<double>>(),
          .train_loss = j.at("train_loss").get<std::vector<double>>(),
          .step_loss = j.value("step_loss", std::vector<double>{}),
          .diverged = j.value("diverged", std::string()),
          .seconds = j.at("seconds").get<double>()};
}

Spread spread(const std::vector<double>& values) {
  if (values.empty()) return {};
  const double n = static_cast<double>(values.size());
  const double mean = std::accumulate(values.begin(), values.end(), 0.0) / n;
  double ss = 0;
  for (const double v : values) ss += (v - mean) * (v - mean);
  return {mean, values.size() > 1 ? std::sqrt(ss / (n - 1)) : 0.0};
}

ModelSummary summarize(const std::string& model, const std::vector<RunRecord>& runs) {
  std::vector<double> train, test, loss;
  int64_t diverged = 0;
  for (const RunRecord& r : runs) {
    if (r.model != model) continue;
    if (!r.diverged.empty()) ++diverged;
    if (!r.diverged.empty() || r.train_error.empty()) continue;
    train.push_back(r.train_error.back());
    test.push_back(r.test_error.back());
    loss.push_back(r.train_loss.back());
  }
  return {model, static_cast<int64_t>(train.size()), diverged, spread(train), spread(test), spread(loss)};
}

std::vector<double> mean_curve(const std::vector<RunRecord>& runs, const std::string& model,
                               std::vector<double> RunRecord::*field) {
  std::vector<double> sum;
  std::vector<int> count;
  for (const RunRecord& r : runs) {
    if (r.model != model) continue;
    const std::vector<double>& values = r.*field;
    sum.resize(std::max(sum.size(), values.size()), 0.0);
    count.resize(sum.size(), 0);
    for (std::size_t i = 0; i < values.size(); ++i) sum[i] += values[i], ++count[i];
  }
  for (std::size_t i = 0; i < sum.size(); ++i) sum[i] /= count[i];
  return sum;
}

Schedule with_options(Schedule s, const ExperimentOptions& o, int64_t quick_subset, int64_t quick_val) {
  s.data = o.data;
  s.threads = o.threads;
  if (o.quick) s.epochs = 1, s.subset = quick_subset, s.val_subset = quick_val;
  if (o.epochs) s.epochs = *o.epochs;
  if (o.subset) s.subset = *o.subset;
  return s;
}

std::vector<RunSpec> zoo_models(const std::vector<std::string>& models) {
  std::vector<RunSpec> specs;
  for (const std::string& m : models) specs.push_back({.key = m, .model = m});
  return specs;
}

std::string run_folder(const ExperimentOptions& options, const std::string& key, uint64_t seed) {
  return (std::filesystem::path(options.out_dir) / "runs" / fmt::format("{}_seed{}", key, seed)).string();
}

namespace {

// One run with fit()'s recipe (SGD, Nesterov, cosine) and the experiment's schedule; a diverged run keeps
// the epochs it finished.
RunRecord train_one(const RunSpec& spec, uint64_t seed, const Schedule& schedule, const ExperimentOptions& options,
                    const ExperimentCallbacks& callbacks) {
  FitOptions fit_options;
  fit_options.model = spec.model;
  fit_options.model_options = spec.options;
  fit_options.image_size = spec.image_size;
  fit_options.data = schedule.data;
  fit_options.epochs = schedule.epochs;
  fit_options.batch_size = schedule.batch;
  fit_options.subset = schedule.subset;
  fit_options.val_subset = schedule.val_subset;
  fit_options.seed = seed;
  fit_options.threads = schedule.threads;
  fit_options.out_dir = run_folder(options, spec.key, seed);
  fit_options.overwrite = true;  // an unfinished run is run again from its start
  fit_options.schedule.base_lr = schedule.lr;
  fit_options.schedule.warmup_epochs = schedule.warmup_epochs;
  RunRecord record{.model = spec.key, .seed = seed};
  FitCallbacks fit_callbacks = callbacks.fit;
  fit_callbacks.on_step = [&](int64_t step, double loss) {
    record.step_loss.push_back(loss);
    if (callbacks.fit.on_step) callbacks.fit.on_step(step, loss);
  };
  const auto start = std::chrono::steady_clock::now();
  std::vector<EpochMetrics> history;
  try {
    history = fit(fit_options, fit_callbacks).history;
  } catch (const TrainingDiverged& e) {
    history = e.history;
    record.diverged = fmt::format("epoch {} batch {}", e.epoch, e.batch);
  }
  for (const EpochMetrics& m : history) {
    record.train_error.push_back(1 - m.train_accuracy);
    record.test_error.push_back(1 - m.top1);
    record.train_loss.push_back(m.train_loss);
  }
  record.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  return record;
}

}  // namespace

std::vector<RunRecord> train_runs(const std::string& experiment, const std::vector<RunSpec>& specs,
                                  const Schedule& schedule, const ExperimentOptions& options,
                                  const ExperimentCallbacks& callbacks, ExperimentFolder& folder) {
  const std::vector<RunRecord> previous = kept_runs(folder.previous(), schedule);
  std::vector<RunRecord> runs;
  const auto write = [&] {
    nlohmann::json j = {
        {"experiment", experiment}, {"schedule", schedule.to_json()}, {"runs", nlohmann::json::array()}};
    for (const RunRecord& r : runs) j["runs"].push_back(r.to_json());
    folder.write_results(j);
  };
  int total = 0;
  for (const RunSpec& spec : specs) total += static_cast<int>(spec.seeds_of(options));
  int index = 0;
  for (const RunSpec& spec : specs) {
    for (uint64_t seed = 0; seed < static_cast<uint64_t>(spec.seeds_of(options)); ++seed) {
      ++index;
      const auto kept = std::find_if(previous.begin(), previous.end(), [&](const RunRecord& r) {
        return r.model == spec.key && r.seed == seed && r.finished(schedule.epochs);
      });
      if (kept != previous.end()) {
        runs.push_back(*kept);
        if (callbacks.on_run_kept) callbacks.on_run_kept(spec.key, seed);
        continue;
      }
      if (callbacks.on_run_start) callbacks.on_run_start(spec.key, seed, index, total);
      runs.push_back(train_one(spec, seed, schedule, options, callbacks));
      if (callbacks.on_run_diverged && !runs.back().diverged.empty()) {
        callbacks.on_run_diverged(spec.key, seed, runs.back().diverged);
      }
      write();
    }
  }
  write();
  return runs;
}

}  // namespace cnnzoo::experiments
