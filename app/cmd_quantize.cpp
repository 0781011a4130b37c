// cnnzoo quantize CHECKPOINT|MODEL --output FILE: post-training int8 calibration. The model is run in float32 on a
// sample of images; the range of every value is stored with the weights: for a checkpoint, as a checkpoint again
// (sampled from its own training set unless --data says otherwise), which `eval --precision int8` then uses
// without calibrating; for a zoo model with --weights (a torchvision state_dict), as that state_dict again, which
// `run MODEL --weights FILE --precision int8` uses.
#include <fmt/format.h>

#include <filesystem>
#include <iostream>
#include <memory>

#include "cnnzoo/checkpoint.h"
#include "cnnzoo/data.h"
#include "cnnzoo/error.h"
#include "cnnzoo/fit.h"
#include "cnnzoo/io.h"
#include "cnnzoo/models.h"
#include "cnnzoo/quantization.h"
#include "commands.h"
#include "flag_checks.h"
#include "progress.h"

namespace cnnzoo::cli {
namespace {

struct QuantizeArgs {
  std::string target;  ///< a checkpoint of `cnnzoo train`, or a zoo model name
  std::string weights;
  std::string data;
  int64_t calibration = 512;
  std::string method = "minmax";
  double percentile = 99.99;
  int threads = 0;
  std::string output;
};

// `path` must not be a file the command reads: writing it would destroy the input.
void refuse_overwriting(const std::string& output, const std::string& path, const std::string& what) {
  std::error_code ec;  // a path that does not exist yet is no other spelling of the input
  if (std::filesystem::equivalent(output, path, ec)) {
    throw InvalidArgument(fmt::format("--output {}: that is the {} being read; name another file", output, what));
  }
}

// calibrate_on_data with the command's options, a progress bar while it runs.
Quantization calibrate_with_progress(const QuantizeArgs& args, const Graph& graph, const Parameters& parameters,
                                     const Dataset& data) {
  std::unique_ptr<Progress> bar;
  CalibrationOptions calibration{.method = calibration_method_from_name(args.method),
                                 .percentile = args.percentile,
                                 .threads = args.threads,
                                 .on_batch = [&bar](int64_t done, int64_t total) {
                                   if (!bar) bar = std::make_unique<Progress>("calibrating", total, "batch");
                                   bar->update(done);
                                 }};
  Quantization q = calibrate_on_data(graph, parameters, data, args.calibration, calibration);
  if (bar) bar->finish();
  return q;
}

// The batch of the calibration plan: the sample in batches of at most 64.
int64_t calibration_batch(const QuantizeArgs& args, const Dataset& data) {
  return std::min<int64_t>(64, std::min(args.calibration, data.size()));
}

Quantization quantize_checkpoint(const QuantizeArgs& args) {
  if (!args.weights.empty()) {
    throw InvalidArgument(
        fmt::format("--weights: {} is a checkpoint and carries its weights; drop --weights", args.target));
  }
  refuse_overwriting(args.output, args.target, "checkpoint");
  TrainedModel trained = load_trained_model(args.target);
  const std::string data_spec = args.data.empty() ? trained.data : args.data;
  const std::unique_ptr<Dataset> train = open_dataset(data_spec, Split::Train);
  ModelOptions options = trained.options;
  options.batch = calibration_batch(args, *train);
  const Quantization q = calibrate_with_progress(args, build_model(trained.model, options), trained.parameters, *train);
  // The same checkpoint without the optimizer's state (a quantized model is for inference), plus the ranges.
  Checkpoint out{.model = std::move(trained.parameters), .optimizer = {}, .meta = std::move(trained.meta)};
  out.meta[kQuantizationKey] = quantization_json(q);
  save_checkpoint(args.output, out);
  return q;
}

// A zoo model at its own input size with the user's weights, calibrated on images of --data transformed as
// for evaluation (a folder: resized and centre-cropped, ImageNet's normalisation, as `run` preprocesses images).
Quantization quantize_zoo_model(const QuantizeArgs& args) {
  const ModelInfo& info = find_model(args.target);
  if (args.weights.empty()) {
    throw InvalidArgument(
        fmt::format("--weights: {}'s ranges belong to its weights; give --weights FILE (a "
                    "torchvision state_dict of {})",
                    info.name, info.name));
  }
  if (args.data.empty()) {
    throw InvalidArgument(
        fmt::format("--data: {} has no training set of its own; give the images to calibrate on "
                    "(folder:DIR, as `train --data` takes them)",
                    info.name));
  }
  refuse_overwriting(args.output, args.weights, "weights file");
  ModelOptions options{.input = info.default_input};
  const std::unique_ptr<Dataset> data = open_dataset(args.data, Split::Train, {.image_size = info.default_input.at(1)});
  options.batch = calibration_batch(args, *data);
  const Graph graph = build_model(info.name, options);
  // Read once: checked, calibrated on and written again. A checkpoint's optimizer state is no weight (as
  // load_weights reads it) but is kept in the file.
  TensorFile file = read_safetensors(args.weights);
  NamedTensors weights;
  for (const auto& [name, tensor] : file.tensors) {
    if (!name.starts_with(kOptimizerPrefix)) weights.emplace_back(name, &tensor);
  }
  require_fit(check_parameters(graph, weights), fmt::format("{}: weights do not fit {}", args.weights, info.name));
  Parameters parameters;
  for (const auto& [name, tensor] : weights) parameters.emplace(name, *tensor);
  const Quantization q = calibrate_with_progress(args, graph, parameters, *data);
  // The user's file as it was (every tensor, its metadata), plus the ranges and the model they belong to.
  file.metadata[kQuantizationKey] = quantization_json(q);
  file.metadata[kCheckpointModelKey] = info.name;
  write_safetensors(args.output, file);
  return q;
}

void run_quantize(const QuantizeArgs& args) {
  check_output_file(args.output, "--output");
  const bool model = has_model(args.target) && !std::filesystem::exists(args.target);
  const Quantization q = model ? quantize_zoo_model(args) : quantize_checkpoint(args);
  std::cout << fmt::format(
      "wrote {}: int8 ranges of {} values from {} images of {} ({}{})\n", args.output, q.ranges.size(), q.images,
      q.source, calibration_method_name(q.method),
      q.method == CalibrationMethod::Percentile ? fmt::format(", {}th percentile of |x|", q.percentile) : "");
}

}  // namespace

void add_quantize_command(CLI::App& app) {
  auto args = std::make_shared<QuantizeArgs>();
  CLI::App* cmd = app.add_subcommand(
      "quantize",
      "Calibrate a checkpoint or a zoo model with weights for int8 inference: run it in float32 on a sample of "
      "training images and store the range of every value with its weights (a checkpoint again, read by `eval "
      "--precision int8` and `run`; or the weights file again, read by `run MODEL --weights FILE --precision int8`)");
  cmd->add_option(
         "target", args->target,
         "A checkpoint written by `cnnzoo train`, or a zoo model (see `cnnzoo list`) with --weights and --data")
      ->required();
  cmd->add_option("--weights", args->weights,
                  "A zoo model's weights (a torchvision state_dict, .safetensors); the output is this file with the "
                  "ranges in its metadata, for `run MODEL --weights OUTPUT --precision int8`");
  cmd->add_option("--data", args->data,
                  "Data set whose training images calibrate (a checkpoint: default its own; a zoo model: required, "
                  "e.g. folder:DIR of images in class subfolders)");
  cmd->add_option("--calibration", args->calibration, "Calibration images (a seeded sample of the training split)")
      ->default_val(512)
      ->check(at_least(1));
  cmd->add_option("--method", args->method,
                  "minmax (the extremes seen) or percentile (|x| clipped at --percentile of all values seen)")
      ->default_val("minmax")
      ->check(CLI::IsMember({"minmax", "percentile"}));
  cmd->add_option("--percentile", args->percentile, "Of |x|, in percent, for --method percentile")
      ->default_val(99.99)
      ->check(number_where([](double p) { return p > 0 && p <= 100; }, "lie in (0, 100]", "in (0, 100]"));
  add_threads_option(*cmd, args->threads);
  cmd->add_option("--output", args->output, "The calibrated checkpoint or weights file to write (.safetensors)")
      ->required();
  cmd->callback([args] { run_quantize(*args); });
}

}  // namespace cnnzoo::cli
