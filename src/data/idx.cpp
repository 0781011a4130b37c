// IDX sets (MNIST, Fashion-MNIST): big-endian headers, 8-bit images and labels, gzipped or not.
#include <fmt/format.h>

#include <optional>
#include <span>

#include "cnnzoo/error.h"
#include "data/data_sets.h"

namespace cnnzoo::data {
namespace {

namespace fs = std::filesystem;

struct IdxArray {
  std::vector<int64_t> dims;
  std::vector<uint8_t> bytes;  // the whole file; values start at `offset`
  size_t offset = 0;
};

// Dimension `p` of an IDX header: 4 bytes, big-endian.
uint64_t idx_dimension(const uint8_t* p) {
  return (uint64_t{p[0]} << 24) | (uint64_t{p[1]} << 16) | (uint64_t{p[2]} << 8) | p[3];
}

// The header's size of the whole file: 4 bytes of magic, type and rank, 4 per dimension, then the product
// of the dimensions. nullopt until `head` holds the header, or when it is not an IDX header of unsigned bytes
// with `want_dims` dimensions (read_idx then names what is wrong).
std::optional<uint64_t> idx_declared_size(std::span<const uint8_t> head, int want_dims) {
  const auto header = 4 + 4 * static_cast<std::size_t>(want_dims);
  if (head.size() < header || head[0] != 0 || head[1] != 0 || head[2] != 0x08 || head[3] != want_dims) {
    return std::nullopt;
  }
  uint64_t count = 1;
  for (int d = 0; d < want_dims; ++d) {
    const uint8_t* p = head.data() + 4 + 4 * d;
    count *= idx_dimension(p);                             // < 2^32 each
    if (count > (uint64_t{1} << 40)) return std::nullopt;  // too large: read_idx refuses the header itself
  }
  return header + count;
}

// Parses and checks an IDX file of unsigned bytes with `want_dims` dimensions. A gzipped file is checked
// against its header while it inflates: a bomb behind a small header stops there, not at the budget.
IdxArray read_idx(const fs::path& path, int want_dims, int64_t max_gunzip_bytes) {
  IdxArray a;
  a.bytes = read_file(path, max_gunzip_bytes,
                      [want_dims](std::span<const uint8_t> head) { return idx_declared_size(head, want_dims); });
  const auto& b = a.bytes;
  if (b.size() < 4 || b[0] != 0 || b[1] != 0) {
    throw Error(fmt::format("{}: not an IDX file (bad magic number)", path.string()));
  }
  if (b[2] != 0x08) {
    throw Error(fmt::format("{}: IDX element type 0x{:02x}, expected 0x08 (unsigned byte)", path.string(), b[2]));
  }
  if (b[3] != want_dims) {
    throw Error(fmt::format("{}: IDX file with {} dimensions, expected {}", path.string(), b[3], want_dims));
  }
  a.offset = 4 + 4 * static_cast<size_t>(want_dims);
  if (b.size() < a.offset) {
    throw Error(fmt::format("{}: truncated IDX header ({} bytes)", path.string(), b.size()));
  }
  uint64_t count = 1;
  for (int d = 0; d < want_dims; ++d) {
    const uint8_t* p = b.data() + 4 + 4 * d;
    const uint64_t v = idx_dimension(p);
    if (v == 0) throw Error(fmt::format("{}: IDX dimension {} is 0", path.string(), d));
    a.dims.push_back(static_cast<int64_t>(v));
    count *= v;
    if (count > (uint64_t{1} << 40)) throw Error(fmt::format("{}: IDX dimensions too large", path.string()));
  }
  if (b.size() - a.offset != count) {
    // A gzipped file longer than declared was inflated only to a little past its declared size.
    const bool longer = b.size() - a.offset > count;
    throw Error(fmt::format("{}: IDX header promises {} bytes of data ({}), the file holds {}{}", path.string(), count,
                            to_string(a.dims), fmt::format("{}{}", longer ? "at least " : "", b.size() - a.offset),
                            longer ? "" : " (truncated)"));
  }
  return a;
}

// `stem` ("train-images-idx3-ubyte") as is, gzipped, or with the dot some archives use
// ("train-images.idx3-ubyte").
fs::path find_idx_file(const fs::path& dir, const std::string& stem, const std::string& spec) {
  std::string dotted = stem;
  dotted[dotted.find("-idx")] = '.';
  for (const std::string& name : {stem, stem + ".gz", dotted, dotted + ".gz"}) {
    std::error_code ec;
    if (fs::is_regular_file(dir / name, ec)) return dir / name;
  }
  throw Error(fmt::format("{}: {} not found (looked for {} and {}.gz)", spec, (dir / stem).string(), stem, stem));
}

const std::vector<std::string>& fashion_names() {
  static const std::vector<std::string> names = {"T-shirt/top", "Trouser", "Pullover", "Dress", "Coat",
                                                 "Sandal",      "Shirt",   "Sneaker",  "Bag",   "Ankle boot"};
  return names;
}

}  // namespace

std::unique_ptr<Dataset> open_idx(const fs::path& dir, Split split, const std::string& kind,
                                  const DecodeBudgets& budgets) {
  const bool fashion = kind == "fashion-mnist";
  const std::string spec = fashion ? "fashion-mnist" : "mnist:" + dir.string();
  std::error_code ec;
  if (!fs::is_directory(dir, ec)) {
    if (fashion) {
      throw Error(fmt::format(
          "Fashion-MNIST is not installed: install the Debian package dataset-fashion-mnist (apt-get install "
          "dataset-fashion-mnist); looked in {}",
          dir.string()));
    }
    throw Error(fmt::format("{}: {} is not a directory", spec, dir.string()));
  }
  const std::string prefix = split == Split::Train ? "train" : "t10k";
  const fs::path images_path = find_idx_file(dir, prefix + "-images-idx3-ubyte", spec);
  const fs::path labels_path = find_idx_file(dir, prefix + "-labels-idx1-ubyte", spec);
  IdxArray images = read_idx(images_path, 3, budgets.gunzip_bytes);
  IdxArray labels = read_idx(labels_path, 1, budgets.gunzip_bytes);
  if (labels.dims[0] != images.dims[0]) {
    throw Error(fmt::format("{}: {} labels for the {} images of {}", labels_path.string(), labels.dims[0],
                            images.dims[0], images_path.string()));
  }
  ArrayDataset::Contents c;
  c.name = fashion ? "fashion-mnist" : "mnist";
  c.location = dir.string();
  c.channels = 1;
  c.height = images.dims[1];
  c.width = images.dims[2];
  // Reuse the file's buffer (no second copy of 47 MB): drop the header in place.
  c.pixels = std::move(images.bytes);
  c.pixels.erase(c.pixels.begin(), c.pixels.begin() + static_cast<std::ptrdiff_t>(images.offset));
  c.labels.reserve(static_cast<size_t>(labels.dims[0]));
  for (size_t i = labels.offset; i < labels.bytes.size(); ++i) {
    if (labels.bytes[i] >= 10) {
      throw Error(fmt::format("{}: label {} of image {} is not a class 0..9", labels_path.string(), labels.bytes[i],
                              i - labels.offset));
    }
    c.labels.push_back(labels.bytes[i]);
  }
  if (fashion) {
    c.class_names = fashion_names();
    c.normalization = {{0.2860f}, {0.3530f}};
  } else {
    for (int k = 0; k < 10; ++k) c.class_names.push_back(std::to_string(k));
    c.normalization = {{0.1307f}, {0.3081f}};
  }
  return std::make_unique<ArrayDataset>(std::move(c));
}

}  // namespace cnnzoo::data
