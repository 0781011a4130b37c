#include "flag_checks.h"

#include <fmt/format.h>
#include <sched.h>

#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <optional>
#include <thread>

namespace cnnzoo::cli {
namespace {

// The number a flag's text holds; nothing when it is not one (CLI11's conversion then reports it). A number
// beyond a double's range is what CLI11 then converts it to, +-infinity or zero (so 1e400 meets the range check).
std::optional<double> number(const std::string& text) {
  double value = 0;
  const char* end = text.data() + text.size();
  auto [next, ec] = std::from_chars(text.data(), end, value);
  if (ec == std::errc::result_out_of_range && next == end) return std::strtod(text.c_str(), nullptr);
  if (ec != std::errc() || next != end) return std::nullopt;
  return value;
}

}  // namespace

CLI::Validator number_where(const std::function<bool(double)>& accepts, const std::string& rule,
                            const std::string& description) {
  return CLI::Validator(
      [accepts, rule](std::string& text) -> std::string {
        const std::optional<double> v = number(text);
        if (!v || accepts(*v)) return "";
        return fmt::format("must {}, got {}", rule, text);
      },
      description);
}

namespace {

// The cgroup v2 CPU quota, "QUOTA PERIOD" in cpu.max, as whole cores (rounded up); nothing for "max".
std::optional<int> cgroup_cores() {
  std::ifstream file("/sys/fs/cgroup/cpu.max");
  std::string quota;
  double period = 0;
  if (!(file >> quota >> period) || quota == "max" || period <= 0) return std::nullopt;
  const std::optional<double> q = number(quota);
  if (!q || *q <= 0) return std::nullopt;
  return std::max(1, static_cast<int>(std::ceil(*q / period)));
}

}  // namespace

CLI::Validator at_least(double min) {
  return number_where([min](double v) { return v >= min; }, fmt::format("be at least {}", min),
                      fmt::format(">= {}", min));
}

CLI::Validator positive() {
  return number_where([](double v) { return v > 0; }, "be positive", "> 0");
}

CLI::Validator within(double lo, double hi) {
  return number_where([lo, hi](double v) { return v >= lo && v <= hi; }, fmt::format("lie in [{}, {}]", lo, hi),
                      fmt::format("in [{}, {}]", lo, hi));
}

int usable_cores() {
  int cores = static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
  cpu_set_t set;
  CPU_ZERO(&set);
  if (sched_getaffinity(0, sizeof(set), &set) == 0) cores = std::max(1, CPU_COUNT(&set));
  if (const std::optional<int> quota = cgroup_cores()) cores = std::min(cores, *quota);
  return cores;
}

CLI::Option* add_threads_option(CLI::App& command, int& threads, const std::string& help) {
  CLI::Option* option = command.add_option("--threads", threads, help)->default_val(0);
  option->check(at_least(0));
  // CLI11 runs a transform before the checks: a negative count passes through it unchanged and is refused
  // by the range check; a large one is lowered here.
  option->transform(CLI::Validator(
      [](std::string& text) -> std::string {
        const std::optional<double> v = number(text);
        const int cores = usable_cores();
        if (v && *v > cores) {
          std::fprintf(stderr, "cnnzoo: note: --threads %s is more than the %d cores this process may use; using %d\n",
                       text.c_str(), cores, cores);
          text = std::to_string(cores);
        }
        return "";
      },
      ""));
  return option;
}

}  // namespace cnnzoo::cli
