// Internal pieces of src/data: the in-memory data set shared by the IDX and CIFAR readers, file reading,
// image decoding and the per-kind openers that open_dataset dispatches to.
#pragma once

#include <cstdint>
#include <filesystem>
#include <functional>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "cnnzoo/budgets.h"
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

/// The size a format's header declares for the whole file, once `head` (the bytes read so far, inflated)
/// holds enough of the header; nullopt while it does not, or when the header is not the format's.
using DeclaredSize = std::function<std::optional<uint64_t>(std::span<const uint8_t> head)>;

/// The whole file; gzip-compressed files (by their magic) are inflated with zlib, up to `max_gunzip_bytes`
/// (DecodeBudgets::gunzip_bytes). Throws Error naming the file when it is missing, unreadable, a
/// truncated/corrupt gzip stream or one that inflates past the budget (naming --max-gunzip-mib). With
/// `declared`, a gzip stream is checked against its header while it inflates: a declared size past the
/// budget is refused after the first chunk (1 MiB), and inflating stops within a chunk past the declared size
/// (the caller then sees a file longer than its header says).
std::vector<uint8_t> read_file(const std::filesystem::path& path, int64_t max_gunzip_bytes,
                               const DeclaredSize& declared = {});

/// The whole file as it is on disk, never inflated (images, whose format is told by their content).
std::vector<uint8_t> read_file_as_is(const std::filesystem::path& path);

/// Whether `bytes` begin with gzip's magic number, 1f 8b.
bool is_gzip(std::span<const uint8_t> bytes);

/// Class names from a text file, one per non-empty line (trailing spaces and '\r' dropped); empty when
/// the file does not exist.
std::vector<std::string> read_class_names(const std::filesystem::path& path);

/// What a PNG or JPEG file's header declares, read before any pixel is decoded.
struct ImageHeader {
  std::string format;  ///< "PNG", "JPEG", "progressive JPEG" or "multi-scan JPEG"
  int64_t width = 0, height = 0;
  int64_t pixels = 0;  ///< width x height
  /// What decoding takes: the 8-bit RGB pixels (3 bytes a pixel), plus, for a JPEG of several scans,
  /// libjpeg's buffer of every coefficient block (128 bytes a block of 8 x 8 samples of a component).
  int64_t decoded_bytes = 0;
};

/// The header of the image held in `bytes` (PNG or JPEG by its signature). Throws Error naming `path`
/// for anything else, a gzip stream included (an image is never inflated), or a damaged header.
ImageHeader read_image_header(const std::filesystem::path& path, std::span<const uint8_t> bytes);

/// Throws Error naming the file, the declared size, the budget and its flag (--max-image-pixels,
/// --max-image-mib) when `header` exceeds `budgets`.
void check_image_budgets(const std::filesystem::path& path, const ImageHeader& header, const DecodeBudgets& budgets);

/// A JPEG or PNG file (told by its magic bytes) as 8-bit RGB, its header checked against the image budgets
/// before anything is allocated. Throws Error naming the file.
Image decode_image(const std::filesystem::path& path, const DecodeBudgets& budgets);

/// An IDX set: kind "fashion-mnist" or "mnist".
std::unique_ptr<Dataset> open_idx(const std::filesystem::path& dir, Split split, const std::string& kind,
                                  const DecodeBudgets& budgets);
std::unique_ptr<Dataset> open_cifar10(const std::filesystem::path& dir, Split split, const DecodeBudgets& budgets);
std::unique_ptr<Dataset> open_cifar100(const std::filesystem::path& dir, Split split, const DecodeBudgets& budgets);
std::unique_ptr<Dataset> open_folder(const std::filesystem::path& dir, Split split, const DatasetOptions& options);

}  // namespace cnnzoo::data
