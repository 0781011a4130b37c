// ArrayDataset: the in-memory store behind the IDX and CIFAR readers.
#include <fmt/format.h>

#include "cnnzoo/error.h"
#include "data/data_sets.h"

namespace cnnzoo::data {

ArrayDataset::ArrayDataset(Contents contents) : c_(std::move(contents)) {
  const int64_t per_image = c_.channels * c_.height * c_.width;
  if (static_cast<int64_t>(c_.pixels.size()) != per_image * size()) {
    throw Error(fmt::format("{}: {} bytes of pixels for {} images of {}x{}x{}", c_.location, c_.pixels.size(), size(),
                            c_.channels, c_.height, c_.width));
  }
}

Image ArrayDataset::image(int64_t i) const {
  if (i < 0 || i >= size()) {
    throw InvalidArgument(fmt::format("{}: image {} out of range (size {})", c_.location, i, size()));
  }
  const int64_t per_image = c_.channels * c_.height * c_.width;
  Image out{c_.channels, c_.height, c_.width, {}};
  out.pixels.assign(c_.pixels.begin() + i * per_image, c_.pixels.begin() + (i + 1) * per_image);
  return out;
}

int64_t ArrayDataset::label(int64_t i) const {
  if (i < 0 || i >= size()) {
    throw InvalidArgument(fmt::format("{}: label {} out of range (size {})", c_.location, i, size()));
  }
  return c_.labels[static_cast<size_t>(i)];
}

}  // namespace cnnzoo::data
