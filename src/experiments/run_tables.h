// What every training experiment reports about its runs, in one place: percentages as the tables print them,
// each model's summary in results.json, the time per run, and the sentence that states the schedule.
#pragma once

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

#include "experiments/training_runs.h"
#include "experiments/wording.h"
#include "html/svg_chart.h"

namespace cnnzoo::experiments {

/// "12.3 ± 0.4%" over several runs, "12.3%" for one.
std::string percent_spread(const Spread& s, int64_t runs);

/// The mean wall time of a model's runs, in seconds.
double seconds_per_run(const std::vector<RunRecord>& runs, const std::string& model);

/// results.json's "summary" entry of a model: runs, diverged runs, final-epoch figures (mean, sd), seconds.
nlohmann::json summary_json(const ModelSummary& s, double seconds);

/// The schedule in words for captions and notes: "fashion-mnist, first 6000 training images, 2000 test images,
/// 5 epochs, batch 128, SGD lr 0.1 cosine after a 0.2-epoch warm-up; 3 seeds (curves: means)".
std::string setting_text(const Schedule& schedule, int64_t seeds);

/// A panel of per-epoch error curves (percent), one colour per run key: training error dashed, test error solid,
/// means over the seeds. `keys_and_labels`: {results.json key, legend label}.
html::LinePanel error_panel(const std::string& title, const std::vector<RunRecord>& runs,
                            const std::vector<std::pair<std::string, std::string>>& keys_and_labels);

/// The mean of `values` over windows of `window` (the last one may be shorter): a step-loss curve made
/// readable. x is the window's last step (1-based).
void windowed_means(const std::vector<double>& values, int64_t window, std::vector<double>& x, std::vector<double>& y);

}  // namespace cnnzoo::experiments
