#include "run_outputs.h"

#include <fmt/format.h>

#include <algorithm>
#include <cctype>
#include <filesystem>

#include "cnnzoo/error.h"
#include "cnnzoo/io.h"

namespace cnnzoo::cli {
namespace {

namespace fs = std::filesystem;

// An output name as a file name: path separators and other awkward characters become '_'.
std::string file_name_for(const std::string& name) {
  std::string safe = name;
  for (char& c : safe) {
    if (!std::isalnum(static_cast<unsigned char>(c)) && c != '.' && c != '-' && c != '_') c = '_';
  }
  return safe + ".npy";
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
  std::error_code ec;
  if (!output.empty() && !output_dir.empty()) {
    throw InvalidArgument("give --output FILE.npy (the first output) or --output-dir DIR (every output), not both");
  }
  if (!output.empty()) {
    const fs::path target(output);
    if (fs::is_directory(target, ec)) {
      throw InvalidArgument(
          fmt::format("--output {}: is a folder; give a file such as {}", output, (target / "logits.npy").string()));
    }
    const fs::path parent = target.has_parent_path() ? target.parent_path() : fs::path(".");
    if (!fs::is_directory(parent, ec)) {
      throw InvalidArgument(fmt::format("--output {}: the folder {} does not exist", output, parent.string()));
    }
    refuse_an_input("--output", target, inputs);
  }
  if (!output_dir.empty()) {
    if (fs::exists(output_dir, ec) && !fs::is_directory(output_dir, ec)) {
      throw InvalidArgument(fmt::format("--output-dir {}: is a file, not a folder", output_dir));
    }
    fs::create_directories(output_dir, ec);
    if (ec)
      throw InvalidArgument(fmt::format("--output-dir {}: cannot create the folder: {}", output_dir, ec.message()));
  }
}

void write_outputs(const std::vector<NamedOutput>& outputs, const std::string& output, const std::string& output_dir,
                   const std::vector<std::string>& inputs) {
  if (!output.empty()) return write_npy(output, outputs.at(0).tensor);
  if (output_dir.empty()) return;
  std::vector<fs::path> targets;
  for (const NamedOutput& out : outputs) {
    targets.push_back(fs::path(output_dir) / file_name_for(out.name));
    refuse_an_input("--output-dir", targets.back(), inputs);
  }
  for (std::size_t i = 0; i < outputs.size(); ++i) write_npy(targets[i].string(), outputs[i].tensor);
}

}  // namespace cnnzoo::cli
