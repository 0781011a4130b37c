// Reference channel padding (zero channels before and after) and its backward: the slice.
#include "backend/ref/common.h"

namespace cnnzoo::ref {
namespace {

// Calls f(offset in x, offset in y, count) for each sample's block of x's channels.
template <typename F>
void for_each_sample(const attr::ChannelPad& a, const Dims& x, F&& f) {
  const int64_t hw = x[2] * x[3], c = x[1], cy = a.before + c + a.after;
  for (int64_t n = 0; n < x[0]; ++n) f(n * c * hw, (n * cy + a.before) * hw, c * hw);
}

template <typename X, typename Y>
void check(std::string_view kernel, const attr::ChannelPad& a, const View<X>& x, const View<Y>& y) {
  detail::expect_view(kernel, "input", x);
  detail::expect_shape(kernel, "output", y, detail::rule_shape(kernel, OpKind::ChannelPad, a, {x.shape}));
}

}  // namespace

template <typename T>
void channel_pad_forward(const attr::ChannelPad& a, In<T> x, Out<T> y) {
  check("channel_pad_forward", a, x, y);
  std::fill(y.data.begin(), y.data.end(), T(0));
  for_each_sample(a, x.shape, [&](int64_t from, int64_t to, int64_t count) {
    std::copy_n(x.data.begin() + from, count, y.data.begin() + to);
  });
}

template <typename T>
void channel_pad_backward(const attr::ChannelPad& a, In<T> dy, Out<T> dx) {
  check("channel_pad_backward", a, dx, dy);
  for_each_sample(a, dx.shape, [&](int64_t to, int64_t from, int64_t count) {
    std::copy_n(dy.data.begin() + from, count, dx.data.begin() + to);
  });
}

#define CNNZOO_INSTANTIATE(T)                                                   \
  template void channel_pad_forward<T>(const attr::ChannelPad&, In<T>, Out<T>); \
  template void channel_pad_backward<T>(const attr::ChannelPad&, In<T>, Out<T>);
CNNZOO_INSTANTIATE(float)
CNNZOO_INSTANTIATE(double)
#undef CNNZOO_INSTANTIATE

}  // namespace cnnzoo::ref
