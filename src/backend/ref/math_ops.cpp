// Reference functions of one input for imported graphs: sqrt, exp, erf, tanh, abs, neg, hardsigmoid and
// hardswish, elementwise.
#include <cmath>

#include "backend/ref/common.h"
#include "ops/family_table.h"

namespace cnnzoo::ref {
namespace {

// The formula of each function of one input. The family table below holds one for every op of
// OpFamily::TensorOp that has one, and none for the others.
template <OpKind K>
struct Function {
  static constexpr bool defined = false;
};

#define CNNZOO_FUNCTION(KIND, ATTR, EXPRESSION)           \
  template <>                                             \
  struct Function<OpKind::KIND> {                         \
    static constexpr bool defined = true;                 \
    template <typename T>                                 \
    static T apply([[maybe_unused]] const ATTR& a, T x) { \
      return EXPRESSION;                                  \
    }                                                     \
  };
CNNZOO_FUNCTION(Sqrt, attr::None, std::sqrt(x))
CNNZOO_FUNCTION(Exp, attr::None, std::exp(x))
CNNZOO_FUNCTION(Erf, attr::None, std::erf(x))
CNNZOO_FUNCTION(Tanh, attr::None, std::tanh(x))
CNNZOO_FUNCTION(Abs, attr::None, std::abs(x))
CNNZOO_FUNCTION(Neg, attr::None, -x)
// NaN passes, as in PyTorch and ONNX's reference (std::min and std::max would turn it into a bound).
CNNZOO_FUNCTION(HardSigmoid, attr::HardSigmoid,
                std::isnan(x) ? x
                              : std::min(T(1), std::max(T(0), static_cast<T>(a.alpha) * x + static_cast<T>(a.beta))))
// PyTorch's formula, x relu6(x + 3) / 6; ONNX's x max(0, min(1, x / 6 + 1 / 2)) is the same function.
CNNZOO_FUNCTION(HardSwish, attr::None, std::isnan(x) ? x : x* std::min(T(6), std::max(T(0), x + T(3))) / T(6))
#undef CNNZOO_FUNCTION

template <typename T>
using Loop = void (*)(const Attrs&, std::span<const T>, std::span<T>);

template <OpKind K, typename T>
void loop(const Attrs& attrs, std::span<const T> x, std::span<T> y) {
  const auto& a = std::get<typename ops::Rule<K>::Attr>(attrs);
  for (std::size_t i = 0; i < x.size(); ++i) y[i] = Function<K>::apply(a, x[i]);
}

template <typename T>
struct LoopOf {
  template <OpKind K>
  struct Entry {
    static constexpr Loop<T> value = [] {
      if constexpr (Function<K>::defined) {
        return &loop<K, T>;
      } else {
        return Loop<T>{nullptr};
      }
    }();
  };
};

template <typename T>
constexpr auto kLoops = ops::family_table<OpFamily::TensorOp, LoopOf<T>::template Entry, Loop<T>>();

}  // namespace

template <typename T>
void function_forward(OpKind op, const Attrs& a, std::span<const T> x, std::span<T> y) {
  constexpr std::string_view k = "function_forward";
  const Loop<T> f = kLoops<T>[static_cast<std::size_t>(op)];
  if (f == nullptr) detail::fail(k, fmt::format("{} is no function of one input", op_name(op)));
  if (!ops::rules(op).attrs_fit(a)) detail::fail(k, fmt::format("attributes of another op given to {}", op_name(op)));
  detail::expect_size(k, "y", y, static_cast<int64_t>(x.size()));
  f(a, x, y);
}

template void function_forward<float>(OpKind, const Attrs&, std::span<const float>, std::span<float>);
template void function_forward<double>(OpKind, const Attrs&, std::span<const double>, std::span<double>);

}  // namespace cnnzoo::ref
