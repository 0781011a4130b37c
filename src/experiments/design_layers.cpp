// `experiment design`, the layer- and block-level arguments: 5x5 vs two 3x3, VGG-16's stage rule, GoogLeNet's
// stem against VGG-16's first layers, the basic block against the bottleneck.
#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <set>

#include "analysis/units.h"
#include "experiments/design_items.h"
#include "experiments/design_measures.h"
#include "html/page.h"
#include "html/svg_chart.h"

namespace cnnzoo::experiments {
namespace {

constexpr double kMiB = 1024.0 * 1024.0;

std::string mib(int64_t bytes) { return fmt::format("{:.1f} MiB", static_cast<double>(bytes) / kMiB); }

nlohmann::json cost_json(const Cost& c) {
  return {{"label", c.label},
          {"activation_bytes", c.activation_bytes},
          {"params", c.params},
          {"macs", c.macs},
          {"receptive_field", {c.receptive_field.h, c.receptive_field.w}},
          {"relus", c.nonlinearities}};
}

std::vector<std::string> row(const std::string& what, const std::string& a, const std::string& b, double r) {
  return {what, a, b, ratio(r)};
}

}  // namespace

DesignItem design_conv_pair() {
  const ConvPair p = measure_conv_pair(64, 56);
  const Cost &a = p.one_5x5, &b = p.two_3x3;
  DesignItem item{.key = "conv_5x5_vs_two_3x3"};
  item.reproduced = a.receptive_field == b.receptive_field && b.params < a.params && b.macs < a.macs &&
                    b.nonlinearities == a.nonlinearities + 1;
  const std::string rf = fmt::format("{}x{}", b.receptive_field.h, b.receptive_field.w);
  item.section.title =
      fmt::format("Two 3x3 convolutions instead of one 5x5 (C = {}, {}x{})", p.channels, p.size, p.size);
  item.section.finding =
      item.reproduced
          ? fmt::format(
                "Two 3x3 convolutions see the same {} field as one 5x5 with {} instead of {} parameters and {} "
                "instead of {} MACs ({} of the cost, 18/25), and add one more ReLU ({} vs {}).",
                rf, with_commas(b.params), with_commas(a.params), millions(b.macs), millions(a.macs),
                percent(over(b.macs, a.macs)), b.nonlinearities, a.nonlinearities)
          : fmt::format(
                "Not reproduced: two 3x3 convolutions have {} parameters, {} MACs, a {}x{} field and {} ReLUs "
                "against one 5x5's {}, {}, {}x{} and {}.",
                with_commas(b.params), millions(b.macs), b.receptive_field.h, b.receptive_field.w, b.nonlinearities,
                with_commas(a.params), millions(a.macs), a.receptive_field.h, a.receptive_field.w, a.nonlinearities);
  const auto rel = [&](const Cost& c) {
    return std::vector<double>{
        100 * over(c.params, a.params), 100 * over(c.macs, a.macs),
        100.0 * static_cast<double>(c.receptive_field.h) / static_cast<double>(a.receptive_field.h),
        100.0 * static_cast<double>(c.nonlinearities) / static_cast<double>(a.nonlinearities)};
  };
  item.section.figures.push_back(
      {"conv_5x5_vs_3x3.svg",
       html::svg_bar_chart(
           {.title = fmt::format("One 5x5 vs two 3x3 convolutions ({} channels, {}x{})", p.channels, p.size, p.size),
            .x_label = "figure",
            .y_label = "% of one 5x5 convolution",
            .categories = {"parameters", "MACs", "receptive field (side)", "ReLUs"},
            .series = {{"one 5x5", rel(a)}, {"two 3x3", rel(b)}},
            .width = 640,
            .height = 400}),
       "Two stacked 3x3 convolutions against one 5x5, relative to the 5x5 (100%)"});
  item.section.table_html =
      html::table({"", "parameters", "MACs", "receptive field", "ReLUs"},
                  {{"one 5x5", with_commas(a.params), with_commas(a.macs), fmt::format("{}", a.receptive_field.h),
                    fmt::format("{}", a.nonlinearities)},
                   {"two 3x3", with_commas(b.params), with_commas(b.macs), fmt::format("{}", b.receptive_field.h),
                    fmt::format("{}", b.nonlinearities)}});
  item.results = {{"channels", p.channels}, {"size", p.size}, {"one_5x5", cost_json(a)}, {"two_3x3", cost_json(b)}};
  item.table_rows = {
      row("params: one 5x5 -> two 3x3", with_commas(a.params), with_commas(b.params), over(b.params, a.params)),
      row("MACs: one 5x5 -> two 3x3", millions(a.macs), millions(b.macs), over(b.macs, a.macs))};
  return item;
}

DesignItem design_vgg_stages() {
  const std::vector<VggConv> convs = measure_vgg16_convs();
  DesignItem item{.key = "vgg16_stages"};
  // The rule: after each pool the channels double while the map's side halves, so C_in x C_out x H x W, the
  // cost of a convolution, stays. It holds for the convolutions that take their stage's own width; a stage's
  // first convolution takes the previous (half) width, and stage 5 keeps 512 channels at 14x14.
  std::set<int64_t> rule_macs;
  std::vector<std::string> names;
  std::vector<double> macs;
  std::vector<int64_t> stage_macs(6, 0);
  int index_in_stage = 0, last_stage = 0;
  nlohmann::json j = nlohmann::json::array();
  int64_t first_of_stage2 = 0, first_conv = 0, stage5 = 0;
  for (const VggConv& c : convs) {
    index_in_stage = c.stage == last_stage ? index_in_stage + 1 : 1;
    last_stage = c.stage;
    const std::string name = fmt::format("conv{}_{}", c.stage, index_in_stage);
    names.push_back(name);
    macs.push_back(static_cast<double>(c.macs) / 1e6);
    stage_macs[static_cast<std::size_t>(c.stage)] += c.macs;
    if (index_in_stage > 1 && c.stage <= 4) rule_macs.insert(c.macs);
    if (index_in_stage == 1 && c.stage == 2) first_of_stage2 = c.macs;
    if (c.stage == 1 && index_in_stage == 1) first_conv = c.macs;
    if (c.stage == 5) stage5 = c.macs;
    j.push_back({{"name", name},
                 {"node", c.name},
                 {"stage", c.stage},
                 {"in_channels", c.in_channels},
                 {"out_channels", c.out_channels},
                 {"size", c.size},
                 {"params", c.params},
                 {"macs", c.macs}});
  }
  item.reproduced = rule_macs.size() == 1;
  item.section.title = "VGG-16's stage rule: channels double as the map halves, so a convolution's cost stays";
  const int64_t rule = rule_macs.empty() ? 0 : *rule_macs.begin();
  item.section.finding =
      item.reproduced
          ? fmt::format(
                "In stages 1-4 of VGG-16 every convolution after the stage's first costs the same {} MACs "
                "(the channels double as the map's side halves); the first of stages 2-4 costs {} (its input "
                "has half the channels), conv1_1 {} (3 input channels), and stage 5, which keeps 512 channels "
                "at 14x14, {} per convolution.",
                millions(rule), millions(first_of_stage2), millions(first_conv), millions(stage5))
          : fmt::format(
                "Not reproduced: the convolutions of stages 1-4 after each stage's first cost {} different "
                "amounts of MACs.",
                rule_macs.size());
  item.section.figures.push_back(
      {"vgg16_stage_macs.svg",
       html::svg_bar_chart({.title = "VGG-16: multiply-adds of each convolution (224x224 input)",
                            .x_label = "convolution (stage_index)",
                            .y_label = "MACs (millions)",
                            .categories = names,
                            .series = {{"MACs", macs}}}),
       "MACs per convolution of VGG-16; stages end at the max pools"});
  std::vector<std::vector<std::string>> rows;
  nlohmann::json stages = nlohmann::json::array();
  for (int s = 1; s <= 5; ++s) {
    const auto n = std::count_if(convs.begin(), convs.end(), [&](const VggConv& c) { return c.stage == s; });
    rows.push_back(
        {fmt::format("stage {}", s), fmt::format("{}", n), millions(stage_macs[static_cast<std::size_t>(s)])});
    stages.push_back({{"stage", s}, {"convolutions", n}, {"macs", stage_macs[static_cast<std::size_t>(s)]}});
  }
  item.section.table_html = html::table({"stage", "convolutions", "MACs"}, rows);
  item.section.notes.push_back(
      "The rule keeps each convolution's cost, not each stage's: stages 1-2 have two convolutions and stages 3-5 "
      "three, so the stage totals above differ.");
  item.results = {{"convolutions", j}, {"stages", stages}, {"rule_macs", rule}};
  return item;
}

DesignItem design_stems() {
  const StemComparison s = measure_stems();
  const Cost &g = s.googlenet_stem, &v = s.vgg_to_28, &six = s.vgg_six_convs;
  DesignItem item{.key = "googlenet_stem_vs_vgg16"};
  item.reproduced = v.activation_bytes > g.activation_bytes && v.params > g.params && v.macs > g.macs;
  // The lecture (shared/seed, after Johnson's EECS 498 slides): GoogLeNet's stem 7.5 MB, 124 K, 418 MFLOP;
  // VGG-16 to the same size 42.9 MB (5.7x), 1.1 M (8.9x), 7,485 MFLOP (17.8x).
  const bool six_match = std::round(static_cast<double>(six.activation_bytes) / kMiB * 10) == 429 &&
                         std::round(static_cast<double>(six.params) / 1e5) == 11 && std::round(six.macs / 1e6) == 7485;
  item.section.title = "GoogLeNet's stem against VGG-16, from 224x224 down to 28x28";
  item.section.finding =
      item.reproduced
          ? fmt::format(
                "GoogLeNet's stem ({}) reaches 28x28 with {} of activations, {} parameters and {} MACs; "
                "VGG-16 ({}) needs {} ({}), {} ({}) and {} ({}).",
                g.label, mib(g.activation_bytes), with_commas(g.params), millions(g.macs), v.label,
                mib(v.activation_bytes), ratio(over(v.activation_bytes, g.activation_bytes)), with_commas(v.params),
                ratio(over(v.params, g.params)), millions(v.macs), ratio(over(v.macs, g.macs)))
          : fmt::format(
                "Not reproduced: VGG-16 to 28x28 takes {}, {} parameters and {} MACs against GoogLeNet's "
                "stem's {}, {} and {}.",
                mib(v.activation_bytes), with_commas(v.params), millions(v.macs), mib(g.activation_bytes),
                with_commas(g.params), millions(g.macs));
  const std::vector<std::string> figures = {"memory", "parameters", "MACs"};
  const auto ratios = [&](const Cost& c) {
    return std::vector<double>{over(c.activation_bytes, g.activation_bytes), over(c.params, g.params),
                               over(c.macs, g.macs)};
  };
  item.section.figures.push_back(
      {"stem_vs_vgg16.svg",
       html::svg_bar_chart({.title = "VGG-16 against GoogLeNet's stem, both from 224x224 to 28x28",
                            .x_label = "figure",
                            .y_label = "VGG-16 / GoogLeNet stem (times)",
                            .categories = figures,
                            .series = {{"VGG-16 to its first 28x28 row", ratios(v)},
                                       {"VGG-16 conv1_1..conv3_2 (the lecture's rows)", ratios(six)},
                                       {"the lecture's ratios", {5.7, 8.9, 17.8}}},
                            .width = 700}),
       "How many times VGG-16's memory, parameters and MACs GoogLeNet's stem's are"});
  const auto cells = [&](const std::string& label, const Cost& c) {
    return std::vector<std::string>{label, mib(c.activation_bytes), with_commas(c.params), millions(c.macs)};
  };
  item.section.table_html = html::table({"", "activation memory", "parameters", "MACs"},
                                        {cells("GoogLeNet, " + g.label, g),
                                         {"GoogLeNet stem, the lecture", "7.5 MB", "124 K", "418 MFLOP"},
                                         cells("VGG-16, " + v.label, v),
                                         cells(six.label, six),
                                         {"VGG-16 to 28x28, the lecture", "42.9 MB", "1.1 M", "7,485 MFLOP"}});
  item.section.notes.push_back(fmt::format(
      "On the lecture's 418 MFLOP (the lecturer writes that he could not see how it was computed): the stem's "
      "convolutions do {} multiply-adds here ({}), the figure the lecture calls FLOP elsewhere; no sum of the stem's "
      "rows gives 418 M.",
      with_commas(g.macs), millions(g.macs)));
  item.section.notes.push_back(
      six_match ? fmt::format("The lecture's VGG-16 figures are those of its first six convolutions, conv1_1 to "
                              "conv3_2, without the pools' outputs: {}, {} parameters, {} MACs. They stop one "
                              "convolution and one pool before 28x28.",
                              mib(six.activation_bytes), with_commas(six.params), millions(six.macs))
                : fmt::format("VGG-16's first six convolutions (conv1_1 to conv3_2) sum to {}, {} parameters and {} "
                              "MACs, which do not round to the lecture's 42.9 MB / 1.1 M / 7,485.",
                              mib(six.activation_bytes), with_commas(six.params), millions(six.macs)));
  item.results = {{"googlenet_stem", cost_json(g)},
                  {"vgg16_to_28", cost_json(v)},
                  {"vgg16_six_convs", cost_json(six)},
                  {"lecture_rows_match_six_convs", six_match}};
  item.table_rows = {
      row("memory: GoogLeNet stem -> VGG-16", mib(g.activation_bytes), mib(v.activation_bytes),
          over(v.activation_bytes, g.activation_bytes)),
      row("params: GoogLeNet stem -> VGG-16", with_commas(g.params), with_commas(v.params), over(v.params, g.params)),
      row("MACs: GoogLeNet stem -> VGG-16", millions(g.macs), millions(v.macs), over(v.macs, g.macs))};
  return item;
}

DesignItem design_blocks() {
  const std::vector<Cost> blocks = measure_blocks();
  const Cost &basic64 = blocks[0], &basic256 = blocks[1], &bottleneck = blocks[2];
  DesignItem item{.key = "basic_vs_bottleneck"};
  item.reproduced = bottleneck.params < basic256.params && bottleneck.macs < basic256.macs;
  item.section.title = "A basic block against a bottleneck at the same output width";
  item.section.finding = fmt::format(
      "{}At 256 output channels on 56x56 the bottleneck (1x1 256->64, 3x3, 1x1 64->256) has {} parameters "
      "and {} MACs against the basic block's {} and {} ({} fewer); it costs about what a basic block of 64 "
      "channels does ({}, {}), as He et al. 2015 (Figure 5) designed it.",
      item.reproduced ? "" : "Not reproduced: ", with_commas(bottleneck.params), millions(bottleneck.macs),
      with_commas(basic256.params), millions(basic256.macs), ratio(over(basic256.params, bottleneck.params)),
      with_commas(basic64.params), millions(basic64.macs));
  std::vector<std::string> names;
  std::vector<double> params, macs;
  std::vector<std::vector<std::string>> rows;
  nlohmann::json j = nlohmann::json::array();
  for (const Cost& c : blocks) {
    names.push_back(c.label);
    params.push_back(static_cast<double>(c.params) / 1e3);
    macs.push_back(static_cast<double>(c.macs) / 1e6);
    rows.push_back({c.label, with_commas(c.params), millions(c.macs)});
    j.push_back(cost_json(c));
  }
  item.section.figures.push_back({"basic_vs_bottleneck.svg",
                                  html::svg_bar_chart({.title = "Residual blocks at 56x56: parameters",
                                                       .x_label = "block (convolutions only, no batch norm)",
                                                       .y_label = "parameters (thousands)",
                                                       .categories = names,
                                                       .series = {{"parameters", params}},
                                                       .width = 640}),
                                  "Parameters of the convolutions of each block"});
  item.section.table_html = html::table({"block", "parameters", "MACs"}, rows);
  item.results = {{"blocks", j}};
  item.table_rows = {row("params: basic 256-d -> bottleneck", with_commas(basic256.params),
                         with_commas(bottleneck.params), over(bottleneck.params, basic256.params))};
  return item;
}

}  // namespace cnnzoo::experiments
