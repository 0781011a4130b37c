// cnnzoo predict --checkpoint FILE IMAGE... : `cnnzoo run --checkpoint FILE IMAGE...` under the name the
// training docs use; the same options, code and output.
#include <memory>

#include "commands.h"
#include "run_command.h"

namespace cnnzoo::cli {

void add_predict_command(CLI::App& app) {
  auto args = std::make_shared<RunArgs>();
  CLI::App* cmd = app.add_subcommand(
      "predict", "The top classes of images under a trained checkpoint: `cnnzoo run --checkpoint FILE IMAGE...`");
  cmd->add_option("images", args->inputs, "PNG or JPEG files, folders of them (sorted by name), or .npy arrays")
      ->required();
  add_run_options(*cmd, *args);
  cmd->get_option("--checkpoint")->required();
  cmd->callback([args] { run_inputs(*args); });
}

}  // namespace cnnzoo::cli
