// Self-contained HTML reports (`cnnzoo report`): one file that opens offline in any browser, with the
// lecture's charts drawn by Chart.js and the network laid out by Graphviz, both inlined.
#pragma once

#include <string>
#include <vector>

#include "cnnzoo/graph.h"

namespace cnnzoo {

/// A model to report: how the user named it ("resnet50 --depth 101", "model.onnx") and its graph.
struct ReportedModel {
  std::string label;
  std::string zoo_name;  ///< the registry name, for published figures; empty for an ONNX file
  Graph graph;
};

/// One model: its totals; where activation memory, parameters and MACs sit, layer by layer, as the
/// lecture's bar charts draw them; the training-memory estimate broken down; the network drawn (stages of a
/// large net collapsed, each expandable); the per-layer table. Several models: side by side, with ratios
/// to the first, and parameters vs MACs vs published top-1 where torchvision publishes one.
std::string model_report_html(const std::vector<ReportedModel>& models);

/// A training folder of fit() (`cnnzoo train --out DIR`): the curves of DIR/metrics.csv (loss, top-1 and
/// top-5, learning rate per epoch) and, from DIR/evaluation.json, the latest confusion matrix as a heat
/// map and the per-class accuracy. Error naming the file when one is missing or malformed.
std::string training_report_html(const std::string& folder);

/// Writes a report to `path` atomically (a reader never sees half a page, a failed write leaves the old).
void write_report(const std::string& path, const std::string& html);

}  // namespace cnnzoo
