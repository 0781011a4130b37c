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
#include "model_graph.h"
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

void run_summary(const SummaryArgs& args) {
  const ReportFormat format = parse_report_format(args.format, "--format");
  const Graph graph = model_graph(args.model, args.flags, args.budget_flags, args.batch_given);
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
