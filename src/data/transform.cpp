// Augmentation of one image into a normalised float CHW sample: crops, bilinear resizing, flips.
#include <fmt/format.h>

#include <algorithm>
#include <cmath>

#include "cnnzoo/data.h"
#include "cnnzoo/error.h"
#include "cnnzoo/init.h"

namespace cnnzoo {
namespace {

// Draw slots of unit_uniform(key, slot): fixed so that one step's draws never shift another's.
constexpr uint64_t kCropSlots = 0;  // 4 per try, 10 tries
constexpr uint64_t kPadCropSlot = 40;
constexpr uint64_t kFlipSlot = 42;

struct Box {
  int64_t top, left, height, width;
};

// The window at (top, left) of height x width; pixels outside the image are 0.
Image crop(const Image& in, const Box& box) {
  Image out{in.channels, box.height, box.width, {}};
  out.pixels.assign(static_cast<size_t>(box.height * box.width * in.channels), 0);
  for (int64_t y = 0; y < box.height; ++y) {
    const int64_t sy = y + box.top;
    if (sy < 0 || sy >= in.height) continue;
    const int64_t x0 = std::max<int64_t>(0, -box.left);
    const int64_t x1 = std::min<int64_t>(box.width, in.width - box.left);
    if (x1 <= x0) continue;
    std::copy_n(in.pixels.begin() + ((sy * in.width) + box.left + x0) * in.channels, (x1 - x0) * in.channels,
                out.pixels.begin() + (y * box.width + x0) * in.channels);
  }
  return out;
}

// torchvision's RandomResizedCrop.get_params with our draws.
Box random_resized_box(const Image& in, const Augment& a, uint64_t key) {
  const double area = static_cast<double>(in.height * in.width);
  const double log_r0 = std::log(a.ratio_min), log_r1 = std::log(a.ratio_max);
  for (uint64_t t = 0; t < 10; ++t) {
    const uint64_t s = kCropSlots + 4 * t;
    const double target = area * (a.scale_min + (a.scale_max - a.scale_min) * unit_uniform(key, s));
    const double ratio = std::exp(log_r0 + (log_r1 - log_r0) * unit_uniform(key, s + 1));
    const auto w = static_cast<int64_t>(std::lround(std::sqrt(target * ratio)));
    const auto h = static_cast<int64_t>(std::lround(std::sqrt(target / ratio)));
    if (w > 0 && w <= in.width && h > 0 && h <= in.height) {
      const auto top = static_cast<int64_t>(unit_uniform(key, s + 2) * static_cast<double>(in.height - h + 1));
      const auto left = static_cast<int64_t>(unit_uniform(key, s + 3) * static_cast<double>(in.width - w + 1));
      return {top, left, h, w};
    }
  }
  const double in_ratio = static_cast<double>(in.width) / static_cast<double>(in.height);
  int64_t w = in.width, h = in.height;
  if (in_ratio < a.ratio_min) {
    h = std::lround(static_cast<double>(w) / a.ratio_min);
  } else if (in_ratio > a.ratio_max) {
    w = std::lround(static_cast<double>(h) * a.ratio_max);
  }
  return {(in.height - h) / 2, (in.width - w) / 2, h, w};
}

}  // namespace

Image resize_bilinear(const Image& in, int64_t height, int64_t width) {
  if (height <= 0 || width <= 0 || in.height <= 0 || in.width <= 0) {
    throw InvalidArgument(
        fmt::format("resize: cannot resize a {}x{} image to {}x{}", in.height, in.width, height, width));
  }
  if (height == in.height && width == in.width) return in;
  const int64_t c = in.channels;
  // Per output column: the two source columns and the weight of the second.
  std::vector<int64_t> x0(static_cast<size_t>(width)), x1(static_cast<size_t>(width));
  std::vector<float> wx(static_cast<size_t>(width));
  const double sx = static_cast<double>(in.width) / static_cast<double>(width);
  for (int64_t x = 0; x < width; ++x) {
    const double src = std::max(0.0, (static_cast<double>(x) + 0.5) * sx - 0.5);
    const auto lo = std::min(static_cast<int64_t>(src), in.width - 1);
    x0[x] = lo;
    x1[x] = std::min(lo + 1, in.width - 1);
    wx[x] = static_cast<float>(src - static_cast<double>(lo));
  }
  Image out{c, height, width, std::vector<uint8_t>(static_cast<size_t>(height * width * c))};
  const double sy = static_cast<double>(in.height) / static_cast<double>(height);
  for (int64_t y = 0; y < height; ++y) {
    const double src = std::max(0.0, (static_cast<double>(y) + 0.5) * sy - 0.5);
    const auto y0 = std::min(static_cast<int64_t>(src), in.height - 1);
    const int64_t y1 = std::min(y0 + 1, in.height - 1);
    const auto wy = static_cast<float>(src - static_cast<double>(y0));
    const uint8_t* r0 = in.pixels.data() + y0 * in.width * c;
    const uint8_t* r1 = in.pixels.data() + y1 * in.width * c;
    uint8_t* o = out.pixels.data() + y * width * c;
    for (int64_t x = 0; x < width; ++x) {
      for (int64_t k = 0; k < c; ++k) {
        const float top = r0[x0[x] * c + k] + wx[x] * static_cast<float>(r0[x1[x] * c + k] - r0[x0[x] * c + k]);
        const float bottom = r1[x0[x] * c + k] + wx[x] * static_cast<float>(r1[x1[x] * c + k] - r1[x0[x] * c + k]);
        const float v = top + wy * (bottom - top);
        o[x * c + k] = static_cast<uint8_t>(std::clamp(std::lround(v), 0L, 255L));
      }
    }
  }
  return out;
}

void transform(const Image& image, const Augment& a, uint64_t random_key, std::span<float> out_chw) {
  // Hashed once so that neighbouring keys (0, 1, 2...) do not share draws: u(k, s + 1) = u(k + 1, s).
  const uint64_t key = splitmix64(random_key);
  if (a.out_h <= 0 || a.out_w <= 0) {
    throw InvalidArgument(fmt::format("transform: output size {}x{} must be positive", a.out_h, a.out_w));
  }
  if (static_cast<int64_t>(image.pixels.size()) != image.channels * image.height * image.width ||
      image.pixels.empty()) {
    throw InvalidArgument(fmt::format("transform: {}x{}x{} image with {} pixel bytes", image.height, image.width,
                                      image.channels, image.pixels.size()));
  }
  const int64_t c = image.channels;
  if (static_cast<int64_t>(out_chw.size()) != c * a.out_h * a.out_w) {
    throw InvalidArgument(fmt::format("transform: output holds {} floats, a {}x{}x{} sample needs {}", out_chw.size(),
                                      c, a.out_h, a.out_w, c * a.out_h * a.out_w));
  }
  for (const auto* v : {&a.mean, &a.stddev}) {
    if (v->size() > 1 && static_cast<int64_t>(v->size()) != c) {
      throw InvalidArgument(
          fmt::format("transform: {} normalisation values for a {}-channel image", v->size(), image.channels));
    }
  }
  Image img;
  const Image* cur = &image;
  if (a.random_resized_crop) {
    img = resize_bilinear(crop(*cur, random_resized_box(*cur, a, key)), a.out_h, a.out_w);
    cur = &img;
  } else if (a.resize > 0) {
    // The shorter side becomes `resize`, as torchvision's Resize(int).
    const double s = static_cast<double>(a.resize) / static_cast<double>(std::min(cur->height, cur->width));
    const int64_t h = cur->height <= cur->width ? a.resize : std::lround(static_cast<double>(cur->height) * s);
    const int64_t w = cur->width < cur->height ? a.resize : std::lround(static_cast<double>(cur->width) * s);
    img = resize_bilinear(*cur, h, w);
    cur = &img;
  }
  if (a.center_crop && (cur->height != a.out_h || cur->width != a.out_w)) {
    img = crop(*cur, {(cur->height - a.out_h) / 2, (cur->width - a.out_w) / 2, a.out_h, a.out_w});
    cur = &img;
  }
  if (a.pad_crop > 0) {
    const int64_t ph = cur->height + 2 * a.pad_crop, pw = cur->width + 2 * a.pad_crop;
    if (ph < a.out_h || pw < a.out_w) {
      throw InvalidArgument(
          fmt::format("transform: padded image {}x{} is smaller than the output {}x{}", ph, pw, a.out_h, a.out_w));
    }
    const auto dy = static_cast<int64_t>(unit_uniform(key, kPadCropSlot) * static_cast<double>(ph - a.out_h + 1));
    const auto dx = static_cast<int64_t>(unit_uniform(key, kPadCropSlot + 1) * static_cast<double>(pw - a.out_w + 1));
    img = crop(*cur, {dy - a.pad_crop, dx - a.pad_crop, a.out_h, a.out_w});
    cur = &img;
  }
  if (cur->height != a.out_h || cur->width != a.out_w) {
    throw InvalidArgument(fmt::format("transform: a {}x{} image does not fit the output {}x{} (no resize or crop set)",
                                      cur->height, cur->width, a.out_h, a.out_w));
  }
  const bool flip = a.hflip && unit_uniform(key, kFlipSlot) < 0.5;
  const int64_t h = a.out_h, w = a.out_w;
  for (int64_t k = 0; k < c; ++k) {
    const float mean = a.mean.empty() ? 0.0f : a.mean[a.mean.size() == 1 ? 0 : static_cast<size_t>(k)];
    const float sd = a.stddev.empty() ? 1.0f : a.stddev[a.stddev.size() == 1 ? 0 : static_cast<size_t>(k)];
    const float scale = 1.0f / (255.0f * sd), shift = -mean / sd;
    float* plane = out_chw.data() + k * h * w;
    for (int64_t y = 0; y < h; ++y) {
      const uint8_t* row = cur->pixels.data() + y * w * c;
      for (int64_t x = 0; x < w; ++x) {
        const int64_t sx = flip ? w - 1 - x : x;
        plane[y * w + x] = static_cast<float>(row[sx * c + k]) * scale + shift;
      }
    }
  }
}

}  // namespace cnnzoo
