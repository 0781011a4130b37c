#include "top_classes.h"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <iostream>
#include <limits>
#include <numeric>

namespace cnnzoo::cli {

bool is_probability_row(std::span<const float> values) {
  double sum = 0;
  for (float v : values) {
    if (!(v >= 0)) return false;
    sum += v;
  }
  return std::abs(sum - 1) <= 1e-3;
}

std::vector<ClassScore> top_classes(std::span<const float> logits, int64_t k, const std::vector<std::string>& names) {
  // Not only meaningless: NaN would break the strict ordering partial_sort needs.
  if (std::any_of(logits.begin(), logits.end(),
                  [](float v) { return std::isnan(v) || v == std::numeric_limits<float>::infinity(); }))
    return {};
  std::vector<double> p(logits.begin(), logits.end());
  double sum = 1;
  if (!is_probability_row(logits)) {
    // Softmax shifted by the largest logit, so that no exponential overflows.
    const double largest = *std::max_element(logits.begin(), logits.end());
    sum = 0;
    for (double& v : p) sum += (v = std::exp(v - largest));
  }
  std::vector<std::size_t> order(logits.size());
  std::iota(order.begin(), order.end(), 0);
  const auto n = static_cast<std::ptrdiff_t>(std::min<std::size_t>(static_cast<std::size_t>(k), order.size()));
  std::partial_sort(order.begin(), order.begin() + n, order.end(),
                    [&](std::size_t a, std::size_t b) { return p[a] > p[b] || (p[a] == p[b] && a < b); });
  std::vector<ClassScore> top;
  for (std::ptrdiff_t j = 0; j < n; ++j) {
    const std::size_t c = order[static_cast<std::size_t>(j)];
    top.push_back({static_cast<int64_t>(c), c < names.size() ? names[c] : std::string(), p[c] / sum});
  }
  return top;
}

void print_top_classes(const std::string& label, const std::vector<ClassScore>& top) {
  fmt::print("{}\n", label);
  if (top.empty()) fmt::print("  no class: the logits hold NaN or +Inf\n");
  for (const ClassScore& s : top) {
    if (s.name.empty()) {
      fmt::print("  {:6.2f}%  class {}\n", 100 * s.probability, s.index);
    } else {
      fmt::print("  {:6.2f}%  {} ({})\n", 100 * s.probability, s.name, s.index);
    }
  }
}

nlohmann::json top_classes_json(const std::string& label, const std::vector<ClassScore>& top) {
  nlohmann::json classes = nlohmann::json::array();
  for (const ClassScore& s : top) {
    classes.push_back({{"class", s.index},
                       {"name", s.name.empty() ? std::to_string(s.index) : s.name},
                       {"probability", s.probability}});
  }
  return {{"input", label}, {"top", classes}};
}

void TopClassesPrinter::add(const std::string& label, std::span<const float> logits) {
  const std::vector<ClassScore> top = top_classes(logits, k_, names_);
  if (json_) {
    items_.push_back(top_classes_json(label, top));
  } else {
    print_top_classes(label, top);
  }
}

void TopClassesPrinter::finish() const {
  if (json_) std::cout << items_.dump(2) << "\n";
}

}  // namespace cnnzoo::cli
