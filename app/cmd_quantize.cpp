// cnnzoo quantize CHECKPOINT --output FILE: post-training int8 calibration. The checkpoint's model is run in
// float32 on a sample of its training images; the range of every value is stored with the weights, as a
// checkpoint again, which `eval --precision int8` then uses without calibrating.
#include <fmt/format.h>

#include <filesystem>
#include <iostream>
#include <memory>

#include "cnnzoo/checkpoint.h"
#include "cnnzoo/data.h"
#include "cnnzoo/error.h"
#include "cnnzoo/fit.h"
#include "cnnzoo/io.h"
#include "cnnzoo/quantization.h"
#include "commands.h"
#include "flag_checks.h"
#include "progress.h"

namespace cnnzoo::cli {
namespace {

struct QuantizeArgs {
  std::string checkpoint;
  std::string data;
  int64_t calibration = 512;
  std::string method = "minmax";
  double percentile = 99.99;
  int threads = 0;
  std::string output;
};

void run_quantize(const QuantizeArgs& args) {
  check_output_file(args.output, "--output");
  std::error_code ec;  // a path that does not exist yet is no other spelling of the checkpoint
  if (std::filesystem::equivalent(args.output, args.checkpoint, ec)) {
    throw InvalidArgument(
        fmt::format("--output {}: that is the checkpoint being read; name another file", args.output));
  }
  TrainedModel trained = load_trained_model(args.checkpoint);
  const std::string data_spec = args.data.empty() ? trained.data : args.data;
  const std::unique_ptr<Dataset> train = open_dataset(data_spec, Split::Train);
  ModelOptions options = trained.options;
  options.batch = std::min<int64_t>(64, std::min(args.calibration, train->size()));
  const Graph graph = build_model(trained.model, options);

  std::unique_ptr<Progress> bar;
  CalibrationOptions calibration{.method = calibration_method_from_name(args.method),
                                 .percentile = args.percentile,
                                 .threads = args.threads,
                                 .on_batch = [&bar](int64_t done, int64_t total) {
                                   if (!bar) bar = std::make_unique<Progress>("calibrating", total, "batch");
                                   bar->update(done);
                                 }};
  const Quantization q = calibrate_on_data(graph, trained.parameters, *train, args.calibration, calibration);
  if (bar) bar->finish();

  // The same checkpoint without the optimizer's state (a quantized model is for inference), plus the ranges.
  Checkpoint out{.model = std::move(trained.parameters), .optimizer = {}, .meta = std::move(trained.meta)};
  out.meta[kQuantizationKey] = quantization_json(q);
  save_checkpoint(args.output, out);
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
      "Calibrate a checkpoint for int8 inference: run it in float32 on a sample of its training images and store "
      "the range of every value with its weights (a checkpoint again, read by `eval --precision int8`)");
  cmd->add_option("checkpoint", args->checkpoint, "A checkpoint written by `cnnzoo train`")->required();
  cmd->add_option("--data", args->data, "Data set whose training images calibrate (default: the checkpoint's own)");
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
  cmd->add_option("--output", args->output, "The calibrated checkpoint to write (.safetensors)")->required();
  cmd->callback([args] { run_quantize(*args); });
}

}  // namespace cnnzoo::cli
