// The shared figures of the training experiments (run_tables.h).
#include "experiments/run_tables.h"

#include <fmt/format.h>

#include <algorithm>
#include <tuple>

namespace cnnzoo::experiments {

std::string percent_spread(const Spread& s, int64_t runs) {
  return runs > 1 ? fmt::format("{:.1f} ± {:.1f}%", 100 * s.mean, 100 * s.sd) : percent(s.mean);
}

double seconds_per_run(const std::vector<RunRecord>& runs, const std::string& model) {
  double seconds = 0;
  int64_t count = 0;
  for (const RunRecord& r : runs) {
    if (r.model == model) seconds += r.seconds, ++count;
  }
  return count > 0 ? seconds / static_cast<double>(count) : 0.0;
}

nlohmann::json summary_json(const ModelSummary& s, double seconds) {
  const auto figure = [](const Spread& v) { return nlohmann::json{{"mean", v.mean}, {"sd", v.sd}}; };
  return {{"runs", s.runs},
          {"diverged_runs", s.diverged},
          {"final_train_error", figure(s.train_error)},
          {"final_test_error", figure(s.test_error)},
          {"final_train_loss", figure(s.train_loss)},
          {"seconds_per_run", seconds}};
}

std::string setting_text(const Schedule& schedule, int64_t seeds) {
  return fmt::format(
      "{}, first {} training images, {} test images, {} epoch{}, batch {}, SGD lr {} cosine after a {}-epoch "
      "warm-up; {} seed{}",
      schedule.data, schedule.subset, schedule.val_subset, schedule.epochs, schedule.epochs == 1 ? "" : "s",
      schedule.batch, schedule.lr, schedule.warmup_epochs, seeds, seeds == 1 ? "" : "s (curves: means)");
}

html::LinePanel error_panel(const std::string& title, const std::vector<RunRecord>& runs,
                            const std::vector<std::pair<std::string, std::string>>& keys_and_labels) {
  html::LinePanel panel{.title = title};
  int color = 0;
  for (const auto& [key, label] : keys_and_labels) {
    for (const auto& [field, what, dashed] : {std::tuple{&RunRecord::train_error, "train (dashed)", true},
                                              std::tuple{&RunRecord::test_error, "test (solid)", false}}) {
      html::LineSeries s{.label = label + " " + what, .color = color, .dashed = dashed};
      const std::vector<double> values = mean_curve(runs, key, field);
      for (std::size_t i = 0; i < values.size(); ++i) {
        s.x.push_back(static_cast<double>(i + 1));
        s.y.push_back(100 * values[i]);
      }
      panel.series.push_back(std::move(s));
    }
    ++color;
  }
  return panel;
}

void windowed_means(const std::vector<double>& values, int64_t window, std::vector<double>& x, std::vector<double>& y) {
  const auto n = static_cast<int64_t>(values.size());
  for (int64_t start = 0; start < n; start += window) {
    const int64_t end = std::min(n, start + window);
    double sum = 0;
    for (int64_t i = start; i < end; ++i) sum += values[static_cast<std::size_t>(i)];
    x.push_back(static_cast<double>(end));
    y.push_back(sum / static_cast<double>(end - start));
  }
}

}  // namespace cnnzoo::experiments
