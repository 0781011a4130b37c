// The network drawings of the reports (src/html/graph_drawing.h): what each drawing holds, read back from
// its DOT text and its SVG, on the zoo's models, an imported ONNX graph and hostile node names.
#include <gtest/gtest.h>

#include <algorithm>
#include <fstream>
#include <map>
#include <regex>
#include <set>
#include <thread>

#include <fmt/format.h>

#include "analysis/units.h"
#include "cnnzoo/analysis.h"
#include "cnnzoo/error.h"
#include "cnnzoo/models.h"
#include "cnnzoo/onnx.h"
#include "html/graph_dot_text.h"
#include "html/graph_drawing.h"
#include "html/graph_svg.h"
#include "html/page.h"
#include "support/chromium.h"

namespace cnnzoo {
namespace {

std::size_t count_of(const std::string& text, std::string_view what) {
  std::size_t count = 0;
  for (std::size_t at = text.find(what); at != std::string::npos; at = text.find(what, at + what.size())) ++count;
  return count;
}

// The first capture of `pattern` on each line of `text` where it matches.
std::vector<std::string> captures(const std::string& text, const std::string& pattern) {
  const std::regex re(pattern, std::regex::multiline);
  std::vector<std::string> out;
  for (auto it = std::sregex_iterator(text.begin(), text.end(), re); it != std::sregex_iterator(); ++it) {
    out.push_back((*it)[1]);
  }
  return out;
}

// The IR node ids a DOT text draws as nodes of their own ("n5 [...]").
std::vector<int> drawn_nodes(const std::string& dot) {
  std::vector<int> ids;
  for (const std::string& id : captures(dot, R"(^n(\d+) \[)")) ids.push_back(std::stoi(id));
  return ids;
}

std::size_t edges_of(const std::string& dot) { return captures(dot, R"(^(\S+ -> \S+) \[)").size(); }

std::vector<std::string> cluster_labels(const std::string& dot) {
  return captures(dot, R"(^graph \[id="[^"]*" label="([^"\\]*))");
}

// The (value, consumer) pairs of a graph: the edges its whole drawing must have, besides one per output.
std::size_t value_consumer_pairs(const Graph& g) {
  std::set<std::pair<ValueId, NodeId>> pairs;
  for (NodeId id = 0; id < static_cast<NodeId>(g.nodes().size()); ++id) {
    for (ValueId v : g.node(id).inputs) pairs.emplace(v, id);
  }
  return pairs.size();
}

// Every IR node drawn exactly once over the overview and the parts.
void expect_each_node_once(const Graph& g, const html::GraphDrawing& drawing) {
  std::map<int, int> times;
  for (int id : drawn_nodes(html::graph_dot(g))) ++times[id];
  for (const auto& part : drawing.parts) {
    const std::vector<int> ids = drawn_nodes(html::graph_dot(g, part.name));
    EXPECT_EQ(static_cast<int64_t>(ids.size()), part.nodes) << part.name;
    for (int id : ids) ++times[id];
  }
  ASSERT_EQ(times.size(), g.nodes().size());
  for (const auto& [id, count] : times) EXPECT_EQ(count, 1) << g.node(id).name;
}

// The same graph with `from` in node names replaced by `to` (an ONNX graph whose names have no dots).
Graph renamed(const Graph& g, char from, char to) {
  Graph out(g.name());
  std::vector<ValueId> value_of(g.values().size(), -1);
  for (ValueId v : g.inputs()) value_of[static_cast<std::size_t>(v)] = out.add_input(g.value(v).name, g.shape(v));
  for (const Node& n : g.nodes()) {
    std::vector<ValueId> inputs;
    for (ValueId v : n.inputs) inputs.push_back(value_of[static_cast<std::size_t>(v)]);
    std::string name = n.name;
    std::ranges::replace(name, from, to);
    value_of[static_cast<std::size_t>(n.output)] = out.add_node(name, n.op, n.attrs, inputs);
  }
  for (ValueId v : g.outputs()) out.add_output(value_of[static_cast<std::size_t>(v)]);
  return out;
}

std::vector<std::string> part_names(const html::GraphDrawing& drawing) {
  std::vector<std::string> names;
  for (const auto& part : drawing.parts) names.push_back(part.name);
  return names;
}

TEST(GraphDrawing, ResNet18IsDrawnWholeWithItsStagesAndBasicBlocksAsClusters) {
  const Graph g = build_model("resnet18");
  ASSERT_EQ(g.nodes().size(), 69u);  // within kMaxWholeNodes
  const std::string dot = html::graph_dot(g);
  EXPECT_EQ(cluster_labels(dot),
            (std::vector<std::string>{"layer1", "layer1.0", "layer1.1", "layer2", "layer2.0", "layer2.1", "layer3",
                                      "layer3.0", "layer3.1", "layer4", "layer4.0", "layer4.1"}));
  EXPECT_EQ(count_of(dot, "subgraph cluster_"), 12u);  // no cluster for a downsample: two levels only
  std::vector<int> ids = drawn_nodes(dot);
  std::ranges::sort(ids);
  ASSERT_EQ(ids.size(), 69u);
  for (int i = 0; i < 69; ++i) EXPECT_EQ(ids[static_cast<std::size_t>(i)], i);
  EXPECT_EQ(edges_of(dot), value_consumer_pairs(g) + g.outputs().size());
  EXPECT_EQ(value_consumer_pairs(g), 77u);     // 61 nodes read one value, the 8 adds two
  EXPECT_EQ(count_of(dot, "shape=oval"), 2u);  // the input and the output

  const html::GraphDrawing drawing = html::draw_graph(g);
  EXPECT_TRUE(drawing.parts.empty());
  EXPECT_EQ(count_of(drawing.overview_svg, "class=\"node\""), 69u + 2u);
  EXPECT_EQ(count_of(drawing.overview_svg, "class=\"cluster\""), 12u);
  EXPECT_EQ(count_of(drawing.overview_svg, "class=\"edge\""), 77u + 1u);
}

TEST(GraphDrawing, ANodeLabelHoldsItsOpShapeParametersAndMacs) {
  const std::string dot = html::graph_dot(build_model("resnet18"));
  // conv1: 64 filters of 3x7x7 without bias, each applied at 112x112 output positions.
  constexpr int64_t kParams = 64 * 3 * 7 * 7;
  constexpr int64_t kMacs = kParams * 112 * 112;
  static_assert(kParams == 9'408 && kMacs == 118'013'952);
  EXPECT_NE(dot.find("n0 [id=\"graph_o_n0\" label=\"conv1\\nconv 7x7 /2\\n64x112x112\\n9.4 K params \u00b7 "
                     "118.01 M MACs\" tooltip=\"conv1: conv 7x7 /2, output 64x112x112, 9,408 params, "
                     "118,013,952 MACs\""),
            std::string::npos)
      << dot.substr(0, 1500);
  // Inside its block's cluster a node's label leaves out the block; a ReLU has no parameters or MACs.
  EXPECT_NE(dot.find("label=\"relu\\nrelu\\n64x56x56\" tooltip=\"layer1.0.relu: relu"), std::string::npos);
  // layer2.0's shortcut: 128 filters of 64x1x1, at 28x28 positions: 8,192 parameters, 6,422,528 MACs.
  EXPECT_NE(dot.find("label=\"downsample.0\\nconv 1x1 /2\\n128x28x28\\n8.2 K params \u00b7 6.42 M MACs\""),
            std::string::npos);
  EXPECT_NE(dot.find("label=\"avgpool\\nadaptive_avgpool to 1x1\\n512x1x1\""), std::string::npos);
  EXPECT_NE(dot.find("label=\"layer1\\l148.0 K params \u00b7 462.42 M MACs\\l\""), std::string::npos);
}

TEST(GraphDrawing, TheSvgIsReadyToInlineInHtml) {
  const std::string svg = html::draw_graph(build_model("alexnet"), {.id_prefix = "alex"}).overview_svg;
  EXPECT_TRUE(svg.starts_with("<svg ")) << svg.substr(0, 200);
  EXPECT_EQ(svg.find("<?xml"), std::string::npos);
  EXPECT_EQ(svg.find("<!DOCTYPE"), std::string::npos);
  EXPECT_EQ(svg.find("<!--"), std::string::npos);
  EXPECT_EQ(svg.find("<title>"), std::string::npos);
  EXPECT_NE(svg.find("viewBox=\"0.00 0.00 "), std::string::npos);
  EXPECT_TRUE(svg.ends_with("</svg>\n"));
  EXPECT_NE(svg.find("<g id=\"alex_o_n0\" class=\"node\">"), std::string::npos);
  EXPECT_NE(svg.find("font-size=\"10.00\""), std::string::npos);
  EXPECT_NE(svg.find("fill=\"#d4e4f4\""), std::string::npos);  // a convolution's fill
}

TEST(GraphDrawing, ResNet50CollapsesItsStagesIntoBoxesWithPartsOfBottlenecks) {
  const Graph g = build_model("resnet50");
  const html::GraphDrawing drawing = html::draw_graph(g);
  EXPECT_EQ(part_names(drawing), (std::vector<std::string>{"layer1", "layer2", "layer3", "layer4"}));
  expect_each_node_once(g, drawing);
  const std::string overview = html::graph_dot(g);
  EXPECT_EQ(count_of(overview, "subgraph cluster_"), 0u);
  EXPECT_EQ(drawn_nodes(overview).size(), 7u);  // conv1, bn1, relu, maxpool; avgpool, flatten, fc
  // 4 + 4 stage boxes + 4 nodes in a chain, the input and the output.
  EXPECT_EQ(edges_of(overview), 12u);
  EXPECT_EQ(count_of(drawing.overview_svg, "class=\"node\""), 7u + 4u + 2u);
  // A stage's box sums its nodes as params_under() and macs_under() do.
  EXPECT_EQ(params_under(g, "layer1"), 215'808);
  EXPECT_NE(overview.find(fmt::format("label=\"layer1\\n32 nodes \u00b7 256x56x56\\n{} params \u00b7 {} MACs\"",
                                      count_text(params_under(g, "layer1")), count_text(macs_under(g, "layer1")))),
            std::string::npos);
  for (const auto& part : drawing.parts) {
    EXPECT_NE(drawing.overview_svg.find("<g id=\"" + part.box_id + "\" class=\"node\">"), std::string::npos);
  }
  // layer1: the stage and its three bottlenecks as clusters, between a box bringing maxpool's output and
  // one taking layer1's to layer2.
  const std::string layer1 = html::graph_dot(g, "layer1");
  EXPECT_EQ(cluster_labels(layer1), (std::vector<std::string>{"layer1", "layer1.0", "layer1.1", "layer1.2"}));
  EXPECT_NE(layer1.find("label=\"from maxpool\\n64x56x56\""), std::string::npos);
  EXPECT_NE(layer1.find("label=\"to layer2.0.conv1 and 1 more\\n256x56x56\""), std::string::npos);
  EXPECT_EQ(drawing.parts[0].nodes, 32);
  EXPECT_EQ(count_of(drawing.parts[0].svg, "class=\"node\""), 32u + 2u);
  EXPECT_EQ(count_of(drawing.parts[0].svg, "class=\"cluster\""), 4u);
}

TEST(GraphDrawing, GoogLeNetGroupsEachInceptionModuleWithItsFourBranches) {
  const Graph g = build_model("googlenet");
  const html::GraphDrawing drawing = html::draw_graph(g);
  EXPECT_EQ(part_names(drawing), (std::vector<std::string>{"conv1", "conv2", "conv3", "inception3a", "inception3b",
                                                           "inception4a", "inception4b", "inception4c", "inception4d",
                                                           "inception4e", "inception5a", "inception5b"}));
  expect_each_node_once(g, drawing);
  const std::string inception = html::graph_dot(g, "inception3a");
  EXPECT_EQ(cluster_labels(inception),
            (std::vector<std::string>{"inception3a", "inception3a.branch1", "inception3a.branch2",
                                      "inception3a.branch3", "inception3a.branch4"}));
  EXPECT_EQ(drawn_nodes(inception).size(), 20u);
  // The four branches read maxpool2's output from one border box; the concat feeds four nodes outside.
  EXPECT_EQ(captures(inception, R"(^(b\d+) \[)").size(), 1u);
  EXPECT_EQ(count_of(inception, "label=\"from maxpool2\\n192x28x28\""), 1u);
  EXPECT_EQ(captures(inception, R"(^(b\d+) -> )").size(), 4u);
  EXPECT_EQ(captures(inception, R"(^(x\d+) \[)").size(), 1u);
  EXPECT_NE(inception.find("label=\"cat\\nconcat\\n256x28x28\""), std::string::npos);
}

TEST(GraphDrawing, GoogLeNetsAuxiliaryClassifiersAreStagesAndItsThreeOutputsAreNamed) {
  ModelOptions options;
  options.aux_logits = true;
  const Graph g = build_model("googlenet", options);
  const html::GraphDrawing drawing = html::draw_graph(g);
  EXPECT_EQ(drawing.parts.at(12).name, "aux1");
  EXPECT_EQ(drawing.parts.at(13).name, "aux2");
  const std::string overview = html::graph_dot(g);
  for (const char* output : {"fc", "aux1.fc2", "aux2.fc2"}) {
    EXPECT_NE(overview.find(fmt::format("label=\"output {}\\n1000\" shape=oval", output)), std::string::npos) << output;
  }
  EXPECT_EQ(html::graph_dot(build_model("googlenet")).find("label=\"output fc"), std::string::npos);
}

TEST(GraphDrawing, DenseNetOpensItsFeaturesWrapperIntoDenseBlocksAndTransitions) {
  const Graph g = build_model("densenet121");
  const html::GraphDrawing drawing = html::draw_graph(g);
  EXPECT_EQ(part_names(drawing),
            (std::vector<std::string>{"features.denseblock1", "features.transition1", "features.denseblock2",
                                      "features.transition2", "features.denseblock3", "features.transition3",
                                      "features.denseblock4"}));
  expect_each_node_once(g, drawing);
  const std::string overview = html::graph_dot(g);
  EXPECT_EQ(cluster_labels(overview), std::vector<std::string>{"features"});
  EXPECT_NE(overview.find("label=\"denseblock1\\n42 nodes \u00b7 256x56x56"), std::string::npos);
  const std::string block = html::graph_dot(g, "features.denseblock1");
  const std::vector<std::string> clusters = cluster_labels(block);
  ASSERT_EQ(clusters.size(), 7u);  // the block and its six dense layers
  EXPECT_EQ(clusters[3], "features.denseblock1.denselayer3");
  EXPECT_EQ(drawing.parts[0].nodes, 42);
}

TEST(GraphDrawing, DenseNet201AndResNet152DrawInBoundedSize) {
  for (const char* model : {"densenet201", "resnet152"}) {
    const Graph g = build_model(model);
    const html::GraphDrawing drawing = html::draw_graph(g);
    std::size_t bytes = drawing.overview_svg.size();
    for (const auto& part : drawing.parts) bytes += part.svg.size();
    EXPECT_LT(bytes, 3'000'000u) << model;  // 2.0 MB and 0.7 MB when written
    EXPECT_LT(drawing.overview_svg.size(), 40'000u) << model;
    EXPECT_EQ(drawing.parts.size(), std::string(model) == "resnet152" ? 4u : 7u) << model;
  }
}

TEST(GraphDrawing, AnImportedGraphWithoutDottedNamesHasNoClusters) {
  const OnnxModel model = import_onnx(std::string(CNNZOO_TEST_DATA) + "/onnx/small_cnn.onnx");
  const html::GraphDrawing drawing = html::draw_graph(model.graph);
  EXPECT_TRUE(drawing.parts.empty());
  const std::string dot = html::graph_dot(model.graph);
  EXPECT_EQ(count_of(dot, "subgraph"), 0u);
  EXPECT_EQ(drawn_nodes(dot).size(), model.graph.nodes().size());
  EXPECT_EQ(edges_of(dot), value_consumer_pairs(model.graph) + model.graph.outputs().size());
  EXPECT_NE(dot.find("label=\"/conv1/Conv\\nconv "), std::string::npos);
}

TEST(GraphDrawing, AFlatGraphTooLargeToShowWholeIsCutIntoRunsOfItsNodeOrder) {
  const Graph g = renamed(build_model("resnet50"), '.', '_');
  ASSERT_EQ(g.nodes().size(), 175u);
  const html::GraphDrawing drawing = html::draw_graph(g);
  // 175 nodes in two runs of near equal size.
  EXPECT_EQ(part_names(drawing), (std::vector<std::string>{"nodes 1-88", "nodes 89-175"}));
  expect_each_node_once(g, drawing);
  const std::string overview = html::graph_dot(g);
  EXPECT_TRUE(drawn_nodes(overview).empty());
  // input -> run 1 -> run 2 -> output; the first run ends inside layer3.0, so two of its values (the main
  // path and the shortcut) reach the second.
  EXPECT_EQ(edges_of(overview), 4u);
  for (const auto& part : drawing.parts) {
    EXPECT_LE(part.nodes, static_cast<int64_t>(html::kMaxWholeNodes));
    EXPECT_EQ(count_of(html::graph_dot(g, part.name), "subgraph"), 0u);
  }
  const std::string second = html::graph_dot(g, "nodes 89-175");
  EXPECT_NE(second.find("label=\"from layer3_0_bn3\\n1024x14x14\""), std::string::npos);
  EXPECT_NE(second.find("label=\"from layer3_0_downsample_1\\n1024x14x14\""), std::string::npos);
}

// A graph whose names hold everything DOT, XML and Graphviz's own escapes could trip on.
Graph hostile_graph(const std::vector<std::string>& names) {
  Graph g("hostile \"net\"");
  ValueId x = g.add_input("in\"put", {1, 3, 8, 8});
  for (const std::string& name : names) x = g.add_node(name, OpKind::Relu, attr::None{}, {x});
  g.add_output(x);
  return g;
}

TEST(GraphDrawing, HostileNamesAreEscapedAndTruncated) {
  const std::string long_name = "block." + std::string(500, 'x') + ".conv_end";
  const Graph g = hostile_graph({"quote\"d", "back\\slash\\N", "line\nbreak", "<script>&amp;</script>",
                                 "bad\xff\xfe utf8", long_name, "x\" -> evil [label=\"pwned"});
  const std::string dot = html::graph_dot(g);
  EXPECT_NE(dot.find("label=\"quote\\\"d\\nrelu"), std::string::npos);
  EXPECT_NE(dot.find("label=\"back\\\\slash\\\\N\\nrelu"), std::string::npos);
  EXPECT_NE(dot.find("label=\"line break\\nrelu"), std::string::npos);
  EXPECT_NE(dot.find("label=\"<script>&amp;amp;</script>\\nrelu"), std::string::npos);
  EXPECT_NE(dot.find("label=\"bad?? utf8\\nrelu"), std::string::npos);
  EXPECT_NE(dot.find("label=\"x\\\" -> evil [label=\\\"pwned\\nrelu"), std::string::npos);
  EXPECT_EQ(edges_of(dot),
            8u);  // the injected "->" stays inside its label
                  // 40 characters in the label, 200 in the tooltip: a third from the start, the rest from the end.
  EXPECT_NE(dot.find("label=\"block." + std::string(7, 'x') + "\u2026" + std::string(17, 'x') + ".conv_end\\nrelu"),
            std::string::npos);
  EXPECT_NE(dot.find("tooltip=\"block." + std::string(60, 'x') + "\u2026" + std::string(124, 'x') + ".conv_end: relu"),
            std::string::npos);
  EXPECT_EQ(dot.find(std::string(125, 'x')), std::string::npos);

  testing::internal::CaptureStderr();
  const std::string svg = html::draw_graph(g).overview_svg;
  EXPECT_EQ(testing::internal::GetCapturedStderr(), "");  // Graphviz's warnings are not printed
  EXPECT_EQ(count_of(svg, "class=\"node\""), 9u);
  EXPECT_NE(svg.find(">quote&quot;d</text>"), std::string::npos);
  EXPECT_NE(svg.find(">back\\slash\\N</text>"), std::string::npos);
  EXPECT_NE(svg.find(">&lt;script&gt;&amp;amp;&lt;/script&gt;</text>"), std::string::npos);
  EXPECT_EQ(svg.find("<script"), std::string::npos);
  EXPECT_EQ(svg.find('\xff'), std::string::npos);
  EXPECT_NE(svg.find(">in&quot;put</text>"), std::string::npos);
}

TEST(GraphDrawing, DrawingsInlinedInAPageRenderInChromium) {
  const Graph googlenet = build_model("googlenet");
  const html::GraphDrawing drawing = html::draw_graph(googlenet);
  const html::GraphDrawing hostile =
      html::draw_graph(hostile_graph({"<script>alert(1)</script>", "a&amp;b\n"}), {.id_prefix = "hostile"});
  const std::string body = html::figure(drawing.overview_svg, "GoogLeNet") +
                           html::figure(drawing.parts.at(3).svg, drawing.parts.at(3).name) +
                           html::figure(hostile.overview_svg, "hostile names");
  const std::string path = ::testing::TempDir() + "graph_drawing.html";
  std::ofstream(path) << html::page("Drawings", body);
  const test::RenderedPage page = test::render_in_chromium(path);
  EXPECT_TRUE(test::rendered_cleanly(page, 3));
  // The overview's box of inception3a carries the id its part names; the hostile names stayed text.
  EXPECT_NE(page.dom.find("id=\"" + drawing.parts.at(3).box_id + "\""), std::string::npos);
  EXPECT_NE(page.dom.find("&lt;script&gt;alert(1)&lt;/script&gt;</text>"), std::string::npos);
  EXPECT_NE(page.dom.find(">a&amp;amp;b </text>"), std::string::npos);
}

TEST(GraphDrawing, DotTextHelpersCleanShortenAndQuote) {
  EXPECT_EQ(html::clean_text("a\tb\x7f"
                             "c\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80"),
            "a b c\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80");
  // Overlong forms, surrogates, a lone continuation byte and a cut sequence are not UTF-8.
  EXPECT_EQ(html::clean_text("\xc0\xaf|\xed\xa0\x80|\x80|\xe2\x82"), "??|???|?|??");
  EXPECT_EQ(html::shortened("abcdefghij", 10), "abcdefghij");
  EXPECT_EQ(html::shortened("abcdefghijk", 10), "abc\u2026fghijk");
  EXPECT_EQ(html::shortened("\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9", 4), "\xc3\xa9\u2026\xc3\xa9\xc3\xa9");
  EXPECT_EQ(html::dot_quoted("a\"b\\c&d"), "\"a\\\"b\\\\c&amp;d\"");
  EXPECT_EQ(html::dot_lines({"a", "b\""}), "\"a\\nb\\\"\"");
  EXPECT_EQ(html::dot_lines({"a", "b"}, true), "\"a\\lb\\l\"");
}

TEST(GraphDrawing, AGraphvizFailureIsAnErrorNamingTheDrawingAndNothingIsPrinted) {
  testing::internal::CaptureStderr();
  try {
    html::svg_from_dot({{"the part 'layer9'", "digraph { a -> ; }"}});
    ADD_FAILURE() << "no error";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("Graphviz could not read the DOT text of the part 'layer9': "),
              std::string::npos)
        << e.what();
    EXPECT_NE(std::string(e.what()).find("syntax error in line 1 near ';'"), std::string::npos) << e.what();
  }
  EXPECT_EQ(testing::internal::GetCapturedStderr(), "");
  // Graphviz reads the next graph as usual.
  const std::vector<std::string> svgs = html::svg_from_dot({{"a", "digraph { a -> b; }"}});
  EXPECT_EQ(count_of(svgs.at(0), "class=\"node\""), 2u);
}

TEST(GraphDrawing, OptionsAndPartNamesAreChecked) {
  const Graph g = build_model("resnet50");
  EXPECT_THROW(html::draw_graph(g, {.id_prefix = "a\" onload=\"x"}), InvalidArgument);
  EXPECT_THROW(html::graph_dot(g, {}, {.id_prefix = "1abc"}), InvalidArgument);
  try {
    html::graph_dot(g, "layer5");
    ADD_FAILURE() << "no error";
  } catch (const UnknownNameError& e) {
    EXPECT_STREQ(e.what(), "resnet50 has no drawing part 'layer5'; its parts: layer1, layer2, layer3, layer4");
  }
  EXPECT_NE(html::graph_dot(g, {}, {.id_prefix = "cmp-2_a"}).find("id=\"cmp-2_a_o_n0\""), std::string::npos);
}

TEST(GraphDrawing, ThreadsDrawAtOnceAndGetTheSameDrawings) {
  const Graph g = build_model("resnet18");
  const std::string expected = html::draw_graph(g).overview_svg;
  std::vector<std::string> svgs(4);
  std::vector<std::thread> threads;
  for (std::size_t t = 0; t < svgs.size(); ++t) {
    threads.emplace_back([&, t] { svgs[t] = html::draw_graph(g).overview_svg; });
  }
  for (std::thread& t : threads) t.join();
  for (const std::string& svg : svgs) EXPECT_EQ(svg, expected);
}

}  // namespace
}  // namespace cnnzoo
