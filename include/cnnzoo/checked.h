// Checked 64-bit arithmetic for shapes, element counts, byte counts and cost figures, and the limits a
// shape and a graph are held to (docs/counting.md, "Limits"). A figure that does not fit in int64 is an
// error that names it, never a wrapped or negative number.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "cnnzoo/error.h"
#include "cnnzoo/shape.h"

namespace cnnzoo {

/// A figure (an element count, bytes, MACs, FLOPs) that does not fit in a signed 64-bit integer. Thrown
/// without the node's name by the arithmetic; whoever calls an op's rules adds it (Graph::add_node,
/// verify, the analysis), so the message reads "NODE: FIGURE ...".
class OverflowError : public Error {
 public:
  using Error::Error;
};

/// Throws OverflowError "WHAT overflows 64 bits: A OP B exceeds 9,223,372,036,854,775,807".
[[noreturn]] void throw_overflow(std::string_view what, int64_t a, char op, int64_t b);

/// a * b, or OverflowError naming `what` ("MACs", "element count of 4x5").
inline int64_t checked_mul(int64_t a, int64_t b, std::string_view what) {
  int64_t r = 0;
  if (__builtin_mul_overflow(a, b, &r)) throw_overflow(what, a, 'x', b);
  return r;
}

/// a + b, or OverflowError naming `what`.
inline int64_t checked_add(int64_t a, int64_t b, std::string_view what) {
  int64_t r = 0;
  if (__builtin_add_overflow(a, b, &r)) throw_overflow(what, a, '+', b);
  return r;
}

/// total += x, checked.
inline void add_to(int64_t& total, int64_t x, std::string_view what) { total = checked_add(total, x, what); }

/// Runs `f`, and names `node` in the message of an OverflowError it throws: the arithmetic knows the figure,
/// its caller the node.
template <class F>
auto at_node(std::string_view node, F&& f) -> decltype(f()) {
  try {
    return f();
  } catch (const OverflowError& e) {
    throw OverflowError(std::string(node) + ": " + e.what());
  }
}

// Limits on what a graph may hold, generous for every real network (docs/counting.md says why each).
/// Dimensions of a tensor: CNNs use 4 (6 in a pixel shuffle); oneDNN takes at most 12.
inline constexpr std::size_t kMaxRank = 8;
/// One dimension: 2^31 - 1, the largest a 32-bit index reaches. A 3x20000x20000 image flattened is 1.2e9.
inline constexpr int64_t kMaxDim = (int64_t{1} << 31) - 1;
/// Nodes of one graph: 100,000. ResNet-1202 has 3,600; a 10,000-layer CIFAR ResNet about 35,000.
inline constexpr std::size_t kMaxNodes = 100'000;
/// --depth of the families that take it: 10,000 layers. The deepest published CIFAR network has 1,202.
inline constexpr int64_t kMaxModelDepth = 10'000;

/// Throws ShapeError "WHAT: ..." when `dims` has more than kMaxRank dimensions or one above kMaxDim,
/// and OverflowError when its element count does not fit in int64.
void check_shape_limits(const Dims& dims, std::string_view what);

}  // namespace cnnzoo
