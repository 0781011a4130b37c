// `cnnzoo summary` output: the lecture's table (layer, output CxHxW, memory KB, params K, MACs M).
#include <fmt/format.h>

#include "analysis/text_table.h"
#include "analysis/units.h"
#include "cnnzoo/error.h"
#include "cnnzoo/report.h"

namespace cnnzoo {
namespace {

Dims per_sample(const Dims& shape) { return Dims(shape.begin() + 1, shape.end()); }

std::string one_decimal(double v) { return fmt::format("{:.1f}", v); }

// The lecture's units: memory in KB of 1024 bytes, parameters in K and MACs in M of 1000.
TextTable scaled_table(const Analysis& a) {
  TextTable t{.header = {"layer", "op", "output", "memory (KB)", "params (K)", "MACs (M)", "FLOPs (M)", "RF"},
              .numeric = {false, false, false, true, true, true, true, true}};
  for (const LayerRow& r : a.layers) {
    t.rows.push_back({r.name, r.op, to_string(per_sample(r.output)), one_decimal(r.activation_bytes / 1024.0),
                      one_decimal(r.params / 1e3), one_decimal(r.macs / 1e6), one_decimal(r.flops / 1e6),
                      to_string(r.receptive_field)});
  }
  const Totals& s = a.total;
  t.footer.push_back({"total", "", "", one_decimal(s.activation_bytes / 1024.0), one_decimal(s.params / 1e3),
                      one_decimal(s.macs / 1e6), one_decimal(s.flops / 1e6), ""});
  return t;
}

// CSV keeps exact integers so that spreadsheets and scripts lose nothing.
TextTable exact_table(const Analysis& a) {
  TextTable t{
      .header = {"name", "op", "output", "params", "buffers", "macs", "flops", "activation_bytes", "receptive_field"}};
  auto add = [&](const std::string& name, const std::string& op, const std::string& out, int64_t params,
                 int64_t buffers, int64_t macs, int64_t flops, int64_t bytes, const std::string& rf) {
    t.rows.push_back({name, op, out, std::to_string(params), std::to_string(buffers), std::to_string(macs),
                      std::to_string(flops), std::to_string(bytes), rf});
  };
  for (const LayerRow& r : a.layers) {
    add(r.name, r.op, to_string(per_sample(r.output)), r.params, r.buffers, r.macs, r.flops, r.activation_bytes,
        to_string(r.receptive_field));
  }
  const Totals& s = a.total;
  add("total", "", "", s.params, s.buffers, s.macs, s.flops, s.activation_bytes, "");
  return t;
}

std::string header_line(const Analysis& a) {
  return fmt::format("{}: input {}, batch {}, {} rows", a.model, to_string(a.input), a.batch, a.layers.size());
}

std::string totals_text(const Analysis& a) {
  const Totals& s = a.total;
  return fmt::format(
      "parameters      {} ({} fp32); buffers {} ({})\n"
      "multiply-adds   {} MACs ({} GMACs)\n"
      "FLOPs           {} ({} GFLOPs, 2 x MACs plus other ops)\n"
      "activations     {} (sum of the rows' outputs, batch {}); at most {} alive at once\n"
      "training memory {} (estimate: weights, momentum, what backward keeps; docs/counting.md)\n",
      with_commas(s.params), bytes_text(s.param_bytes), with_commas(s.buffers), bytes_text(s.buffer_bytes),
      with_commas(s.macs), fmt::format("{:.3f}", s.macs / 1e9), with_commas(s.flops),
      fmt::format("{:.3f}", s.flops / 1e9), bytes_text(s.activation_bytes), a.batch, bytes_text(s.peak_live_bytes),
      bytes_text(s.training_bytes));
}

}  // namespace

ReportFormat parse_report_format(const std::string& text, const std::string& flag) {
  if (text == "table" || text == "text") return ReportFormat::Table;
  if (text == "markdown" || text == "md") return ReportFormat::Markdown;
  if (text == "csv") return ReportFormat::Csv;
  if (text == "json") return ReportFormat::Json;
  throw InvalidArgument(fmt::format("{}: unknown format '{}'; known: table, markdown, csv, json", flag, text));
}

nlohmann::json to_json(const Analysis& a) {
  nlohmann::json layers = nlohmann::json::array();
  for (const LayerRow& r : a.layers) {
    layers.push_back({{"name", r.name},
                      {"op", r.op},
                      {"output", per_sample(r.output)},
                      {"params", r.params},
                      {"buffers", r.buffers},
                      {"macs", r.macs},
                      {"flops", r.flops},
                      {"activation_bytes", r.activation_bytes},
                      {"receptive_field", {r.receptive_field.h, r.receptive_field.w}}});
  }
  const Totals& s = a.total;
  return {{"model", a.model},
          {"input", a.input},
          {"batch", a.batch},
          {"layers", std::move(layers)},
          {"total",
           {{"params", s.params},
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
      return fmt::format("**{}**\n\n{}\n```\n{}```\n", header_line(a), scaled_table(a).markdown(), totals_text(a));
    case ReportFormat::Table:
      break;
  }
  return fmt::format("{}\n\n{}\n{}", header_line(a), scaled_table(a).text(), totals_text(a));
}

std::optional<std::string> first_row_at_resolution(const Analysis& a, int64_t h, int64_t w) {
  for (const LayerRow& r : a.layers) {
    if (r.output.size() == 4 && r.output[2] <= h && r.output[3] <= w) return r.name;
  }
  return std::nullopt;
}

}  // namespace cnnzoo
