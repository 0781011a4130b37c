// `cnnzoo compare` output: totals side by side, each with its ratio to the first entry.
#include <fmt/format.h>

#include "analysis/text_table.h"
#include "analysis/units.h"
#include "cnnzoo/error.h"
#include "cnnzoo/report.h"

namespace cnnzoo {
namespace {

struct Metric {
  const char* key;    // JSON and CSV name
  const char* label;  // table label with its unit
  int64_t (*value)(const Analysis&);
  std::string (*text)(int64_t);
};

const Metric kMetrics[] = {
    {"params", "parameters", [](const Analysis& a) { return a.total.params; }, count_text},
    {"macs", "multiply-adds (MACs)", [](const Analysis& a) { return a.total.macs; }, count_text},
    {"flops", "FLOPs", [](const Analysis& a) { return a.total.flops; }, count_text},
    {"activation_bytes", "activation memory", [](const Analysis& a) { return a.total.activation_bytes; }, bytes_text},
    {"param_bytes", "parameter memory", [](const Analysis& a) { return a.total.param_bytes; }, bytes_text},
    {"training_bytes", "training memory (est.)", [](const Analysis& a) { return a.total.training_bytes; }, bytes_text},
};

// "2.26x" for people; a plain number for CSV (empty where the first entry is 0).
std::string ratio_text(int64_t value, int64_t base, bool exact) {
  if (base == 0) return value == 0 ? (exact ? "1" : "1.00x") : (exact ? "" : "-");
  const double ratio = static_cast<double>(value) / static_cast<double>(base);
  return exact ? fmt::format("{}", ratio) : fmt::format("{:.2f}x", ratio);
}

std::string output_of(const Analysis& a) {
  if (a.layers.empty()) return "-";
  const Dims& d = a.layers.back().output;
  return to_string(Dims(d.begin() + 1, d.end()));
}

TextTable comparison_table(const std::vector<CompareEntry>& entries, bool exact) {
  TextTable t{.header = {"metric"}, .numeric = {false}};
  for (std::size_t i = 0; i < entries.size(); ++i) {
    t.header.push_back(entries[i].label);
    t.numeric.push_back(true);
    if (i == 0) continue;
    t.header.push_back(fmt::format("ratio {}/{}", i + 1, 1));
    t.numeric.push_back(true);
  }
  const Analysis& base = entries.front().analysis;
  std::vector<std::string> out_row{exact ? "output" : "output (per sample)"};
  for (std::size_t i = 0; i < entries.size(); ++i) {
    out_row.push_back(output_of(entries[i].analysis));
    if (i > 0) out_row.push_back("");
  }
  t.rows.push_back(out_row);
  for (const Metric& m : kMetrics) {
    std::vector<std::string> row{exact ? m.key : m.label};
    for (std::size_t i = 0; i < entries.size(); ++i) {
      const int64_t v = m.value(entries[i].analysis);
      row.push_back(exact ? std::to_string(v) : m.text(v));
      if (i > 0) row.push_back(ratio_text(v, m.value(base), exact));
    }
    t.rows.push_back(std::move(row));
  }
  return t;
}

}  // namespace

std::string render_comparison(const std::vector<CompareEntry>& entries, ReportFormat format) {
  if (entries.empty()) throw InvalidArgument("compare needs at least one model");
  if (format == ReportFormat::Json) {
    nlohmann::json out = nlohmann::json::array();
    const Analysis& base = entries.front().analysis;
    for (const CompareEntry& e : entries) {
      nlohmann::json item{{"label", e.label}, {"model", e.analysis.model}, {"output", output_of(e.analysis)}};
      for (const Metric& m : kMetrics) {
        const int64_t v = m.value(e.analysis);
        const int64_t b = m.value(base);
        item[m.key] = v;
        item[std::string(m.key) + "_ratio"] = b == 0 ? 0.0 : static_cast<double>(v) / static_cast<double>(b);
      }
      out.push_back(std::move(item));
    }
    return nlohmann::json{{"models", std::move(out)}}.dump(2) + "\n";
  }
  if (format == ReportFormat::Csv) return comparison_table(entries, true).csv();
  if (format == ReportFormat::Markdown) return comparison_table(entries, false).markdown();
  return comparison_table(entries, false).text();
}

}  // namespace cnnzoo
