// cnnzoo summary MODEL: the per-layer table of one model.
#include <fmt/format.h>

#include <iostream>
#include <memory>
#include <optional>

#include "budget_flags.h"
#include "cnnzoo/analysis.h"
#include "cnnzoo/error.h"
#include "cnnzoo/models.h"
#include "cnnzoo/onnx.h"
#include "cnnzoo/report.h"
#include "commands.h"
#include "model_flags.h"
#include "option_flags.h"

namespace cnnzoo::cli {
namespace {

struct SummaryArgs {
  std::string model;
  ModelFlags flags;
  BudgetFlags budget_flags;
  std::string until;
  bool all_nodes = false;
  std::optional<int> depth_view;
  std::string format = "table";
  bool batch_given = false;  ///< --batch on the command line, not its default
};

// An ONNX file's graph at the batch of --batch; --input replaces the first input's C x H x W. A file that
// fixes its batch (torch.onnx.export without dynamic axes writes 1) is summarised at --batch when it is
// given, as `run` takes any batch: its first input's first dimension is rewritten, with a note saying so.
Graph imported_graph(const SummaryArgs& args) {
  const ModelOptions options = args.flags.resolve();
  const std::string input = onnx_input_names(args.model).at(0);
  OnnxImportOptions import;
  import.budgets = args.budget_flags.resolve();
  import.symbolic_dim = options.batch;
  if (options.input) {
    Dims shape{options.batch};
    shape.insert(shape.end(), options.input->begin(), options.input->end());
    import.input_shapes[input] = shape;
  }
  Graph graph = import_onnx(args.model, import).graph;
  Dims shape = graph.shape(graph.inputs().at(0));
  if (!args.batch_given || shape.empty() || shape[0] == options.batch) return graph;
  const int64_t fixed = shape[0];
  shape[0] = options.batch;
  import.input_shapes[input] = shape;
  try {
    graph = import_onnx(args.model, import).graph;
  } catch (const Error& e) {
    throw Error(fmt::format("--batch {}: {} fixes input '{}' at batch {} and its graph takes no other: {}",
                            options.batch, args.model, input, fixed, cli_message(e)));
  }
  std::cerr << fmt::format("note: {} fixes input '{}' at batch {}; summarised at --batch {}\n", args.model, input,
                           fixed, options.batch);
  return graph;
}

void run_summary(const SummaryArgs& args) {
  const ReportFormat format = parse_report_format(args.format, "--format");
  const Graph graph =
      names_onnx_file(args.model) ? imported_graph(args) : build_model(args.model, args.flags.resolve());
  const Analysis analysis =
      analyze(graph, {.until = args.until, .all_nodes = args.all_nodes, .depth_view = args.depth_view});
  std::cout << render_summary(analysis, format);
}

}  // namespace

void add_summary_command(CLI::App& app) {
  auto args = std::make_shared<SummaryArgs>();
  CLI::App* cmd = app.add_subcommand(
      "summary", "Per-layer output shape, memory, parameters, MACs, FLOPs and receptive field of a model");
  cmd->add_option("model", args->model, "Model name (see `cnnzoo list`) or an ONNX file (FILE.onnx)")->required();
  args->flags.add_to(*cmd);
  args->budget_flags.add_to(*cmd, BudgetFlags::kOnnx);
  cmd->add_option("--until", args->until, "Stop after this row, node or module (e.g. maxpool2, layer2)");
  CLI::Option* all_nodes =
      cmd->add_flag("--all-nodes", args->all_nodes,
                    "One row per IR node instead of per layer (conv1 and bn1 apart, as torchinfo's leaf modules)");
  cmd->add_option("--depth-view", args->depth_view,
                  "The module tree to depth N, torchinfo's nested view: 1 = stages (layer1), 2 = blocks "
                  "(layer1.0), 3 = layers (layer1.0.conv1); a module's figures sum its members'")
      ->excludes(all_nodes);
  cmd->add_option("--format", args->format, "table, markdown, csv or json")->default_val("table");
  cmd->footer(
      "Columns: input and output shapes N x C x H x W (batch first); memory = the row's output for the batch, "
      "fp32, in KiB (1024 bytes); params = trainable parameters; MACs = multiply-adds and FLOPs, in M = 10^6; "
      "RF = receptive field, the input pixels one output pixel sees; folded in = the batch norm, activation, "
      "LRN and dropout counted in a convolution's or linear layer's row. Totals: trainable and non-trainable "
      "parameters, buffers (batch norm running statistics), activations (the layer rows' outputs, the same in "
      "every view), peak live memory and a training-memory estimate (docs/counting.md).");
  const CLI::Option* batch = cmd->get_option("--batch");
  cmd->callback([args, batch] {
    args->batch_given = batch->count() > 0;
    run_summary(*args);
  });
}

}  // namespace cnnzoo::cli
