// cnnzoo eval: a checkpoint (or an ensemble of them) on a data set's test split.
#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <iostream>
#include <memory>
#include <nlohmann/json.hpp>
#include <string_view>

#include "budget_flags.h"
#include "cnnzoo/ensemble.h"
#include "cnnzoo/error.h"
#include "cnnzoo/fit.h"
#include "commands.h"
#include "flag_checks.h"
#include "non_finite_warning.h"
#include "progress.h"

namespace cnnzoo::cli {
namespace {

struct EvalArgs {
  std::string checkpoint;
  std::vector<std::string> ensemble;
  std::string data;
  int64_t subset = 0;
  std::string format = "text";
  int threads = 0;
  std::string precision = "fp32";
  int64_t calibration = 512;
  BudgetFlags budget_flags;
};

struct Member {
  std::string path;
  TrainedModel model;
  Evaluation result;
  std::shared_ptr<const Quantization> quantization{};  ///< int8
  bool calibrated_here = false;
};

// Where an int8 evaluation's ranges came from, in words.
std::string calibration_text(const Member& m) {
  const Quantization& q = *m.quantization;
  return fmt::format("{} ({} on {} images of {})",
                     m.calibrated_here ? "calibrated now" : "the checkpoint's calibration",
                     calibration_method_name(q.method), q.images, q.source);
}

Member evaluate_member(const std::string& path, const EvalArgs& args, bool show, Precision precision = Precision::F32) {
  std::unique_ptr<Progress> bar;
  CheckpointEvaluationOptions options{.data = args.data,
                                      .subset = args.subset,
                                      .threads = args.threads,
                                      .budgets = args.budget_flags.resolve(),
                                      .precision = precision,
                                      .calibration_images = args.calibration};
  if (show) {
    options.callbacks.on_eval_start = [&](int64_t batches) {
      bar = std::make_unique<Progress>("evaluating " + path, batches, "batch");
    };
    options.callbacks.on_eval_batch = [&](int64_t done) { bar->update(done); };
  }
  CheckpointEvaluation e = evaluate_checkpoint(path, options);
  if (bar) bar->finish();
  warn_if_non_finite(path, e.result.probabilities);  // softmax keeps a NaN or infinite logit's trace
  return {.path = path,
          .model = std::move(e.model),
          .result = std::move(e.result),
          .quantization = std::move(e.quantization),
          .calibrated_here = e.calibrated_here};
}

// Beyond this many classes the matrix is wider than a terminal and unreadable as text; JSON has it.
constexpr std::size_t kMaxConfusionColumns = 20;
// Row labels longer than this (folder: data sets' class names) are cut.
constexpr std::size_t kMaxLabelWidth = 24;

std::string class_label(std::size_t c, const std::vector<std::string>& names) {
  const std::string label = c < names.size() ? fmt::format("{} {}", c, names[c]) : std::to_string(c);
  return label.size() > kMaxLabelWidth ? label.substr(0, kMaxLabelWidth - 3) + "..." : label;
}

// Per-class accuracy and the confusion matrix: a row per true class (its index and name), a column per
// predicted class (its index), each column as wide as its widest figure.
std::string class_table(const Evaluation& e, const std::vector<std::string>& names) {
  const std::size_t classes = e.per_class.size();
  std::size_t label_width = std::string_view("true class").size();
  for (std::size_t c = 0; c < classes; ++c) label_width = std::max(label_width, class_label(c, names).size());
  const bool matrix = classes <= kMaxConfusionColumns;
  std::size_t count_width = std::to_string(classes == 0 ? 0 : classes - 1).size();
  for (const auto& row : e.confusion) {
    for (int64_t n : row) count_width = std::max(count_width, std::to_string(n).size());
  }
  std::string text =
      matrix ? "confusion matrix: rows are the true class, columns the predicted class\n"
             : fmt::format("per-class accuracy (the {}x{} confusion matrix is in --format json)\n", classes, classes);
  text += fmt::format("{:<{}}  {:>8}", "true class", label_width, "accuracy");
  if (matrix) {
    for (std::size_t c = 0; c < classes; ++c) text += fmt::format("  {:>{}}", c, count_width);
  }
  text += "\n";
  for (std::size_t c = 0; c < classes; ++c) {
    const double accuracy = e.per_class[c];
    text += fmt::format("{:<{}}  {:>8}", class_label(c, names), label_width,
                        std::isnan(accuracy) ? "n/a" : fmt::format("{:.2f}%", 100 * accuracy));
    if (matrix) {
      for (int64_t n : e.confusion[c]) text += fmt::format("  {:>{}}", n, count_width);
    }
    text += "\n";
  }
  return text;
}

void print_text(const std::string& title, const Evaluation& e, const std::vector<std::string>& names) {
  fmt::print("{}: {}  top-1 {:.2f}%  top-5 {:.2f}%  loss {:.4f}\n\n{}", title, plural(e.images, "image"), 100 * e.top1,
             100 * e.top5, e.loss, class_table(e, names));
}

void run_eval(const EvalArgs& args) {
  if (args.format != "text" && args.format != "json") {
    throw InvalidArgument(fmt::format("--format: unknown format '{}'; known: text, json", args.format));
  }
  if (args.checkpoint.empty() == args.ensemble.empty()) {
    throw InvalidArgument("give either --checkpoint FILE or --ensemble FILE FILE ...");
  }
  const bool show = args.format == "text";
  if (!args.checkpoint.empty()) {
    const Precision precision = args.precision == "bf16"   ? Precision::BF16
                                : args.precision == "int8" ? Precision::INT8
                                                           : Precision::F32;
    const Member m = evaluate_member(args.checkpoint, args, show, precision);
    // bf16 and int8: how often its prediction is fp32's, on the same images.
    std::optional<double> agreement;
    if (precision != Precision::F32) {
      const Member fp32 = evaluate_member(args.checkpoint, args, false);
      agreement = top1_agreement(m.result.probabilities, fp32.result.probabilities);
    }
    if (show) {
      print_text(m.path + (agreement ? fmt::format(" ({})", args.precision) : ""), m.result, m.model.class_names);
      if (m.quantization) fmt::print("\nint8 ranges: {}\n", calibration_text(m));
      if (agreement) {
        fmt::print("{}top-1 agreement with fp32: {:.2f}% of {}\n", m.quantization ? "" : "\n", 100 * *agreement,
                   plural(m.result.images, "image"));
      }
      return;
    }
    nlohmann::json out = evaluation_json(m.result, m.model.class_names);
    out["checkpoint"] = m.path;
    out["model"] = m.model.model;
    out["precision"] = args.precision;
    if (agreement) out["top1_agreement_with_fp32"] = *agreement;
    if (m.quantization) {
      out["calibration"] = {{"method", calibration_method_name(m.quantization->method)},
                            {"images", m.quantization->images},
                            {"source", m.quantization->source},
                            {"from_checkpoint", !m.calibrated_here}};
    }
    std::cout << out.dump(2) << "\n";
    return;
  }
  if (args.precision != "fp32") throw InvalidArgument("--precision: an ensemble is evaluated in fp32");
  // The lecture's ensembles: average the members' class probabilities.
  std::vector<Member> members;
  std::vector<Evaluation> results;
  for (const std::string& path : args.ensemble) {
    members.push_back(evaluate_member(path, args, show));
    results.push_back(members.back().result);
  }
  const Member& first = members.front();
  Evaluation ensemble;
  try {
    ensemble = ensemble_evaluation(results, args.ensemble);
  } catch (const InvalidArgument& e) {
    throw InvalidArgument(fmt::format("--ensemble: {}", e.what()));
  }
  if (show) {
    std::size_t path_width = 0;  // the members' figures in aligned columns
    for (const Member& m : members) path_width = std::max(path_width, m.path.size());
    for (const Member& m : members) {
      fmt::print("{:<{}}  top-1 {:6.2f}%  top-5 {:6.2f}%  loss {:.4f}\n", m.path, path_width, 100 * m.result.top1,
                 100 * m.result.top5, m.result.loss);
    }
    fmt::print("\n");
    return print_text(fmt::format("ensemble of {}", plural(static_cast<int64_t>(members.size()), "member")), ensemble,
                      first.model.class_names);
  }
  nlohmann::json out{{"members", nlohmann::json::array()},
                     {"ensemble", evaluation_json(ensemble, first.model.class_names)}};
  for (const Member& m : members) {
    out["members"].push_back(
        {{"checkpoint", m.path}, {"top1", m.result.top1}, {"top5", m.result.top5}, {"loss", m.result.loss}});
  }
  std::cout << out.dump(2) << "\n";
}

}  // namespace

void add_eval_command(CLI::App& app) {
  auto args = std::make_shared<EvalArgs>();
  CLI::App* cmd = app.add_subcommand("eval", "Evaluate a checkpoint, or an ensemble, on a data set's test split");
  cmd->add_option("--checkpoint", args->checkpoint, "A checkpoint written by `cnnzoo train`");
  cmd->add_option("--ensemble", args->ensemble, "Several checkpoints: their averaged softmax outputs");
  cmd->add_option("--data", args->data, "Data set (default: the one the checkpoint was trained on)");
  cmd->add_option("--subset", args->subset, "Evaluate on the first N test images (default: all)")->check(at_least(1));
  cmd->add_option("--format", args->format, "text or json")->default_val("text");
  add_threads_option(*cmd, args->threads);
  cmd->add_option("--precision", args->precision,
                  "fp32, bf16 (bfloat16 inference) or int8 (8-bit integer inference, with the checkpoint's calibration "
                  "from `cnnzoo quantize`, else calibrated now on --calibration training images); bf16 and int8 "
                  "also report their top-1 agreement with fp32")
      ->check(CLI::IsMember({"fp32", "bf16", "int8"}))
      ->default_val("fp32");
  cmd->add_option("--calibration", args->calibration,
                  "int8 of a checkpoint without calibration: training images to calibrate on")
      ->default_val(512)
      ->check(at_least(1));
  args->budget_flags.add_to(*cmd, BudgetFlags::kImages | BudgetFlags::kGzip);
  cmd->callback([args] { run_eval(*args); });
}

}  // namespace cnnzoo::cli
