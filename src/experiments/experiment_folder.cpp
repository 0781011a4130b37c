// An experiment's output folder (experiment_folder.h).
#include "experiments/experiment_folder.h"

#include <fmt/format.h>

#include <filesystem>

#include "cnnzoo/error.h"
#include "cnnzoo/io.h"
#include "html/page.h"
#include "io/atomic_file.h"
#include "io/small_file.h"

namespace cnnzoo::experiments {

// An experiment's results and report are small: a training experiment's results.json holds a few numbers per
// epoch and run; a report a few figures. A larger file is not one of ours.
constexpr std::uintmax_t kMaxFileBytes = 64u << 20;

namespace {

namespace fs = std::filesystem;

nlohmann::json read_results(const std::string& path, const std::string& name) {
  const std::string text = io::read_small_file(path, kMaxFileBytes, "an experiment writes");
  nlohmann::json j = nlohmann::json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (j.is_discarded() || !j.is_object()) {
    throw OptionError({"ExperimentOptions::resume"},
                      fmt::format("ExperimentOptions::resume: {} is not a results file of cnnzoo experiment (not a "
                                  "JSON object); pass ExperimentOptions::overwrite to start again",
                                  path));
  }
  if (j.value("experiment", std::string()) != name) {
    throw OptionError({"ExperimentOptions::resume", "ExperimentOptions::out_dir"},
                      fmt::format("ExperimentOptions::resume: {} holds the results of experiment '{}', not '{}'; give "
                                  "another ExperimentOptions::out_dir",
                                  path, j.value("experiment", std::string("?")), name));
  }
  return j;
}

}  // namespace

ExperimentFolder::ExperimentFolder(const std::string& name, const ExperimentOptions& options) : dir_(options.out_dir) {
  prepare_output_folder(dir_, "ExperimentOptions::out_dir");
  lock_ = std::make_unique<io::FolderLock>(dir_, "ExperimentOptions::out_dir");
  const std::string results = (fs::path(dir_) / "results.json").string();
  for (const char* file : {"results.json", "report.html"})
    io::remove_stale_temporaries((fs::path(dir_) / file).string());
  if (!fs::exists(results) || options.overwrite) return;
  if (options.resume) {
    previous_ = read_results(results, name);
    return;
  }
  const bool trains = find_experiment(name).trains;
  throw OptionError({"ExperimentOptions::resume", "ExperimentOptions::overwrite", "ExperimentOptions::out_dir"},
                    fmt::format("{} already holds an experiment's results ({}); pass {}ExperimentOptions::overwrite to "
                                "start again, or another ExperimentOptions::out_dir",
                                dir_, results, trains ? "ExperimentOptions::resume to continue it, " : ""));
}

void ExperimentFolder::write_text(const std::string& file, const std::string& text) {
  const std::string path = (fs::path(dir_) / file).string();
  io::write_file_atomically(path, [&](std::FILE* f) { io::write_bytes(f, text.data(), text.size(), path); });
  if (std::find(files_.begin(), files_.end(), path) == files_.end()) files_.push_back(path);
}

void ExperimentFolder::write_results(const nlohmann::json& results) {
  write_text("results.json", results.dump(2) + "\n");
}

void ExperimentFolder::write_figures(const std::vector<Figure>& figures) {
  for (const Figure& f : figures) write_text(f.file, f.svg);
}

void ExperimentFolder::write_all(const nlohmann::json& results, const std::string& title, const std::string& finding,
                                 const std::vector<Section>& sections) {
  write_results(results);
  for (const Section& section : sections) write_figures(section.figures);
  write_report(title, finding, sections);
}

void ExperimentFolder::write_report(const std::string& title, const std::string& finding,
                                    const std::vector<Section>& sections) {
  std::string body = fmt::format("<p class=\"finding\">{}</p>\n", html::escape(finding));
  for (const Section& s : sections) {
    body += fmt::format("<h2>{}</h2>\n<p class=\"finding\">{}</p>\n", html::escape(s.title), html::escape(s.finding));
    for (const Figure& f : s.figures) body += html::figure(f.svg, f.caption + " (" + f.file + ")");
    body += s.table_html;
    for (const std::string& note : s.notes) body += fmt::format("<p class=\"note\">{}</p>\n", html::escape(note));
  }
  write_text("report.html", html::page(title, body));
}

}  // namespace cnnzoo::experiments

namespace cnnzoo {

std::string experiment_report_html(const std::string& folder) {
  const std::string results = (std::filesystem::path(folder) / "results.json").string();
  const nlohmann::json j =
      nlohmann::json::parse(io::read_small_file(results, experiments::kMaxFileBytes, "an experiment writes"), nullptr,
                            /*allow_exceptions=*/false);
  if (j.is_discarded() || !j.is_object() || !j.contains("experiment") || !j["experiment"].is_string()) {
    throw Error(fmt::format("{}: not the results of a cnnzoo experiment (no \"experiment\" name)", results));
  }
  find_experiment(j["experiment"].get<std::string>());  // an unknown name is an error naming the known ones
  const std::string report = (std::filesystem::path(folder) / "report.html").string();
  std::string html = io::read_small_file(report, experiments::kMaxFileBytes, "an experiment writes");
  if (!html.starts_with("<!DOCTYPE html>") || html.find(html::kGeneratorMark) == std::string::npos) {
    throw Error(fmt::format("{}: not a report cnnzoo wrote; run `cnnzoo experiment {} --out {} --overwrite` again",
                            report, j["experiment"].get<std::string>(), folder));
  }
  return html;
}

}  // namespace cnnzoo
