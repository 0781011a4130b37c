// cnnzoo compare A B ...: models, or prefixes of them, side by side with ratios to the first.
#include <fmt/format.h>

#include <iostream>
#include <memory>

#include "cnnzoo/analysis.h"
#include "cnnzoo/error.h"
#include "cnnzoo/models.h"
#include "cnnzoo/report.h"
#include "commands.h"
#include "model_flags.h"

namespace cnnzoo::cli {
namespace {

struct CompareArgs {
  std::vector<std::string> models;
  ModelFlags flags;
  bool match_resolution = false;
  std::string format = "table";
};

// "googlenet:maxpool2" -> model "googlenet", until "maxpool2".
std::pair<std::string, std::string> split_spec(const std::string& spec) {
  const auto colon = spec.find(':');
  if (colon == std::string::npos) return {spec, ""};
  return {spec.substr(0, colon), spec.substr(colon + 1)};
}

void run_compare(const CompareArgs& args) {
  const ReportFormat format = parse_report_format(args.format, "--format");
  const ModelOptions options = args.flags.resolve();
  std::vector<CompareEntry> entries;
  for (const std::string& spec : args.models) {
    auto [model, until] = split_spec(spec);
    const Graph graph = build_model(model, options);
    if (until.empty() && args.match_resolution && !entries.empty()) {
      // Cut at the first row that reaches the first entry's final resolution, as the lecture compares
      // GoogLeNet's stem with VGG-16 down to 28x28.
      const Dims& target = entries.front().analysis.layers.back().output;
      if (target.size() != 4)
        throw InvalidArgument("--match-resolution: the first model does not end in a feature map");
      auto row = first_row_at_resolution(analyze(graph), target[2], target[3]);
      if (!row) {
        throw InvalidArgument(fmt::format("--match-resolution: {} never reaches {}x{}", model, target[2], target[3]));
      }
      until = *row;
    }
    std::string label = until.empty() ? model : fmt::format("{} to {}", model, until);
    entries.push_back({std::move(label), analyze(graph, {.until = until})});
  }
  std::cout << render_comparison(entries, format);
}

}  // namespace

void add_compare_command(CLI::App& app) {
  auto args = std::make_shared<CompareArgs>();
  CLI::App* cmd = app.add_subcommand("compare", "Compare models (or prefixes MODEL:ROW) side by side, with ratios");
  cmd->add_option("models", args->models, "Models, each MODEL or MODEL:ROW (analysed up to and including ROW)")
      ->required()
      ->expected(1, -1);
  args->flags.add_to(*cmd);
  cmd->add_flag("--match-resolution", args->match_resolution,
                "Cut every later model where it first reaches the first model's final resolution");
  cmd->add_option("--format", args->format, "table, markdown, csv or json")->default_val("table");
  cmd->callback([args] { run_compare(*args); });
}

}  // namespace cnnzoo::cli
