// `experiment batchnorm`: the same deep plain nets with and without batch normalisation, at the usual rate.
// Ioffe & Szegedy 2015 argue that BN makes deep networks trainable at high learning rates; He et al. 2015
// (section 4.1) train their plain nets only with it. Without BN, a 56-layer plain net at lr 0.1 is expected
// not to train at all: its loss stays at chance (ln 10 for ten classes) or diverges.
#include <fmt/format.h>

#include <cmath>

#include "analysis/text_table.h"
#include "experiments/run_tables.h"
#include "experiments/runners.h"
#include "experiments/training_runs.h"
#include "html/page.h"
#include "html/svg_chart.h"

namespace cnnzoo::experiments {
namespace {

const std::vector<int64_t> kDepths = {20, 56};
const double kChanceLoss = std::log(10.0);  // cross-entropy of a uniform guess over ten classes

// Both verdicts measure the final training loss against chance: a net "trains" when its loss fell below 75% of
// chance; it "does not train" when its loss is still at 90% of chance or more, or it diverged.
constexpr double kTrainedLossShare = 0.75;
constexpr double kUntrainedLossShare = 0.9;

std::string key_of(int64_t depth, bool bn) { return fmt::format("plain{}{}", depth, bn ? "" : "_nobn"); }
std::string label_of(int64_t depth, bool bn) {
  return fmt::format("plain-{} {}", depth, bn ? "with BN" : "without BN");
}

std::vector<RunSpec> specs() {
  std::vector<RunSpec> out;
  for (const int64_t depth : kDepths) {
    for (const bool bn : {true, false}) {
      out.push_back({.key = key_of(depth, bn), .model = fmt::format("plain{}", depth), .options = {.no_bn = !bn}});
    }
  }
  return out;
}

// He et al.'s CIFAR rate (0.1) and batch (128); 188 steps on 6,000 images, enough for plain-56 with BN to
// reach about a third of chance error while the net without it has not moved.
Schedule schedule_of(const ExperimentOptions& o) {
  // --quick: two batches.
  return with_options({.epochs = 4, .subset = 6000, .val_subset = 2000, .batch = 128, .lr = 0.1}, o, 256, 128);
}

bool trains(const ModelSummary& s) {
  return s.diverged == 0 && s.runs > 0 && s.train_loss.mean < kTrainedLossShare * kChanceLoss;
}
bool does_not_train(const ModelSummary& s) {
  return s.diverged > 0 || (s.runs > 0 && s.train_loss.mean >= kUntrainedLossShare * kChanceLoss);
}

// "training error 31.2% (loss 0.85)", or where it diverged.
std::string outcome_text(const ModelSummary& s, const std::vector<RunRecord>& runs) {
  if (s.diverged > 0) {
    for (const RunRecord& r : runs) {
      if (r.model == s.model && !r.diverged.empty()) return "the loss turned NaN or infinite at " + r.diverged;
    }
  }
  return fmt::format("training error {}, loss {:.3f}", percent(s.train_error.mean), s.train_loss.mean);
}

std::string finding_of(const std::vector<ModelSummary>& s, const std::vector<RunRecord>& runs, int64_t steps,
                       bool* reproduced) {
  // s holds plain-20 with and without BN, then plain-56 with and without.
  const ModelSummary &deep_bn = s[2], &deep_plain = s[3];
  *reproduced = trains(deep_bn) && does_not_train(deep_plain);
  const std::string numbers = fmt::format(
      "after {} steps at lr 0.1, plain-56 with BN: {}; without BN: {} (chance: loss {:.3f}, error 90%); plain-20 with "
      "BN: {}; without: {}",
      steps, outcome_text(deep_bn, runs), outcome_text(deep_plain, runs), kChanceLoss, outcome_text(s[0], runs),
      outcome_text(s[1], runs));
  if (!*reproduced) return fmt::format("Not reproduced: {}.", numbers);
  return fmt::format("Batch norm makes the deep plain net trainable: {}.", numbers);
}

// Training loss per step (means over windows of steps and over the seeds), one panel per depth, with and
// without BN, and chance as a flat line.
html::LineChart loss_chart(const std::vector<RunRecord>& runs, int64_t steps) {
  html::LineChart chart{.title = "Training loss per step, with and without batch norm",
                        .x_label = "training step",
                        .y_label = "training loss (cross-entropy)"};
  const int64_t window = std::max<int64_t>(1, steps / 40);
  for (const int64_t depth : kDepths) {
    html::LinePanel panel{.title = fmt::format("plain-{}", depth)};
    int color = 0;
    for (const bool bn : {true, false}) {
      html::LineSeries s{.label = label_of(depth, bn), .color = color++, .dashed = !bn};
      windowed_means(mean_curve(runs, key_of(depth, bn), &RunRecord::step_loss), window, s.x, s.y);
      panel.series.push_back(std::move(s));
    }
    panel.series.push_back({.label = "chance (ln 10)",
                            .x = {1.0, static_cast<double>(steps)},
                            .y = {kChanceLoss, kChanceLoss},
                            .color = 7,
                            .dashed = true});
    chart.panels.push_back(std::move(panel));
  }
  chart.y_min = 0.0;
  return chart;
}

// Training (dashed) and test (solid) error per epoch, one panel per depth.
html::LineChart error_chart(const std::vector<RunRecord>& runs) {
  html::LineChart chart{
      .title = "Error per epoch, with and without batch norm", .x_label = "epoch", .y_label = "error (%)"};
  for (const int64_t depth : kDepths) {
    chart.panels.push_back(
        error_panel(fmt::format("plain-{}", depth), runs,
                    {{key_of(depth, true), label_of(depth, true)}, {key_of(depth, false), label_of(depth, false)}}));
  }
  chart.y_min = 0.0;
  chart.y_max = 100.0;
  return chart;
}

}  // namespace

// Measured at the default schedule on 2 otherwise idle cores (docs/experiments.md): 11 min 26 s for 3 seeds (15 min
// for one seed on cores shared with a fuzzer and builds).
std::string batchnorm_default_time() { return "about 4 min on 2 cores"; }

ExperimentOutcome run_batchnorm(const ExperimentOptions& options, const ExperimentCallbacks& callbacks,
                                ExperimentFolder& folder) {
  const Schedule schedule = schedule_of(options);
  const std::vector<RunRecord> runs = train_runs("batchnorm", specs(), schedule, options, callbacks, folder);
  std::vector<ModelSummary> summaries;
  for (const RunSpec& spec : specs()) summaries.push_back(summarize(spec.key, runs));
  const int64_t steps = schedule.epochs * (schedule.subset / schedule.batch);

  ExperimentOutcome out;
  out.finding = finding_of(summaries, runs, steps, &out.reproduced);
  TextTable table{.header = {"model", "runs", "diverged", "train error", "test error", "train loss", "time/run"},
                  .numeric = {false, true, true, true, true, true, true}};
  out.results = {{"experiment", "batchnorm"}, {"schedule", schedule.to_json()}, {"runs", nlohmann::json::array()}};
  for (const RunRecord& r : runs) out.results["runs"].push_back(r.to_json());
  for (std::size_t i = 0; i < summaries.size(); ++i) {
    const ModelSummary& s = summaries[i];
    const double seconds = seconds_per_run(runs, s.model);
    table.rows.push_back({label_of(kDepths[i / 2], i % 2 == 0), fmt::format("{}", s.runs + s.diverged),
                          fmt::format("{}", s.diverged), s.runs > 0 ? percent_spread(s.train_error, s.runs) : "-",
                          s.runs > 0 ? percent_spread(s.test_error, s.runs) : "-",
                          s.runs > 0 ? fmt::format("{:.4f}", s.train_loss.mean) : "-",
                          fmt::format("{:.0f} s", seconds)});
    out.results["summary"][s.model] = summary_json(s, seconds);
  }
  out.results["chance_loss"] = kChanceLoss;
  out.results["finding"] = out.finding;
  out.results["reproduced"] = out.reproduced;
  out.table = table.text();

  const std::string setting = setting_text(schedule, options.seeds);
  Section section{.title = "Plain nets with and without batch normalisation", .finding = out.finding};
  section.figures = {
      {"batchnorm_loss.svg", html::svg_line_chart(loss_chart(runs, steps)),
       "Training loss per step (means over windows of steps); with BN solid, without dashed; " + setting},
      {"batchnorm_error.svg", html::svg_line_chart(error_chart(runs)),
       "Training error dashed, test error solid; " + setting}};
  section.table_html = html::table(table.header, table.rows);
  section.notes = {
      "Without BN the convolutions have biases (PyTorch's default initialisation for them) and the same "
      "Kaiming-normal weights; nothing else changes. A run whose loss turns NaN or infinite is recorded as "
      "diverged and its curves stop there. " +
          setting + ".",
      fmt::format("\"Trains\": final training loss under {:.0f}% of chance (ln 10 = {:.3f}); \"does not train\": at "
                  "least {:.0f}% of chance, or diverged.",
                  100 * kTrainedLossShare, kChanceLoss, 100 * kUntrainedLossShare)};
  folder.write_all(out.results, "cnnzoo experiment batchnorm: batch norm makes the deep plain net trainable",
                   out.finding, {section});
  return out;
}

}  // namespace cnnzoo::experiments
