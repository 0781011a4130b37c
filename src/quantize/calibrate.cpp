// Calibration: every value of the graph made an output of a float32 plan, and its range recorded over the
// sample batches. Fusions are off in such a plan (a fused value would not exist as a tensor), which costs
// speed, not accuracy: the ranges are those of the float32 network.
#include <fmt/format.h>
#include <fmt/ranges.h>

#include <algorithm>
#include <cmath>
#include <limits>
#include <map>
#include <optional>

#include "cnnzoo/checked.h"
#include "cnnzoo/engine.h"
#include "cnnzoo/error.h"
#include "cnnzoo/quantization.h"

namespace cnnzoo {
namespace {

// Bins of the |x| histogram behind a percentile: 1/2048 of a value's largest |x| is finer than an int8 step
// (1/127), so the clipping point is placed within a sixteenth of a step.
constexpr int kBins = 2048;

// The most bytes of values a calibration plan holds at once: it keeps every value of the graph (nothing is
// reused), so a batch is run in chunks of samples that fit (ResNet-50 holds about 100 MiB per 224x224 image).
constexpr int64_t kObservedBytes = int64_t{256} << 20;

// The graph (at the batches' size) with every value among its outputs, and which value of the original
// graph each output is (found by name: with_batch keeps the names).
struct ObservedGraph {
  Graph graph;
  std::vector<ValueId> values;  ///< output i is the original graph's value values[i]
};

ObservedGraph observe_every_value(const Graph& graph, int64_t batch) {
  ObservedGraph o{with_batch(graph, batch), {}};
  for (ValueId v = 0; v < static_cast<ValueId>(o.graph.values().size()); ++v) {
    if (o.graph.value(v).producer == kNoNode) continue;  // the input: read from the batch itself
    if (!o.graph.is_output(v)) o.graph.add_output(v);
  }
  std::map<std::string_view, ValueId> original;
  for (ValueId v = 0; v < static_cast<ValueId>(graph.values().size()); ++v) original[graph.value(v).name] = v;
  for (ValueId v : o.graph.outputs()) o.values.push_back(original.at(o.graph.value(v).name));
  return o;
}

struct Extremes {
  float min = std::numeric_limits<float>::infinity();
  float max = -std::numeric_limits<float>::infinity();
  void add(std::span<const float> xs) {
    for (float x : xs) {
      if (!std::isfinite(x)) continue;
      min = std::min(min, x);
      max = std::max(max, x);
    }
  }
  float abs_max() const { return std::max(std::abs(min), std::abs(max)); }
};

struct Histogram {
  std::vector<int64_t> counts = std::vector<int64_t>(kBins, 0);
  void add(std::span<const float> xs, float abs_max) {
    if (abs_max <= 0) return;
    const float per_bin = kBins / abs_max;
    for (float x : xs) {
      if (!std::isfinite(x)) continue;
      const auto bin = static_cast<int64_t>(std::abs(x) * per_bin);
      ++counts[static_cast<std::size_t>(std::min<int64_t>(bin, kBins - 1))];
    }
  }
  // The upper edge of the bin where the `percentile`-th percent of the counts is reached.
  float percentile_edge(double percentile, float abs_max) const {
    int64_t total = 0;
    for (int64_t c : counts) total += c;
    const double wanted = total * percentile / 100.0;
    int64_t seen = 0;
    for (int b = 0; b < kBins; ++b) {
      seen += counts[static_cast<std::size_t>(b)];
      if (static_cast<double>(seen) >= wanted) return abs_max * static_cast<float>(b + 1) / kBins;
    }
    return abs_max;
  }
};

// Samples of `graph` whose values together fit in kObservedBytes (at least 1).
int64_t samples_per_chunk(const Graph& graph) {
  const int64_t batch = graph.shape(graph.inputs().at(0)).at(0);
  int64_t bytes = 0;  // of one sample, every value
  for (const Value& v : graph.values()) {
    add_to(bytes, checked_mul(numel(v.shape) / batch, sizeof(float), "bytes of a calibration sample"),
           "bytes of a calibration sample");
  }
  return std::max<int64_t>(1, kObservedBytes / std::max<int64_t>(bytes, 1));
}

// Samples [first, first + count) of `batch`, as a batch of their own.
Tensor sample_rows(const Tensor& batch, int64_t first, int64_t count) {
  if (first == 0 && count == batch.shape()[0]) return batch;
  Dims shape = batch.shape();
  shape[0] = count;
  Tensor rows(shape);
  const auto per_sample = static_cast<std::size_t>(batch.numel() / batch.shape()[0]);
  std::copy_n(batch.f32().begin() + static_cast<std::ptrdiff_t>(static_cast<std::size_t>(first) * per_sample),
              rows.f32().size(), rows.f32().begin());
  return rows;
}

// Runs the batches through one float32 plan per chunk size (a batch in chunks of samples_per_chunk()),
// handing each value's data to `visit` (value id, its floats) in turn.
template <class Visit>
void for_each_value(const Graph& graph, const Parameters& parameters, std::span<const Tensor> batches,
                    const CalibrationOptions& options, int64_t done_before, int64_t total, Visit visit) {
  std::optional<ObservedGraph> observed;
  std::optional<InferenceEngine> engine;
  const ValueId input = graph.inputs().at(0);
  const int64_t chunk = samples_per_chunk(graph);
  int64_t done = done_before;
  for (const Tensor& batch : batches) {
    for (int64_t first = 0; first < batch.shape()[0]; first += chunk) {
      const Tensor rows = sample_rows(batch, first, std::min(chunk, batch.shape()[0] - first));
      if (!observed || observed->graph.shape(observed->graph.inputs()[0]) != rows.shape()) {
        engine.reset();
        observed = observe_every_value(graph, rows.shape().at(0));
        engine.emplace(observed->graph, parameters, EngineOptions{.threads = options.threads, .slice = 0});
      }
      visit(input, rows.f32());
      const std::vector<Tensor> outputs = engine->run(rows);
      for (std::size_t i = 0; i < outputs.size(); ++i) visit(observed->values[i], outputs[i].f32());
    }
    if (options.on_batch) options.on_batch(++done, total);
  }
}

void check_batches(const Graph& graph, std::span<const Tensor> batches) {
  if (graph.inputs().size() != 1) {
    throw InvalidArgument(fmt::format("{}: calibration needs a graph of one input", graph.name()));
  }
  if (batches.empty()) throw InvalidArgument("calibration needs at least one batch of samples");
  const Dims& sample = graph.shape(graph.inputs()[0]);
  for (const Tensor& b : batches) {
    Dims shape = b.shape();
    if (!shape.empty()) shape[0] = sample.at(0);
    if (shape != sample || b.dtype() != DType::F32 || b.shape()[0] < 1) {
      throw InvalidArgument(fmt::format("{}: a calibration batch of {} does not fit the input {}", graph.name(),
                                        to_string(b.shape()), to_string(sample)));
    }
  }
}

}  // namespace

Quantization calibrate(const Graph& graph, const Parameters& parameters, std::span<const Tensor> batches,
                       const CalibrationOptions& options) {
  check_batches(graph, batches);
  const bool percentile = options.method == CalibrationMethod::Percentile;
  if (percentile && !(options.percentile > 0 && options.percentile <= 100)) {
    throw InvalidArgument(fmt::format("a percentile must lie in (0, 100], not {}", options.percentile));
  }
  const auto passes = static_cast<int64_t>(percentile ? 2 : 1);
  const auto total = passes * static_cast<int64_t>(batches.size());
  std::vector<Extremes> extremes(graph.values().size());
  for_each_value(graph, parameters, batches, options, 0, total,
                 [&](ValueId v, std::span<const float> xs) { extremes[static_cast<std::size_t>(v)].add(xs); });

  Quantization q{.method = options.method, .percentile = percentile ? options.percentile : 0.0};
  for (const Tensor& b : batches) q.images += b.shape()[0];
  for (ValueId v = 0; v < static_cast<ValueId>(graph.values().size()); ++v) {
    const Extremes& e = extremes[static_cast<std::size_t>(v)];
    // A value that held nothing finite: an empty range, which scale() takes as 1.
    q.ranges[graph.value(v).name] = e.min <= e.max ? ValueRange{e.min, e.max} : ValueRange{};
  }
  if (!percentile) return q;

  std::vector<Histogram> histograms(graph.values().size());
  for_each_value(graph, parameters, batches, options, total / 2, total, [&](ValueId v, std::span<const float> xs) {
    histograms[static_cast<std::size_t>(v)].add(xs, extremes[static_cast<std::size_t>(v)].abs_max());
  });
  for (ValueId v = 0; v < static_cast<ValueId>(graph.values().size()); ++v) {
    const auto i = static_cast<std::size_t>(v);
    const float edge = histograms[i].percentile_edge(options.percentile, extremes[i].abs_max());
    ValueRange& r = q.ranges[graph.value(v).name];
    r = {std::max(r.min, -edge), std::min(r.max, edge)};
  }
  return q;
}

float ValueRange::scale() const {
  const float largest = unsigned_int8() ? max / 255.0f : std::max(std::abs(min), std::abs(max)) / 127.0f;
  return largest > 0 && std::isfinite(largest) ? largest : 1.0f;
}

std::vector<std::string> missing_ranges(const Graph& graph, const Quantization& quantization) {
  std::vector<std::string> missing;
  for (const Value& v : graph.values()) {
    if (!quantization.ranges.contains(v.name)) missing.push_back(v.name);
  }
  return missing;
}

void require_ranges(const Graph& graph, const Quantization* quantization) {
  if (quantization == nullptr) {
    throw InvalidArgument(
        fmt::format("{}: int8 inference needs calibrated ranges (calibrate(), or a file that "
                    "`cnnzoo quantize` wrote)",
                    graph.name()));
  }
  const std::vector<std::string> missing = missing_ranges(graph, *quantization);
  if (missing.empty()) return;
  const std::size_t shown = std::min<std::size_t>(missing.size(), 3);
  throw InvalidArgument(
      fmt::format("{}: the int8 calibration lacks the range of {} of its {} values ({}{}); it was "
                  "made for another model: calibrate this one",
                  graph.name(), missing.size(), graph.values().size(),
                  fmt::join(missing.begin(), missing.begin() + static_cast<std::ptrdiff_t>(shown), ", "),
                  missing.size() > shown ? ", ..." : ""));
}

}  // namespace cnnzoo
