// `experiment auxiliary`: GoogLeNet's auxiliary classifiers against batch norm. Szegedy et al. 2014 add two
// auxiliary classifiers (loss weight 0.3) to get gradients into the middle of their 22-layer net; Ioffe &
// Szegedy 2015 then train the same net with batch norm, and later Inceptions keep the heads only as
// regularisers. The lecture's claim: with BN the auxiliary classifiers are no longer needed. Measured here on
// the paper's net (no BN, Caffe's bvlc_googlenet initialisation) with and without its heads, and on
// torchvision's GoogLeNet (BN after every convolution) without them.
#include <fmt/format.h>

#include "analysis/text_table.h"
#include "experiments/run_tables.h"
#include "experiments/runners.h"
#include "experiments/training_runs.h"
#include "html/page.h"
#include "html/svg_chart.h"

namespace cnnzoo::experiments {
namespace {

// The networks take Fashion-MNIST resized to 64x64: GoogLeNet divides its input by 32, and at 64 pixels the
// paper's fixed pools (5x5/3 before the heads, 7x7 at the end) are narrowed to the 4x4 and 2x2 maps
// (src/models/googlenet.cpp). A 224 input would cost 12 times as much.
constexpr int64_t kImageSize = 64;

struct Net {
  const char* key;
  const char* label;
  RunSpec spec;
};

const std::vector<Net>& nets() {
  static const std::vector<Net> all = {
      {"googlenet_paper_aux",
       "paper, no BN, with aux heads",
       {.key = "googlenet_paper_aux",
        .model = "googlenet_paper",
        .options = {.aux_logits = true},
        .image_size = kImageSize}},
      {"googlenet_paper",
       "paper, no BN, without aux heads",
       {.key = "googlenet_paper", .model = "googlenet_paper", .image_size = kImageSize}},
      {"googlenet", "BN, without aux heads", {.key = "googlenet", .model = "googlenet", .image_size = kImageSize}},
  };
  return all;
}

// The rate of bvlc_googlenet's solvers (0.01; the paper's own is not published), batch 64. 282 steps.
Schedule schedule_of(const ExperimentOptions& o) {
  // --quick: two batches.
  return with_options({.epochs = 3, .subset = 6000, .val_subset = 2000, .batch = 64, .lr = 0.01}, o, 128, 64);
}

// Half a percentage point of final test error counts as "as well" (seed-to-seed noise of a few hundred steps).
constexpr double kTolerance = 0.005;
// The comparison means something only once the BN net has learned: its test error under half (chance is 90%).
constexpr double kLearnedError = 0.5;

std::string finding_of(const ModelSummary& with_aux, const ModelSummary& without_aux, const ModelSummary& bn,
                       bool* reproduced) {
  *reproduced = bn.runs > 0 && bn.test_error.mean < kLearnedError &&
                (with_aux.runs == 0 || bn.test_error.mean <= with_aux.test_error.mean + kTolerance);
  const auto error = [](const ModelSummary& s) {
    return s.runs > 0
               ? fmt::format("{} test error ({} training)", percent(s.test_error.mean), percent(s.train_error.mean))
               : std::string("diverged");
  };
  const bool heads_help =
      with_aux.runs > 0 && without_aux.runs > 0 && with_aux.test_error.mean < without_aux.test_error.mean - kTolerance;
  const std::string numbers = fmt::format(
      "GoogLeNet with BN and no auxiliary heads {}; the paper's net without BN {} with its heads and {} without "
      "them, so the heads {}",
      error(bn), error(with_aux), error(without_aux), heads_help ? "helped it" : "did not help it here");
  if (!*reproduced) return fmt::format("Not reproduced: {}.", numbers);
  return fmt::format("Batch norm does what the auxiliary classifiers were for: {}.", numbers);
}

}  // namespace

// Measured at the default schedule on 2 otherwise idle cores (docs/experiments.md): 14 min 56 s for 3 seeds
// (11.5 min for one seed on cores shared with a fuzzer and builds).
std::string auxiliary_default_time() { return "about 5 min on 2 cores"; }

ExperimentOutcome run_auxiliary(const ExperimentOptions& options, const ExperimentCallbacks& callbacks,
                                ExperimentFolder& folder) {
  const Schedule schedule = schedule_of(options);
  std::vector<RunSpec> specs;
  for (const Net& n : nets()) specs.push_back(n.spec);
  const std::vector<RunRecord> runs = train_runs("auxiliary", specs, schedule, options, callbacks, folder);
  std::vector<ModelSummary> summaries;
  for (const Net& n : nets()) summaries.push_back(summarize(n.key, runs));

  ExperimentOutcome out;
  out.finding = finding_of(summaries[0], summaries[1], summaries[2], &out.reproduced);
  TextTable table{.header = {"network", "runs", "diverged", "train error", "test error", "time/run"},
                  .numeric = {false, true, true, true, true, true}};
  out.results = {{"experiment", "auxiliary"},
                 {"schedule", schedule.to_json()},
                 {"image_size", kImageSize},
                 {"runs", nlohmann::json::array()}};
  for (const RunRecord& r : runs) out.results["runs"].push_back(r.to_json());
  std::vector<std::pair<std::string, std::string>> curves;
  for (std::size_t i = 0; i < summaries.size(); ++i) {
    const ModelSummary& s = summaries[i];
    const double seconds = seconds_per_run(runs, s.model);
    table.rows.push_back({nets()[i].label, fmt::format("{}", s.runs + s.diverged), fmt::format("{}", s.diverged),
                          s.runs > 0 ? percent_spread(s.train_error, s.runs) : "-",
                          s.runs > 0 ? percent_spread(s.test_error, s.runs) : "-", fmt::format("{:.0f} s", seconds)});
    out.results["summary"][s.model] = summary_json(s, seconds);
    curves.emplace_back(nets()[i].key, nets()[i].label);
  }
  out.results["finding"] = out.finding;
  out.results["reproduced"] = out.reproduced;
  out.table = table.text();

  const std::string setting =
      fmt::format("{}; images resized to {}x{}", setting_text(schedule, options.seeds), kImageSize, kImageSize);
  html::LineChart chart{.title = "GoogLeNet: auxiliary classifiers against batch norm, error per epoch",
                        .x_label = "epoch",
                        .y_label = "error (%)"};
  chart.panels.push_back(error_panel("main classifier", runs, curves));
  chart.y_min = 0.0;
  Section section{.title = "Auxiliary classifiers (Szegedy et al. 2014) and batch norm (Ioffe & Szegedy 2015)",
                  .finding = out.finding};
  section.figures = {{"auxiliary_error.svg", html::svg_line_chart(chart),
                      "Error of the main classifier: training dashed, test solid; " + setting}};
  section.table_html = html::table(table.header, table.rows);
  section.notes = {
      "The auxiliary heads' losses count with weight 0.3 each in training (the paper's), so the training loss of the "
      "net with heads is not comparable with the others: the figure and the table give the main classifier's errors.",
      "The paper's net starts as Caffe's bvlc_googlenet replication (xavier weights, convolution biases 0.2); "
      "torchvision's GoogLeNet as torchvision draws it. " +
          setting + "."};
  folder.write_all(out.results, "cnnzoo experiment auxiliary: GoogLeNet's auxiliary classifiers against batch norm",
                   out.finding, {section});
  return out;
}

}  // namespace cnnzoo::experiments
