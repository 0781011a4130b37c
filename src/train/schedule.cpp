// Learning-rate schedules: a pure function of the options and the iteration (formulas in optim.h).
#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <numbers>

#include "cnnzoo/error.h"
#include "cnnzoo/optim.h"

namespace cnnzoo {
namespace {

[[noreturn]] void bad(const ScheduleOptions& o, const std::string& what) {
  throw InvalidArgument(fmt::format("{} schedule: {}", o.kind, what));
}

}  // namespace

std::vector<std::string_view> schedule_kinds() { return {"constant", "step", "multistep", "cosine"}; }

void validate(const ScheduleOptions& o) {
  const auto kinds = schedule_kinds();
  if (std::find(kinds.begin(), kinds.end(), o.kind) == kinds.end()) {
    throw UnknownNameError(fmt::format("unknown schedule '{}' (known: {})", o.kind, fmt::join(kinds, ", ")));
  }
  if (!std::isfinite(o.base_lr) || o.base_lr < 0)
    bad(o, fmt::format("base learning rate must be >= 0, got {}", o.base_lr));
  if (!std::isfinite(o.warmup_epochs) || o.warmup_epochs < 0)
    bad(o, fmt::format("warm-up epochs must be >= 0, got {}", o.warmup_epochs));
  if (!(o.warmup_start_factor > 0 && o.warmup_start_factor <= 1))
    bad(o, fmt::format("warm-up start factor must be in (0, 1], got {}", o.warmup_start_factor));
  if (o.kind == "step" || o.kind == "multistep") {
    if (!std::isfinite(o.gamma) || o.gamma <= 0) bad(o, fmt::format("gamma must be > 0, got {}", o.gamma));
  }
  if (o.kind == "step" && o.step_size <= 0) bad(o, fmt::format("step size must be > 0 epochs, got {}", o.step_size));
  if (o.kind == "multistep") {
    if (o.milestones.empty()) bad(o, "needs at least one milestone");
    for (std::size_t i = 0; i < o.milestones.size(); ++i) {
      if (o.milestones[i] <= 0 || (i > 0 && o.milestones[i] <= o.milestones[i - 1]))
        bad(o, fmt::format("milestones must be positive and increasing, got {}", fmt::join(o.milestones, ",")));
    }
  }
  if (o.kind == "cosine") {
    if (o.epochs <= 0) bad(o, fmt::format("epochs must be > 0, got {}", o.epochs));
    if (o.warmup_epochs >= static_cast<double>(o.epochs))
      bad(o, fmt::format("warm-up ({} epochs) must be shorter than the run ({} epochs)", o.warmup_epochs, o.epochs));
    if (!std::isfinite(o.min_lr) || o.min_lr < 0 || o.min_lr > o.base_lr)
      bad(o, fmt::format("minimum learning rate must be in [0, base {}], got {}", o.base_lr, o.min_lr));
  }
}

double learning_rate(const ScheduleOptions& o, int64_t iteration, int64_t iterations_per_epoch) {
  validate(o);
  if (iteration < 0) bad(o, fmt::format("iteration must be >= 0, got {}", iteration));
  if (iterations_per_epoch <= 0) bad(o, fmt::format("iterations per epoch must be > 0, got {}", iterations_per_epoch));
  const auto n = static_cast<double>(iterations_per_epoch);
  const auto warmup = static_cast<int64_t>(std::llround(o.warmup_epochs * n));
  if (iteration < warmup) {
    const double f = o.warmup_start_factor;
    return o.base_lr * (f + (1 - f) * static_cast<double>(iteration) / static_cast<double>(warmup));
  }
  const int64_t epoch = iteration / iterations_per_epoch;
  if (o.kind == "step") return o.base_lr * std::pow(o.gamma, static_cast<double>(epoch / o.step_size));
  if (o.kind == "multistep") {
    const auto passed = std::upper_bound(o.milestones.begin(), o.milestones.end(), epoch) - o.milestones.begin();
    return o.base_lr * std::pow(o.gamma, static_cast<double>(passed));
  }
  if (o.kind == "cosine") {
    const double span = static_cast<double>(o.epochs) - static_cast<double>(warmup) / n;
    if (span <= 0) return o.min_lr;  // warm-up rounded to the whole run
    const double t = std::min(static_cast<double>(iteration - warmup) / n, span);
    return o.min_lr + (o.base_lr - o.min_lr) * (1 + std::cos(std::numbers::pi * t / span)) / 2;
  }
  return o.base_lr;
}

}  // namespace cnnzoo
