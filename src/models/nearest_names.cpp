#include "cnnzoo/nearest_names.h"

#include <fmt/format.h>

#include <algorithm>

namespace cnnzoo {

std::size_t edit_distance(std::string_view a, std::string_view b) {
  // d[i][j]: the distance of a's first i characters from b's first j.
  std::vector<std::vector<std::size_t>> d(a.size() + 1, std::vector<std::size_t>(b.size() + 1));
  for (std::size_t i = 0; i <= a.size(); ++i) d[i][0] = i;
  for (std::size_t j = 0; j <= b.size(); ++j) d[0][j] = j;
  for (std::size_t i = 1; i <= a.size(); ++i) {
    for (std::size_t j = 1; j <= b.size(); ++j) {
      d[i][j] = std::min({d[i - 1][j] + 1, d[i][j - 1] + 1, d[i - 1][j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1)});
      if (i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1])
        d[i][j] = std::min(d[i][j], d[i - 2][j - 2] + 1);
    }
  }
  return d[a.size()][b.size()];
}

std::vector<std::string> nearest_names(std::string_view typed, const std::vector<std::string>& known, std::size_t max) {
  std::vector<std::pair<std::size_t, std::string>> close;
  for (const std::string& name : known) {
    const std::size_t d = edit_distance(typed, name);
    const std::size_t allowed = std::clamp<std::size_t>(std::max(typed.size(), name.size()) / 3, 1, 3);
    // "resnet" is short for every resnet: a prefix counts as close, ranked after the true typos.
    const bool prefix = typed.size() >= 3 && name.starts_with(typed);
    if (d <= allowed || prefix) close.emplace_back(d <= allowed ? d : allowed + d, name);
  }
  std::stable_sort(close.begin(), close.end(), [](const auto& x, const auto& y) { return x.first < y.first; });
  std::vector<std::string> names;
  for (std::size_t i = 0; i < close.size() && i < max; ++i) names.push_back(close[i].second);
  return names;
}

std::string did_you_mean(const std::vector<std::string>& names) {
  if (names.empty()) return "";
  std::vector<std::string> quoted;
  for (const std::string& n : names) quoted.push_back(fmt::format("'{}'", n));
  if (quoted.size() == 1) return fmt::format(" did you mean {}?", quoted[0]);
  const std::string last = quoted.back();
  quoted.pop_back();
  return fmt::format(" did you mean {} or {}?", fmt::join(quoted, ", "), last);
}

}  // namespace cnnzoo
