// cnnzoo report TARGET... --output FILE.html: a self-contained HTML report of models or of a training run.
#include <fmt/format.h>

#include <filesystem>
#include <fstream>
#include <iostream>
#include <memory>

#include "budget_flags.h"
#include "cnnzoo/error.h"
#include "cnnzoo/experiments.h"
#include "cnnzoo/html_report.h"
#include "cnnzoo/models.h"
#include "commands.h"
#include "model_flags.h"
#include "model_graph.h"

namespace cnnzoo::cli {
namespace {

struct ReportArgs {
  std::vector<std::string> targets;
  std::string output;
  ModelFlags flags;
  BudgetFlags budget_flags;
  bool batch_given = false;
};

std::string report_of_folder(const ReportArgs& args) {
  const std::string& folder = args.targets.front();
  if (args.targets.size() > 1) {
    throw InvalidArgument(fmt::format("{} is a folder: report one folder at a time, or models only", folder));
  }
  if (std::filesystem::exists(std::filesystem::path(folder) / "metrics.csv")) return training_report_html(folder);
  if (std::filesystem::exists(std::filesystem::path(folder) / "results.json")) return experiment_report_html(folder);
  throw InvalidArgument(
      fmt::format("{}: a folder without metrics.csv or results.json; give a training folder (`cnnzoo train --out "
                  "DIR`), an experiment folder (`cnnzoo experiment NAME --out DIR`), a zoo model or an ONNX file",
                  folder));
}

std::string report_of_models(const ReportArgs& args) {
  std::vector<ReportedModel> models;
  for (const std::string& target : args.targets) {
    Graph graph = model_graph(target, args.flags, args.budget_flags, args.batch_given);
    const bool zoo = !names_onnx_file(target);
    models.push_back({.label = target, .zoo_name = zoo ? target : std::string(), .graph = std::move(graph)});
  }
  return model_report_html(models);
}

// A report replaces an earlier report at --output, never another file: a slip of the keyboard
// (`--output runs/r20/metrics.csv`, `--output model.onnx`) must not destroy what it names.
void check_output(const std::string& output) {
  std::error_code ec;
  if (!std::filesystem::exists(output, ec)) return;
  std::ifstream in(output, std::ios::binary);
  std::string head(15, '\0');
  in.read(head.data(), static_cast<std::streamsize>(head.size()));
  if (!std::filesystem::is_regular_file(output, ec) || head != "<!DOCTYPE html>") {
    throw InvalidArgument(fmt::format(
        "--output {}: the file exists and is not an HTML page; a report replaces only an earlier report, so "
        "choose another name",
        output));
  }
}

void run_report(const ReportArgs& args) {
  check_output(args.output);
  std::error_code ec;
  const bool folder = std::filesystem::is_directory(args.targets.front(), ec);
  const std::string html = folder ? report_of_folder(args) : report_of_models(args);
  write_report(args.output, html);
  std::cout << fmt::format("wrote {} ({} KiB): open it in a browser, no network needed\n", args.output,
                           (html.size() + 1023) / 1024);
}

}  // namespace

void add_report_command(CLI::App& app) {
  auto args = std::make_shared<ReportArgs>();
  CLI::App* cmd = app.add_subcommand(
      "report", "A self-contained HTML report (charts, the network drawn) of models, a training run or an experiment");
  cmd->add_option("targets", args->targets,
                  "Zoo models or ONNX files (several: side by side), or one training or experiment folder")
      ->required()
      ->expected(1, -1);
  cmd->add_option("--output,-o", args->output, "The HTML file to write (replaced atomically)")->required();
  args->flags.add_to(*cmd);
  args->budget_flags.add_to(*cmd, BudgetFlags::kOnnx);
  cmd->footer(
      "A model's report: totals, per-layer bar charts of activation memory, parameters and MACs (as the lecture "
      "draws AlexNet's), the training-memory estimate broken down, the network drawn by Graphviz (a large net's "
      "stages collapsed, each expandable) and every layer. Several models: side by side, with ratios to the first "
      "and published ImageNet top-1 where torchvision has weights. A training folder: loss, accuracy and learning "
      "rate per epoch, the confusion matrix and per-class accuracy (cnnzoo train also refreshes DIR/report.html "
      "after every epoch). An experiment folder (cnnzoo experiment NAME --out DIR): its figures and finding. The file "
      "holds everything it shows: scripts and styles inlined, no network.");
  const CLI::Option* batch = cmd->get_option("--batch");
  cmd->callback([args, batch] {
    args->batch_given = batch->count() > 0;
    run_report(*args);
  });
}

}  // namespace cnnzoo::cli
