// A network drawn with Graphviz for the HTML reports: inline SVG, nodes labelled with their figures, blocks
// grouped, and large nets kept readable by collapsing their stages.
//
// Every IR node is a box with its name, op (with kernel and stride: "conv 7x7 /2"), output shape C x H x W
// (no batch), trainable parameters and MACs (the analysis' figures, in units: "9.4 K params", "118.01 M
// MACs"; the exact numbers are in its tooltip). Graph inputs and outputs are ovals, edges follow values from
// producer to consumers, and fill colours tell the op families apart: convolutions blue, pooling green,
// normalisation and activations sand, linear layers violet, joins (concat, add, the SE product, padding)
// orange, the rest grey.
//
// Modules are the node names split at '.', as analyze() groups them (torchvision's module paths: stage
// "layer1", block "layer1.0", layer "layer1.0.conv1"). A drawing groups two levels of modules as Graphviz
// clusters: the whole graph its stages and their blocks ("layer1", "layer1.0"; "inception3a",
// "inception3a.branch2"), a part its stage and that stage's blocks ("features.denseblock1",
// "features.denseblock1.denselayer3").
//
// A graph of at most kMaxWholeNodes IR nodes is drawn whole (AlexNet, VGG, ResNet-18/34). A larger one
// becomes an overview, where each stage is one box with its name, node count, output shape, parameters and
// MACs, and a part per stage with all its nodes. A module that wraps the stages, more than kMaxWholeNodes
// nodes and three quarters of the graph's (torchvision's DenseNet `features`), is opened, drawn as a
// cluster around its stages, while the overview then shows at most kMaxOverviewItems boxes and nodes. A graph with more
// than kMaxOverviewItems top-level modules and nodes (an ONNX graph whose names have no dots) is cut instead into
// consecutive runs of its node order of near equal size, at most kMaxWholeNodes each ("nodes 1-100"), one box each in
// the overview and one part each. A part's nodes read from and feed the rest of the graph through dashed boxes that
// name the node on the other side. A stage is one part however large (ResNet-152's layer3 has 362 nodes, DenseNet-201's
// third dense block 336 nodes and 1,513 edges); Graphviz lays out a drawing of more than 400 edges with fewer
// iterations (2 s for that block on 2 busy cores).
//
// The layout is deterministic: the same graph gives the same SVG, whichever thread draws it.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "cnnzoo/graph.h"

namespace cnnzoo::html {

/// Graphs of up to this many IR nodes are drawn whole: ResNet-18 (69) is, ResNet-50 (175) is not.
inline constexpr std::size_t kMaxWholeNodes = 120;
/// The most boxes and nodes an overview opens a large wrapper module into (see above).
inline constexpr std::size_t kMaxOverviewItems = 40;

struct DrawOptions {
  /// Starts every id in the SVGs, so that the drawings of several graphs can share one page: the overview's
  /// ids start with `id_prefix` + "_o_", part k's with `id_prefix` + "_p<k>_" (IR node 5 of the overview is
  /// "graph_o_n5"). Letters, digits, '-' and '_', starting with a letter; anything else is an
  /// InvalidArgument. (Graphviz writes a '-' in an id as "&#45;", which HTML reads back as '-'.)
  std::string id_prefix = "graph";
};

struct GraphDrawing {
  /// The whole graph when it has at most kMaxWholeNodes nodes; otherwise the overview, each stage one box.
  std::string overview_svg;
  struct Part {
    std::string name;    ///< the stage ("layer1", "features.denseblock2") or run ("nodes 1-100"); raw text
    std::string box_id;  ///< the SVG id of its box in the overview, to link the two
    std::string svg;     ///< the stage with all its nodes, its blocks as clusters
    int64_t nodes = 0;   ///< IR nodes in the part
  };
  /// Empty when the overview holds every node; else one per box of the overview, in node order.
  std::vector<Part> parts;
};

/// The drawings of `graph`, laid out by Graphviz. Throws Error when Graphviz fails, naming the drawing.
GraphDrawing draw_graph(const Graph& graph, const DrawOptions& options = {});

/// The DOT text behind a drawing: the overview when `part` is empty, else the part of that name (a
/// GraphDrawing::Part::name); an UnknownNameError lists the parts for another name.
std::string graph_dot(const Graph& graph, std::string_view part = {}, const DrawOptions& options = {});

}  // namespace cnnzoo::html
