// `cnnzoo summary` output: the lecture's table (layer, output, memory, params, MACs) with torchinfo's
// input and output shapes, in one of three views (layers, nodes, module tree), and the totals.
#include <fmt/format.h>

#include <cctype>

#include "analysis/text_table.h"
#include "analysis/units.h"
#include "cnnzoo/error.h"
#include "cnnzoo/report.h"

namespace cnnzoo {
namespace {

// A row's shape without its batch dimension; a scalar (an imported graph's constant exponent) has none to drop.
Dims per_sample(const Dims& shape) { return shape.empty() ? shape : Dims(shape.begin() + 1, shape.end()); }

const char* view_key(RowView view) {
  switch (view) {
    case RowView::Nodes:
      return "nodes";
    case RowView::Modules:
      return "modules";
    case RowView::Layers:
      break;
  }
  return "layers";
}

// A folded node's name without the module path it shares with the row: "bn1" in row "layer1.0.conv1";
// a numbered child keeps its parent: "downsample.1" in row "layer2.0.downsample.0", "features.1".
std::string relative_name(const std::string& name, const std::string& row_name) {
  std::size_t shared = 0;  // length of the common prefix that ends at a '.'
  for (std::size_t i = 0; i < name.size() && i < row_name.size() && name[i] == row_name[i]; ++i) {
    if (name[i] == '.') shared = i + 1;
  }
  const bool numbered = shared < name.size() && std::isdigit(static_cast<unsigned char>(name[shared]));
  if (numbered && shared >= 2) {
    const auto parent = name.rfind('.', shared - 2);
    shared = parent == std::string::npos ? 0 : parent + 1;
  }
  return name.substr(shared);
}

// "bn1 +128, relu": what a layer row counts besides its first node, and the parameters each adds.
std::string folded_text(const LayerRow& r) {
  std::vector<std::string> parts;
  for (const FoldedNode& f : r.folded) {
    const std::string name = relative_name(f.name, r.name);
    parts.push_back(f.params == 0 ? name : fmt::format("{} +{}", name, with_commas(f.params)));
  }
  return fmt::format("{}", fmt::join(parts, ", "));
}

// torchinfo's tree: "├─" at the top level, "│    └─" below it, one "│    " more per level.
std::string tree_name(const LayerRow& r) {
  if (r.level <= 0) return r.name;
  if (r.level == 1) return "├─" + r.name;
  std::string prefix;
  for (int i = 1; i < r.level; ++i) prefix += "│    ";
  return prefix + "└─" + r.name;
}

// Human units: memory in KiB (the lecture's "KB" of 1024 bytes), parameters exact, MACs and FLOPs in M
// of 10^6 with the precision a small figure needs.
TextTable scaled_table(const Analysis& a) {
  const bool layers = a.view == RowView::Layers;
  const char* first = a.view == RowView::Nodes ? "node" : a.view == RowView::Modules ? "module" : "layer";
  TextTable t{.header = {first, "kind", "input", "output", "memory (KiB)", "params", "MACs (M)", "FLOPs (M)", "RF"},
              .numeric = {false, false, false, false, true, true, true, true, true}};
  if (layers) {
    t.header.emplace_back("folded in");
    t.numeric.push_back(false);
  }
  for (const LayerRow& r : a.layers) {
    std::vector<std::string> row{tree_name(r),
                                 row_kind(r),
                                 r.input ? to_string(*r.input) : "-",
                                 to_string(r.output),
                                 scaled_text(r.activation_bytes, 1024),
                                 with_commas(r.params),
                                 scaled_text(r.macs, 1e6),
                                 scaled_text(r.flops, 1e6),
                                 to_string(r.receptive_field)};
    if (layers) row.push_back(folded_text(r));
    t.rows.push_back(std::move(row));
  }
  const Totals& s = a.total;
  t.footer.push_back({"total", "", "", "", scaled_text(s.activation_bytes, 1024), with_commas(s.params),
                      scaled_text(s.macs, 1e6), scaled_text(s.flops, 1e6), ""});
  return t;
}

// CSV keeps exact integers so that spreadsheets and scripts lose nothing; its columns are the JSON keys.
TextTable exact_table(const Analysis& a) {
  TextTable t{.header = {"name", "op", "kind", "output", "input_shape", "output_shape", "params", "buffers", "macs",
                         "flops", "activation_bytes", "receptive_field", "folded", "level"}};
  for (const LayerRow& r : a.layers) {
    std::vector<std::string> folded;
    for (const FoldedNode& f : r.folded) folded.push_back(f.name);
    t.rows.push_back({r.name, r.op, row_kind(r), to_string(per_sample(r.output)), r.input ? to_string(*r.input) : "",
                      to_string(r.output), std::to_string(r.params), std::to_string(r.buffers), std::to_string(r.macs),
                      std::to_string(r.flops), std::to_string(r.activation_bytes), to_string(r.receptive_field),
                      fmt::format("{}", fmt::join(folded, ";")), std::to_string(r.level)});
  }
  const Totals& s = a.total;
  t.footer.push_back({"total", "", "", "", "", "", std::to_string(s.params), std::to_string(s.buffers),
                      std::to_string(s.macs), std::to_string(s.flops), std::to_string(s.activation_bytes), "", "", ""});
  return t;
}

std::string header_line(const Analysis& a) {
  const std::string shape =
      fmt::format("{}: input {}, batch {}, {} rows", a.model, to_string(a.input), a.batch, a.layers.size());
  switch (a.view) {
    case RowView::Nodes:
      return shape + ", one per graph node";
    case RowView::Modules:
      return fmt::format("{}: the module tree to depth {} (1 = stages, 2 = blocks, 3 = layers)", shape, a.depth_view);
    case RowView::Layers:
      break;
  }
  return shape +
         ": the papers' layers, a convolution or linear layer with the batch norm, activation, LRN "
         "and dropout after it folded in (--all-nodes: one row per node; --depth-view N: modules)";
}

// What each column means, under the table.
std::string legend(const Analysis& a) {
  std::string memory = "memory: the row's output for the whole batch, fp32, in KiB of 1024 bytes (the lecture's KB)";
  if (a.view == RowView::Modules) {
    memory =
        "memory: the outputs of the layer rows that end inside the module (a convolution whose batch norm "
        "takes its row counts 0), fp32, KiB, so that the top level sums to the total";
  }
  std::string out = fmt::format(
      "input, output: shapes N x C x H x W, batch first\n"
      "{}\n"
      "params: trainable parameters (exact); MACs: multiply-adds, M = 10^6; FLOPs: 2 x MACs plus the other "
      "ops' work, M = 10^6\n"
      "RF: receptive field, the input pixels (H x W; one number when square) one output pixel sees\n",
      memory);
  if (a.view == RowView::Layers) {
    out +=
        "kind: the row's op and those folded into it; folded in: those nodes, with the parameters they add to "
        "the row's params\n";
  } else if (a.view == RowView::Modules) {
    out += "kind: the node's op, or module: a module's figures are the sums of its members'\n";
  }
  return out;
}

// "4.09 GMACs", "640 MACs".
std::string si_count(int64_t n, const char* unit) {
  const std::string text = count_text(n);
  return text.back() >= '0' && text.back() <= '9' ? fmt::format("{} {}", text, unit) : text + unit;
}

std::string totals_text(const Analysis& a) {
  const Totals& s = a.total;
  return fmt::format(
      "total params         {} ({} fp32)\n"
      "  trainable          {} (weights, biases, batch norm weight and bias)\n"
      "  non-trainable      0\n"
      "buffers              {} ({}): batch norm running_mean, running_var and num_batches_tracked, state "
      "that is not a parameter (torchinfo leaves them out)\n"
      "multiply-adds        {} MACs ({})\n"
      "FLOPs                {} ({}, 2 x MACs plus the other ops)\n"
      "activations          {}: the outputs of the layer rows, batch {}, fp32, the same in every view; at most {} "
      "alive at once\n"
      "training memory      {} (estimate: weights, momentum, what backward keeps; docs/counting.md)\n",
      with_commas(s.params), bytes_text(s.param_bytes), with_commas(s.params), with_commas(s.buffers),
      bytes_text(s.buffer_bytes), with_commas(s.macs), si_count(s.macs, "MACs"), with_commas(s.flops),
      si_count(s.flops, "FLOPs"), bytes_text(s.activation_bytes), a.batch, bytes_text(s.peak_live_bytes),
      bytes_text(s.training_bytes));
}

}  // namespace

ReportFormat parse_report_format(const std::string& text, const std::string& option) {
  if (text == "table" || text == "text") return ReportFormat::Table;
  if (text == "markdown" || text == "md") return ReportFormat::Markdown;
  if (text == "csv") return ReportFormat::Csv;
  if (text == "json") return ReportFormat::Json;
  throw OptionError({option}, fmt::format("{}: unknown format '{}'; known: table, markdown, csv, json", option, text));
}

nlohmann::json to_json(const Analysis& a) {
  nlohmann::json layers = nlohmann::json::array();
  for (const LayerRow& r : a.layers) {
    nlohmann::json folded = nlohmann::json::array();
    for (const FoldedNode& f : r.folded) folded.push_back({{"name", f.name}, {"op", f.op}, {"params", f.params}});
    layers.push_back({{"name", r.name},
                      {"op", r.op},
                      {"kind", row_kind(r)},
                      {"output", per_sample(r.output)},
                      {"input_shape", r.input ? nlohmann::json(*r.input) : nlohmann::json()},
                      {"output_shape", r.output},
                      {"params", r.params},
                      {"buffers", r.buffers},
                      {"macs", r.macs},
                      {"flops", r.flops},
                      {"activation_bytes", r.activation_bytes},
                      {"receptive_field", {r.receptive_field.h, r.receptive_field.w}},
                      {"folded", std::move(folded)},
                      {"level", r.level}});
  }
  const Totals& s = a.total;
  Dims input_shape{a.batch};
  input_shape.insert(input_shape.end(), a.input.begin(), a.input.end());
  return {{"model", a.model},
          {"input", a.input},
          {"input_shape", input_shape},
          {"batch", a.batch},
          {"view", view_key(a.view)},
          {"depth_view", a.depth_view},
          {"layers", std::move(layers)},
          {"total",
           {{"params", s.params},
            {"trainable_params", s.params},
            {"non_trainable_params", 0},
            {"buffers", s.buffers},
            {"macs", s.macs},
            {"flops", s.flops},
            {"activation_bytes", s.activation_bytes},
            {"param_bytes", s.param_bytes},
            {"buffer_bytes", s.buffer_bytes},
            {"training_bytes", s.training_bytes},
            {"peak_live_bytes", s.peak_live_bytes}}}};
}

std::string render_summary(const Analysis& a, ReportFormat format) {
  switch (format) {
    case ReportFormat::Json:
      return to_json(a).dump(2) + "\n";
    case ReportFormat::Csv:
      return exact_table(a).csv();
    case ReportFormat::Markdown:
      return fmt::format("**{}**\n\n{}\n```\n{}\n{}```\n", header_line(a), scaled_table(a).markdown(), legend(a),
                         totals_text(a));
    case ReportFormat::Table:
      break;
  }
  return fmt::format("{}\n\n{}{}\n{}", header_line(a), scaled_table(a).text(), legend(a), totals_text(a));
}

std::optional<std::string> first_row_at_resolution(const Analysis& a, int64_t h, int64_t w) {
  for (const LayerRow& r : a.layers) {
    if (r.output.size() == 4 && r.output[2] <= h && r.output[3] <= w) return r.name;
  }
  return std::nullopt;
}

}  // namespace cnnzoo
