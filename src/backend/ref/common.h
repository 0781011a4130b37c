// Checks and index helpers the reference kernels share.
#pragma once

#include <fmt/format.h>

#include <algorithm>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "cnnzoo/error.h"
#include "cnnzoo/reference.h"
#include "ops/rules.h"

namespace cnnzoo::ref::detail {

/// Throws ShapeError "ref::KERNEL: MESSAGE".
[[noreturn]] inline void fail(std::string_view kernel, const std::string& message) {
  throw ShapeError(fmt::format("ref::{}: {}", kernel, message));
}

/// Checks a buffer holds exactly as many elements as its shape says.
template <typename T>
void expect_view(std::string_view kernel, std::string_view what, const View<T>& v) {
  if (static_cast<int64_t>(v.data.size()) != numel(v.shape)) {
    fail(kernel, fmt::format("{} has {} elements but its shape {} needs {}", what, v.data.size(), to_string(v.shape),
                             numel(v.shape)));
  }
}

/// Checks a buffer has the shape `want`.
template <typename T>
void expect_shape(std::string_view kernel, std::string_view what, const View<T>& v, const Dims& want) {
  expect_view(kernel, what, v);
  if (v.shape != want)
    fail(kernel, fmt::format("{} should have shape {}, got {}", what, to_string(want), to_string(v.shape)));
}

/// Checks a flat span has `want` elements.
template <typename T>
void expect_size(std::string_view kernel, std::string_view what, std::span<T> s, int64_t want) {
  if (static_cast<int64_t>(s.size()) != want) {
    fail(kernel, fmt::format("{} should have {} elements, got {}", what, want, s.size()));
  }
}

/// The output shape the op's shape rule gives for these inputs (the rule's ShapeError names the kernel).
inline Dims rule_shape(std::string_view kernel, OpKind op, const Attrs& attrs, std::vector<Dims> in) {
  const std::string node = fmt::format("ref::{}", kernel);
  return ops::rules(op).shape(ops::OpContext{node, attrs, in});
}

}  // namespace cnnzoo::ref::detail
