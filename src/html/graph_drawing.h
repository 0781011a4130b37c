// A placeholder until the Graphviz drawing (branch graph) lands: one empty box.
#pragma once
#include <cstdint>
#include <string>
#include <vector>
#include "cnnzoo/graph.h"
namespace cnnzoo::html {
struct GraphDrawing {
  std::string overview_svg;
  struct Part {
    std::string name;
    std::string svg;
    int64_t nodes = 0;
  };
  std::vector<Part> parts;
};
GraphDrawing draw_graph(const Graph& graph);
}  // namespace cnnzoo::html
