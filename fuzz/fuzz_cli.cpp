// The command line parse on any argv (the input's lines, after "cnnzoo"), with every command's work taken
// out: the exit code main would return is 0, 1 (a cnnzoo::Error from a flag's check) or 2 (a parse error),
// never 3 (an exception nobody meant) or a crash.
#include <cstdlib>
#include <functional>
#include <string>
#include <vector>

#include "cli_app.h"
#include "fuzz_support.h"

namespace {

// A command's work is its subcommand's callback, which also owns the variables its options write into. So
// the callbacks are moved out (kept alive until the parse ends) rather than replaced: CLI11 keeps them in
// protected members, reached through a class derived from CLI::App.
struct CommandWork : CLI::App {
  static std::vector<std::function<void()>> take_all(CLI::App& app) {
    std::vector<std::function<void()>> taken;
    for (CLI::App* command : app.get_subcommands([](const CLI::App*) { return true; })) {
      for (auto member : {&CommandWork::final_callback_, &CommandWork::parse_complete_callback_}) {
        taken.push_back(std::move(command->*member));
        command->*member = nullptr;
      }
    }
    return taken;
  }
};

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  cnnzoo::fuzz::silence_closed_outputs();
  std::vector<std::string> words{"cnnzoo"};
  std::string word;
  for (size_t i = 0; i < size; ++i) {
    if (data[i] == '\n') {
      words.push_back(word);
      word.clear();
    } else {
      word.push_back(static_cast<char>(data[i]));
    }
  }
  if (!word.empty()) words.push_back(word);
  std::vector<char*> argv;
  for (std::string& w : words) argv.push_back(w.data());
  argv.push_back(nullptr);

  const auto app = cnnzoo::cli::make_cli_app();
  // Parse only: no command trains, reads or writes anything.
  const auto work = CommandWork::take_all(*app);
  const int code = cnnzoo::cli::parse_and_run(*app, static_cast<int>(words.size()), argv.data());
  if (code != 0 && code != cnnzoo::cli::kExitError && code != cnnzoo::cli::kExitUsage) std::abort();
  return 0;
}
