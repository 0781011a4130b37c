// cnnzoo samples: a few images of a data set as PNG files, to look at or to feed `cnnzoo predict`.
#include <fmt/format.h>

#include <filesystem>
#include <memory>

#include "budget_flags.h"
#include "cnnzoo/data.h"
#include "cnnzoo/error.h"
#include "cnnzoo/io.h"
#include "commands.h"
#include "flag_checks.h"

namespace cnnzoo::cli {
namespace {

struct SamplesArgs {
  std::string data = "fashion-mnist";
  std::string split = "test";
  int64_t count = 8;
  int64_t first = 0;
  std::string out;
  BudgetFlags budget_flags;
};

void run_samples(const SamplesArgs& args) {
  if (args.split != "train" && args.split != "test") {
    throw InvalidArgument(fmt::format("--split: expected train or test, got '{}'", args.split));
  }
  const auto data = open_dataset(args.data, args.split == "train" ? Split::Train : Split::Test,
                                 {.budgets = args.budget_flags.resolve()});
  if (args.first < 0 || args.count < 1 || args.first + args.count > data->size()) {
    throw InvalidArgument(fmt::format("--first {} --count {}: {} has {} {} images", args.first, args.count,
                                      data->name(), data->size(), args.split));
  }
  prepare_output_folder(args.out, "--out");
  for (int64_t i = args.first; i < args.first + args.count; ++i) {
    const std::string name = data->class_names().at(static_cast<std::size_t>(data->label(i)));
    std::string safe;
    for (char c : name) safe += std::isalnum(static_cast<unsigned char>(c)) ? c : '_';
    const std::string path =
        (std::filesystem::path(args.out) / fmt::format("{}_{:05}_{}.png", args.split, i, safe)).string();
    write_png(path, data->image(i));
    fmt::print("{}\n", path);
  }
}

}  // namespace

void add_samples_command(CLI::App& app) {
  auto args = std::make_shared<SamplesArgs>();
  CLI::App* cmd = app.add_subcommand("samples", "Write a few images of a data set as PNG files, named by class");
  cmd->add_option("--data", args->data, "Data set (see `cnnzoo train --help`)")->default_val(args->data);
  cmd->add_option("--split", args->split, "train or test")->default_val(args->split);
  cmd->add_option("--first", args->first, "Index of the first image")->default_val(0)->check(at_least(0));
  cmd->add_option("--count", args->count, "How many images")->default_val(8)->check(at_least(1));
  cmd->add_option("--out", args->out, "Folder to write them to (created when missing)")->required();
  args->budget_flags.add_to(*cmd, BudgetFlags::kImages | BudgetFlags::kGzip);
  cmd->callback([args] { run_samples(*args); });
}

}  // namespace cnnzoo::cli
