// What the run and predict CLI tests share: a checkpoint made in-process (as `cnnzoo train` writes one,
// without the minute of training), images written as PNG, and the engine's logits to compare with.
#pragma once

#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "cnnzoo/checkpoint.h"
#include "cnnzoo/data.h"
#include "cnnzoo/engine.h"
#include "cnnzoo/init.h"
#include "cnnzoo/models.h"

namespace cnnzoo::test {

/// A fresh path in the test's temporary folder, per process (CTest runs tests in parallel processes).
inline std::string fresh_path(const std::string& prefix, const std::string& name) {
  const std::string path = ::testing::TempDir() + prefix + std::to_string(::getpid()) + "_" + name;
  std::filesystem::remove_all(path);
  return path;
}

/// resnet20 for 1x28x28 images of the 10 Fashion-MNIST classes with test weights, saved as a checkpoint.
struct TinyCheckpoint {
  std::string path;
  ModelOptions options{.batch = 1, .num_classes = 10, .input = Dims{1, 28, 28}};
  Parameters parameters = test_parameters(build_model("resnet20", options), 7);
  std::vector<std::string> names{"T-shirt/top", "Trouser", "Pullover", "Dress", "Coat",
                                 "Sandal",      "Shirt",   "Sneaker",  "Bag",   "Ankle boot"};
  float mean = 0.2860f, stddev = 0.3530f;

  explicit TinyCheckpoint(std::string file) : path(std::move(file)) {
    Checkpoint c;
    c.model = parameters;
    c.meta = {{kCheckpointModelKey, "resnet20"},
              {kCheckpointEpochKey, "1"},
              {kCheckpointModelOptionsKey, R"({"input": [1, 28, 28], "num_classes": 10})"},
              {kCheckpointDataKey,
               nlohmann::json{{"spec", "fashion-mnist"}, {"mean", {mean}}, {"stddev", {stddev}}, {"class_names", names}}
                   .dump()}};
    save_checkpoint(path, c);
  }

  /// The engine's logits of N x 1 x 28 x 28 samples.
  Tensor logits(const Tensor& x) const {
    ModelOptions o = options;
    o.batch = x.shape()[0];
    InferenceEngine engine(build_model("resnet20", o), parameters);
    return engine.run(x).at(0);
  }

  /// A 28x28 grey image as the model's sample, computed here: (pixel / 255 - mean) / stddev.
  Tensor sample(const Image& grey) const {
    Tensor x({1, 1, 28, 28});
    for (std::size_t i = 0; i < grey.pixels.size(); ++i) {
      x.f32()[i] = (static_cast<float>(grey.pixels[i]) / 255.0f - mean) / stddev;
    }
    return x;
  }
};

/// A grey or RGB image whose pixels follow (y * a + x * b + c * 40 + seed) mod 256: distinct images per seed.
inline Image pattern_image(int64_t channels, int64_t height, int64_t width, int seed) {
  Image image{.channels = channels, .height = height, .width = width, .pixels = {}};
  for (int64_t y = 0; y < height; ++y) {
    for (int64_t x = 0; x < width; ++x) {
      for (int64_t c = 0; c < channels; ++c) {
        image.pixels.push_back(static_cast<uint8_t>((y * (3 + seed) + x * 7 + c * 40 + seed * 31) % 256));
      }
    }
  }
  return image;
}

/// The index of the largest value of row `row` of an N x K tensor.
inline int64_t argmax_row(const Tensor& t, int64_t row) {
  const int64_t k = t.shape()[1];
  const auto values = t.f32().subspan(static_cast<std::size_t>(row * k), static_cast<std::size_t>(k));
  return std::max_element(values.begin(), values.end()) - values.begin();
}

}  // namespace cnnzoo::test
