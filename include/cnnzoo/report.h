// Renders analyses as the lecture's tables (text, Markdown, CSV) or JSON, and compares several.
#pragma once

#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "cnnzoo/analysis.h"

namespace cnnzoo {

enum class ReportFormat { Table, Markdown, Csv, Json };

/// "table", "markdown", "csv", "json"; throws an OptionError naming `option` (the option that gave `text`)
/// otherwise.
ReportFormat parse_report_format(const std::string& text, const std::string& option);

/// JSON: {"model", "input": [C,H,W], "input_shape": [N,C,H,W], "batch", "view": "layers" | "nodes" |
/// "modules", "depth_view", "layers": [{"name", "op", "kind", "output": [C,H,W], "input_shape",
/// "output_shape" (batch first), "params", "buffers", "macs", "flops", "activation_bytes",
/// "receptive_field": [h,w], "folded": [{"name", "op", "params"}], "level"}], "total": {"params",
/// "trainable_params", "non_trainable_params", "buffers", ...}}. "input" and "output" are per sample;
/// byte counts are for the whole batch. CSV has the same columns as a layer's keys, with shapes as NxCxHxW.
nlohmann::json to_json(const Analysis& a);

/// The per-layer table with totals, in the given format.
std::string render_summary(const Analysis& a, ReportFormat format);

/// One column of a comparison: a label ("googlenet --until maxpool2") and its analysis.
struct CompareEntry {
  std::string label;
  Analysis analysis;
};

/// Side-by-side totals with each entry's ratio to the first ("2.26x" in the table and Markdown, a plain
/// number in CSV and JSON).
std::string render_comparison(const std::vector<CompareEntry>& entries, ReportFormat format);

/// The name of the first row whose output has spatial size at most h x w, if any: where a network
/// "reaches" a resolution.
std::optional<std::string> first_row_at_resolution(const Analysis& a, int64_t h, int64_t w);

}  // namespace cnnzoo
