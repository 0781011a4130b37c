// A confusion matrix as an SVG heat map: a cell per (true, predicted) class pair, shaded by its share of
// the true class's images, with the counts written in when the classes are few enough to read them.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace cnnzoo::html {

/// `confusion[t][p]`: images of true class t predicted as p; a square matrix over `class_names`.
std::string confusion_svg(const std::vector<std::string>& class_names,
                          const std::vector<std::vector<int64_t>>& confusion);

}  // namespace cnnzoo::html
