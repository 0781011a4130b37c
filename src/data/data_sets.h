// Internal pieces of src/data: the in-memory data set shared by the IDX and CIFAR readers, file reading,
// image decoding and the per-kind openers that open_dataset dispatches to.
#pragma once

#include <cstdint>
#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include "cnnzoo/data.h"

namespace cnnzoo::data {

/// Images of one size held in memory: pixels of image i at [i * C*H*W, (i + 1) * C*H*W), HWC.
class ArrayDataset final : public Dataset {
 public:
  struct Contents {
    std::string name;
    std::string location;
    int64_t channels = 0, height = 0, width = 0;
    std::vector<uint8_t> pixels;
    std::vector<int64_t> labels;
    std::vector<std::string> class_names;
    Normalization normalization;
  };
  explicit ArrayDataset(Contents contents);

  int64_t size() const override { return static_cast<int64_t>(c_.labels.size()); }
  Image image(int64_t i) const override;
  int64_t label(int64_t i) const override;
  int64_t num_classes() const override { return static_cast<int64_t>(c_.class_names.size()); }
  const std::vector<std::string>& class_names() const override { return c_.class_names; }
  Dims image_shape() const override { return {c_.channels, c_.height, c_.width}; }
  std::string name() const override { return c_.name; }
  std::string location() const override { return c_.location; }
  Normalization normalization() const override { return c_.normalization; }
  bool in_memory() const override { return true; }

 private:
  Contents c_;
};

/// The whole file; gzip-compressed files (by their magic) are inflated with zlib. Throws Error naming the
/// file when it is missing, unreadable or a truncated/corrupt gzip stream.
std::vector<uint8_t> read_file(const std::filesystem::path& path);

/// Class names from a text file, one per non-empty line (trailing spaces and '\r' dropped); empty when
/// the file does not exist.
std::vector<std::string> read_class_names(const std::filesystem::path& path);

/// A JPEG or PNG file (told by its magic bytes) as 8-bit RGB. Throws Error naming the file.
Image decode_image(const std::filesystem::path& path);

/// An IDX set: kind "fashion-mnist" or "mnist".
std::unique_ptr<Dataset> open_idx(const std::filesystem::path& dir, Split split, const std::string& kind);
std::unique_ptr<Dataset> open_cifar10(const std::filesystem::path& dir, Split split);
std::unique_ptr<Dataset> open_cifar100(const std::filesystem::path& dir, Split split);
std::unique_ptr<Dataset> open_folder(const std::filesystem::path& dir, Split split, const DatasetOptions& options);

}  // namespace cnnzoo::data
