// cnnzoo run MODEL|FILE.onnx --input [NAME=]X.npy ... (--output Y.npy | --output-dir DIR): inference on
// the CPU engine, of a zoo model or of a model imported from ONNX.
#include <fmt/format.h>

#include <algorithm>
#include <cctype>
#include <filesystem>
#include <map>
#include <memory>

#include "cnnzoo/engine.h"
#include "cnnzoo/error.h"
#include "cnnzoo/init.h"
#include "cnnzoo/io.h"
#include "cnnzoo/models.h"
#include "cnnzoo/onnx.h"
#include "commands.h"
#include "flag_checks.h"
#include "model_flags.h"

namespace cnnzoo::cli {
namespace {

struct RunArgs {
  std::string model;
  std::string weights;
  uint64_t seed = 0;
  std::optional<int64_t> num_classes;
  std::vector<std::string> inputs;
  std::string output;
  std::string output_dir;
  int threads = 0;
};

struct NamedOutput {
  std::string name;
  Tensor tensor;
};

std::vector<NamedOutput> run_zoo_model(const RunArgs& args) {
  const ModelInfo& info = find_model(args.model);
  if (args.inputs.size() != 1) {
    throw InvalidArgument(fmt::format("{} takes one --input, got {}", info.name, args.inputs.size()));
  }
  const Tensor x = read_npy(args.inputs[0]);
  const Dims& shape = x.shape();
  if (shape.size() != 4) {
    throw InvalidArgument(fmt::format("{}: expected an NxCxHxW array, got shape {}", args.inputs[0], to_string(shape)));
  }
  if (shape[1] != info.default_input[0]) {
    throw InvalidArgument(fmt::format("{}: {} takes {} input channels (as {}), got {} (shape {})", args.inputs[0],
                                      info.name, info.default_input[0], to_string(info.default_input), shape[1],
                                      to_string(shape)));
  }
  const Graph graph = build_model(
      info.name, {.batch = shape[0], .num_classes = args.num_classes, .input = Dims{shape[1], shape[2], shape[3]}});
  Parameters parameters = args.weights.empty() ? init_parameters(graph, init_scheme_for(info.name), args.seed)
                                               : load_weights(graph, args.weights);
  InferenceEngine engine(graph, std::move(parameters), {.threads = args.threads});
  std::vector<Tensor> outputs = engine.run(x);
  std::vector<NamedOutput> named;
  for (std::size_t i = 0; i < outputs.size(); ++i) {
    named.push_back({graph.value(graph.outputs()[i]).name, std::move(outputs[i])});
  }
  return named;
}

// --input values: "NAME=FILE" binds by name, a bare "FILE" takes the next graph input in order.
std::map<std::string, Tensor> read_onnx_inputs(const RunArgs& args, const std::vector<std::string>& names) {
  std::map<std::string, Tensor> bound;
  std::size_t next = 0;
  for (const std::string& spec : args.inputs) {
    const auto eq = spec.find('=');
    std::string name;
    std::string file = spec;
    if (eq != std::string::npos && std::find(names.begin(), names.end(), spec.substr(0, eq)) != names.end()) {
      name = spec.substr(0, eq);
      file = spec.substr(eq + 1);
    } else {
      while (next < names.size() && bound.contains(names[next])) ++next;
      if (next == names.size()) {
        throw InvalidArgument(fmt::format("--input {}: the model has {} input{} ({}), all given already", spec,
                                          names.size(), names.size() == 1 ? "" : "s", fmt::join(names, ", ")));
      }
      name = names[next];
    }
    if (bound.contains(name)) throw InvalidArgument(fmt::format("--input: '{}' is given twice", name));
    bound.emplace(name, read_npy(file));
  }
  for (const std::string& name : names) {
    if (!bound.contains(name)) {
      throw InvalidArgument(
          fmt::format("the model's input '{}' has no --input (its inputs: {})", name, fmt::join(names, ", ")));
    }
  }
  return bound;
}

std::vector<NamedOutput> run_onnx_model(const RunArgs& args) {
  if (!args.weights.empty()) throw InvalidArgument("--weights: an ONNX file carries its own weights");
  const std::vector<std::string> names = onnx_input_names(args.model);
  const std::map<std::string, Tensor> inputs = read_onnx_inputs(args, names);
  OnnxImportOptions options;
  for (const auto& [name, tensor] : inputs) options.input_shapes[name] = tensor.shape();
  OnnxModel model = import_onnx(args.model, options);
  std::vector<Tensor> outputs;
  if (!model.graph.outputs().empty()) {
    std::vector<Tensor> ordered;
    for (ValueId v : model.graph.inputs()) ordered.push_back(inputs.at(model.graph.value(v).name));
    outputs = InferenceEngine(model.graph, std::move(model.parameters), {.threads = args.threads}).run(ordered);
  }
  std::vector<NamedOutput> named;
  std::size_t dynamic = 0;
  for (const std::string& name : model.output_names) {
    auto constant = model.constant_outputs.find(name);
    named.push_back({name, constant != model.constant_outputs.end() ? constant->second : outputs.at(dynamic++)});
  }
  return named;
}

// An output name as a file name: path separators and other awkward characters become '_'.
std::string file_name_for(const std::string& name) {
  std::string safe = name;
  for (char& c : safe) {
    if (!std::isalnum(static_cast<unsigned char>(c)) && c != '.' && c != '-' && c != '_') c = '_';
  }
  return safe + ".npy";
}

void run_run(const RunArgs& args) {
  if (args.output.empty() == args.output_dir.empty()) {
    throw InvalidArgument("give either --output FILE.npy (the first output) or --output-dir DIR (every output)");
  }
  args.output.empty() ? prepare_output_folder(args.output_dir, "--output-dir")
                      : check_output_file(args.output, "--output");
  const std::vector<NamedOutput> outputs = names_onnx_file(args.model) ? run_onnx_model(args) : run_zoo_model(args);
  if (!args.output.empty()) return write_npy(args.output, outputs.at(0).tensor);
  std::filesystem::create_directories(args.output_dir);
  for (const NamedOutput& out : outputs) {
    write_npy((std::filesystem::path(args.output_dir) / file_name_for(out.name)).string(), out.tensor);
  }
}

}  // namespace

void add_run_command(CLI::App& app) {
  auto args = std::make_shared<RunArgs>();
  CLI::App* cmd = app.add_subcommand(
      "run", "Run a zoo model or an ONNX file on .npy inputs and write its outputs (the logits) as .npy");
  cmd->add_option("model", args->model, "Model name (see `cnnzoo list`) or an ONNX file (FILE.onnx)")->required();
  cmd->add_option("--weights", args->weights, "Weights as safetensors with torchvision's names (default: initialise)");
  cmd->add_option("--seed", args->seed, "Seed of the model's own initialisation, without --weights")->default_val(0);
  cmd->add_option("--num-classes", args->num_classes, "Number of classes (default: the model's own)");
  cmd->add_option("--input", args->inputs,
                  "Input .npy, float32 (N x C x H x W for a zoo model); for an ONNX file with several inputs, "
                  "repeat it, as NAME=FILE.npy or in the file's input order")
      ->required();
  cmd->add_option("--output", args->output, "Output .npy for the first output (the logits, N x K)");
  cmd->add_option("--output-dir", args->output_dir, "Folder for every output, each as NAME.npy");
  add_threads_option(*cmd, args->threads);
  cmd->callback([args] { run_run(*args); });
}

}  // namespace cnnzoo::cli
