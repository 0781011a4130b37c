// ImageNet-1K accuracy that torchvision publishes for the weights of the zoo's torchvision models
// (published_accuracy.inc, written by scripts/torchvision_accuracy.py; a CTest test reruns it with --check).
#include "cnnzoo/models.h"

namespace cnnzoo {
namespace {

struct Entry {
  std::string_view model, weights;
  double top1, top5;
};

constexpr Entry kEntries[] = {
#include "published_accuracy.inc"
};

}  // namespace

std::optional<PublishedAccuracy> published_accuracy(std::string_view model) {
  for (const Entry& entry : kEntries) {
    if (entry.model == model) return PublishedAccuracy{entry.weights, entry.top1, entry.top5};
  }
  return std::nullopt;
}

}  // namespace cnnzoo
