#include "ops/rules.h"

#include <fmt/format.h>

#include <array>
#include <utility>

#include "cnnzoo/error.h"

namespace cnnzoo::ops {
namespace {

template <OpKind K>
constexpr OpRules rules_of() {
  using R = Rule<K>;
  return OpRules{
      .name = R::name,
      .attrs_fit = [](const Attrs& a) { return std::holds_alternative<typename R::Attr>(a); },
      .shape = &R::shape,
      .params = &R::params,
      .cost = &R::cost,
      .traits = &R::traits,
  };
}

template <std::size_t... I>
constexpr std::array<OpRules, kOpCount> make_table(std::index_sequence<I...>) {
  return {rules_of<static_cast<OpKind>(I)>()...};
}

constexpr auto kTable = make_table(std::make_index_sequence<kOpCount>{});

}  // namespace

const OpRules& rules(OpKind op) { return kTable.at(static_cast<std::size_t>(op)); }

void fail(const OpContext& ctx, std::string_view op, const std::string& message) {
  throw ShapeError(fmt::format("{}: {} {}", ctx.node, op, message));
}

void expect_inputs(const OpContext& ctx, std::string_view op, std::size_t count, std::size_t rank, bool at_least) {
  const bool count_ok = at_least ? ctx.in.size() >= count : ctx.in.size() == count;
  if (!count_ok) {
    fail(ctx, op,
         fmt::format("expects {}{} input{}, got {}", at_least ? "at least " : "", count, count == 1 ? "" : "s",
                     ctx.in.size()));
  }
  if (rank == 0) return;
  for (const Dims& d : ctx.in) {
    if (d.size() != rank) {
      fail(
          ctx, op,
          fmt::format("expects a rank-{} input ({}), got shape {}", rank, rank == 4 ? "NxCxHxW" : "NxF", to_string(d)));
    }
  }
}

int64_t window_output(const OpContext& ctx, std::string_view op, std::string_view axis, int64_t input, int64_t kernel,
                      int64_t stride, int64_t pad_begin, int64_t pad_end, int64_t dilation, bool ceil_mode) {
  if (kernel < 1 || stride < 1 || dilation < 1 || pad_begin < 0 || pad_end < 0) {
    fail(ctx, op,
         fmt::format("has an invalid {} window (kernel {}, stride {}, padding {}/{}, dilation {})", axis, kernel,
                     stride, pad_begin, pad_end, dilation));
  }
  // Attributes come from files: every step is checked, so a huge kernel or padding is an error, not a wrap.
  const int64_t span = checked_add(checked_mul(dilation, kernel - 1, "the window span"), 1, "the window span");
  const int64_t padded = checked_add(checked_add(input, pad_begin, "the padded input"), pad_end, "the padded input");
  const int64_t room = padded - span;  // both positive: cannot overflow
  if (room < 0) {
    fail(ctx, op,
         fmt::format("output {} would be 0: input {} {} with padding {}+{} is smaller than the kernel span {}", axis,
                     axis, input, pad_begin, pad_end, span));
  }
  int64_t out = (ceil_mode ? room / stride + (room % stride != 0) : room / stride) + 1;
  // PyTorch: in ceil mode the last window must start inside the input or the leading padding.
  if (ceil_mode && checked_mul(out - 1, stride, "the last window's start") >= input + pad_begin) --out;
  return out;
}

Dims broadcast_inputs(const OpContext& ctx, std::string_view op) {
  Dims out = ctx.in.at(0);
  for (std::size_t i = 1; i < ctx.in.size(); ++i) {
    const std::optional<Dims> joined = broadcast(out, ctx.in[i]);
    if (!joined) {
      fail(ctx, op, fmt::format("cannot broadcast {} with {} (input {})", to_string(out), to_string(ctx.in[i]), i));
    }
    out = *joined;
  }
  return out;
}

Dims same_shape(const OpContext& ctx, std::string_view op) {
  expect_inputs(ctx, op, 1, 0);
  return ctx.in[0];
}

std::vector<ParamShape> no_params(const OpContext&) { return {}; }

std::vector<OnnxFloatAttribute> no_onnx_attributes(const Attrs&) { return {}; }
Attrs no_attributes_from_onnx(const OnnxFloatReader&) { return attr::None{}; }

int64_t product(std::initializer_list<int64_t> factors, std::string_view what) {
  int64_t p = 1;
  for (int64_t f : factors) p = checked_mul(p, f, what);
  return p;
}

int64_t flops_per_element(const Dims& shape, int64_t per_element) {
  return checked_mul(numel(shape), per_element, "FLOPs");
}

Cost mac_cost(int64_t macs, int64_t outputs, bool bias) {
  return {macs, checked_add(checked_mul(2, macs, "FLOPs"), bias ? outputs : 0, "FLOPs")};
}

}  // namespace cnnzoo::ops

namespace cnnzoo {
std::string_view op_name(OpKind op) { return ops::rules(op).name; }
}  // namespace cnnzoo
