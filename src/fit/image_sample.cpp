// A user's image as a model input sample (cnnzoo run and predict), preprocessed as the model's data.
#include <fmt/format.h>

#include <algorithm>
#include <cmath>

#include "cnnzoo/error.h"
#include "cnnzoo/fit.h"

namespace cnnzoo {
namespace {

// ITU-R 601 luma, as PIL's convert("L").
constexpr float kLuma[3] = {0.299f, 0.587f, 0.114f};

Image to_grey(const Image& rgb) {
  Image grey{.channels = 1, .height = rgb.height, .width = rgb.width, .pixels = {}};
  grey.pixels.resize(static_cast<std::size_t>(rgb.height * rgb.width));
  for (std::size_t i = 0; i < grey.pixels.size(); ++i) {
    const uint8_t* p = &rgb.pixels[3 * i];
    grey.pixels[i] = static_cast<uint8_t>((299 * p[0] + 587 * p[1] + 114 * p[2] + 500) / 1000);
  }
  return grey;
}

// The shorter side of an evaluation image before the centre crop, as torchvision's 256 for 224.
int64_t imagenet_resize(const Dims& chw) {
  return std::lround(static_cast<double>(std::max(chw[1], chw[2])) * 256.0 / 224.0);
}

float luma(const std::vector<float>& rgb) { return kLuma[0] * rgb[0] + kLuma[1] * rgb[1] + kLuma[2] * rgb[2]; }

}  // namespace

ImagePreprocessing checkpoint_preprocessing(const TrainedModel& trained) {
  const Dims chw = trained.options.input.value_or(find_model(trained.model).default_input);
  const std::string kind = trained.data.substr(0, trained.data.find(':'));
  // The same sizes as eval_augment (data/presets.cpp) gives that kind of data set.
  const int64_t resize = kind == "folder" ? imagenet_resize(chw) : std::max(chw[1], chw[2]);
  return {.input = chw, .resize = resize, .normalization = trained.normalization};
}

ImagePreprocessing imagenet_preprocessing(const Dims& input) {
  Normalization n = imagenet_normalization();
  if (input[0] == 1) n = {.mean = {luma(n.mean)}, .stddev = {luma(n.stddev)}};
  return {.input = input, .resize = imagenet_resize(input), .normalization = n};
}

void image_to_sample(const Image& image, const ImagePreprocessing& preprocessing, std::span<float> out_chw) {
  const Dims& chw = preprocessing.input;
  const Image grey = chw[0] == 1 && image.channels == 3 ? to_grey(image) : Image{};
  const Image& source = grey.channels == 1 ? grey : image;
  if (source.channels != chw[0]) {
    throw InvalidArgument(fmt::format("the model takes {} channels, the image has {}", chw[0], source.channels));
  }
  const Augment augment{.out_h = chw[1],
                        .out_w = chw[2],
                        .resize = preprocessing.resize,
                        .center_crop = true,
                        .mean = preprocessing.normalization.mean,
                        .stddev = preprocessing.normalization.stddev};
  transform(source, augment, 0, out_chw);
}

}  // namespace cnnzoo
