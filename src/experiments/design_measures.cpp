// The measurements of `experiment design` (design_measures.h).
#include "experiments/design_measures.h"

#include <fmt/format.h>

#include "cnnzoo/builder.h"
#include "cnnzoo/error.h"
#include "cnnzoo/models.h"
#include "cnnzoo/report.h"

namespace cnnzoo::experiments {
namespace {

int64_t count_relus(const Graph& g) {
  int64_t n = 0;
  for (const Node& node : g.nodes()) n += node.op == OpKind::Relu ? 1 : 0;
  return n;
}

Cost cost_of(const std::string& label, const Graph& g, const Analysis& a) {
  return {.label = label,
          .activation_bytes = a.total.activation_bytes,
          .params = a.total.params,
          .macs = a.total.macs,
          .receptive_field = a.layers.back().receptive_field,
          .nonlinearities = count_relus(g)};
}

Cost cost_of(const std::string& label, const Graph& g) { return cost_of(label, g, analyze(g)); }

// `convs` 3x3 (or one 5x5 when `kernel` is 5) convolutions C -> C without bias, each followed by a ReLU.
Graph conv_stack(int64_t channels, int64_t size, int64_t kernel, int convs) {
  Builder b(fmt::format("{}x conv{}x{}", convs, kernel, kernel), {1, channels, size, size});
  ValueId x = b.input();
  for (int i = 1; i <= convs; ++i) {
    x = b.conv(x, fmt::format("conv{}", i), {.out = channels, .kernel = kernel, .pad = kernel / 2, .bias = false});
    x = b.relu(x, fmt::format("relu{}", i));
  }
  b.output(x);
  return b.finish();
}

// A residual block at 56x56 with identity shortcut: 1x1/3x3 convolutions of the given widths (convolutions
// only, so that the counts are the convolutions' own), ReLU after each and after the add.
Graph residual_block(const std::string& name, int64_t channels, const std::vector<std::pair<int64_t, int64_t>>& convs) {
  Builder b(name, {1, channels, 56, 56});
  ValueId x = b.input();
  for (std::size_t i = 0; i < convs.size(); ++i) {
    const auto [kernel, out] = convs[i];
    x = b.conv(x, fmt::format("conv{}", i + 1), {.out = out, .kernel = kernel, .pad = kernel / 2, .bias = false});
    if (i + 1 < convs.size()) x = b.relu(x, fmt::format("relu{}", i + 1));
  }
  b.output(b.relu(b.add({x, b.input()}, "add"), "relu"));
  return b.finish();
}

}  // namespace

bool is_conv_row(const LayerRow& row) { return row.op == "conv"; }
bool is_fc_row(const LayerRow& row) { return row.op == "linear"; }

ConvPair measure_conv_pair(int64_t channels, int64_t size) {
  return {.channels = channels,
          .size = size,
          .one_5x5 = cost_of("one 5x5", conv_stack(channels, size, 5, 1)),
          .two_3x3 = cost_of("two 3x3", conv_stack(channels, size, 3, 2))};
}

std::vector<VggConv> measure_vgg16_convs() {
  const Graph g = build_model("vgg16");
  const Analysis a = analyze(g);
  std::vector<VggConv> convs;
  int stage = 1;
  for (const LayerRow& row : a.layers) {
    if (row.op == "maxpool") ++stage;
    if (!is_conv_row(row)) continue;
    convs.push_back({.name = row.name,
                     .stage = stage,
                     .in_channels = row.input->at(1),
                     .out_channels = row.output.at(1),
                     .size = row.output.at(2),
                     .params = row.params,
                     .macs = row.macs});
  }
  return convs;
}

StemComparison measure_stems() {
  // Each network to its first row at 28x28, as the lecture compares them ("from 224 down to 28").
  const auto to_28 = [](const std::string& model) {
    const Graph g = build_model(model);
    const std::optional<std::string> row = first_row_at_resolution(analyze(g), 28, 28);
    if (!row) throw Error(model + " never reaches 28x28");
    return cost_of(fmt::format("{} to {}", model, *row), g, analyze(g, {.until = *row}));
  };
  StemComparison out{.googlenet_stem = to_28("googlenet"), .vgg_to_28 = to_28("vgg16")};
  // The lecture's VGG-16 figures (42.9 MB, 1.1 M, 7,485 MFLOP) are those of its first six convolution rows.
  const Analysis vgg = analyze(build_model("vgg16"));
  out.vgg_six_convs.label = "vgg16 conv1_1 .. conv3_2 (six convolution rows)";
  int taken = 0;
  for (const LayerRow& row : vgg.layers) {
    if (!is_conv_row(row) || taken == 6) continue;
    ++taken;
    out.vgg_six_convs.activation_bytes += row.activation_bytes;
    out.vgg_six_convs.params += row.params;
    out.vgg_six_convs.macs += row.macs;
    out.vgg_six_convs.receptive_field = row.receptive_field;
  }
  return out;
}

std::vector<Cost> measure_blocks() {
  return {cost_of("basic block, 64-d", residual_block("basic64", 64, {{3, 64}, {3, 64}})),
          cost_of("basic block, 256-d", residual_block("basic256", 256, {{3, 256}, {3, 256}})),
          cost_of("bottleneck, 256-d", residual_block("bottleneck256", 256, {{1, 64}, {3, 64}, {1, 256}}))};
}

std::vector<Head> measure_heads() {
  std::vector<Head> out;
  for (const auto& [model, head] : {std::pair{"googlenet", "fc"}, std::pair{"vgg16", "classifier"}}) {
    const Graph g = build_model(model);
    out.push_back({model, head, params_under(g, head), analyze(g).total.params});
  }
  return out;
}

Analysis measure_alexnet() { return analyze(build_model("alexnet", {.input = Dims{3, 227, 227}})); }

std::vector<SePair> measure_se() {
  // SE-ResNet keeps the v1 strides (stride 2 in the first 1x1 of a bottleneck): compared with the v1 ResNets.
  std::vector<SePair> out;
  for (const auto& [plain, se] : {std::pair{"resnet18", "se_resnet18"}, std::pair{"resnet34", "se_resnet34"},
                                  std::pair{"resnet50_v1", "se_resnet50"}, std::pair{"resnet101_v1", "se_resnet101"},
                                  std::pair{"resnet152_v1", "se_resnet152"}}) {
    const Analysis a = analyze(build_model(plain)), b = analyze(build_model(se));
    out.push_back({plain, se, a.total.params, b.total.params, a.total.macs, b.total.macs});
  }
  return out;
}

std::vector<DenseBlock> measure_densenet121() {
  const Graph g = build_model("densenet121");
  std::vector<DenseBlock> out;
  for (int block = 1;; ++block) {
    const std::string prefix = fmt::format("features.denseblock{}", block);
    const std::optional<NodeId> cat = g.find_node(prefix + ".cat");
    if (!cat) break;
    DenseBlock d{.name = fmt::format("denseblock{}", block)};
    for (int layer = 1;; ++layer) {
      const std::optional<NodeId> conv = g.find_node(fmt::format("{}.denselayer{}.conv1", prefix, layer));
      if (!conv) break;
      d.in_channels.push_back(g.shape(g.node(*conv).inputs.at(0)).at(1));
    }
    d.out_channels = g.shape(g.node(*cat).output).at(1);
    out.push_back(std::move(d));
  }
  return out;
}

}  // namespace cnnzoo::experiments
