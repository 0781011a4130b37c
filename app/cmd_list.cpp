// cnnzoo list: the registry, with each model's default input, parameters and multiply-adds.
#include <fmt/format.h>

#include <algorithm>

#include <iostream>
#include <memory>
#include <nlohmann/json.hpp>

#include "cnnzoo/analysis.h"
#include "cnnzoo/error.h"
#include "cnnzoo/models.h"
#include "commands.h"

namespace cnnzoo::cli {
namespace {

struct ListArgs {
  std::string format = "text";
};

void run_list(const ListArgs& args) {
  const bool json = args.format == "json";
  if (!json && args.format != "text") {
    throw InvalidArgument(fmt::format("--format: unknown format '{}'; known: text, json", args.format));
  }
  nlohmann::json items = nlohmann::json::array();
  std::size_t name_width = 0;  // the longest name sets the first column
  for (const ModelInfo& m : list_models()) name_width = std::max(name_width, m.name.size());
  if (!json)
    fmt::print("{:<{}} {:<14} {:>11} {:>8} {:>15} {:>10}  {}\n", "model", name_width, "family", "input", "classes",
               "params", "GMACs", "description");
  for (const ModelInfo& m : list_models()) {
    const Totals t = analyze(build_model(m.name)).total;
    if (json) {
      items.push_back({{"name", m.name},
                       {"family", m.family},
                       {"description", m.description},
                       {"input", m.default_input},
                       {"num_classes", m.default_classes},
                       {"torchvision", m.torchvision},
                       {"params", t.params},
                       {"macs", t.macs}});
      continue;
    }
    fmt::print("{:<{}} {:<14} {:>11} {:>8} {:>15} {:>10.3f}  {}\n", m.name, name_width, m.family,
               to_string(m.default_input), m.default_classes, t.params, t.macs / 1e9, m.description);
  }
  if (json) std::cout << items.dump(2) << "\n";
}

}  // namespace

void add_list_command(CLI::App& app) {
  auto args = std::make_shared<ListArgs>();
  CLI::App* cmd = app.add_subcommand("list", "List the models of the zoo with their default input, params and GMACs");
  cmd->add_option("--format", args->format, "Output format: text or json")->default_val("text");
  cmd->callback([args] { run_list(*args); });
}

}  // namespace cnnzoo::cli
