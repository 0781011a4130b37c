// The cnnzoo app and its parse (cli_app.h).
#include "cli_app.h"

#include <fmt/format.h>

#include <cstdio>
#include <filesystem>
#include <new>

#include "cnnzoo/error.h"
#include "cnnzoo/nearest_names.h"
#include "commands.h"
#include "option_flags.h"

namespace cnnzoo::cli {
namespace {

// "cnnzoo summry": CLI11 would say only that a subcommand is required; name the word and the nearest
// command instead. True when argv's first word is neither a flag nor a command (the message is printed).
bool refuse_unknown_command(CLI::App& app, int argc, char** argv) {
  if (argc < 2 || argv[1][0] == '-') return false;
  const std::string word = argv[1];
  std::vector<std::string> names;
  for (const CLI::App* command : app.get_subcommands([](const CLI::App*) { return true; })) {
    if (command->check_name(word)) return false;
    names.push_back(command->get_name());
  }
  fmt::print(stderr, "cnnzoo: error: unknown command '{}';{} commands: {} (cnnzoo --help)\n", word,
             cnnzoo::did_you_mean(cnnzoo::nearest_names(word, names)), fmt::join(names, ", "));
  return true;
}

}  // namespace

std::unique_ptr<CLI::App> make_cli_app() {
  auto app = std::make_unique<CLI::App>(
      "cnnzoo: the classic ImageNet CNNs - define, analyse, compare, run, train, bench", "cnnzoo");
  app->require_subcommand(1);
  // CLI11's errors as cnnzoo's: one line, and where to look.
  app->failure_message([](const CLI::App* parsed, const CLI::Error& e) {
    const auto command = parsed->get_subcommands();
    const std::string help = command.empty() ? "cnnzoo --help" : "cnnzoo " + command.front()->get_name() + " --help";
    return fmt::format("cnnzoo: error: {} (see `{}`)\n", e.what(), help);
  });
  add_list_command(*app);
  add_summary_command(*app);
  add_compare_command(*app);
  add_run_command(*app);
  add_train_command(*app);
  add_eval_command(*app);
  add_predict_command(*app);
  add_samples_command(*app);
  add_export_command(*app);
  add_quantize_command(*app);
  add_bench_command(*app);
  add_report_command(*app);
  add_experiment_command(*app);
  return app;
}

int parse_and_run(CLI::App& app, int argc, char** argv) {
  if (refuse_unknown_command(app, argc, argv)) return kExitUsage;
  try {
    app.parse(argc, argv);
  } catch (const CLI::CallForHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForAllHelp& e) {
    return app.exit(e);
  } catch (const CLI::ParseError& e) {
    app.exit(e);
    return kExitUsage;
  } catch (const cnnzoo::Error& e) {
    fmt::print(stderr, "cnnzoo: error: {}\n", cli_message(e));
    return kExitError;
  } catch (const std::bad_alloc&) {
    // Sizes are checked before the large allocations; this is the net under the ones that are not.
    fmt::print(stderr,
               "cnnzoo: error: out of memory: the work needs more memory than this process may use; "
               "use a smaller --batch or input\n");
    return kExitError;
  } catch (const std::filesystem::filesystem_error& e) {
    // Output and data paths are checked first; this is the net under a path that changed meanwhile.
    const std::string path = !e.path1().empty() ? e.path1().string() : std::string("a file");
    fmt::print(stderr, "cnnzoo: error: {}: {}\n", path, e.code().message());
    return kExitError;
  } catch (const std::exception& e) {
    fmt::print(stderr, "cnnzoo: internal error: {}\n", e.what());
    return kExitInternal;
  }
  return 0;
}

}  // namespace cnnzoo::cli
