// The standard augmentations per data set kind, for training and for evaluation.
#include <fmt/format.h>

#include <cmath>

#include "cnnzoo/data.h"
#include "cnnzoo/error.h"
#include "cnnzoo/init.h"

namespace cnnzoo {
namespace {

// {C, H, W} from {C, H, W} or {N, C, H, W}, checked against the data set's channels.
Dims input_chw(const Dataset& data, const Dims& input) {
  if (input.size() != 3 && input.size() != 4) {
    throw InvalidArgument(fmt::format("{}: model input {} is not CxHxW or NxCxHxW", data.name(), to_string(input)));
  }
  Dims chw(input.end() - 3, input.end());
  if (chw[0] != data.image_shape()[0] || chw[1] <= 0 || chw[2] <= 0) {
    throw InvalidArgument(fmt::format("{}: model input {} does not take the data set's {}-channel images", data.name(),
                                      to_string(input), data.image_shape()[0]));
  }
  return chw;
}

Augment base(const Dataset& data, const Dims& chw) {
  Augment a;
  a.out_h = chw[1];
  a.out_w = chw[2];
  const Normalization n = data.normalization();
  a.mean = n.mean;
  a.stddev = n.stddev;
  return a;
}

// IDX and CIFAR images of another size than the model's input: resize the shorter side, centre crop.
void fit_fixed_size(const Dataset& data, Augment& a) {
  const Dims shape = data.image_shape();
  if (shape[1] != a.out_h || shape[2] != a.out_w) {
    a.resize = std::max(a.out_h, a.out_w);
    a.center_crop = true;
  }
}

}  // namespace

Augment train_augment(const Dataset& data, const Dims& input) {
  const Dims chw = input_chw(data, input);
  Augment a = base(data, chw);
  const std::string kind = data.name();
  if (kind == "folder") {
    a.random_resized_crop = true;
    a.hflip = true;
    return a;
  }
  fit_fixed_size(data, a);
  // Padding scaled with the image when it is resized (4 of CIFAR's 32 pixels stay an eighth).
  const int64_t pad = kind == "cifar10" || kind == "cifar100" ? 4 : 2;
  a.pad_crop = std::max<int64_t>(
      1, std::lround(static_cast<double>(pad * a.out_h) / static_cast<double>(data.image_shape()[1])));
  a.hflip = kind != "mnist";  // digits are not mirror-symmetric; clothes and CIFAR objects are
  return a;
}

Augment eval_augment(const Dataset& data, const Dims& input) {
  const Dims chw = input_chw(data, input);
  Augment a = base(data, chw);
  if (data.name() == "folder") {
    a.resize = std::lround(static_cast<double>(std::max(a.out_h, a.out_w)) * 256.0 / 224.0);
    a.center_crop = true;
    return a;
  }
  fit_fixed_size(data, a);
  return a;
}

uint64_t sample_key(uint64_t seed, int64_t epoch, int64_t index) {
  const uint64_t epoch_key = splitmix64(stream_key("data.augment", seed) + static_cast<uint64_t>(epoch));
  return splitmix64(epoch_key + static_cast<uint64_t>(index));
}

}  // namespace cnnzoo
