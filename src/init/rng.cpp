// The counter-based generator of init.h: the specification there is the contract with
// scripts/cnnzoo_rng.py, so any change here must be made there too (tests/init/test_rng.cpp checks).
#include <fmt/format.h>

#include <cmath>
#include <numbers>

#include "cnnzoo/error.h"
#include "cnnzoo/init.h"

namespace cnnzoo {

uint64_t fnv1a64(std::string_view bytes) {
  uint64_t h = 0xcbf29ce484222325ull;
  for (char c : bytes) {
    h ^= static_cast<uint8_t>(c);
    h *= 0x00000100000001b3ull;
  }
  return h;
}

uint64_t splitmix64(uint64_t x) {
  uint64_t z = x + 0x9e3779b97f4a7c15ull;
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
  return z ^ (z >> 31);
}

uint64_t stream_key(std::string_view name, uint64_t seed) { return fnv1a64(name) ^ splitmix64(seed); }

double unit_uniform(uint64_t key, uint64_t index) {
  return static_cast<double>(splitmix64(key + index) >> 40) * 0x1p-24;
}

double standard_normal(uint64_t key, uint64_t index) {
  const double u1 = unit_uniform(key, 2 * index);
  const double u2 = unit_uniform(key, 2 * index + 1);
  return std::sqrt(-2.0 * std::log(1.0 - u1)) * std::cos(2.0 * std::numbers::pi * u2);
}

void fill_uniform(std::span<float> out, uint64_t key, double low, double high) {
  const double width = high - low;
  for (std::size_t i = 0; i < out.size(); ++i) {
    // Two separate roundings, as numpy does them: the product is stored before the sum.
    const double scaled = width * unit_uniform(key, i);
    out[i] = static_cast<float>(low + scaled);
  }
}

void fill_normal(std::span<float> out, uint64_t key, double mean, double std) {
  for (std::size_t i = 0; i < out.size(); ++i) out[i] = static_cast<float>(mean + std * standard_normal(key, i));
}

void fill_truncated_normal(std::span<float> out, uint64_t key, double mean, double std, double a, double b) {
  constexpr int kMaxAttempts = 1000;
  if (!(a < b)) throw InvalidArgument(fmt::format("truncated normal: bounds must have a < b, got [{}, {}]", a, b));
  for (std::size_t i = 0; i < out.size(); ++i) {
    double v = mean + std * standard_normal(key, i);
    for (int t = 1; v < a || v > b; ++t) {
      if (t > kMaxAttempts) {
        throw InvalidArgument(
            fmt::format("truncated normal: [{}, {}] is too unlikely for N({}, {}^2)", a, b, mean, std));
      }
      v = mean + std * standard_normal(splitmix64(key + static_cast<uint64_t>(t)), i);
    }
    out[i] = static_cast<float>(v);
  }
}

Tensor test_uniform(std::string_view name, const Dims& shape, uint64_t seed, double low, double high) {
  Tensor t(shape);
  fill_uniform(t.f32(), stream_key(name, seed), low, high);
  return t;
}

}  // namespace cnnzoo
