// `experiment design`, where a whole network's figures sit: the classifier heads (GAP against fully connected),
// AlexNet's layers, the SE blocks' overhead and DenseNet's growth.
#include <fmt/format.h>

#include <algorithm>
#include <numeric>
#include <set>

#include "analysis/units.h"
#include "experiments/design_items.h"
#include "experiments/design_measures.h"
#include "html/page.h"
#include "html/svg_chart.h"

namespace cnnzoo::experiments {

DesignItem design_heads() {
  const std::vector<Head> heads = measure_heads();
  const Head &gap = heads[0], &fc = heads[1];
  DesignItem item{.key = "gap_vs_fc_head"};
  const double gap_share = over(gap.head_params, gap.total_params), fc_share = over(fc.head_params, fc.total_params);
  item.reproduced = gap.head_params < fc.head_params && gap_share < fc_share;
  item.section.title = "Global average pooling against large fully connected layers";
  item.section.finding = fmt::format(
      "{}After global average pooling GoogLeNet keeps one fully connected layer of {} parameters ({} of its {}); "
      "VGG-16's three fully connected layers hold {} ({} of its {}), {} as many.",
      item.reproduced ? "" : "Not reproduced: ", with_commas(gap.head_params), percent(gap_share),
      with_commas(gap.total_params), with_commas(fc.head_params), percent(fc_share), with_commas(fc.total_params),
      ratio(over(fc.head_params, gap.head_params)));
  std::vector<std::string> names;
  std::vector<double> head, rest;
  nlohmann::json j = nlohmann::json::array();
  std::vector<std::vector<std::string>> rows;
  for (const Head& h : heads) {
    names.push_back(h.model);
    head.push_back(static_cast<double>(h.head_params) / 1e6);
    rest.push_back(static_cast<double>(h.total_params - h.head_params) / 1e6);
    j.push_back({{"model", h.model}, {"head", h.head}, {"head_params", h.head_params}, {"params", h.total_params}});
    rows.push_back({h.model, h.head, with_commas(h.head_params), with_commas(h.total_params),
                    percent(over(h.head_params, h.total_params))});
  }
  item.section.figures.push_back(
      {"gap_vs_fc_head.svg",
       html::svg_bar_chart({.title = "Classifier head against the rest of the network",
                            .x_label = "model",
                            .y_label = "parameters (millions)",
                            .categories = names,
                            .series = {{"classifier head", head}, {"the rest", rest}},
                            .width = 560}),
       "Parameters of the classifier head (GoogLeNet: fc; VGG-16: classifier) and the rest"});
  item.section.table_html = html::table({"model", "head", "head parameters", "all parameters", "share"}, rows);
  item.results = {{"heads", j}};
  item.table_rows = {{"head params: VGG-16 fc -> GoogLeNet GAP+fc", with_commas(fc.head_params),
                      with_commas(gap.head_params), ratio(over(gap.head_params, fc.head_params))}};
  return item;
}

DesignItem design_alexnet() {
  const Analysis a = measure_alexnet();
  DesignItem item{.key = "alexnet_layers"};
  // The lecture's three trends: memory in the first convolutions, parameters in the fully connected layers,
  // multiply-adds in the convolutions.
  int64_t first_two_memory = 0, fc_params = 0, conv_macs = 0;
  int convs_seen = 0;
  std::vector<std::string> names;
  std::vector<double> memory, params, macs;
  nlohmann::json j = nlohmann::json::array();
  for (const LayerRow& row : a.layers) {
    if (is_conv_row(row) && ++convs_seen <= 2) first_two_memory += row.activation_bytes;
    if (is_fc_row(row)) fc_params += row.params;
    if (is_conv_row(row)) conv_macs += row.macs;
    names.push_back(row.name);
    memory.push_back(static_cast<double>(row.activation_bytes) / 1024.0);
    params.push_back(static_cast<double>(row.params));
    macs.push_back(static_cast<double>(row.macs) / 1e6);
    j.push_back({{"name", row.name},
                 {"kind", row_kind(row)},
                 {"activation_bytes", row.activation_bytes},
                 {"params", row.params},
                 {"macs", row.macs}});
  }
  const double memory_share = over(first_two_memory, a.total.activation_bytes);
  const double params_share = over(fc_params, a.total.params), macs_share = over(conv_macs, a.total.macs);
  item.reproduced = memory_share > 0.5 && params_share > 0.5 && macs_share > 0.5;
  item.section.title = "AlexNet: where memory, parameters and multiply-adds sit (3x227x227, as the lecture)";
  item.section.finding = fmt::format(
      "{}In AlexNet the first two convolutions hold {} of the activation memory, the fully connected layers {} of "
      "the parameters ({} of {}), and the convolutions {} of the MACs.",
      item.reproduced ? "" : "Not reproduced: ", percent(memory_share), percent(params_share), with_commas(fc_params),
      with_commas(a.total.params), percent(macs_share));
  const auto chart = [&](std::string file, std::string title, std::string y_label, std::vector<double> values,
                         bool log) {
    return Figure{std::move(file),
                  html::svg_bar_chart({.title = std::move(title),
                                       .x_label = "layer row (torchvision's module names)",
                                       .y_label = std::move(y_label),
                                       .categories = names,
                                       .series = {{"AlexNet", std::move(values)}},
                                       .log_scale = log}),
                  "AlexNet per layer row"};
  };
  item.section.figures = {
      chart("alexnet_memory.svg", "AlexNet: activation memory per layer", "output memory (KiB, fp32)", memory, false),
      chart("alexnet_params.svg", "AlexNet: parameters per layer (log scale)", "parameters (log scale)", params, true),
      chart("alexnet_macs.svg", "AlexNet: multiply-adds per layer", "MACs (millions)", macs, false)};
  item.section.notes.push_back("Pools and flatten have no parameters: no bar on the log scale.");
  item.results = {{"input", {3, 227, 227}},
                  {"layers", j},
                  {"first_two_convs_memory_share", memory_share},
                  {"fc_params_share", params_share},
                  {"conv_macs_share", macs_share}};
  item.table_rows = {
      {"AlexNet params in FC layers", with_commas(a.total.params), with_commas(fc_params), ratio(params_share)}};
  return item;
}

DesignItem design_se() {
  const std::vector<SePair> pairs = measure_se();
  DesignItem item{.key = "se_overhead"};
  std::vector<std::string> names;
  std::vector<double> params, macs;
  nlohmann::json j = nlohmann::json::array();
  std::vector<std::vector<std::string>> rows;
  bool cheap = true;
  for (const SePair& p : pairs) {
    const double dp = over(p.se_params, p.plain_params) - 1, dm = over(p.se_macs, p.plain_macs) - 1;
    cheap = cheap && dm < 0.01 && dm < dp;
    names.push_back(p.se);
    params.push_back(100 * dp);
    macs.push_back(100 * dm);
    j.push_back({{"model", p.plain},
                 {"se_model", p.se},
                 {"params", p.plain_params},
                 {"se_params", p.se_params},
                 {"macs", p.plain_macs},
                 {"se_macs", p.se_macs}});
    rows.push_back({p.se, with_commas(p.plain_params), with_commas(p.se_params), percent(dp), with_commas(p.plain_macs),
                    with_commas(p.se_macs), fmt::format("{:.2f}%", 100 * dm)});
  }
  const SePair& r50 = pairs[2];
  item.reproduced = cheap;
  item.section.title = "The squeeze-and-excitation block's overhead";
  item.section.finding = fmt::format(
      "{}SE blocks add {} parameters to ResNet-50 ({} -> {}) but only {:.2f}% MACs ({} -> {}); Hu et al. 2018 "
      "(Table 2) report 25.6 M -> 28.1 M and 3.86 -> 3.87 GFLOPs.",
      cheap ? "" : "Not reproduced: ", percent(over(r50.se_params, r50.plain_params) - 1),
      with_commas(r50.plain_params), with_commas(r50.se_params), 100 * (over(r50.se_macs, r50.plain_macs) - 1),
      millions(r50.plain_macs), millions(r50.se_macs));
  item.section.figures.push_back({"se_overhead.svg",
                                  html::svg_bar_chart({.title = "What squeeze-and-excitation adds to a ResNet (r = 16)",
                                                       .x_label = "model (against the ResNet with the same strides)",
                                                       .y_label = "increase (%)",
                                                       .categories = names,
                                                       .series = {{"parameters", params}, {"MACs", macs}}}),
                                  "Increase of parameters and MACs of each SE-ResNet over its ResNet"});
  item.section.table_html =
      html::table({"model", "ResNet params", "SE params", "+params", "ResNet MACs", "SE MACs", "+MACs"}, rows);
  item.results = {{"pairs", j}};
  item.table_rows = {{"params: ResNet-50 -> SE-ResNet-50", with_commas(r50.plain_params), with_commas(r50.se_params),
                      ratio(over(r50.se_params, r50.plain_params))},
                     {"MACs: ResNet-50 -> SE-ResNet-50", millions(r50.plain_macs), millions(r50.se_macs),
                      ratio(over(r50.se_macs, r50.plain_macs))}};
  return item;
}

DesignItem design_densenet() {
  const std::vector<DenseBlock> blocks = measure_densenet121();
  DesignItem item{.key = "densenet_growth"};
  // Growth: every layer adds the same k channels; each transition halves the block's output.
  std::set<int64_t> steps;
  bool halved = true;
  nlohmann::json j = nlohmann::json::array();
  std::vector<html::LineSeries> series;
  for (std::size_t b = 0; b < blocks.size(); ++b) {
    const DenseBlock& block = blocks[b];
    for (std::size_t i = 1; i < block.in_channels.size(); ++i)
      steps.insert(block.in_channels[i] - block.in_channels[i - 1]);
    steps.insert(block.out_channels - block.in_channels.back());
    if (b + 1 < blocks.size()) halved = halved && blocks[b + 1].in_channels.front() * 2 == block.out_channels;
    html::LineSeries s{.label = block.name, .color = static_cast<int>(b)};
    for (std::size_t i = 0; i < block.in_channels.size(); ++i) {
      s.x.push_back(static_cast<double>(i + 1));
      s.y.push_back(static_cast<double>(block.in_channels[i]));
    }
    series.push_back(std::move(s));
    j.push_back({{"block", block.name}, {"in_channels", block.in_channels}, {"out_channels", block.out_channels}});
  }
  const int64_t k = steps.size() == 1 ? *steps.begin() : 0;
  item.reproduced = steps.size() == 1 && halved;
  const DenseBlock &first = blocks.front(), &last = blocks.back();
  item.section.title = "DenseNet-121: channels grow by k per layer within a dense block";
  item.section.finding =
      item.reproduced
          ? fmt::format(
                "Every DenseNet-121 layer adds k = {} channels to its block's concatenation ({}: {} -> {} in "
                "{} layers; {}: {} -> {} in {}), and each transition halves them.",
                k, first.name, first.in_channels.front(), first.out_channels, first.in_channels.size(), last.name,
                last.in_channels.front(), last.out_channels, last.in_channels.size())
          : fmt::format("Not reproduced: DenseNet-121's layers add {} different numbers of channels.", steps.size());
  item.section.figures.push_back(
      {"densenet_growth.svg",
       html::svg_line_chart({.title = "DenseNet-121: channels entering each dense layer",
                             .x_label = "layer within the block",
                             .y_label = "input channels",
                             .panels = {{fmt::format("dense blocks 1-{} (k = {})", blocks.size(), k), series}},
                             .y_min = 0.0,
                             .panel_width = 560}),
       "Channels entering each layer of DenseNet-121's four dense blocks"});
  item.results = {{"growth_rate", k}, {"blocks", j}};
  return item;
}

}  // namespace cnnzoo::experiments
