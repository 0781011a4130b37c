// `experiment design`: the lecture's design arguments, each measured on a graph, in one report.
#include <fmt/format.h>

#include "analysis/text_table.h"
#include "experiments/design_items.h"
#include "experiments/runners.h"

namespace cnnzoo::experiments {

ExperimentOutcome run_design(const ExperimentOptions&, const ExperimentCallbacks&, ExperimentFolder& folder) {
  const std::vector<DesignItem> items = {design_conv_pair(), design_vgg_stages(), design_stems(), design_blocks(),
                                         design_heads(),     design_alexnet(),    design_se(),    design_densenet()};
  ExperimentOutcome out;
  out.results = {{"experiment", "design"}};
  TextTable table{.header = {"comparison", "first", "second", "second / first"}, .numeric = {false, true, true, true}};
  std::vector<Section> sections;
  int reproduced = 0;
  for (const DesignItem& item : items) {
    out.results["items"][item.key] = item.results;
    out.results["items"][item.key]["finding"] = item.section.finding;
    out.results["items"][item.key]["reproduced"] = item.reproduced;
    table.rows.insert(table.rows.end(), item.table_rows.begin(), item.table_rows.end());
    sections.push_back(item.section);
    reproduced += item.reproduced ? 1 : 0;
    out.finding += (out.finding.empty() ? "" : "\n") + item.section.finding;
  }
  out.reproduced = reproduced == static_cast<int>(items.size());
  out.table = table.text();
  const std::string summary =
      fmt::format("{} of the lecture's {} design arguments reproduced on the zoo's graphs.", reproduced, items.size());
  out.results["reproduced"] = out.reproduced;
  out.results["summary"] = summary;
  folder.write_all(out.results, "cnnzoo experiment design: the lecture's design arguments, measured", summary,
                   sections);
  return out;
}

}  // namespace cnnzoo::experiments
