// Reading values out of JSON that a file brought (checkpoint metadata, results.json), without nlohmann's
// silent conversions: its get<int64_t>() static_casts whatever number is there, so 2e75 or 1.5 become an
// undefined or a truncated integer, and its get<float>() casts 1e300 to float, undefined too. json_get<T>
// takes an integral T only from an integer that fits in it, and a float only from a number within float's
// range; anything else throws nlohmann's own type_error, which every reader already turns into its message.
#pragma once

#include <fmt/format.h>

#include <cmath>
#include <concepts>
#include <limits>
#include <nlohmann/json.hpp>
#include <type_traits>
#include <utility>
#include <vector>

namespace cnnzoo {

template <typename T>
struct JsonGet {
  template <typename Json>
  static T from(const Json& v) {
    return v.template get<T>();
  }
};

template <typename T>
T json_get(const auto& v) {
  return JsonGet<T>::from(v);
}

template <std::integral T>
requires(!std::same_as<T, bool>) struct JsonGet<T> {
  template <typename Json>
  static T from(const Json& v) {
    using Limits = std::numeric_limits<T>;
    bool fits = false;
    if (v.is_number_unsigned()) {
      fits = v.template get<uint64_t>() <= static_cast<uint64_t>(Limits::max());
    } else if (v.is_number_integer()) {
      const auto i = v.template get<int64_t>();
      fits = std::cmp_greater_equal(i, Limits::min()) && std::cmp_less_equal(i, Limits::max());
    }
    if (!fits) {
      throw Json::type_error::create(
          302, fmt::format("expected an integer in [{}, {}], got {}", Limits::min(), Limits::max(), v.dump()), &v);
    }
    return v.template get<T>();
  }
};

template <>
struct JsonGet<float> {
  template <typename Json>
  static float from(const Json& v) {
    // JSON holds no infinity or NaN, so every number nlohmann reads is finite: only its size can miss.
    const auto d = v.template get<double>();
    if (std::abs(d) > std::numeric_limits<float>::max()) {
      throw Json::type_error::create(302, fmt::format("expected a number within float's range, got {}", v.dump()), &v);
    }
    return static_cast<float>(d);
  }
};

template <typename T>
struct JsonGet<std::vector<T>> {
  template <typename Json>
  static std::vector<T> from(const Json& v) {
    if (!v.is_array()) throw Json::type_error::create(302, "expected an array, got " + v.dump(), &v);
    std::vector<T> out;
    out.reserve(v.size());
    for (const auto& item : v) out.push_back(json_get<T>(item));
    return out;
  }
};

}  // namespace cnnzoo
