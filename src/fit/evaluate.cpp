// Evaluation: the model over a data set with the evaluation transform, then loss, top-1/top-5, per-class
// accuracy and the confusion matrix.
#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <numeric>

#include "cnnzoo/engine.h"
#include "cnnzoo/error.h"
#include "cnnzoo/fit.h"

namespace cnnzoo {
namespace {

// Softmax of each row of logits (rows x classes), in place.
void softmax_rows(std::span<float> values, int64_t classes) {
  for (std::size_t row = 0; row < values.size() / static_cast<std::size_t>(classes); ++row) {
    auto r = values.subspan(row * static_cast<std::size_t>(classes), static_cast<std::size_t>(classes));
    const float top = *std::max_element(r.begin(), r.end());
    double sum = 0;
    for (float& v : r) sum += (v = std::exp(v - top));
    for (float& v : r) v = static_cast<float>(v / sum);
  }
}

}  // namespace

std::vector<double> per_class_accuracy(const std::vector<std::vector<int64_t>>& confusion) {
  std::vector<double> accuracy;
  for (std::size_t c = 0; c < confusion.size(); ++c) {
    const int64_t total = std::accumulate(confusion[c].begin(), confusion[c].end(), int64_t{0});
    accuracy.push_back(total == 0 ? NAN : static_cast<double>(confusion[c][c]) / static_cast<double>(total));
  }
  return accuracy;
}

Evaluation score(Tensor probabilities, const std::vector<int64_t>& labels, int64_t num_classes) {
  Evaluation e;
  e.images = static_cast<int64_t>(labels.size());
  e.confusion.assign(static_cast<std::size_t>(num_classes),
                     std::vector<int64_t>(static_cast<std::size_t>(num_classes)));
  const auto p = probabilities.f32();
  std::vector<int64_t> order(static_cast<std::size_t>(num_classes));
  int64_t top1 = 0, top5 = 0;
  double loss = 0;
  for (std::size_t i = 0; i < labels.size(); ++i) {
    const auto row = p.subspan(i * static_cast<std::size_t>(num_classes), static_cast<std::size_t>(num_classes));
    const int64_t label = labels[i];
    std::iota(order.begin(), order.end(), 0);
    const auto k = std::min<std::ptrdiff_t>(5, num_classes);
    std::partial_sort(order.begin(), order.begin() + k, order.end(), [&](int64_t a, int64_t b) {
      return row[static_cast<std::size_t>(a)] > row[static_cast<std::size_t>(b)];
    });
    top1 += order[0] == label;
    top5 += std::find(order.begin(), order.begin() + k, label) != order.begin() + k;
    loss -= std::log(std::max(static_cast<double>(row[static_cast<std::size_t>(label)]), 1e-30));
    ++e.confusion[static_cast<std::size_t>(label)][static_cast<std::size_t>(order[0])];
  }
  const auto n = static_cast<double>(std::max<int64_t>(e.images, 1));
  e.top1 = static_cast<double>(top1) / n;
  e.top5 = static_cast<double>(top5) / n;
  e.loss = loss / n;
  e.per_class = per_class_accuracy(e.confusion);
  e.probabilities = std::move(probabilities);
  e.labels = labels;
  return e;
}

std::vector<int64_t> top1_classes(const Tensor& scores) {
  if (scores.shape().size() != 2) throw ShapeError(fmt::format("top-1 classes of {}", to_string(scores.shape())));
  const auto classes = static_cast<std::ptrdiff_t>(scores.shape()[1]);
  std::vector<int64_t> out;
  for (int64_t r = 0; r < scores.shape()[0]; ++r) {
    const auto row = scores.f32().begin() + static_cast<std::ptrdiff_t>(r) * classes;
    out.push_back(std::max_element(row, row + classes) - row);
  }
  return out;
}

double top1_agreement(const Tensor& a, const Tensor& b) {
  if (a.shape() != b.shape() || a.shape().size() != 2) {
    throw ShapeError(fmt::format("top-1 agreement of {} and {}", to_string(a.shape()), to_string(b.shape())));
  }
  const std::vector<int64_t> top_a = top1_classes(a), top_b = top1_classes(b);
  std::size_t same = 0;
  for (std::size_t r = 0; r < top_a.size(); ++r) same += top_a[r] == top_b[r];
  return top_a.empty() ? 1.0 : static_cast<double>(same) / static_cast<double>(top_a.size());
}

Evaluation evaluate(const Graph& graph, const Parameters& parameters, const Dataset& data, int threads,
                    int64_t loader_threads, const FitCallbacks& callbacks, Precision precision,
                    std::shared_ptr<const Quantization> quantization) {
  const Dims& input = graph.shape(graph.inputs().at(0));
  const int64_t batch = input[0];
  const int64_t classes = graph.shape(graph.outputs().at(0))[1];
  if (classes != data.num_classes()) {
    throw InvalidArgument(fmt::format("{}: the model has {} classes, the data set {} has {}", graph.name(), classes,
                                      data.name(), data.num_classes()));
  }
  // No plain copy in the engine: `parameters` outlive it (a NaN batch runs on the reference interpreter).
  InferenceEngine engine(graph, parameters,
                         {.threads = threads,
                          .precision = precision,
                          .reload_parameters = [&parameters] { return parameters; },
                          .quantization = std::move(quantization)});
  Loader loader(data, {.batch_size = batch,
                       .shuffle = false,
                       .drop_last = false,
                       .threads = loader_threads,
                       .augment = eval_augment(data, input)});
  loader.start_epoch(0);
  if (callbacks.on_eval_start) callbacks.on_eval_start(loader.batches_per_epoch());
  Tensor probabilities({data.size(), classes});
  std::vector<int64_t> labels;
  Tensor padded(input);  // the last batch may be short: run it padded with zeros
  Batch b;
  int64_t done = 0;
  while (loader.next(b)) {
    const int64_t n = static_cast<int64_t>(b.labels.size());
    const Tensor* x = &b.images;
    if (n != batch) {
      std::fill(padded.f32().begin(), padded.f32().end(), 0.0f);
      std::memcpy(padded.bytes(), b.images.bytes(), static_cast<std::size_t>(b.images.nbytes()));
      x = &padded;
    }
    const Tensor logits = engine.run(*x).at(0);
    const std::size_t count = static_cast<std::size_t>(n * classes);
    std::copy_n(logits.f32().begin(), count,
                probabilities.f32().begin() + static_cast<std::ptrdiff_t>(labels.size()) * classes);
    labels.insert(labels.end(), b.labels.begin(), b.labels.end());
    if (callbacks.on_eval_batch) callbacks.on_eval_batch(++done);
  }
  softmax_rows(probabilities.f32(), classes);
  return score(std::move(probabilities), labels, classes);
}

nlohmann::json evaluation_json(const Evaluation& e, const std::vector<std::string>& class_names) {
  nlohmann::json per_class = nlohmann::json::object();
  for (std::size_t c = 0; c < e.per_class.size(); ++c) {
    per_class[c < class_names.size() ? class_names[c] : std::to_string(c)] =
        std::isnan(e.per_class[c]) ? nlohmann::json() : nlohmann::json(e.per_class[c]);
  }
  return {{"images", e.images}, {"top1", e.top1},         {"top5", e.top5},
          {"loss", e.loss},     {"per_class", per_class}, {"confusion", e.confusion}};
}

}  // namespace cnnzoo
