// `cnnzoo report MODEL...`: one model's figures and drawing, or several side by side (html_report.h).
#include <fmt/format.h>

#include <algorithm>
#include <cmath>

#include "analysis/units.h"
#include "cnnzoo/analysis.h"
#include "cnnzoo/error.h"
#include "cnnzoo/html_report.h"
#include "cnnzoo/models.h"
#include "cnnzoo/report.h"
#include "html/charts.h"
#include "html/graph_drawing.h"
#include "html/page.h"

namespace cnnzoo {
namespace {

constexpr double kKiB = 1024.0, kMiB = 1024.0 * 1024.0;

double share(int64_t part, int64_t whole) {
  return whole == 0 ? 0.0 : 100.0 * static_cast<double>(part) / static_cast<double>(whole);
}

std::string sample_shape(const Dims& with_batch) {
  return with_batch.size() > 1 ? to_string(Dims(with_batch.begin() + 1, with_batch.end())) : to_string(with_batch);
}

std::string published_top1_text(const ReportedModel& model) {
  const auto accuracy = published_accuracy(model.zoo_name);
  return accuracy ? fmt::format("{:.2f}%", accuracy->top1) : "";
}

// The three bar charts of the lecture's AlexNet slide: what each layer keeps, learns and computes.
std::string per_layer_charts(const Analysis& a) {
  std::vector<std::string> labels;
  html::Series memory{"activation memory (KiB)", {}}, params{"parameters (thousands)", {}}, macs{"MACs (millions)", {}};
  for (const LayerRow& row : a.layers) {
    labels.push_back(row.name);
    memory.values.push_back(static_cast<double>(row.activation_bytes) / kKiB);
    params.values.push_back(static_cast<double>(row.params) / 1e3);
    macs.values.push_back(static_cast<double>(row.macs) / 1e6);
  }
  // The lecture's units: memory in KB (here KiB), parameters in thousands, multiply-adds in millions.
  return "<h3>Activation memory per layer (fp32, batch " + std::to_string(a.batch) + ")</h3>\n" +
         html::chart(html::bar_chart(labels, {memory}, "layer", "KiB")) + "<h3>Parameters per layer</h3>\n" +
         html::chart(html::bar_chart(labels, {params}, "layer", "parameters (thousands)")) +
         "<h3>Multiply-adds per layer</h3>\n" +
         html::chart(html::bar_chart(labels, {macs}, "layer", "MACs (millions)"));
}

// The lecture's reading of those charts, measured: memory sits early, parameters in the fully connected
// layers, compute in the convolutions.
std::string where_it_sits(const Analysis& a) {
  int64_t conv_macs = 0, linear_params = 0, early_memory = 0;
  const std::size_t early_rows = std::max<std::size_t>(1, a.layers.size() / 4);
  for (std::size_t i = 0; i < a.layers.size(); ++i) {
    const LayerRow& row = a.layers[i];
    if (row.op == "conv") conv_macs += row.macs;
    if (row.op == "linear") linear_params += row.params;
    if (i < early_rows) early_memory += row.activation_bytes;
  }
  return fmt::format(
      "<p class=\"finding\">The first quarter of the layers ({} of {}) holds {:.1f}% of the activation memory; "
      "fully connected layers hold {:.1f}% of the parameters; convolutions do {:.1f}% of the multiply-adds.</p>\n",
      early_rows, a.layers.size(), share(early_memory, a.total.activation_bytes), share(linear_params, a.total.params),
      share(conv_macs, a.total.macs));
}

std::string totals_table(const Analysis& a, const ReportedModel& model) {
  const Totals& t = a.total;
  std::vector<std::vector<std::string>> rows = {
      {"input (C x H x W), batch", fmt::format("{}, batch {}", to_string(a.input), a.batch)},
      {"trainable parameters", with_commas(t.params)},
      {"non-trainable buffers (batch-norm statistics)", with_commas(t.buffers)},
      {"multiply-adds (MACs)", fmt::format("{} ({})", with_commas(t.macs), count_text(t.macs))},
      {"FLOPs (2 x MACs and the other ops' work)", fmt::format("{} ({})", with_commas(t.flops), count_text(t.flops))},
      {"activation memory (the layers' outputs, fp32)", bytes_text(t.activation_bytes)},
      {"peak live activations (inference, buffers reused)", bytes_text(t.peak_live_bytes)},
      {"training memory, estimated", bytes_text(t.training_bytes)}};
  if (const std::string top1 = published_top1_text(model); !top1.empty()) {
    rows.push_back({"ImageNet-1K top-1 of torchvision's weights", top1});
  }
  return html::table({"figure", "value"}, rows);
}

std::string training_memory(const Analysis& a) {
  const Totals& t = a.total;
  const std::vector<std::string> labels = {"weights", "SGD momentum", "batch-norm buffers",
                                           "activations kept for backward"};
  const std::vector<int64_t> parts = {t.param_bytes, t.param_bytes, t.buffer_bytes, t.saved_bytes};
  std::vector<double> mib;
  std::vector<std::vector<std::string>> rows;
  for (std::size_t i = 0; i < parts.size(); ++i) {
    mib.push_back(static_cast<double>(parts[i]) / kMiB);
    rows.push_back({labels[i], bytes_text(parts[i]), fmt::format("{:.1f}%", share(parts[i], t.training_bytes))});
  }
  rows.push_back({"in all", bytes_text(t.training_bytes), "100%"});
  return "<h2>Training memory, estimated</h2>\n<p class=\"note\">One step of SGD with momentum at batch " +
         std::to_string(a.batch) + ", fp32; the fused update keeps no gradient tensors (docs/counting.md).</p>\n" +
         html::chart(html::doughnut_chart(labels, mib), 260) + html::table({"part", "bytes", "share"}, rows);
}

std::string drawing(const Graph& graph) {
  const html::GraphDrawing drawn = html::draw_graph(graph);
  std::string out = "<h2>The network</h2>\n";
  if (drawn.parts.empty())
    return out + html::figure(drawn.overview_svg, "every node: op, output shape, parameters, MACs");
  out += html::figure(drawn.overview_svg, "stages collapsed: click a stage, or open it below, to see its nodes");
  for (const html::GraphDrawing::Part& part : drawn.parts) {
    out +=
        fmt::format("<details data-box=\"{}\"><summary>{} ({} nodes)</summary>\n{}</details>\n",
                    html::escape(part.box_id), html::escape(part.name), part.nodes, html::figure(part.svg, part.name));
  }
  return out;
}

std::string layer_table(const Analysis& a, const std::string& title) {
  std::vector<std::vector<std::string>> rows;
  for (const LayerRow& row : a.layers) {
    rows.push_back({row.name, row_kind(row), sample_shape(row.output), with_commas(row.params),
                    scaled_text(row.macs, 1e6), scaled_text(row.activation_bytes, kKiB),
                    fmt::format("{}x{}", row.receptive_field.h, row.receptive_field.w)});
  }
  return "<details><summary>" + html::escape(title) + " (" + std::to_string(a.layers.size()) + " rows)</summary>\n" +
         html::table({"layer", "kind", "output", "params", "MACs (M)", "memory (KiB)", "receptive field"}, rows) +
         "</details>\n";
}

std::string one_model(const ReportedModel& model) {
  const Analysis a = analyze(model.graph);
  return totals_table(a, model) + "<h2>Where memory, parameters and compute sit</h2>\n" + where_it_sits(a) +
         per_layer_charts(a) + training_memory(a) + drawing(model.graph) + "<h2>Layers</h2>\n" +
         layer_table(a, "every layer");
}

std::string ratio(int64_t value, int64_t first) {
  if (first == 0) return "";
  const double r = static_cast<double>(value) / static_cast<double>(first);
  return r >= 0.01 ? fmt::format("{:.2f}x", r) : fmt::format("{:.2g}x", r);
}

// Parameters, compute and accuracy side by side, as the lecture compares the ImageNet winners.
std::string several_models(const std::vector<ReportedModel>& models) {
  std::vector<Analysis> analyses;
  for (const ReportedModel& model : models) analyses.push_back(analyze(model.graph));
  const Totals& first = analyses.front().total;
  std::vector<std::vector<std::string>> rows;
  std::vector<std::string> labels;
  html::Series params{"parameters (millions)", {}}, macs{"MACs (billions)", {}}, memory{"activation memory (MiB)", {}};
  std::vector<html::Bubble> bubbles;
  std::vector<std::string> without_accuracy;
  for (std::size_t i = 0; i < models.size(); ++i) {
    const Totals& t = analyses[i].total;
    labels.push_back(models[i].label);
    rows.push_back({models[i].label, to_string(analyses[i].input), with_commas(t.params), ratio(t.params, first.params),
                    count_text(t.macs), ratio(t.macs, first.macs), bytes_text(t.activation_bytes),
                    bytes_text(t.training_bytes), published_top1_text(models[i])});
    params.values.push_back(static_cast<double>(t.params) / 1e6);
    macs.values.push_back(static_cast<double>(t.macs) / 1e9);
    memory.values.push_back(static_cast<double>(t.activation_bytes) / kMiB);
    if (const auto accuracy = published_accuracy(models[i].zoo_name)) {
      // The bubble's area grows with the parameters, as in Canziani et al. 2016's figure.
      bubbles.push_back({models[i].label, static_cast<double>(t.macs) / 1e9, accuracy->top1,
                         4.0 + 2.0 * std::sqrt(static_cast<double>(t.params) / 1e6)});
    } else {
      without_accuracy.push_back(models[i].label);
    }
  }
  std::string out = html::table({"model", "input", "parameters", "vs first", "MACs", "vs first", "activations",
                                 "training memory (est.)", "ImageNet top-1"},
                                rows);
  out += "<h2>Parameters</h2>\n" + html::chart(html::bar_chart(labels, {params}, "model", "parameters (millions)"));
  out += "<h2>Multiply-adds</h2>\n" + html::chart(html::bar_chart(labels, {macs}, "model", "MACs (billions)"));
  out += "<h2>Activation memory</h2>\n" +
         html::chart(html::bar_chart(labels, {memory}, "model", "activation memory (MiB, fp32)"));
  out += "<h2>Accuracy against compute</h2>\n";
  if (!bubbles.empty()) {
    out +=
        "<p class=\"note\">ImageNet-1K top-1 of torchvision's IMAGENET1K_V1 weights against multiply-adds; a "
        "bubble's area grows with the parameters.</p>\n" +
        html::chart(html::bubble_chart(bubbles, "MACs (billions)", "ImageNet-1K top-1 (%)"), 420);
  }
  if (!without_accuracy.empty()) {
    out += "<p class=\"note\">No published ImageNet accuracy for: " +
           html::escape(fmt::format("{}", fmt::join(without_accuracy, ", "))) + ".</p>\n";
  }
  out += "<h2>Layers</h2>\n";
  for (std::size_t i = 0; i < models.size(); ++i) out += layer_table(analyses[i], models[i].label + ": every layer");
  return out;
}

}  // namespace

std::string model_report_html(const std::vector<ReportedModel>& models) {
  if (models.empty()) throw InvalidArgument("a model report needs at least one model");
  if (models.size() == 1) return html::page(models.front().label, one_model(models.front()));
  std::vector<std::string> labels;
  for (const ReportedModel& model : models) labels.push_back(model.label);
  return html::page(fmt::format("{}", fmt::join(labels, " vs ")), several_models(models));
}

}  // namespace cnnzoo
