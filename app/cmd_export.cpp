// cnnzoo export MODEL --output FILE.onnx: a zoo model and its weights as an ONNX model (opset 13); with
// --precision int8 the int8 model in QDQ form, from the ranges `cnnzoo quantize` stored with the weights.
#include <fmt/format.h>

#include <filesystem>
#include <iostream>
#include <locale>
#include <memory>

#include "cnnzoo/analysis.h"
#include "cnnzoo/error.h"
#include "cnnzoo/init.h"
#include "cnnzoo/io.h"
#include "cnnzoo/models.h"
#include "cnnzoo/onnx.h"
#include "cnnzoo/quantization.h"
#include "commands.h"
#include "model_flags.h"

namespace cnnzoo::cli {
namespace {

struct ExportArgs {
  std::string model;
  ModelFlags flags;
  std::string weights;
  uint64_t seed = 0;
  std::string precision = "fp32";
  std::string output;
};

// int8: the ranges `cnnzoo quantize` stored in the weights file (a checkpoint or a state_dict).
Quantization stored_ranges(const ExportArgs& args) {
  if (args.weights.empty()) {
    throw InvalidArgument(
        "--precision int8: give --weights FILE with int8 ranges (a checkpoint or state_dict that `cnnzoo quantize` "
        "wrote)");
  }
  const auto ranges = stored_quantization(read_safetensors_metadata(args.weights), args.weights);
  if (!ranges) {
    throw InvalidArgument(
        fmt::format("--precision int8: {} holds no int8 ranges; calibrate it first with `cnnzoo "
                    "quantize` and export the file it writes",
                    args.weights));
  }
  return *ranges;
}

// Digits grouped by commas, whatever the user's locale: "11,689,512".
struct Commas : std::numpunct<char> {
  char do_thousands_sep() const override { return ','; }
  std::string do_grouping() const override { return "\3"; }
};

void run_export(const ExportArgs& args) {
  const ModelInfo& info = find_model(args.model);
  check_output_file(args.output, "--output");
  const Graph graph = build_model(info.name, args.flags.resolve());
  const Parameters parameters = args.weights.empty() ? init_parameters(graph, init_scheme_for(info.name), args.seed)
                                                     : load_weights(graph, args.weights);
  if (args.precision == "int8") {
    const Quantization ranges = stored_ranges(args);
    export_onnx(graph, parameters, args.output, &ranges);
  } else {
    export_onnx(graph, parameters, args.output);
  }
  const std::locale commas(std::locale::classic(), new Commas);
  std::cout << fmt::format(commas, "wrote {}: {:L} parameters, {} nodes, opset {}, {} ({:.1f} MiB)\n", args.output,
                           analyze(graph).total.params, graph.nodes().size(), kOnnxExportOpset,
                           args.precision == "int8" ? "int8 in QDQ form" : "fp32",
                           static_cast<double>(std::filesystem::file_size(args.output)) / 1048576.0);
}

}  // namespace

void add_export_command(CLI::App& app) {
  auto args = std::make_shared<ExportArgs>();
  CLI::App* cmd = app.add_subcommand("export", "Write a model and its weights as an ONNX model (opset 13)");
  cmd->add_option("model", args->model, "Model name (see `cnnzoo list`)")->required();
  args->flags.add_to(*cmd);
  cmd->add_option("--weights", args->weights, "Weights as safetensors with torchvision's names (default: initialise)");
  cmd->add_option("--seed", args->seed, "Seed of the model's own initialisation, without --weights")->default_val(0);
  cmd->add_option("--precision", args->precision,
                  "fp32, or int8: QuantizeLinear/DequantizeLinear around every convolution and linear layer with the "
                  "int8 engine's scales (ranges from a --weights file that `cnnzoo quantize` wrote; weights s8 per "
                  "channel with batch norm folded in, biases int32)")
      ->default_val("fp32")
      ->check(CLI::IsMember({"fp32", "int8"}));
  cmd->add_option("--output", args->output, "Output .onnx file")->required();
  cmd->callback([args] { run_export(*args); });
}

}  // namespace cnnzoo::cli
