// `experiment cost`: how time and memory grow with the batch (ResNet-50 at 224x224, batch 1 to 64) and with
// depth (the CIFAR ResNets, 20 to 1202 layers): inference in fp32, bf16 and int8 and a training step in fp32 and
// (where the CPU has bfloat16 kernels) bf16 mixed precision, each point timed here and its engine's buffers counted,
// and a straight line fitted to each curve. The lecture counts memory and FLOPs per image and per layer; the claim
// measured is that both time and memory grow linearly in the batch and in the depth, so that those per-image and
// per-layer figures are the costs.
#include <fmt/format.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <functional>

#include "analysis/text_table.h"
#include "cnnzoo/engine.h"
#include "cnnzoo/error.h"
#include "cnnzoo/init.h"
#include "cnnzoo/memory_check.h"
#include "cnnzoo/models.h"
#include "cnnzoo/optim.h"
#include "cnnzoo/quantization.h"
#include "experiments/line_fit.h"
#include "experiments/runners.h"
#include "html/page.h"
#include "html/svg_chart.h"

namespace cnnzoo::experiments {
namespace {

// A straight line must explain this share of a curve's variance (R^2) for the growth to count as linear.
constexpr double kLinearR2 = 0.98;
// int8: the random images its ranges are calibrated on.
constexpr int64_t kCalibrationImages = 16;

// What is run at each point.
struct Mode {
  const char* label;
  bool train;
  Precision precision;
};
constexpr Mode kModes[] = {{"fp32 inference", false, Precision::F32},
                           {"bf16 inference", false, Precision::BF16},
                           {"int8 inference", false, Precision::INT8},
                           {"fp32 training step", true, Precision::F32},
                           {"bf16 training step", true, Precision::BF16}};

// bf16 training runs only where oneDNN has bfloat16 kernels (TrainingEngine refuses it elsewhere).
bool available(const Mode& mode) {
  return !mode.train || mode.precision != Precision::BF16 || bf16_training_available();
}

// One axis swept: a model family and the values along the axis.
struct Sweep {
  std::string key;      ///< "batch" or "depth"
  std::string title;    ///< for the figures
  std::string x_label;  ///< with its unit
  std::vector<int64_t> xs;
  std::function<std::pair<std::string, ModelOptions>(int64_t)> point;  ///< the model and its options at x
};

struct Grid {
  Sweep batch, depth;
  int64_t warmup = 1, runs = 3;  ///< untimed and timed iterations per point (the median is kept)
};

Grid grid_of(const ExperimentOptions& o) {
  if (o.quick) {
    // A smoke run: the CIFAR ResNets at a few small points.
    return {.batch = {"batch",
                      "ResNet-20 (3x32x32) by batch size",
                      "batch size (images)",
                      {1, 2, 4, 8},
                      [](int64_t b) {
                        return std::pair{std::string("resnet20"), ModelOptions{.batch = b}};
                      }},
            .depth = {"depth",
                      "CIFAR ResNets at batch 4 by depth",
                      "depth (layers)",
                      {20, 32, 44},
                      [](int64_t d) {
                        return std::pair{std::string("resnet20"), ModelOptions{.batch = 4, .depth = d}};
                      }},
            .warmup = 1,
            .runs = 1};
  }
  return {.batch = {"batch",
                    "ResNet-50 (3x224x224) by batch size",
                    "batch size (images)",
                    {1, 2, 4, 8, 16, 32, 64},
                    [](int64_t b) {
                      return std::pair{std::string("resnet50"), ModelOptions{.batch = b}};
                    }},
          // He et al. 2015's CIFAR ResNets (6n + 2 layers): 20, 56, 110 of the paper's table, then on to 1202.
          .depth = {"depth",
                    "CIFAR ResNets (3x32x32) at batch 32 by depth",
                    "depth (layers)",
                    {20, 56, 110, 218, 434, 1202},
                    [](int64_t d) {
                      return std::pair{std::string("resnet20"), ModelOptions{.batch = 32, .depth = d}};
                    }},
          .warmup = 1,
          .runs = 3};
}

struct Measurement {
  double ms = 0;   ///< median time of one iteration
  double mib = 0;  ///< the engine's buffers: activations after reuse, weights in its layouts
};

double median_ms(const std::function<void()>& work, int64_t warmup, int64_t runs) {
  for (int64_t i = 0; i < warmup; ++i) work();
  std::vector<double> ms;
  for (int64_t i = 0; i < runs; ++i) {
    const auto start = std::chrono::steady_clock::now();
    work();
    ms.push_back(std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start).count());
  }
  std::sort(ms.begin(), ms.end());
  return ms[ms.size() / 2];
}

// Weights whose activations stay of order one at any depth. With torchvision's initialisation (batch norm at its
// initial statistics) or test_parameters() alone, a deep ResNet's activations grow geometrically with the blocks
// (ResNet-218's logits reach 1e8) and ResNet-1202's overflow, and the engine would time its reference
// interpreter (which computes values that are not finite). Each batch norm's scale divided by the square root
// of their number makes every residual branch small, as torchvision's zero_init_residual does, so the sum of
// the blocks stays bounded (ResNet-1202's logits below 10). Time and memory do not depend on the values.
Parameters bounded_parameters(const Graph& graph) {
  Parameters p = test_parameters(graph, 0);
  const auto norms = std::count_if(graph.nodes().begin(), graph.nodes().end(),
                                   [](const Node& n) { return n.op == OpKind::BatchNorm; });
  const float scale = 1.0f / std::sqrt(static_cast<float>(std::max<std::ptrdiff_t>(norms, 1)));
  for (const Node& n : graph.nodes()) {
    if (n.op != OpKind::BatchNorm) continue;
    for (float& w : p.at(n.name + ".weight").f32()) w *= scale;
  }
  return p;
}

double engine_mib(const PlanStats& s) { return static_cast<double>(s.arena_bytes + s.weight_bytes) / (1 << 20); }

Measurement measure(const std::string& model, const ModelOptions& options, const Mode& mode, const Grid& grid,
                    int threads) {
  const Graph graph = build_model(model, options);
  Parameters parameters = bounded_parameters(graph);
  const Tensor x = test_uniform("cost.input", graph.shape(graph.inputs().at(0)), 0, -1, 1);
  if (!mode.train) {
    std::shared_ptr<const Quantization> ranges;
    if (mode.precision == Precision::INT8) {
      ranges = std::make_shared<const Quantization>(
          calibrate_on_random(graph, parameters, kCalibrationImages, 1, {.threads = threads}));
    }
    // The whole batch in one plan: the engine would otherwise time slices of 4 against the whole batch and keep
    // the faster, and the memory of a point would be that of a timed choice (ResNet-50 at batch 16 took batch 4's).
    InferenceEngine engine(graph, std::move(parameters),
                           {.threads = threads,
                            .precision = mode.precision,
                            .slice = graph.shape(graph.inputs().at(0)).at(0),
                            .quantization = ranges});
    const double ms = median_ms([&] { engine.run(x); }, grid.warmup, grid.runs);
    if (engine.reference_runs() > 0) {
      throw Error(
          fmt::format("experiment cost: {} {} gave values that are not finite, so it ran on the reference "
                      "interpreter; its time would not be the engine's",
                      model, mode.label));
    }
    return {ms, engine_mib(engine.stats())};
  }
  const int64_t classes = graph.shape(graph.outputs().at(0)).at(1);
  std::vector<int64_t> labels(static_cast<std::size_t>(x.shape()[0]));
  for (std::size_t i = 0; i < labels.size(); ++i) labels[i] = static_cast<int64_t>(i) % classes;
  TrainingEngine engine(graph, parameters, {.threads = threads, .fused_update = true, .precision = mode.precision});
  const std::unique_ptr<Optimizer> sgd = make_optimizer({.kind = "sgd", .momentum = 0.9, .weight_decay = 0}, graph);
  return {median_ms([&] { engine.step(x, labels, *sgd, 0.01); }, grid.warmup, grid.runs), engine_mib(engine.stats())};
}

struct Curve {
  const Mode* mode = nullptr;
  std::vector<double> x{}, ms{}, mib{};
  std::vector<int64_t> skipped{};  ///< points whose estimated memory exceeds half of this machine's
  LineFit time{}, memory{};
};

std::vector<Curve> run_sweep(const Sweep& sweep, const Grid& grid, const ExperimentOptions& options,
                             const ExperimentCallbacks& callbacks, int& done, int total) {
  std::vector<Curve> curves;
  for (const Mode& mode : kModes) {
    if (!available(mode)) continue;
    Curve c{.mode = &mode};
    for (int64_t x : sweep.xs) {
      const auto [model, model_options] = sweep.point(x);
      ++done;
      if (estimate_memory(model, model_options, mode.train).total() > usable_memory_bytes() / 2.0) {
        c.skipped.push_back(x);
        continue;
      }
      if (callbacks.on_measure) {
        callbacks.on_measure(fmt::format("{} {} {}: {}", sweep.key, x, model, mode.label), done, total);
      }
      const Measurement m = measure(model, model_options, mode, grid, options.threads);
      c.x.push_back(static_cast<double>(x));
      c.ms.push_back(m.ms);
      c.mib.push_back(m.mib);
    }
    c.time = fit_line(c.x, c.ms);
    c.memory = fit_line(c.x, c.mib);
    curves.push_back(std::move(c));
  }
  return curves;
}

// What a figure shows: the time of inference (three precisions), of the training step (two), or everyone's memory.
enum class Figure : uint8_t { InferenceTime, TrainingTime, Memory };

html::LineChart chart_of(const Sweep& sweep, const std::vector<Curve>& curves, Figure figure) {
  const bool memory = figure == Figure::Memory;
  html::LineChart chart{.title = sweep.title + (memory                           ? ": the engine's memory"
                                                : figure == Figure::TrainingTime ? ": training step time"
                                                                                 : ": inference time"),
                        .x_label = sweep.x_label,
                        .y_label = memory ? "engine memory (MiB)" : "time per iteration (ms)"};
  html::LinePanel panel;
  int color = 0;  // each mode keeps its colour across the figures
  for (const Curve& c : curves) {
    const int own = color++;
    if ((figure == Figure::InferenceTime && c.mode->train) || (figure == Figure::TrainingTime && !c.mode->train)) {
      continue;
    }
    panel.series.push_back({.label = c.mode->label, .x = c.x, .y = memory ? c.mib : c.ms, .color = own});
  }
  chart.panels.push_back(std::move(panel));
  chart.y_min = 0.0;
  return chart;
}

nlohmann::json fit_json(const LineFit& f) { return {{"slope", f.slope}, {"intercept", f.intercept}, {"r2", f.r2}}; }

nlohmann::json sweep_json(const Sweep& sweep, const std::vector<Curve>& curves) {
  nlohmann::json j{{"axis", sweep.key}, {"title", sweep.title}, {"curves", nlohmann::json::array()}};
  for (const Curve& c : curves) {
    j["curves"].push_back({{"mode", c.mode->label},
                           {sweep.key, c.x},
                           {"ms", c.ms},
                           {"engine_mib", c.mib},
                           {"skipped", c.skipped},
                           {"time_fit", fit_json(c.time)},
                           {"memory_fit", fit_json(c.memory)}});
  }
  return j;
}

// Per image or per layer, as the slope's unit says.
std::string per_unit(const Sweep& sweep) { return sweep.key == "batch" ? "image" : "layer"; }

bool linear(const Curve& c) { return c.x.size() < 3 || (c.time.r2 >= kLinearR2 && c.memory.r2 >= kLinearR2); }

// Each mode's cost per unit of the axis, in one sentence.
std::string sweep_finding(const Sweep& sweep, const std::vector<Curve>& curves) {
  std::vector<std::string> parts;
  for (const Curve& c : curves) {
    parts.push_back(fmt::format("{} {:.3g} ms and {:.3g} MiB", c.mode->label, c.time.slope, c.memory.slope));
  }
  const bool all_linear = std::all_of(curves.begin(), curves.end(), linear);
  return fmt::format("Per {}: {} ({}).", per_unit(sweep), fmt::join(parts, "; "),
                     all_linear ? fmt::format("every R^2 at least {}", kLinearR2)
                                : fmt::format("not every R^2 reaches {}: see the table", kLinearR2));
}

Section section_of(const Sweep& sweep, const std::vector<Curve>& curves, TextTable& table) {
  Section s{.title = sweep.title, .finding = sweep_finding(sweep, curves)};
  std::vector<std::vector<std::string>> rows;
  for (const Curve& c : curves) {
    const std::vector<std::string> cells = {sweep.key,
                                            c.mode->label,
                                            fmt::format("{:.3g} ms", c.time.slope),
                                            fmt::format("{:.4f}", c.time.r2),
                                            fmt::format("{:.3g} MiB", c.memory.slope),
                                            fmt::format("{:.4f}", c.memory.r2)};
    rows.push_back(cells);
    table.rows.push_back(cells);
    if (!c.skipped.empty()) {
      s.notes.push_back(fmt::format("{}: {} {} left out, its estimated memory above half of this machine's.",
                                    c.mode->label, sweep.key, fmt::join(c.skipped, ", ")));
    }
  }
  s.table_html = html::table(table.header, rows);
  const std::string unit = per_unit(sweep);
  const std::string caption =
      fmt::format("Median time of one iteration against {}; the table gives each line's slope (ms per {}) and R^2.",
                  sweep.x_label, unit);
  s.figures = {
      {fmt::format("cost_{}_inference_time.svg", sweep.key),
       html::svg_line_chart(chart_of(sweep, curves, Figure::InferenceTime)), caption},
      {fmt::format("cost_{}_training_time.svg", sweep.key),
       html::svg_line_chart(chart_of(sweep, curves, Figure::TrainingTime)), caption},
      {fmt::format("cost_{}_memory.svg", sweep.key), html::svg_line_chart(chart_of(sweep, curves, Figure::Memory)),
       fmt::format("The engine's buffers (activations after reuse, weights in its layouts) against {}; "
                   "slopes in MiB per {}.",
                   sweep.x_label, unit)}};
  return s;
}

std::string finding_of(const std::vector<Curve>& by_batch, const std::vector<Curve>& by_depth, bool* reproduced) {
  *reproduced =
      std::all_of(by_batch.begin(), by_batch.end(), linear) && std::all_of(by_depth.begin(), by_depth.end(), linear);
  double worst = 1;
  for (const auto* curves : {&by_batch, &by_depth}) {
    for (const Curve& c : *curves) worst = std::min({worst, c.time.r2, c.memory.r2});
  }
  const Curve& fp32_batch = by_batch.front();
  const Curve& train_depth = *std::find_if(by_depth.begin(), by_depth.end(), [](const Curve& c) {
    return c.mode->train && c.mode->precision == Precision::F32;
  });
  const std::string numbers = fmt::format(
      "fp32 inference {:.3g} ms and {:.3g} MiB per image, a training step {:.3g} ms and {:.3g} MiB per layer; "
      "the worst R^2 {:.4f}",
      fp32_batch.time.slope, fp32_batch.memory.slope, train_depth.time.slope, train_depth.memory.slope, worst);
  if (!*reproduced)
    return fmt::format("Not reproduced: not every curve is a line (R^2 below {}); {}.", kLinearR2, numbers);
  return fmt::format("Time and memory grow linearly with the batch and with the depth ({}).", numbers);
}

}  // namespace

std::string cost_default_time() { return "about 5 min on 2 cores"; }

ExperimentOutcome run_cost(const ExperimentOptions& options, const ExperimentCallbacks& callbacks,
                           ExperimentFolder& folder) {
  const Grid grid = grid_of(options);
  const int total = static_cast<int>(std::size(kModes) * (grid.batch.xs.size() + grid.depth.xs.size()));
  int done = 0;
  const std::vector<Curve> by_batch = run_sweep(grid.batch, grid, options, callbacks, done, total);
  const std::vector<Curve> by_depth = run_sweep(grid.depth, grid, options, callbacks, done, total);

  ExperimentOutcome out;
  out.finding = finding_of(by_batch, by_depth, &out.reproduced);
  TextTable table{.header = {"axis", "mode", "time slope", "time R^2", "memory slope", "memory R^2"},
                  .numeric = {false, false, true, true, true, true}};
  std::vector<Section> sections = {section_of(grid.batch, by_batch, table), section_of(grid.depth, by_depth, table)};
  out.table = table.text();
  out.results = {{"experiment", "cost"},
                 {"iterations", {{"warmup", grid.warmup}, {"timed", grid.runs}}},
                 {"sweeps", {sweep_json(grid.batch, by_batch), sweep_json(grid.depth, by_depth)}},
                 {"linear_r2", kLinearR2},
                 {"finding", out.finding},
                 {"reproduced", out.reproduced}};
  for (Section& s : sections) {
    s.notes.push_back(fmt::format(
        "Each point: the median of {} after {} untimed, on this machine's cores; the engine's memory is its "
        "activation arena after buffer reuse plus its weights in the kernels' layouts (a process adds the "
        "plain parameters, the code and the libraries). Slopes by least squares over the points.",
        grid.runs == 1 ? std::string("1 iteration") : fmt::format("{} iterations", grid.runs), grid.warmup));
  }
  folder.write_all(out.results, "cnnzoo experiment cost: time and memory against batch size and depth", out.finding,
                   sections);
  return out;
}

}  // namespace cnnzoo::experiments
