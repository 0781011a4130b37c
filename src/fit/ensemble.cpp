// Ensembles of checkpoints (cnnzoo/ensemble.h).
#include "cnnzoo/ensemble.h"

#include <fmt/format.h>

#include <algorithm>
#include <memory>

#include "cnnzoo/error.h"

namespace cnnzoo {

CheckpointEvaluation evaluate_checkpoint(const std::string& path, const CheckpointEvaluationOptions& options) {
  CheckpointEvaluation out{.model = load_trained_model(path), .result = {}};
  std::unique_ptr<Dataset> data =
      open_dataset(options.data.empty() ? out.model.data : options.data, Split::Test, {.budgets = options.budgets});
  if (options.subset > 0) data = take_first(std::move(data), options.subset);
  ModelOptions model_options = out.model.options;
  model_options.batch = std::min<int64_t>(options.batch, data->size());
  const Graph graph = build_model(out.model.model, model_options);
  if (options.precision == Precision::INT8) {
    out.quantization = stored_quantization(out.model.meta, path);
    if (!out.quantization) {
      const std::unique_ptr<Dataset> train = open_dataset(out.model.data, Split::Train, {.budgets = options.budgets});
      CalibrationOptions calibration = options.calibration;
      calibration.threads = options.threads;
      out.quantization = std::make_shared<const Quantization>(
          calibrate_on_data(graph, out.model.parameters, *train, options.calibration_images, calibration));
      out.calibrated_here = true;
    }
  }
  out.result = evaluate(graph, out.model.parameters, *data, options.threads, 1, options.callbacks, options.precision,
                        out.quantization);
  return out;
}

Evaluation ensemble_evaluation(std::span<const Evaluation> members, std::span<const std::string> names) {
  if (members.empty()) throw InvalidArgument("an ensemble needs at least one member");
  if (names.size() != members.size()) {
    throw InvalidArgument(fmt::format("an ensemble of {} members has {} names", members.size(), names.size()));
  }
  const Evaluation& first = members.front();
  Tensor mean(first.probabilities.shape());
  const auto count = static_cast<float>(members.size());
  for (std::size_t m = 0; m < members.size(); ++m) {
    const Evaluation& member = members[m];
    if (member.probabilities.shape() != mean.shape()) {
      throw InvalidArgument(fmt::format("{} gives {} probabilities, {} gives {} (members must share their data)",
                                        names[m], to_string(member.probabilities.shape()), names.front(),
                                        to_string(mean.shape())));
    }
    if (member.labels != first.labels) {
      throw InvalidArgument(
          fmt::format("{} was evaluated on images of other labels than {} (members must share their data)", names[m],
                      names.front()));
    }
    const auto p = member.probabilities.f32();
    auto sum = mean.f32();
    for (std::size_t i = 0; i < p.size(); ++i) sum[i] += p[i] / count;
  }
  return score(std::move(mean), first.labels, static_cast<int64_t>(first.confusion.size()));
}

}  // namespace cnnzoo
