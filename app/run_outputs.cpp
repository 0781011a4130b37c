#include "run_outputs.h"

#include <fmt/format.h>

#include <algorithm>
#include <cctype>
#include <cstdio>
#include <filesystem>
#include <set>

#include "cnnzoo/error.h"
#include "cnnzoo/io.h"

namespace cnnzoo::cli {
namespace {

namespace fs = std::filesystem;

// File names stay within 255 bytes (NAME_MAX) with room for a "~N" suffix and ".npy".
constexpr std::size_t kMaxStem = 200;

// An output name as a file name stem: anything but letters, digits, '.', '-' and '_' becomes '_' (so no path
// separator, and never '~', which only the collision suffix uses); a leading '.' too (no hidden file, no
// "." or ".."); cut to kMaxStem bytes.
std::string safe_stem(const std::string& name) {
  std::string stem = name.substr(0, kMaxStem);
  for (char& c : stem) {
    if (!std::isalnum(static_cast<unsigned char>(c)) && c != '.' && c != '-' && c != '_') c = '_';
  }
  if (stem.empty()) return "output";
  if (stem.front() == '.') stem.front() = '_';
  return stem;
}

// Only an existing file can be overwritten: a target that does not exist yet is no input.
bool same_file(const fs::path& a, const fs::path& b) {
  std::error_code ec;
  return fs::equivalent(a, b, ec);
}

void refuse_an_input(const std::string& flag, const fs::path& target, const std::vector<std::string>& inputs) {
  for (const std::string& input : inputs) {
    if (same_file(target, input)) {
      throw InvalidArgument(fmt::format("{} {}: is also an input; give another file (run never overwrites its inputs)",
                                        flag, target.string()));
    }
  }
}

}  // namespace

void check_output_locations(const std::string& output, const std::string& output_dir,
                            const std::vector<std::string>& inputs) {
  if (!output.empty() && !output_dir.empty()) {
    throw InvalidArgument("give --output FILE.npy (the first output) or --output-dir DIR (every output), not both");
  }
  if (!output.empty()) {
    check_output_file(output, "--output");
    refuse_an_input("--output", fs::path(output), inputs);
  }
  if (!output_dir.empty()) prepare_output_folder(output_dir, "--output-dir");
}

std::vector<std::string> output_file_names(const std::vector<std::string>& names) {
  std::vector<std::string> files(names.size());
  std::set<std::string> taken;
  // Names that are file names as they are keep them, whatever their order; the others take what is left.
  for (const bool as_given : {true, false}) {
    for (std::size_t i = 0; i < names.size(); ++i) {
      const std::string stem = safe_stem(names[i]);
      if ((stem == names[i]) != as_given) continue;
      std::string file = stem + ".npy";
      for (int k = 2; taken.contains(file); ++k) file = fmt::format("{}~{}.npy", stem, k);
      taken.insert(file);
      files[i] = file;
    }
  }
  return files;
}

void write_outputs(const std::vector<NamedOutput>& outputs, const std::string& output, const std::string& output_dir,
                   const std::vector<std::string>& inputs) {
  if (!output.empty()) return write_npy(output, outputs.at(0).tensor);
  if (output_dir.empty()) return;
  std::vector<std::string> names;
  for (const NamedOutput& out : outputs) names.push_back(out.name);
  const std::vector<std::string> files = output_file_names(names);
  std::vector<fs::path> targets;
  for (const std::string& file : files) {
    targets.push_back(fs::path(output_dir) / file);
    refuse_an_input("--output-dir", targets.back(), inputs);
  }
  for (std::size_t i = 0; i < outputs.size(); ++i) write_npy(targets[i].string(), outputs[i].tensor);
  // Where a name could not be its file's, say where each output went: a reader looks for NAME.npy.
  if (std::equal(names.begin(), names.end(), files.begin(),
                 [](const std::string& name, const std::string& file) { return name + ".npy" == file; })) {
    return;
  }
  std::fflush(stdout);
  for (std::size_t i = 0; i < outputs.size(); ++i) {
    fmt::print(stderr, "cnnzoo: output '{}' written to {}\n", names[i], targets[i].string());
  }
}

}  // namespace cnnzoo::cli
