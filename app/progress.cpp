#include "progress.h"

#include <fmt/format.h>
#include <unistd.h>

#include <algorithm>
#include <cmath>

namespace cnnzoo::cli {
namespace {

constexpr double kRedrawSeconds = 0.1;  // on a terminal
constexpr double kLineSeconds = 10.0;   // in a log
constexpr int kBarWidth = 28;

double seconds_between(std::chrono::steady_clock::time_point a, std::chrono::steady_clock::time_point b) {
  return std::chrono::duration<double>(b - a).count();
}

}  // namespace

std::string duration_text(double seconds) {
  if (!std::isfinite(seconds) || seconds < 0) return "?";
  const auto s = static_cast<int64_t>(std::llround(seconds));
  if (s < 60) return fmt::format("{}s", s);
  if (s < 3600) return fmt::format("{}:{:02}", s / 60, s % 60);
  return fmt::format("{}:{:02}:{:02}", s / 3600, (s / 60) % 60, s % 60);
}

Progress::Progress(std::string title, int64_t total, std::string unit, std::FILE* out,
                   std::chrono::steady_clock::time_point started)
    : title_(std::move(title)),
      unit_(std::move(unit)),
      total_(std::max<int64_t>(total, 1)),
      out_(out),
      interactive_(::isatty(::fileno(out)) == 1),
      start_(started),
      last_draw_(std::chrono::steady_clock::now()) {}

void Progress::update(int64_t done, const std::string& status) {
  done_ = done;
  status_ = status;
  const auto now = std::chrono::steady_clock::now();
  if (seconds_between(last_draw_, now) >= (interactive_ ? kRedrawSeconds : kLineSeconds)) draw(false);
}

void Progress::finish(const std::string& status) {
  done_ = total_;
  if (!status.empty()) status_ = status;
  draw(true);
}

void Progress::draw(bool final) {
  last_draw_ = std::chrono::steady_clock::now();
  const double elapsed = seconds_between(start_, last_draw_);
  const double rate = elapsed > 0 ? static_cast<double>(done_) / elapsed : 0.0;
  const double left = rate > 0 ? static_cast<double>(total_ - done_) / rate : NAN;
  const double fraction = std::clamp(static_cast<double>(done_) / static_cast<double>(total_), 0.0, 1.0);
  const std::string timing =
      final ? fmt::format("{} total", duration_text(elapsed)) : fmt::format("ETA {}", duration_text(left));
  const std::string figures = fmt::format("{}/{} {} {:.0f} {}/s {}{}{}", done_, total_, unit_, rate, unit_, timing,
                                          status_.empty() ? "" : "  ", status_);
  if (interactive_) {
    const int filled = static_cast<int>(fraction * kBarWidth);
    fmt::print(out_, "\r\033[K{} [{}{}] {:3.0f}% {}", title_, std::string(static_cast<std::size_t>(filled), '#'),
               std::string(static_cast<std::size_t>(kBarWidth - filled), '.'), 100 * fraction, figures);
    if (final) fmt::print(out_, "\n");
  } else {
    fmt::print(out_, "{} {:3.0f}% {}\n", title_, 100 * fraction, figures);
  }
  std::fflush(out_);
}

}  // namespace cnnzoo::cli
