#include "run_inputs.h"

#include <fmt/format.h>

#include <algorithm>
#include <cctype>
#include <filesystem>

#include "cnnzoo/error.h"
#include "model_flags.h"

namespace cnnzoo::cli {
namespace {

namespace fs = std::filesystem;

std::string lower_extension(const fs::path& path) {
  std::string ext = path.extension().string();
  std::transform(ext.begin(), ext.end(), ext.begin(), [](unsigned char c) { return std::tolower(c); });
  return ext;
}

bool is_image_path(const fs::path& path) {
  const std::string ext = lower_extension(path);
  return ext == ".png" || ext == ".jpg" || ext == ".jpeg";
}

}  // namespace

InputFlag split_input_flag(const std::vector<std::string>& values) {
  InputFlag flag;
  for (const std::string& value : values) {
    try {
      parse_chw(value, "--input");
    } catch (const InvalidArgument&) {
      flag.files.push_back(value);
      continue;
    }
    if (!flag.size.empty()) {
      throw InvalidArgument(fmt::format(
          "--input: two input sizes, {} and {}; give one (or ./{} for a file of that name)", flag.size, value, value));
    }
    flag.size = value;
  }
  return flag;
}

bool is_npy_path(const std::string& path) { return lower_extension(path) == ".npy"; }

void InputFailures::set_inputs(std::size_t inputs) {
  inputs_ = inputs;
  if (inputs_ > 1) {
    for (const std::string& m : messages_) fmt::print(stderr, "cnnzoo: error: {}\n", m);
  }
}

void InputFailures::add(const std::string& message) {
  messages_.push_back(message);
  if (inputs_ > 1) fmt::print(stderr, "cnnzoo: error: {}\n", message);
}

void InputFailures::finish(const std::string& unwritten) const {
  if (messages_.empty()) return;
  if (inputs_ <= 1) throw Error(messages_.front());
  throw Error(fmt::format("{} of {} inputs could not be used (named above); the others' results are printed{}",
                          messages_.size(), inputs_, unwritten.empty() ? "" : "; " + unwritten));
}

std::vector<std::string> expand_folders(const std::vector<std::string>& paths, InputFailures& failures) {
  std::vector<std::string> files;
  for (const std::string& path : paths) {
    std::error_code ec;
    if (!fs::is_directory(path, ec)) {
      files.push_back(path);
      continue;
    }
    std::vector<std::string> images;
    for (fs::directory_iterator it(path, ec), end; !ec && it != end; it.increment(ec)) {
      if (it->is_regular_file(ec) && is_image_path(it->path())) images.push_back(it->path().string());
    }
    if (ec) {
      failures.add(fmt::format("{}: cannot list the folder: {}", path, ec.message()));
      continue;
    }
    if (images.empty()) failures.add(fmt::format("{}: is a folder without .png, .jpg or .jpeg files", path));
    std::sort(images.begin(), images.end());
    files.insert(files.end(), images.begin(), images.end());
  }
  return files;
}

}  // namespace cnnzoo::cli
