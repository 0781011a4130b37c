// A placeholder until the Graphviz drawing (branch graph) lands: one empty box.
#include "html/graph_drawing.h"
namespace cnnzoo::html {
GraphDrawing draw_graph(const Graph&) {
  return {
      "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"50\" height=\"50\"><rect width=\"20\" height=\"20\"/></svg>",
      {}};
}
}  // namespace cnnzoo::html
