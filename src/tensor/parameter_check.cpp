// Parameters against a graph: every ParamSpec present with its shape and dtype, nothing extra.
#include <fmt/format.h>
#include <fmt/ranges.h>

#include <unordered_map>

#include "cnnzoo/error.h"
#include "cnnzoo/parameters.h"

namespace cnnzoo {
namespace {

constexpr std::size_t kListed = 5;  // names listed per kind in message()

std::string describe(const Dims& shape, DType dtype, bool with_dtype) {
  return with_dtype ? fmt::format("{} {}", dtype_name(dtype), to_string(shape)) : to_string(shape);
}

std::string listing(const std::vector<std::string>& names, const char* kind) {
  if (names.empty()) return {};
  const std::size_t shown = std::min(names.size(), kListed);
  std::string out = fmt::format("{} {} ({}", names.size(), kind,
                                fmt::join(names.begin(), names.begin() + static_cast<std::ptrdiff_t>(shown), ", "));
  if (names.size() > shown) out += fmt::format(", ... and {} more", names.size() - shown);
  return out + ")";
}

}  // namespace

std::string WeightCheck::message() const {
  std::vector<std::string> parts;
  for (const auto& [names, kind] :
       {std::pair{&missing, "missing"}, std::pair{&unexpected, "unexpected"}, std::pair{&mismatched, "mismatched"}}) {
    if (!names->empty()) parts.push_back(listing(*names, kind));
  }
  return fmt::format("{}", fmt::join(parts, "; "));
}

WeightCheck check_parameters(const Graph& graph, const NamedTensors& in_order) {
  std::unordered_map<std::string, const Tensor*> given(in_order.begin(), in_order.end());

  WeightCheck check;
  std::unordered_map<std::string, bool> expected;
  for (const Node& node : graph.nodes()) {
    for (const ParamSpec& p : node.params) {
      expected.emplace(p.name, true);
      const auto it = given.find(p.name);
      if (it == given.end()) {
        check.missing.push_back(p.name);
        continue;
      }
      const Tensor& t = *it->second;
      if (t.shape() != p.shape || t.dtype() != p.dtype) {
        const bool dtypes = t.dtype() != p.dtype;
        check.mismatched.push_back(fmt::format("{}: expected {}, got {}", p.name, describe(p.shape, p.dtype, dtypes),
                                               describe(t.shape(), t.dtype(), dtypes)));
      }
    }
  }
  for (const auto& [name, t] : in_order) {
    if (!expected.contains(name)) check.unexpected.push_back(name);
  }
  return check;
}

void require_fit(const WeightCheck& check, const std::string& context) {
  if (!check.ok()) throw Error(fmt::format("{}: {}", context, check.message()));
}

WeightCheck check_parameters(const Graph& graph, const Parameters& parameters) {
  NamedTensors given;
  for (const auto& [name, t] : parameters) given.emplace_back(name, &t);
  return check_parameters(graph, given);
}

}  // namespace cnnzoo
