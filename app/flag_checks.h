// Range checks of numeric flags, shared by every subcommand: a value outside its flag's range is refused
// while the command line is parsed (exit 2), with the range in the message, before any work starts.
#pragma once

#include <CLI/CLI.hpp>
#include <string>

namespace cnnzoo::cli {

/// Refuses a number `accepts` rejects: "FLAG: must RULE, got VALUE"; `description` is shown in --help.
CLI::Validator number_where(const std::function<bool(double)>& accepts, const std::string& rule,
                            const std::string& description);
/// Refuses a number below `min`: "--epochs: must be at least 1, got 0".
CLI::Validator at_least(double min);
/// Refuses a number above zero or equal to it: "--lr: must be positive, got -1".
CLI::Validator positive();
/// Refuses a number outside [lo, hi]: "--label-smoothing: must lie in [0, 1], got 2".
CLI::Validator within(double lo, double hi);

/// The cores this process may run on: its CPU affinity, or its cgroup's CPU quota (a container's) when that
/// is lower. More threads than these only wait for each other.
int usable_cores();

/// --threads N (0 = every core). A negative count is refused; a count above usable_cores() is lowered to
/// it, with a one-line note on stderr, since more threads slow the work down and can exhaust memory.
CLI::Option* add_threads_option(CLI::App& command, int& threads,
                                const std::string& help = "Threads (0 = every core; more than the cores is capped)");

}  // namespace cnnzoo::cli
