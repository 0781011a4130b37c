// cnnzoo run MODEL --input X.npy --output Y.npy: inference on the CPU engine.
#include <fmt/format.h>

#include <memory>

#include "cnnzoo/engine.h"
#include "cnnzoo/error.h"
#include "cnnzoo/init.h"
#include "cnnzoo/io.h"
#include "cnnzoo/models.h"
#include "commands.h"

namespace cnnzoo::cli {
namespace {

struct RunArgs {
  std::string model;
  std::string weights;
  uint64_t seed = 0;
  std::optional<int64_t> num_classes;
  std::string input;
  std::string output;
  int threads = 0;
};

void run_run(const RunArgs& args) {
  const ModelInfo& info = find_model(args.model);
  const Tensor x = read_npy(args.input);
  const Dims& shape = x.shape();
  if (shape.size() != 4) {
    throw InvalidArgument(fmt::format("{}: expected an NxCxHxW array, got shape {}", args.input, to_string(shape)));
  }
  if (shape[1] != info.default_input[0]) {
    throw InvalidArgument(fmt::format("{}: {} takes {} input channels (as {}), got {} (shape {})", args.input,
                                      info.name, info.default_input[0], to_string(info.default_input), shape[1],
                                      to_string(shape)));
  }
  const Graph graph = build_model(
      info.name, {.batch = shape[0], .num_classes = args.num_classes, .input = Dims{shape[1], shape[2], shape[3]}});
  const Parameters parameters = args.weights.empty() ? init_parameters(graph, init_scheme_for(info.name), args.seed)
                                                     : load_weights(graph, args.weights);
  InferenceEngine engine(graph, parameters, {.threads = args.threads});
  write_npy(args.output, engine.run(x).at(0));
}

}  // namespace

void add_run_command(CLI::App& app) {
  auto args = std::make_shared<RunArgs>();
  CLI::App* cmd = app.add_subcommand("run", "Run a model on an NxCxHxW .npy input and write the NxK logits");
  cmd->add_option("model", args->model, "Model name (see `cnnzoo list`)")->required();
  cmd->add_option("--weights", args->weights, "Weights as safetensors with torchvision's names (default: initialise)");
  cmd->add_option("--seed", args->seed, "Seed of the model's own initialisation, without --weights")->default_val(0);
  cmd->add_option("--num-classes", args->num_classes, "Number of classes (default: the model's own)");
  cmd->add_option("--input", args->input, "Input .npy: float32, N x C x H x W")->required();
  cmd->add_option("--output", args->output, "Output .npy for the logits, N x K")->required();
  cmd->add_option("--threads", args->threads, "Threads (default: every core)")->default_val(0);
  cmd->callback([args] { run_run(*args); });
}

}  // namespace cnnzoo::cli
