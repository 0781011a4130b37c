#include "cnnzoo/memory_check.h"

#include <fmt/format.h>
#include <fmt/ranges.h>
#include <sys/resource.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <fstream>
#include <limits>
#include <optional>

#include "cnnzoo/analysis.h"
#include "cnnzoo/error.h"

namespace cnnzoo {
namespace {

// The first integer in a cgroup limit file; "max" (no limit), a missing file or garbage give nothing.
std::optional<int64_t> cgroup_limit(const char* path) {
  std::ifstream file(path);
  int64_t value = 0;
  if (file >> value && value > 0) return value;
  return std::nullopt;
}

// What `training` or inference of this graph holds: weights apart from what grows with the batch.
std::pair<double, double> weights_and_activations(const Totals& t, bool training) {
  const double weights = static_cast<double>(t.param_bytes + t.buffer_bytes) + (training ? t.param_bytes : 0);
  const double total = training ? static_cast<double>(t.training_bytes)
                                : static_cast<double>(t.peak_live_bytes + t.param_bytes + t.buffer_bytes);
  return {weights, total - weights};
}

}  // namespace

int64_t usable_memory_bytes() {
  int64_t bytes = static_cast<int64_t>(::sysconf(_SC_PHYS_PAGES)) * static_cast<int64_t>(::sysconf(_SC_PAGESIZE));
  for (const char* path : {"/sys/fs/cgroup/memory.max", "/sys/fs/cgroup/memory/memory.limit_in_bytes"}) {
    if (const auto limit = cgroup_limit(path)) bytes = std::min(bytes, *limit);
  }
  // `ulimit -v`: an address-space limit makes allocations fail (std::bad_alloc) long before the kernel would
  // kill the process, so it bounds what can be used too.
  rlimit address_space{};
  if (::getrlimit(RLIMIT_AS, &address_space) == 0 && address_space.rlim_cur != RLIM_INFINITY &&
      address_space.rlim_cur < static_cast<rlim_t>(std::numeric_limits<int64_t>::max())) {
    bytes = std::min(bytes, static_cast<int64_t>(address_space.rlim_cur));
  }
  return bytes;
}

MemoryEstimate estimate_memory(std::string_view model, const ModelOptions& options, bool training) {
  ModelOptions one = options;
  one.batch = 1;
  ModelOptions two = options;
  two.batch = 2;
  const auto [weights, at_one] = weights_and_activations(analyze(build_model(model, one)).total, training);
  const auto at_two = weights_and_activations(analyze(build_model(model, two)).total, training).second;
  // Activations grow linearly with the batch: what one more sample adds, times the batch.
  const double per_sample = at_two - at_one;
  return {.weight_bytes = weights, .activation_bytes = at_one + per_sample * static_cast<double>(options.batch - 1)};
}

void require_memory(std::string_view model, const ModelOptions& options, bool training,
                    const std::vector<OptionValue>& at_fault) {
  const MemoryEstimate need = estimate_memory(model, options, training);
  const auto have = static_cast<double>(usable_memory_bytes());
  if (need.total() <= have) return;
  const std::string input = options.input ? to_string(*options.input) : to_string(find_model(model).default_input);
  std::vector<std::string> fields, named;
  for (const OptionValue& option : at_fault) {
    fields.push_back(option.field);
    named.push_back(option.field + " " + option.value);
  }
  const std::string what = fmt::format("{}", fmt::join(named, " "));
  throw OptionError(
      std::move(fields),
      fmt::format(
          "{}: {} {} at batch {} and input {} needs at least {} of memory ({} of activations, {} of weights), but this "
          "process may use {} (the machine's memory, its cgroup's limit or ulimit -v); use a smaller batch or input",
          what, training ? "training" : "running", model, options.batch, input, format_bytes(need.total()),
          format_bytes(need.activation_bytes), format_bytes(need.weight_bytes), format_bytes(have)));
}

std::string format_bytes(double bytes) {
  static constexpr std::array<const char*, 7> kUnits{"B", "KiB", "MiB", "GiB", "TiB", "PiB", "EiB"};
  std::size_t unit = 0;
  while (bytes >= 1024 && unit + 1 < kUnits.size()) {
    bytes /= 1024;
    ++unit;
  }
  return unit == 0 ? fmt::format("{:.0f} B", bytes) : fmt::format("{:.1f} {}", bytes, kUnits[unit]);
}

}  // namespace cnnzoo
