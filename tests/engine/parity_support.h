// What the PyTorch parity tests share: the seed the fixture scripts use, the torchvision-compatible
// models of the zoo, and loading a fixture with a message that names the script that makes it.
#pragma once

#include <cmath>
#include <cstdint>
#include <fstream>
#include <nlohmann/json.hpp>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#include "cnnzoo/models.h"
#include "cnnzoo/tensor.h"

namespace cnnzoo::parity {

/// SEED in scripts/pytorch_parity.py and scripts/pytorch_training_parity.py.
inline constexpr uint64_t kSeed = 2024;

/// Every registered model whose parameters map one to one onto torchvision's, in registry order.
inline std::vector<std::string> torchvision_models() {
  std::vector<std::string> names;
  for (const ModelInfo& m : list_models()) {
    if (m.torchvision) names.push_back(m.name);
  }
  return names;
}

/// The models of scripts/pytorch_parity.py: the torchvision ones, and Inception-v4 and Inception-ResNet-v2 as
/// scripts/inception_paper_models.py defines them from the paper (timm's names).
inline std::vector<std::string> eval_parity_models() {
  std::vector<std::string> names = torchvision_models();
  names.insert(names.end(), {"inception_v4", "inception_resnet_v2"});
  return names;
}

/// tests/data/<folder>/<name>.json; a missing file is an error naming `script`, which makes it.
inline nlohmann::json load_fixture(std::string_view folder, std::string_view name, std::string_view script) {
  const std::string path =
      std::string(CNNZOO_TEST_DATA) + "/" + std::string(folder) + "/" + std::string(name) + ".json";
  std::ifstream in(path);
  if (!in) throw std::runtime_error("cannot open " + path + "; run /usr/bin/python3 " + std::string(script));
  return nlohmann::json::parse(in);
}

/// A gradient recorded by a training-parity script: its float64 "values" at "indices" (absent: every entry),
/// the "scale" relative errors are taken over, and the "norm" of the whole tensor.
struct RecordedGradient {
  std::vector<double> values;
  std::vector<int64_t> indices;
  double scale = 0, norm = 0;

  RecordedGradient(const nlohmann::json& record, int64_t numel)
      : values(record.at("values").get<std::vector<double>>()),
        scale(record.at("scale").get<double>()),
        norm(record.at("norm").get<double>()) {
    if (record.contains("indices")) {
      indices = record.at("indices").get<std::vector<int64_t>>();
    } else {
      for (int64_t i = 0; i < numel; ++i) indices.push_back(i);
    }
    if (indices.size() != values.size() || (!indices.empty() && indices.back() >= numel)) {
      throw std::runtime_error("recorded gradient: indices do not match its values or the tensor");
    }
  }

  /// Relative L2 error of `grad` over the recorded entries.
  double error(const Tensor& grad) const {
    const auto all = grad.f32();
    double distance = 0;
    for (std::size_t i = 0; i < values.size(); ++i) {
      const double d = all[static_cast<std::size_t>(indices[i])] - values[i];
      distance += d * d;
    }
    return std::sqrt(distance) / scale;
  }

  /// The error of the whole tensor's L2 norm, relative: |(||ours|| - ||exact||)| <= ||ours - exact||, so it
  /// bounds the whole tensor's error from below.
  double norm_error(const Tensor& grad) const {
    double ours = 0;
    for (const float v : grad.f32()) ours += static_cast<double>(v) * v;
    return std::abs(std::sqrt(ours) - norm) / std::max(norm, scale);
  }
};

}  // namespace cnnzoo::parity
