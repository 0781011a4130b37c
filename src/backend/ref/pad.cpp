// Reference padding (ONNX's Pad): constant, reflect and edge modes on any dimension; negative amounts crop.
#include "backend/ref/common.h"
#include "backend/ref/strided.h"

namespace cnnzoo::ref {
namespace {

// For each output position along one dimension, the input position it copies, or -1 for the constant.
std::vector<int64_t> source_positions(const attr::Pad& a, std::size_t d, int64_t in, int64_t out) {
  using Mode = attr::Pad::Mode;
  std::vector<int64_t> from(static_cast<std::size_t>(out));
  for (int64_t i = 0; i < out; ++i) {
    int64_t s = i - a.begin[d];
    if (s < 0 || s >= in) {
      switch (a.mode) {
        case Mode::Constant:
          s = -1;
          break;
        case Mode::Reflect:  // the shape rule keeps the pad below `in`, so one reflection lands inside
          s = s < 0 ? -s : 2 * (in - 1) - s;
          break;
        case Mode::Edge:
          s = s < 0 ? 0 : in - 1;
          break;
      }
    }
    from[static_cast<std::size_t>(i)] = s;
  }
  return from;
}

}  // namespace

template <typename T>
void pad_forward(const attr::Pad& a, In<T> x, Out<T> y) {
  constexpr std::string_view k = "pad_forward";
  detail::expect_view(k, "x", x);
  detail::expect_shape(k, "y", y, detail::rule_shape(k, OpKind::Pad, a, {x.shape}));
  const std::size_t rank = x.shape.size();
  const std::vector<int64_t> strides = detail::strides_of(x.shape);
  std::vector<std::vector<int64_t>> from(rank);
  for (std::size_t d = 0; d < rank; ++d) from[d] = source_positions(a, d, x.shape[d], y.shape[d]);
  // Walks the output in row-major order with one index per dimension; the input offset is the sum of each
  // dimension's source position times its stride, unless one of them falls in the constant border.
  std::vector<int64_t> index(rank, 0);
  const auto value = static_cast<T>(a.value);
  const int64_t total = numel(y.shape);
  for (int64_t e = 0; e < total; ++e) {
    int64_t offset = 0;
    bool inside = true;
    for (std::size_t d = 0; d < rank && inside; ++d) {
      const int64_t s = from[d][static_cast<std::size_t>(index[d])];
      inside = s >= 0;
      offset += s * strides[d];
    }
    y.data[static_cast<std::size_t>(e)] = inside ? x.data[static_cast<std::size_t>(offset)] : value;
    for (auto d = static_cast<int64_t>(rank) - 1; d >= 0; --d) {
      const auto u = static_cast<std::size_t>(d);
      if (++index[u] < y.shape[u]) break;
      index[u] = 0;
    }
  }
}

template void pad_forward<float>(const attr::Pad&, In<float>, Out<float>);
template void pad_forward<double>(const attr::Pad&, In<double>, Out<double>);

}  // namespace cnnzoo::ref
