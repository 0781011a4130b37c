// The library names a wrong option by its field, never by a command-line flag; the CLI says it as the flag
// (app/option_flags.h). Each case checks both sides: the library's error carries and spells the field, and
// the message the CLI prints names the flag instead.
#include <gtest/gtest.h>

#include <filesystem>
#include <string>
#include <vector>

#include "cli/run_cli.h"
#include "cnnzoo/analysis.h"
#include "cnnzoo/error.h"
#include "cnnzoo/fit.h"
#include "cnnzoo/models.h"
#include "option_flags.h"

namespace cnnzoo {
namespace {

struct Caught {
  std::vector<std::string> fields;
  std::string library;  ///< the library's message
  std::string cli;      ///< the CLI's
};

// What `f` threw: its option fields, its message, and that message as the CLI says it.
template <class F>
Caught catch_option_error(F f) {
  try {
    f();
  } catch (const Error& e) {
    const auto* about = dynamic_cast<const OptionFields*>(&e);
    return {.fields = about ? about->fields() : std::vector<std::string>{},
            .library = e.what(),
            .cli = cli::cli_message(e)};
  }
  ADD_FAILURE() << "no error";
  return {};
}

// Options that pass every check but the ones a test breaks (a named variable: GCC 12 sees a designated
// FitOptions temporary's optional members as maybe uninitialized).
FitOptions fit_options() {
  FitOptions options;
  options.out_dir = "never";
  return options;
}

TEST(OptionFlags, FitNamesTheFieldAndTheCliTheFlag) {
  FitOptions no_epochs = fit_options();
  no_epochs.epochs = 0;
  const Caught caught = catch_option_error([&] { fit(no_epochs); });
  EXPECT_EQ(caught.fields, std::vector<std::string>{"FitOptions::epochs"});
  EXPECT_EQ(caught.library, "FitOptions::epochs: must be at least 1, got 0");
  EXPECT_EQ(caught.cli, "--epochs: must be at least 1, got 0");

  FitOptions no_out = fit_options();
  no_out.out_dir.clear();
  const Caught out = catch_option_error([&] { fit(no_out); });
  EXPECT_EQ(out.library, "FitOptions::out_dir: a folder for the checkpoints and metrics is required");
  EXPECT_EQ(out.cli, "--out: a folder for the checkpoints and metrics is required");

  FitOptions no_lr = fit_options();
  no_lr.schedule.base_lr = 0;
  const Caught lr = catch_option_error([&] { fit(no_lr); });
  EXPECT_EQ(lr.library, "FitOptions::schedule.base_lr: must be positive, got 0");
  EXPECT_EQ(lr.cli, "--lr: must be positive, got 0");
}

TEST(OptionFlags, TheRegistryNamesTheFieldsAndTheCliTheFlags) {
  const Caught caught = catch_option_error([] { build_model("resnet20", {.groups = 2}); });
  EXPECT_EQ(caught.library,
            "model 'resnet20' does not take ModelOptions::groups (it takes: ModelOptions::depth, ModelOptions::no_bn)");
  EXPECT_EQ(caught.cli, "model 'resnet20' does not take --groups (it takes: --depth, --no-bn)");

  const Caught depth = catch_option_error([] { build_model("resnet20", {.depth = 21}); });
  EXPECT_EQ(depth.library, "resnet20: ModelOptions::depth must be 6n+2 with n >= 1 (8, 14, 20, ...), got 21");
  EXPECT_EQ(depth.cli, "resnet20: --depth must be 6n+2 with n >= 1 (8, 14, 20, ...), got 21");

  const Caught classes = catch_option_error([] { build_model("resnet18", {.num_classes = 0}); });
  EXPECT_EQ(classes.library, "ModelOptions::num_classes must be a positive integer, got 0");
  EXPECT_EQ(classes.cli, "--num-classes must be a positive integer, got 0");
}

TEST(OptionFlags, TheAnalysisNamesTheFieldsAndTheCliTheFlags) {
  const Graph graph = build_model("alexnet");
  try {
    analyze(graph, {.until = "layer9"});
    FAIL() << "expected UnknownNameError";
  } catch (const UnknownNameError& e) {  // still the kind of error it was
    const std::string modules = "its top-level modules: features, avgpool, flatten, classifier";
    EXPECT_EQ(std::string(e.what()),
              "AnalysisOptions::until: no row, node or module named 'layer9' in alexnet; " + modules);
    EXPECT_EQ(cli::cli_message(e), "--until: no row, node or module named 'layer9' in alexnet; " + modules);
  }
  const Caught both = catch_option_error([&] { analyze(graph, {.all_nodes = true, .depth_view = 2}); });
  EXPECT_EQ(both.fields, (std::vector<std::string>{"AnalysisOptions::depth_view", "AnalysisOptions::all_nodes"}));
  EXPECT_EQ(both.cli, "--depth-view and --all-nodes are two views of the rows; give one of them");
}

TEST(OptionFlags, OnlyWholeFieldsAreRewritten) {
  const OptionError error({"FitOptions::subset"}, "FitOptions::subset_of FitOptions::subset, FitOptions::subset.");
  EXPECT_EQ(cli::cli_message(error), "FitOptions::subset_of --subset, --subset.");
  // Another front end's own name, and an error about no option, stay as they are.
  EXPECT_EQ(cli::cli_message(OptionError({"--out"}, "--out x: give a folder")), "--out x: give a folder");
  EXPECT_EQ(cli::cli_message(ShapeError("FitOptions::epochs")), "FitOptions::epochs");
  EXPECT_EQ(cli::flag_for("FitOptions::batch_size"), "--batch");
  EXPECT_EQ(cli::flag_for("ModelOptions::batch"), "--batch");
}

TEST(OptionFlags, TheCliPrintsTheFlag) {
  const test::CliResult until = test::run_cli("summary alexnet --until layer9");
  EXPECT_EQ(until.exit_code, 1);
  EXPECT_EQ(until.err,
            "cnnzoo: error: --until: no row, node or module named 'layer9' in alexnet; its top-level modules: "
            "features, avgpool, flatten, classifier\n");
  const test::CliResult groups = test::run_cli("summary resnet20 --groups 2");
  EXPECT_EQ(groups.err, "cnnzoo: error: model 'resnet20' does not take --groups (it takes: --depth, --no-bn)\n");
}

}  // namespace
}  // namespace cnnzoo
