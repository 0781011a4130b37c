// ImageNet-style folders: DIR/<class>/<image>.{jpg,jpeg,png}, classes in sorted order (as torchvision's
// ImageFolder), images decoded on every access.
#include <fmt/format.h>

#include <algorithm>
#include <cctype>

#include "cnnzoo/error.h"
#include "data/data_sets.h"

namespace cnnzoo::data {
namespace {

namespace fs = std::filesystem;

bool is_image_file(const fs::path& path) {
  std::string ext = path.extension().string();
  std::transform(ext.begin(), ext.end(), ext.begin(), [](unsigned char ch) { return std::tolower(ch); });
  return ext == ".jpg" || ext == ".jpeg" || ext == ".png";
}

// What `entry` is, following a symbolic link; a link that leads nowhere (a loop, a missing target) is an
// Error naming it, not a filesystem exception.
fs::file_status resolved_status(const fs::path& root, const fs::directory_entry& entry) {
  std::error_code ec;
  const fs::file_status status = entry.status(ec);
  if (ec) {
    throw Error(
        fmt::format("folder:{}: {}: {}; remove or fix this entry", root.string(), entry.path().string(), ec.message()));
  }
  return status;
}

class FolderDataset final : public Dataset {
 public:
  FolderDataset(const fs::path& dir, int64_t image_size, const DecodeBudgets& budgets)
      : dir_(dir), image_size_(image_size), budgets_(budgets) {
    std::error_code ec;
    if (!fs::is_directory(dir, ec)) throw Error(fmt::format("folder:{}: not a directory", dir.string()));
    for (const auto& entry : fs::directory_iterator(dir)) {
      if (entry.path().filename().string()[0] != '.' && fs::is_directory(resolved_status(dir, entry))) {
        classes_.push_back(entry.path().filename().string());
      }
    }
    std::sort(classes_.begin(), classes_.end());
    if (classes_.empty()) {
      throw Error(fmt::format("folder:{}: no class subfolders (expected DIR/<class>/<image>.jpg|png)", dir.string()));
    }
    for (size_t k = 0; k < classes_.size(); ++k) {
      std::vector<fs::path> files;
      for (const auto& entry : fs::recursive_directory_iterator(dir / classes_[k])) {
        if (is_image_file(entry.path()) && fs::is_regular_file(resolved_status(dir, entry))) {
          files.push_back(entry.path());
        }
      }
      if (files.empty()) {
        throw Error(fmt::format("folder:{}: class folder {} holds no .jpg, .jpeg or .png files", dir.string(),
                                (dir / classes_[k]).string()));
      }
      std::sort(files.begin(), files.end());
      for (auto& f : files) items_.push_back({std::move(f), static_cast<int64_t>(k)});
    }
  }

  int64_t size() const override { return static_cast<int64_t>(items_.size()); }
  Image image(int64_t i) const override { return decode_image(items_.at(check(i)).path, budgets_); }
  int64_t label(int64_t i) const override { return items_.at(check(i)).label; }
  int64_t num_classes() const override { return static_cast<int64_t>(classes_.size()); }
  const std::vector<std::string>& class_names() const override { return classes_; }
  Dims image_shape() const override { return {3, image_size_, image_size_}; }
  std::string name() const override { return "folder"; }
  std::string location() const override { return dir_.string(); }
  Normalization normalization() const override { return imagenet_normalization(); }
  bool in_memory() const override { return false; }

 private:
  struct Item {
    fs::path path;
    int64_t label;
  };
  size_t check(int64_t i) const {
    if (i < 0 || i >= size()) {
      throw InvalidArgument(fmt::format("folder:{}: image {} out of range (size {})", dir_.string(), i, size()));
    }
    return static_cast<size_t>(i);
  }
  fs::path dir_;
  int64_t image_size_;
  DecodeBudgets budgets_;
  std::vector<std::string> classes_;
  std::vector<Item> items_;
};

}  // namespace

std::unique_ptr<Dataset> open_folder(const fs::path& dir, Split split, const DatasetOptions& options) {
  if (options.image_size <= 0) {
    throw InvalidArgument(fmt::format("folder:{}: image size {} must be positive", dir.string(), options.image_size));
  }
  std::error_code ec;
  if (!fs::is_directory(dir, ec)) throw Error(fmt::format("folder:{}: not a directory", dir.string()));
  const bool has_train = fs::is_directory(dir / "train", ec);
  const bool has_val = fs::is_directory(dir / "val", ec);
  if (has_train && has_val) {
    return std::make_unique<FolderDataset>(dir / (split == Split::Train ? "train" : "val"), options.image_size,
                                           options.budgets);
  }
  const fs::path root = has_train ? dir / "train" : dir;
  if (split == Split::Test && options.validation_split <= 0) {
    throw InvalidArgument(
        fmt::format("folder:{}: no val/ subfolder and a validation split of {}: nothing to evaluate on", dir.string(),
                    options.validation_split));
  }
  SplitDatasets parts = split_validation(std::make_unique<FolderDataset>(root, options.image_size, options.budgets),
                                         options.validation_split, options.split_seed);
  return split == Split::Train ? std::move(parts.train) : std::move(parts.validation);
}

}  // namespace cnnzoo::data
