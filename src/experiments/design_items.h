// The items of `experiment design`, one function each: the measurement (design_measures.h) turned into a
// report section (finding, figures, table), its results.json entry and rows of the printed table.
#pragma once

#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "experiments/experiment_folder.h"
#include "experiments/wording.h"

namespace cnnzoo::experiments {

struct DesignItem {
  std::string key;  ///< its key in results.json
  Section section{};
  nlohmann::json results{};
  bool reproduced = false;
  /// Rows of the printed table: what, the first figure, the second, and the second over the first.
  std::vector<std::vector<std::string>> table_rows{};
};

// design_layers.cpp: layers and blocks.
DesignItem design_conv_pair();
DesignItem design_vgg_stages();
DesignItem design_stems();
DesignItem design_blocks();
// design_networks.cpp: where a whole network's figures sit.
DesignItem design_heads();
DesignItem design_alexnet();
DesignItem design_se();
DesignItem design_densenet();

}  // namespace cnnzoo::experiments
