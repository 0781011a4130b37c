// cnnzoo's command line: the app with every subcommand, and the parse that turns its outcome into cnnzoo's
// messages and exit codes. main() runs it; the CLI fuzz target (fuzz/fuzz_cli.cpp) parses with the commands'
// work taken out.
#pragma once

#include <CLI/CLI.hpp>
#include <memory>

namespace cnnzoo::cli {

/// Exit codes: 1 for a user's mistake (cnnzoo::Error), 2 for a command line CLI11 cannot parse, 3 for a bug.
inline constexpr int kExitError = 1;
inline constexpr int kExitUsage = 2;
inline constexpr int kExitInternal = 3;

/// The app with every subcommand; parsing it runs the chosen command's work (the subcommand's callback).
std::unique_ptr<CLI::App> make_cli_app();

/// Parses argv and runs the chosen command. Errors are printed as one "cnnzoo: error: ..." line; returns the
/// process's exit code (0, or one of the codes above).
int parse_and_run(CLI::App& app, int argc, char** argv);

}  // namespace cnnzoo::cli
