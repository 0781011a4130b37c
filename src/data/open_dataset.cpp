// open_dataset: the spec parser, plus the views over a data set (subsets, the first N, validation splits).
#include <fmt/format.h>
#include <fmt/ranges.h>

#include <algorithm>
#include <cmath>
#include <numeric>

#include "cnnzoo/error.h"
#include "cnnzoo/init.h"
#include "data/data_sets.h"

namespace cnnzoo {
namespace {

class SubsetDataset final : public Dataset {
 public:
  SubsetDataset(std::shared_ptr<const Dataset> base, std::vector<int64_t> indices)
      : base_(std::move(base)), indices_(std::move(indices)) {
    for (int64_t i : indices_) {
      if (i < 0 || i >= base_->size()) {
        throw InvalidArgument(
            fmt::format("{}: subset index {} out of range (size {})", base_->location(), i, base_->size()));
      }
    }
  }
  int64_t size() const override { return static_cast<int64_t>(indices_.size()); }
  Image image(int64_t i) const override { return base_->image(at(i)); }
  int64_t label(int64_t i) const override { return base_->label(at(i)); }
  int64_t num_classes() const override { return base_->num_classes(); }
  const std::vector<std::string>& class_names() const override { return base_->class_names(); }
  Dims image_shape() const override { return base_->image_shape(); }
  std::string name() const override { return base_->name(); }
  std::string location() const override { return base_->location(); }
  Normalization normalization() const override { return base_->normalization(); }
  bool in_memory() const override { return base_->in_memory(); }

 private:
  int64_t at(int64_t i) const {
    if (i < 0 || i >= size()) {
      throw InvalidArgument(fmt::format("{}: image {} out of range (subset of {})", location(), i, size()));
    }
    return indices_[static_cast<size_t>(i)];
  }
  std::shared_ptr<const Dataset> base_;
  std::vector<int64_t> indices_;
};

}  // namespace

std::vector<std::string> dataset_kinds() { return {"fashion-mnist", "mnist", "cifar10", "cifar100", "folder"}; }

std::unique_ptr<Dataset> open_dataset(const std::string& spec, Split split, const DatasetOptions& options) {
  const size_t colon = spec.find(':');
  const std::string kind = spec.substr(0, colon);
  const std::string dir = colon == std::string::npos ? "" : spec.substr(colon + 1);
  if (kind == "fashion-mnist")
    return data::open_idx(dir.empty() ? fashion_mnist_dir : dir, split, kind, options.budgets);
  const auto known = dataset_kinds();
  if (std::find(known.begin(), known.end(), kind) == known.end()) {
    throw UnknownNameError(fmt::format("data set '{}': unknown kind '{}'; known: {} (as fashion-mnist, KIND:DIR)", spec,
                                       kind, fmt::join(known, ", ")));
  }
  if (dir.empty()) throw InvalidArgument(fmt::format("data set '{}': expected {}:DIR", spec, kind));
  if (kind == "mnist") return data::open_idx(dir, split, kind, options.budgets);
  if (kind == "cifar10") return data::open_cifar10(dir, split, options.budgets);
  if (kind == "cifar100") return data::open_cifar100(dir, split, options.budgets);
  return data::open_folder(dir, split, options);
}

std::unique_ptr<Dataset> subset(std::shared_ptr<const Dataset> data, std::vector<int64_t> indices) {
  return std::make_unique<SubsetDataset>(std::move(data), std::move(indices));
}

std::unique_ptr<Dataset> take_first(std::unique_ptr<Dataset> data, int64_t n) {
  if (n < 0) throw InvalidArgument(fmt::format("subset of {} images: must not be negative", n));
  if (n >= data->size()) return data;
  std::vector<int64_t> indices(static_cast<size_t>(n));
  std::iota(indices.begin(), indices.end(), 0);
  return subset(std::shared_ptr<const Dataset>(std::move(data)), std::move(indices));
}

std::vector<int64_t> seeded_permutation(int64_t n, uint64_t key) {
  std::vector<int64_t> order(static_cast<size_t>(std::max<int64_t>(n, 0)));
  std::iota(order.begin(), order.end(), 0);
  for (int64_t i = n - 1; i > 0; --i) {
    const auto j = static_cast<int64_t>(splitmix64(key + static_cast<uint64_t>(i)) % static_cast<uint64_t>(i + 1));
    std::swap(order[static_cast<size_t>(i)], order[static_cast<size_t>(j)]);
  }
  return order;
}

SplitDatasets split_validation(std::unique_ptr<Dataset> data, double fraction, uint64_t seed) {
  if (!(fraction >= 0 && fraction < 1)) {
    throw InvalidArgument(fmt::format("validation split {}: expected a fraction in [0, 1)", fraction));
  }
  const int64_t n = data->size();
  const auto held = static_cast<int64_t>(std::llround(fraction * static_cast<double>(n)));
  std::vector<int64_t> order = seeded_permutation(n, stream_key("data.validation_split", seed));
  std::vector<int64_t> val(order.begin(), order.begin() + held);
  std::vector<int64_t> train(order.begin() + held, order.end());
  std::sort(val.begin(), val.end());
  std::sort(train.begin(), train.end());
  std::shared_ptr<const Dataset> base(std::move(data));
  return {subset(base, std::move(train)), subset(base, std::move(val))};
}

}  // namespace cnnzoo
