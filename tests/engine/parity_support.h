// What the PyTorch parity tests share: the seed the fixture scripts use, the torchvision-compatible
// models of the zoo, and loading a fixture with a message that names the script that makes it.
#pragma once

#include <cstdint>
#include <fstream>
#include <nlohmann/json.hpp>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#include "cnnzoo/models.h"

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

/// tests/data/<folder>/<name>.json; a missing file is an error naming `script`, which makes it.
inline nlohmann::json load_fixture(std::string_view folder, std::string_view name, std::string_view script) {
  const std::string path =
      std::string(CNNZOO_TEST_DATA) + "/" + std::string(folder) + "/" + std::string(name) + ".json";
  std::ifstream in(path);
  if (!in) throw std::runtime_error("cannot open " + path + "; run /usr/bin/python3 " + std::string(script));
  return nlohmann::json::parse(in);
}

}  // namespace cnnzoo::parity
