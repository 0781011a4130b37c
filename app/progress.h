// Progress of long work: on a terminal a bar redrawn in place with the rate and the time left; when
// the output is not a terminal, a plain line every few seconds (and at the end), so logs stay readable.
#pragma once

#include <chrono>
#include <cstdint>
#include <cstdio>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <utility>

namespace cnnzoo::cli {

class Progress {
 public:
  using Clock = std::function<std::chrono::steady_clock::time_point()>;

  /// `total` units of work, counted in `unit` ("img"), labelled `title` ("epoch 1/3"), begun at `started`
  /// (a bar made once the work has shown itself long counts its total time from the real start). `clock`
  /// tells the time (a test's own clock).
  Progress(std::string title, int64_t total, std::string unit, std::FILE* out = stderr,
           std::chrono::steady_clock::time_point started = std::chrono::steady_clock::now(),
           Clock clock = std::chrono::steady_clock::now);

  /// `done` units are finished; `status` is shown after the rate ("loss 0.412 acc 86.1%").
  void update(int64_t done, const std::string& status = "");
  /// Draws the final state and ends the line.
  void finish(const std::string& status = "");

  /// Whether a bar is drawn (a terminal) rather than periodic lines.
  bool interactive() const { return interactive_; }

 private:
  void draw(bool final);
  /// Units per second since the first update; nothing until work has been done after it.
  std::optional<double> rate(std::chrono::steady_clock::time_point now) const;

  std::string title_, unit_, status_;
  int64_t total_ = 0, done_ = 0;
  std::FILE* out_;
  bool interactive_;
  Clock clock_;
  std::chrono::steady_clock::time_point start_, last_draw_;
  // The first update: the rate counts from it, since what came before it (a first batch, made before the bar
  // was) may have taken no time on this bar's clock.
  std::optional<std::pair<int64_t, std::chrono::steady_clock::time_point>> first_update_;
};

/// "1 epoch", "3 epochs", "0 images": a count and its noun in the right number (nouns whose plural adds "s").
std::string plural(int64_t count, std::string_view noun);

/// "1:02:03", "4:05" or "12s".
std::string duration_text(double seconds);

}  // namespace cnnzoo::cli
