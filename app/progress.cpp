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

// Three significant figures or more: "1083", "12.9", "0.81" (a slow rate as "1" said little).
std::string rate_text(double per_second) {
  if (per_second >= 100) return fmt::format("{:.0f}", per_second);
  if (per_second >= 10) return fmt::format("{:.1f}", per_second);
  return fmt::format("{:.2f}", per_second);
}

}  // namespace

std::string plural(int64_t count, std::string_view noun) {
  return fmt::format("{} {}{}", count, noun, count == 1 ? "" : "s");
}

std::string duration_text(double seconds) {
  if (!std::isfinite(seconds) || seconds < 0) return "?";
  const auto s = static_cast<int64_t>(std::llround(seconds));
  if (s < 60) return fmt::format("{}s", s);
  if (s < 3600) return fmt::format("{}:{:02}", s / 60, s % 60);
  return fmt::format("{}:{:02}:{:02}", s / 3600, (s / 60) % 60, s % 60);
}

Progress::Progress(std::string title, int64_t total, std::string unit, std::FILE* out,
                   std::chrono::steady_clock::time_point started, Clock clock)
    : title_(std::move(title)),
      unit_(std::move(unit)),
      total_(std::max<int64_t>(total, 1)),
      out_(out),
      interactive_(::isatty(::fileno(out)) == 1),
      clock_(std::move(clock)),
      start_(started),
      last_draw_(clock_()) {}

void Progress::update(int64_t done, const std::string& status) {
  done_ = done;
  status_ = status;
  const auto now = clock_();
  if (!first_update_) first_update_.emplace(done, now);
  if (seconds_between(last_draw_, now) >= (interactive_ ? kRedrawSeconds : kLineSeconds)) draw(false);
}

void Progress::finish(const std::string& status) {
  done_ = total_;
  if (!status.empty()) status_ = status;
  draw(true);
}

std::optional<double> Progress::rate(std::chrono::steady_clock::time_point now) const {
  if (!first_update_) return std::nullopt;
  const double seconds = seconds_between(first_update_->second, now);
  if (done_ <= first_update_->first || seconds <= 0) return std::nullopt;  // nothing measured yet
  return static_cast<double>(done_ - first_update_->first) / seconds;
}

void Progress::draw(bool final) {
  last_draw_ = clock_();
  const double elapsed = seconds_between(start_, last_draw_);
  const std::optional<double> per_second = rate(last_draw_);
  const double left = per_second && *per_second > 0 ? static_cast<double>(total_ - done_) / *per_second : NAN;
  const double fraction = std::clamp(static_cast<double>(done_) / static_cast<double>(total_), 0.0, 1.0);
  const std::string timing =
      final ? fmt::format("{} total", duration_text(elapsed)) : fmt::format("ETA {}", duration_text(left));
  const std::string speed = per_second ? fmt::format("{} {}/s ", rate_text(*per_second), unit_) : "";
  const std::string figures =
      fmt::format("{}/{} {} {}{}{}{}", done_, total_, unit_, speed, timing, status_.empty() ? "" : "  ", status_);
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
