// cnnzoo experiment: the lecture's findings reproduced (cnnzoo/experiments.h). `experiment list` names them;
// `experiment NAME --out DIR` runs one, writes its results, figures and report, and prints its table and finding.
#include <fmt/format.h>

#include <memory>

#include "cnnzoo/error.h"
#include "cnnzoo/experiments.h"
#include "commands.h"
#include "flag_checks.h"
#include "progress.h"

namespace cnnzoo::cli {
namespace {

struct ExperimentArgs {
  std::string name;
  ExperimentOptions options;
  std::optional<int64_t> epochs, subset;
};

void print_list() {
  fmt::print("{:<13} {:<29} {}\n", "experiment", "default time", "what it shows");
  for (const ExperimentInfo& e : list_experiments()) fmt::print("{:<13} {:<29} {}\n", e.name, e.default_time, e.shows);
  fmt::print("run one: cnnzoo experiment NAME --out DIR (cnnzoo experiment --help)\n");
}

// Progress of a training experiment: a line per run, and a bar per epoch on a terminal; of a measuring one
// (cost), one bar over its points.
ExperimentCallbacks progress_callbacks(std::unique_ptr<Progress>& bar, std::unique_ptr<Progress>& points) {
  ExperimentCallbacks c;
  c.on_measure = [&points](const std::string& what, int done, int total) {
    if (!points) points = std::make_unique<Progress>("measuring", total, "point");
    points->update(done - 1, what);
  };
  c.on_run_start = [&bar](const std::string& model, uint64_t seed, int run, int runs) {
    bar.reset();
    fmt::print("run {}/{}: {} seed {}\n", run, runs, model, seed);
    std::fflush(stdout);
  };
  c.on_run_kept = [](const std::string& model, uint64_t seed) {
    fmt::print("kept: {} seed {} (finished in results.json)\n", model, seed);
  };
  c.on_run_diverged = [&bar](const std::string& model, uint64_t seed, const std::string& where) {
    bar.reset();
    fmt::print("  {} seed {}: the loss turned NaN or infinite at {}; recorded as diverged\n", model, seed, where);
  };
  c.fit.on_batch = [&bar](int64_t epoch, int64_t done, int64_t total, double loss, double accuracy) {
    if (done == 1) bar = std::make_unique<Progress>(fmt::format("  epoch {}", epoch), total, "batch");
    if (!bar) return;
    bar->update(done, fmt::format("loss {:.4f} train error {:.2f}%", loss, 100 * (1 - accuracy)));
    if (done == total) bar->finish();
  };
  c.fit.on_epoch = [](const EpochMetrics& m) {
    fmt::print("  epoch {:3}  train loss {:.4f} train error {:.2f}%  test error {:.2f}%  {:.1f} s\n", m.epoch,
               m.train_loss, 100 * (1 - m.train_accuracy), 100 * (1 - m.top1), m.seconds);
    std::fflush(stdout);
  };
  return c;
}

void run_experiment_command(ExperimentArgs args) {
  if (args.name == "list") return print_list();
  if (args.options.out_dir.empty()) {
    throw InvalidArgument(
        fmt::format("--out: give a folder for the results (cnnzoo experiment {} --out DIR)", args.name));
  }
  args.options.epochs = args.epochs;
  args.options.subset = args.subset;
  std::unique_ptr<Progress> bar, points;
  const ExperimentCallbacks callbacks = progress_callbacks(bar, points);
  const ExperimentOutcome outcome = run_experiment(args.name, args.options, callbacks);
  if (points) points->finish();
  fmt::print("\n{}\n{}\n\n", outcome.table, outcome.finding);
  for (const std::string& file : outcome.files) fmt::print("wrote {}\n", file);
}

}  // namespace

void add_experiment_command(CLI::App& app) {
  auto args = std::make_shared<ExperimentArgs>();
  ExperimentOptions& o = args->options;
  CLI::App* cmd = app.add_subcommand(
      "experiment", "Reproduce one of the lecture's findings: results.json, SVG figures and report.html in --out");
  cmd->add_option("name", args->name, "An experiment (see `cnnzoo experiment list`), or `list`")->required();
  cmd->add_option("--out", o.out_dir, "Folder for results.json, the SVG figures and report.html");
  cmd->add_flag("--overwrite", o.overwrite, "Start afresh even if OUT holds an experiment's results");
  cmd->add_flag("--resume", o.resume,
                "Training experiments: keep the runs OUT/results.json already holds and run the others");
  cmd->add_flag("--quick", o.quick, "A smoke run: a tiny subset and one epoch (a minute or two), for tests");
  cmd->add_option("--data", o.data, "Training experiments: fashion-mnist, mnist:DIR, cifar10:DIR, ...")
      ->default_val(o.data);
  cmd->add_option("--epochs", args->epochs, "Training experiments: epochs per run (default: the experiment's)")
      ->check(at_least(1));
  cmd->add_option("--subset", args->subset,
                  "Training experiments: train on the first N images (default: the experiment's)")
      ->check(at_least(1));
  cmd->add_option("--seeds", o.seeds, "Training experiments: runs per model, seeds 0..K-1 (mean and spread)")
      ->default_val(1)
      ->check(at_least(1));
  add_threads_option(*cmd, o.threads, "Engine threads of training and measuring experiments (0 = every core)");
  cmd->footer(
      "Each experiment writes OUT/results.json, one SVG per chart (OUT/*.svg) and OUT/report.html, and prints a "
      "short table and its finding with the measured numbers (\"not reproduced\" when the data disagree with the "
      "lecture). Options an experiment does not take are refused. `cnnzoo experiment list` gives each one's "
      "default time.");
  cmd->callback([args] { run_experiment_command(*args); });
}

}  // namespace cnnzoo::cli
