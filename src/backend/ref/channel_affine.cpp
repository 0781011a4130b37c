// Reference fixed per-channel affine map and its backward (dx = scale[c] dy).
#include "backend/ref/common.h"

namespace cnnzoo::ref {
namespace {

template <typename X, typename Y>
void check(std::string_view kernel, const attr::ChannelAffine& a, const View<X>& x, const View<Y>& y) {
  detail::expect_view(kernel, "input", x);
  detail::expect_shape(kernel, "output", y, detail::rule_shape(kernel, OpKind::ChannelAffine, a, {x.shape}));
}

// y = scale[c] x + shift[c] over each (sample, channel) plane of x; the backward passes shift 0.
template <typename T>
void map_planes(const attr::ChannelAffine& a, In<T> x, Out<T> y, bool with_shift) {
  const int64_t channels = x.shape[1], plane = x.shape[2] * x.shape[3];
  for (int64_t nc = 0; nc < x.shape[0] * channels; ++nc) {
    const auto c = static_cast<std::size_t>(nc % channels);
    const auto scale = static_cast<T>(a.scale[c]);
    const auto shift = with_shift ? static_cast<T>(a.shift[c]) : T(0);
    const T* from = x.data.data() + nc * plane;
    T* to = y.data.data() + nc * plane;
    for (int64_t i = 0; i < plane; ++i) to[i] = scale * from[i] + shift;
  }
}

}  // namespace

template <typename T>
void channel_affine_forward(const attr::ChannelAffine& a, In<T> x, Out<T> y) {
  check("channel_affine_forward", a, x, y);
  map_planes(a, x, y, true);
}

template <typename T>
void channel_affine_backward(const attr::ChannelAffine& a, In<T> dy, Out<T> dx) {
  check("channel_affine_backward", a, dy, dx);
  map_planes(a, dy, dx, false);
}

#define CNNZOO_INSTANTIATE(T)                                                         \
  template void channel_affine_forward<T>(const attr::ChannelAffine&, In<T>, Out<T>); \
  template void channel_affine_backward<T>(const attr::ChannelAffine&, In<T>, Out<T>);
CNNZOO_INSTANTIATE(float)
CNNZOO_INSTANTIATE(double)
#undef CNNZOO_INSTANTIATE

}  // namespace cnnzoo::ref
