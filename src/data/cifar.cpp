// CIFAR-10 and CIFAR-100 binary batches: records of label byte(s) + 3072 pixel bytes (R, G, B planes).
#include <fmt/format.h>

#include "cnnzoo/error.h"
#include "data/data_sets.h"

namespace cnnzoo::data {
namespace {

namespace fs = std::filesystem;
constexpr int64_t kPixels = 3 * 32 * 32;

// The archives unpack into cifar-10-batches-bin / cifar-100-binary; accept the folder above them too.
fs::path resolve_dir(const fs::path& dir, const std::string& inner, const std::string& spec) {
  std::error_code ec;
  if (!fs::is_directory(dir, ec)) throw Error(fmt::format("{}: {} is not a directory", spec, dir.string()));
  if (fs::is_directory(dir / inner, ec)) return dir / inner;
  return dir;
}

// Appends the records of one file: `label_bytes` per record, the label used is the last of them.
void read_records(const fs::path& path, int64_t label_bytes, int64_t num_classes, int64_t max_gunzip_bytes,
                  ArrayDataset::Contents& c) {
  const std::vector<uint8_t> b = read_file(path, max_gunzip_bytes);
  const int64_t record = label_bytes + kPixels;
  const auto size = static_cast<int64_t>(b.size());
  if (size == 0 || size % record != 0) {
    throw Error(fmt::format("{}: {} bytes is not a whole number of {}-byte CIFAR records{}", path.string(), size,
                            record, size == 0 ? "" : " (truncated or not a CIFAR batch)"));
  }
  const int64_t n = size / record;
  const size_t first = c.labels.size();
  c.pixels.resize((first + static_cast<size_t>(n)) * kPixels);
  for (int64_t r = 0; r < n; ++r) {
    const uint8_t* rec = b.data() + r * record;
    for (int64_t k = 0; k < label_bytes; ++k) {
      const int64_t limit = (label_bytes == 2 && k == 0) ? 20 : num_classes;
      if (rec[k] >= limit) {
        throw Error(fmt::format("{}: record {} has {} label {}, expected 0..{}", path.string(), r,
                                label_bytes == 2 ? (k == 0 ? "coarse" : "fine") : "a", rec[k], limit - 1));
      }
    }
    c.labels.push_back(rec[label_bytes - 1]);
    const uint8_t* planes = rec + label_bytes;
    uint8_t* out = c.pixels.data() + (first + static_cast<size_t>(r)) * kPixels;
    for (int64_t p = 0; p < 1024; ++p) {
      for (int64_t ch = 0; ch < 3; ++ch) out[p * 3 + ch] = planes[ch * 1024 + p];
    }
  }
}

ArrayDataset::Contents start(const std::string& name, const fs::path& dir) {
  ArrayDataset::Contents c;
  c.name = name;
  c.location = dir.string();
  c.channels = 3;
  c.height = 32;
  c.width = 32;
  return c;
}

void set_names(ArrayDataset::Contents& c, std::vector<std::string> names, std::vector<std::string> defaults,
               const fs::path& file, size_t want) {
  if (names.empty()) names = std::move(defaults);
  if (names.size() != want) {
    throw Error(fmt::format("{}: {} class names, expected {}", file.string(), names.size(), want));
  }
  c.class_names = std::move(names);
}

}  // namespace

std::unique_ptr<Dataset> open_cifar10(const fs::path& given, Split split, const DecodeBudgets& budgets) {
  const std::string spec = "cifar10:" + given.string();
  const fs::path dir = resolve_dir(given, "cifar-10-batches-bin", spec);
  ArrayDataset::Contents c = start("cifar10", dir);
  if (split == Split::Train) {
    for (int k = 1; k <= 5; ++k)
      read_records(dir / fmt::format("data_batch_{}.bin", k), 1, 10, budgets.gunzip_bytes, c);
  } else {
    read_records(dir / "test_batch.bin", 1, 10, budgets.gunzip_bytes, c);
  }
  set_names(c, read_class_names(dir / "batches.meta.txt"),
            {"airplane", "automobile", "bird", "cat", "deer", "dog", "frog", "horse", "ship", "truck"},
            dir / "batches.meta.txt", 10);
  c.normalization = {{0.4914f, 0.4822f, 0.4465f}, {0.2470f, 0.2435f, 0.2616f}};
  return std::make_unique<ArrayDataset>(std::move(c));
}

std::unique_ptr<Dataset> open_cifar100(const fs::path& given, Split split, const DecodeBudgets& budgets) {
  const std::string spec = "cifar100:" + given.string();
  const fs::path dir = resolve_dir(given, "cifar-100-binary", spec);
  ArrayDataset::Contents c = start("cifar100", dir);
  read_records(dir / (split == Split::Train ? "train.bin" : "test.bin"), 2, 100, budgets.gunzip_bytes, c);
  std::vector<std::string> defaults;
  for (int k = 0; k < 100; ++k) defaults.push_back(std::to_string(k));
  set_names(c, read_class_names(dir / "fine_label_names.txt"), std::move(defaults), dir / "fine_label_names.txt", 100);
  c.normalization = {{0.5071f, 0.4865f, 0.4409f}, {0.2673f, 0.2564f, 0.2762f}};
  return std::make_unique<ArrayDataset>(std::move(c));
}

}  // namespace cnnzoo::data
