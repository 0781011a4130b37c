// A user's image as a model input sample (cnnzoo predict).
#include <fmt/format.h>

#include "cnnzoo/error.h"
#include "cnnzoo/fit.h"

namespace cnnzoo {
namespace {

// ITU-R 601 luma, as PIL's convert("L").
Image to_grey(const Image& rgb) {
  Image grey{.channels = 1, .height = rgb.height, .width = rgb.width, .pixels = {}};
  grey.pixels.resize(static_cast<std::size_t>(rgb.height * rgb.width));
  for (std::size_t i = 0; i < grey.pixels.size(); ++i) {
    const uint8_t* p = &rgb.pixels[3 * i];
    grey.pixels[i] = static_cast<uint8_t>((299 * p[0] + 587 * p[1] + 114 * p[2] + 500) / 1000);
  }
  return grey;
}

}  // namespace

void image_to_sample(const Image& image, const Dims& input, const Normalization& normalization,
                     std::span<float> out_chw) {
  const Dims chw(input.end() - 3, input.end());
  Image source = image;
  if (chw[0] == 1 && source.channels == 3) source = to_grey(source);
  if (source.channels != chw[0]) {
    throw InvalidArgument(fmt::format("the model takes {} channels, the image has {}", chw[0], source.channels));
  }
  const Augment augment{.out_h = chw[1], .out_w = chw[2], .mean = normalization.mean, .stddev = normalization.stddev};
  transform(resize_bilinear(source, chw[1], chw[2]), augment, 0, out_chw);
}

}  // namespace cnnzoo
