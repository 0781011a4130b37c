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
  if (!output.empty() && !output_dir.empty()) {
    throw InvalidArgument("give --output FILE.npy (the first output) or --output-dir DIR (every output), not both");
  }
  if (!output.empty()) {
    check_output_file(output, "--output");
    refuse_an_input("--output", fs::path(output), inputs);
  }
  if (!output_dir.empty()) prepare_output_folder(output_dir, "--output-dir");
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
