// An experiment's output folder: checked and locked before the work starts, with the same rules as
// `cnnzoo train --out` (created when missing, probed for writing, one writer at a time, a folder that holds
// results already is refused unless the run resumes or overwrites them), and every file written atomically.
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "cnnzoo/experiments.h"
#include "io/folder_lock.h"

namespace cnnzoo::experiments {

/// One chart: its file name in the folder ("alexnet_params.svg"), the SVG and a caption for the report.
struct Figure {
  std::string file;
  std::string svg;
  std::string caption;
};

/// A part of the report page: a heading, the finding in one sentence, figures, an HTML table and notes.
struct Section {
  std::string title{};
  std::string finding{};
  std::vector<Figure> figures{};
  std::string table_html{};
  std::vector<std::string> notes{};
};

class ExperimentFolder {
 public:
  /// Prepares options.out_dir for experiment `name` (see above). With `resume`, the results.json already
  /// there (if any) must be this experiment's; it is then available as previous().
  ExperimentFolder(const std::string& name, const ExperimentOptions& options);

  /// The results.json found on --resume, if any.
  const std::optional<nlohmann::json>& previous() const { return previous_; }

  /// Writes results.json (each call replaces it: a training experiment writes it after every run).
  void write_results(const nlohmann::json& results);
  /// Writes each figure as its SVG file.
  void write_figures(const std::vector<Figure>& figures);
  /// Writes report.html: `title`, the overall `finding`, then the sections with their figures inlined.
  void write_report(const std::string& title, const std::string& finding, const std::vector<Section>& sections);

  /// An experiment's end: results.json, the figures of every section, then report.html.
  void write_all(const nlohmann::json& results, const std::string& title, const std::string& finding,
                 const std::vector<Section>& sections);

  /// The paths written so far, in order, each once.
  const std::vector<std::string>& files() const { return files_; }

 private:
  void write_text(const std::string& file, const std::string& text);

  std::string dir_;
  std::unique_ptr<io::FolderLock> lock_;
  std::optional<nlohmann::json> previous_;
  std::vector<std::string> files_;
};

}  // namespace cnnzoo::experiments
