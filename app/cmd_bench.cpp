// cnnzoo bench MODEL: latency, throughput, achieved GFLOP/s against the measured machine peak, and
// peak memory of inference or of training steps on the CPU engine, with random weights and inputs.
#include <fmt/format.h>
#include <sys/resource.h>

#include <algorithm>
#include <chrono>
#include <filesystem>
#include <functional>
#include <iostream>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "cnnzoo/analysis.h"
#include "cnnzoo/engine.h"
#include "cnnzoo/error.h"
#include "cnnzoo/fit.h"
#include "cnnzoo/init.h"
#include "cnnzoo/memory_check.h"
#include "cnnzoo/models.h"
#include "cnnzoo/optim.h"
#include "cnnzoo/quantization.h"
#include "commands.h"
#include "flag_checks.h"
#include "machine_peak.h"
#include "model_flags.h"
#include "model_graph.h"
#include "progress.h"
#include "timing.h"

namespace cnnzoo::cli {
namespace {

// The update after each training step, as bench/compare_pytorch's PyTorch side does it: SGD with momentum
// 0.9 and no weight decay.
constexpr double kLearningRate = 0.01;

// Time spent measuring the machine's peak, in all.
constexpr double kPeakSeconds = 0.2;

// int8: random batches (of the graph's batch size, at least this many images in all) that calibrate the
// activations' ranges, drawn from the same distribution as the timed input but not it.
constexpr int64_t kCalibrationImages = 16;

struct BenchArgs {
  std::string model;
  ModelFlags flags;
  bool train = false;
  int threads = 0;
  std::optional<int64_t> iterations;
  int64_t warmup = 3;
  std::string precision = "fp32";
  int64_t slice = 0;
  std::string format = "text";
  uint64_t seed = 0;
};

struct BenchResult {
  std::string model, mode;
  Dims input;
  int64_t batch = 1;
  int threads = 0;
  int64_t iterations = 0;
  int64_t macs = 0;  ///< of one forward pass over the batch
  int64_t flops_per_iteration = 0;
  Latency latency;
  MachinePeak peak;                      ///< fp32
  std::optional<MachinePeak> unit_peak;  ///< bf16 or int8 on a CPU with a unit for it (none: the fp32 units)
  int64_t peak_rss_bytes = 0;
  int64_t arena_bytes = 0;  ///< the engine's activation arena (after buffer reuse)
  int64_t slice = 0;        ///< samples per run of the plan (inference; the batch for training)
  std::string precision = "fp32";
  /// bf16 and int8: the largest difference of the logits from fp32's on the same input, fp32's range, and
  /// the share of the batch whose top-1 class is fp32's.
  double max_error = 0, fp32_range = 0, top1_agreement = 0;
  int64_t int8_layers = 0;  ///< int8: convolutions and linear layers run on int8
  /// Inference: runs the engine handed to its reference interpreter, its values not being finite.
  int64_t reference_runs = 0;

  double images_per_s() const { return static_cast<double>(batch) / (latency.median_ms / 1000); }
  double gflops_per_s() const { return static_cast<double>(flops_per_iteration) / (latency.median_ms / 1000) / 1e9; }
  /// The peak of the units the run's precision runs on: a bf16 or int8 unit's, or the fp32 one where there is
  /// none.
  const MachinePeak& precision_peak() const { return unit_peak ? *unit_peak : peak; }
  double peak_fraction() const { return gflops_per_s() / precision_peak().gflops; }
};

int64_t peak_rss_bytes() {
  rusage usage{};
  getrusage(RUSAGE_SELF, &usage);
  return static_cast<int64_t>(usage.ru_maxrss) * 1024;  // Linux counts KiB
}

// The unit `precision` runs on where the CPU has one (bf16, int8), measured; nothing for fp32.
std::optional<MachinePeak> measure_unit_peak(const std::string& precision, int threads, double seconds) {
  if (precision == "bf16") return measure_bf16_peak(threads, seconds);
  if (precision == "int8") return measure_int8_peak(threads, seconds);
  return std::nullopt;
}

// A low precision against fp32 on one input: the largest logit difference, fp32's range of the logits and
// how often the top-1 class is the same.
void compare_with_fp32(const Graph& graph, const Parameters& parameters, const Tensor& x, InferenceEngine& low,
                       int threads, BenchResult& r) {
  const Tensor want = InferenceEngine(graph, parameters,
                                      {.threads = threads, .reload_parameters = [&parameters] { return parameters; }})
                          .run(x)
                          .at(0);
  const Tensor got = low.run(x).at(0);
  const auto [lo, hi] = std::minmax_element(want.f32().begin(), want.f32().end());
  r.fp32_range = *hi - *lo;
  for (std::size_t i = 0; i < want.f32().size(); ++i) {
    r.max_error = std::max(r.max_error, static_cast<double>(std::abs(got.f32()[i] - want.f32()[i])));
  }
  r.top1_agreement = top1_agreement(want, got);
}

Precision precision_from_flag(const std::string& precision) {
  return precision == "bf16" ? Precision::BF16 : precision == "int8" ? Precision::INT8 : Precision::F32;
}

struct BenchModel {
  std::string name;
  Graph graph;
  Parameters parameters;
  /// The weights again, for a run on the reference interpreter (values not finite).
  std::function<Parameters()> reload;
};

// A zoo model with random weights from --seed, its memory checked first; or an ONNX file with its own weights, at
// --batch (a file that fixes batch 1 is taken at --batch, as `run` takes any).
BenchModel bench_model(const BenchArgs& args) {
  if (names_onnx_file(args.model)) {
    OnnxModel m = imported_model(args.model, args.flags, BudgetFlags{}, true);
    return {std::filesystem::path(args.model).filename().string(), std::move(m.graph), std::move(m.parameters),
            [args] { return imported_model(args.model, args.flags, BudgetFlags{}, true).parameters; }};
  }
  const ModelInfo& info = find_model(args.model);
  const ModelOptions resolved = args.flags.resolve();
  std::vector<OptionValue> sizes{{"ModelOptions::batch", std::to_string(resolved.batch)}};
  if (!args.flags.input.empty()) sizes.push_back({"ModelOptions::input", args.flags.input});
  require_memory(info.name, resolved, args.train, sizes);
  Graph graph = build_model(info.name, resolved);
  Parameters parameters = init_parameters(graph, init_scheme_for(info.name), args.seed);
  auto reload = [graph, scheme = init_scheme_for(info.name), seed = args.seed] {
    return init_parameters(graph, scheme, seed);
  };
  return {info.name, std::move(graph), std::move(parameters), std::move(reload)};
}

// One iteration of the chosen mode, ready to time: the engine compiled, inputs drawn.
std::function<void()> prepare_work(const BenchArgs& args, BenchModel& model, int threads, BenchResult& r) {
  const Graph& graph = model.graph;
  Parameters& parameters = model.parameters;
  const Tensor x = test_uniform("bench.input", graph.shape(graph.inputs().at(0)), args.seed, -1, 1);
  if (!args.train) {
    const Precision precision = precision_from_flag(args.precision);
    const bool low = precision != Precision::F32;
    // Drawn again only for a run on the reference interpreter (values not finite), so that the engine
    // keeps no plain copy of the weights.
    const EngineOptions options{
        .threads = threads,
        .precision = precision,
        .slice = args.slice,
        .reload_parameters = model.reload,
        .quantization = precision == Precision::INT8
                            ? std::make_shared<const Quantization>(calibrate_on_random(
                                  graph, parameters, kCalibrationImages, args.seed, {.threads = threads}))
                            : nullptr};
    // The engine keeps its own copy of the weights in its layouts: the plain ones are released as it goes
    // (kept for a low precision, whose logits are compared with fp32's).
    auto engine = low ? std::make_shared<InferenceEngine>(graph, parameters, options)
                      : std::make_shared<InferenceEngine>(graph, std::move(parameters), options);
    if (low) compare_with_fp32(graph, parameters, x, *engine, threads, r);
    r.int8_layers = engine->stats().int8_layers;
    r.arena_bytes = engine->stats().arena_bytes;
    r.slice = engine->stats().slice;
    return [engine, x, &r] {
      engine->run(x);
      r.reference_runs = engine->reference_runs();
    };
  }
  const int64_t classes = graph.shape(graph.outputs().at(0)).at(1);
  std::vector<int64_t> labels(static_cast<std::size_t>(x.shape()[0]));
  const uint64_t key = stream_key("bench.labels", args.seed);
  for (std::size_t i = 0; i < labels.size(); ++i) {
    labels[i] = static_cast<int64_t>(unit_uniform(key, i) * static_cast<double>(classes));
  }
  // The update runs inside the step, each parameter's as soon as its gradient is known (as `cnnzoo train`).
  auto engine = std::make_shared<TrainingEngine>(
      graph, parameters,
      TrainingOptions{.threads = threads, .fused_update = true, .precision = precision_from_flag(args.precision)});
  r.arena_bytes = engine->stats().arena_bytes;
  r.slice = r.batch;
  std::shared_ptr<Optimizer> optimizer = make_optimizer({.kind = "sgd", .momentum = 0.9, .weight_decay = 0}, graph);
  return [engine, optimizer, x, labels] { engine->step(x, labels, *optimizer, kLearningRate); };
}

BenchResult bench(const BenchArgs& args) {
  const std::string mode = args.train ? "train" : "inference";
  if (args.precision == "int8" && args.train) {
    throw InvalidArgument(
        "--precision int8 --train: int8 is an inference precision here; train in fp32 or bf16, or drop --train");
  }
  const int threads =
      args.threads > 0 ? args.threads : static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
  const int64_t iterations = args.iterations.value_or(args.train ? 10 : 20);
  if (iterations < 1) throw InvalidArgument(fmt::format("--iterations must be at least 1, got {}", iterations));
  if (args.warmup < 0) throw InvalidArgument(fmt::format("--warmup must not be negative, got {}", args.warmup));

  BenchModel model = bench_model(args);
  const Graph& graph = model.graph;
  const std::string& name = model.name;
  const Analysis analysis = analyze(graph);

  BenchResult r;
  r.model = name;
  r.mode = mode;
  r.input = analysis.input;
  r.batch = analysis.batch;
  r.threads = threads;
  r.iterations = iterations;
  r.macs = analysis.total.macs;
  r.precision = args.precision;
  // Forward: an FMA is 2 FLOPs. Training: forward + backward, the backward counted as twice the forward
  // (gradients of the inputs and of the weights), the usual convention; the update is not counted.
  r.flops_per_iteration = 2 * r.macs * (args.train ? 3 : 1);
  // The peak on both sides of the timed run, the better kept: load that comes or goes during the run
  // then lowers the peak no more than it lowers the run. The first is taken before the engine exists,
  // the second after it is gone and OpenMP's idle threads have stopped spinning (libgomp spins for
  // well under a millisecond by default), so neither shares the cores with the engine's threads.
  const MachinePeak before = measure_machine_peak(threads, kPeakSeconds / 2);
  const std::optional<MachinePeak> unit_before = measure_unit_peak(args.precision, threads, kPeakSeconds / 2);
  std::function<void()> work = prepare_work(args, model, threads, r);
  r.latency = time_iterations(work, args.warmup, iterations, fmt::format("{} {}", name, mode));
  work = nullptr;
  if (r.reference_runs > 0) {
    // Timing the interpreter would be a silently wrong figure for the engine.
    throw Error(fmt::format(
        "{} with random weights (seed {}) gives values that are not finite (its activations overflow), so the "
        "engine ran its reference interpreter and the times would not be the engine's; a network this deep needs "
        "trained weights or batch-norm statistics (`cnnzoo experiment cost` times deep ResNets with weights that "
        "keep activations of order one)",
        graph.name(), args.seed));
  }
  std::this_thread::sleep_for(std::chrono::milliseconds(50));
  const MachinePeak after = measure_machine_peak(threads, kPeakSeconds / 2);
  r.peak = before.gflops >= after.gflops ? before : after;
  if (unit_before) {
    const MachinePeak unit_after = *measure_unit_peak(args.precision, threads, kPeakSeconds / 2);
    r.unit_peak = unit_before->gflops >= unit_after.gflops ? *unit_before : unit_after;
  }
  r.peak_rss_bytes = peak_rss_bytes();
  return r;
}

nlohmann::json to_json(const BenchResult& r) {
  nlohmann::json j{
      {"model", r.model},
      {"batch", r.batch},
      {"input", r.input},
      {"threads", r.threads},
      {"mode", r.mode},
      {"precision", r.precision},
      {"iterations", r.iterations},
      {"images_per_s", r.images_per_s()},
      {"latency_ms", {{"median", r.latency.median_ms}, {"min", r.latency.min_ms}, {"max", r.latency.max_ms}}},
      {"gflops_per_s", r.gflops_per_s()},
      {"peak_gflops_per_s", r.peak.gflops},
      {"peak_unit", r.precision_peak().isa},
      {"peak_fraction", r.peak_fraction()},
      {"peak_rss_bytes", r.peak_rss_bytes},
      {"arena_bytes", r.arena_bytes},
      {"slice", r.slice},
      {"flops_per_iteration", r.flops_per_iteration}};
  if (r.precision != "fp32") {
    // null where the CPU has no unit for the precision: it then runs on the fp32 units, and the fraction is of
    // their peak
    j["peak_gflops_" + r.precision] = r.unit_peak ? nlohmann::json(r.unit_peak->gflops) : nlohmann::json();
  }
  if (r.precision != "fp32" && r.mode == "inference") {  // training compares no logits
    j[r.precision + "_logits_error"] = {{"max_abs", r.max_error},
                                        {"fp32_range", r.fp32_range},
                                        {"relative", r.max_error / r.fp32_range},
                                        {"top1_agreement", r.top1_agreement}};
  }
  if (r.precision == "int8") j["int8_layers"] = r.int8_layers;
  return j;
}

// How a unit's peak is measured, for the report.
std::string peak_method(const MachinePeak& p) {
  if (p.isa == "amx_bf16") return "amx_bf16 tdpbf16ps tiles";
  if (p.isa == "avx512_bf16") return "avx512_bf16 vdpbf16ps chains";
  if (p.isa == "amx_int8") return "amx_int8 tdpbusd tiles";
  if (p.isa == "avx512_vnni" || p.isa == "avx_vnni") return p.isa + " vpdpbusd chains";
  return p.isa + " FMA chains";
}

// int8 arithmetic is on integers: its rates are operations, not floating-point operations.
std::string rate_unit(const std::string& precision) { return precision == "int8" ? "GOP/s" : "GFLOP/s"; }

std::string peak_text(const MachinePeak& p) {
  return fmt::format("{:.0f} {} measured on {} ({})", p.gflops, rate_unit(p.precision), plural(p.threads, "thread"),
                     peak_method(p));
}

std::string to_text(const BenchResult& r, int64_t warmup) {
  // Labels in one column, figures after it.
  const auto row = [](std::string_view label, const std::string& text) {
    return fmt::format("{:<16} {}\n", label, text);
  };
  const std::string work =
      r.mode == "train"
          ? fmt::format("3 x 2 x {:.4f} GMAC: forward + backward, the backward counted as 2 x forward", r.macs / 1e9)
          : fmt::format("2 x {:.4f} GMAC", r.macs / 1e9);
  std::string text = fmt::format("{} {}: batch {}, input {}, {}, {}\n", r.model, r.mode, r.batch, to_string(r.input),
                                 r.precision, plural(r.threads, "thread")) +
                     row("latency", fmt::format("median {:.3f} ms, min {:.3f} ms, max {:.3f} ms ({} after {} warm-up)",
                                                r.latency.median_ms, r.latency.min_ms, r.latency.max_ms,
                                                plural(r.iterations, "iteration"), warmup)) +
                     row("throughput", fmt::format("{:.2f} images/s", r.images_per_s())) +
                     row("work", fmt::format("{:.4f} GFLOP per iteration ({})", r.flops_per_iteration / 1e9, work)) +
                     row("achieved", fmt::format("{:.1f} {}", r.gflops_per_s(), rate_unit(r.precision))) +
                     row("peak fp32", peak_text(r.peak));
  if (r.precision != "fp32") {
    const std::string units = r.precision == "bf16" ? "avx512_bf16 or amx_bf16" : "avx512_vnni, avx_vnni or amx_int8";
    text += row("peak " + r.precision,
                r.unit_peak ? peak_text(*r.unit_peak)
                            : fmt::format("none: this CPU has no {} unit ({}), so {} runs on the fp32 units",
                                          r.precision, units, r.precision));
  }
  text += row("peak fraction", fmt::format("{:.1f}% of the {} peak ({})", 100 * r.peak_fraction(),
                                           r.precision_peak().precision, r.precision_peak().isa)) +
          row("peak memory", fmt::format("{:.1f} MiB (peak RSS of the process)", r.peak_rss_bytes / 1048576.0)) +
          row("activation arena",
              fmt::format("{:.1f} MiB (the engine's activation buffers, after reuse)", r.arena_bytes / 1048576.0)) +
          row("slice", fmt::format("{} of {} samples per run of the plan", r.slice, r.batch));
  if (r.precision == "int8") {
    text += row("int8 layers", fmt::format("{} convolutions and linear layers on int8 (ranges calibrated on {} "
                                           "random images)",
                                           r.int8_layers, kCalibrationImages));
  }
  if (r.precision != "fp32" && r.mode == "inference") {
    text += row(r.precision + " vs fp32",
                fmt::format("logits differ by at most {:.4g} ({:.3g} of fp32's range {:.4g}); top-1 the same for "
                            "{:.1f}% of the batch",
                            r.max_error, r.max_error / r.fp32_range, r.fp32_range, 100 * r.top1_agreement));
  }
  return text;
}

void run_bench(const BenchArgs& args) {
  const BenchResult r = bench(args);
  if (args.format == "json") {
    std::cout << to_json(r).dump(2) << "\n";
  } else {
    std::cout << to_text(r, args.warmup);
  }
}

}  // namespace

void add_bench_command(CLI::App& app) {
  auto args = std::make_shared<BenchArgs>();
  CLI::App* cmd = app.add_subcommand(
      "bench",
      "Time inference (or training steps) of a zoo model with random weights, or of an ONNX file with its own, on "
      "the CPU engine with random inputs: "
      "median/min/max latency, images/s, achieved GFLOP/s and its fraction of the machine's peak for the "
      "precision (measured on the same threads, before and after: fp32 with FMA chains; bf16 with the bf16 unit "
      "the CPU has, AMX or AVX-512 BF16; int8 with its int8 unit, AMX or VNNI), and the process' peak RSS. FLOPs "
      "(int8: integer operations) per iteration: "
      "inference 2 x MACs of the batch; training (--train) 3 x that, the usual forward + backward = 2 x "
      "forward convention. A training iteration is one step (forward, loss, backward) and an SGD update.");
  cmd->add_option("model", args->model,
                  "Model name (see `cnnzoo list`), or an ONNX file (FILE.onnx) run with its own weights at --batch")
      ->required();
  args->flags.add_to(*cmd);
  cmd->add_flag("--train", args->train, "Time training steps instead of inference");
  add_threads_option(*cmd, args->threads);
  cmd->add_option("--iterations", args->iterations, "Timed iterations (default: 20 inference, 10 training)");
  cmd->add_option("--warmup", args->warmup, "Untimed iterations first")->default_val(3);
  cmd->add_option("--precision", args->precision,
                  "fp32; bf16 (bfloat16 activations and weights; for training mixed precision with float32 "
                  "master weights); for inference also int8 (8-bit integers, ranges calibrated on random inputs "
                  "like the timed one). Inference reports the logits' error and top-1 agreement against fp32")
      ->default_val("fp32")
      ->check(CLI::IsMember({"fp32", "bf16", "int8"}));
  cmd->add_option("--slice", args->slice,
                  "Inference: samples per run of the plan, a divisor of the batch (0 = the engine's choice: slices "
                  "of 4 for batches of 1x1-convolution networks above 4 that are multiples of 4)")
      ->default_val(0);
  cmd->add_option("--format", args->format, "text or json (one object on stdout)")
      ->default_val("text")
      ->check(CLI::IsMember({"text", "json"}));
  cmd->add_option("--seed", args->seed, "Seed of the weights, the input and the labels")->default_val(0);
  cmd->callback([args] { run_bench(*args); });
}

}  // namespace cnnzoo::cli
