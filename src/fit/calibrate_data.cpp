// Calibration on a data set's images (cnnzoo quantize, eval --precision int8): a seeded sample of them, as
// the evaluation sees them (eval_augment), so that the ranges are those the test images will meet.
#include <fmt/format.h>

#include <algorithm>
#include <cstring>

#include "cnnzoo/data.h"
#include "cnnzoo/error.h"
#include "cnnzoo/quantization.h"

namespace cnnzoo {

Quantization calibrate_on_data(const Graph& graph, const Parameters& parameters, const Dataset& data, int64_t images,
                               const CalibrationOptions& options) {
  if (images < 1) throw InvalidArgument(fmt::format("calibration needs at least 1 image, not {}", images));
  const Dims& input = graph.shape(graph.inputs().at(0));
  const int64_t wanted = std::min(images, data.size());
  Loader loader(data, {.batch_size = std::min<int64_t>(input.at(0), wanted),
                       .shuffle = true,  // a seeded sample of every class, not the set's first images
                       .drop_last = false,
                       .threads = 1,
                       .augment = eval_augment(data, input)});
  loader.start_epoch(0);
  std::vector<Tensor> batches;
  int64_t taken = 0;
  Batch b;
  while (taken < wanted && loader.next(b)) {
    const int64_t n = std::min<int64_t>(static_cast<int64_t>(b.labels.size()), wanted - taken);
    Dims shape = b.images.shape();
    shape[0] = n;
    Tensor kept(shape);
    std::memcpy(kept.bytes(), b.images.bytes(), static_cast<std::size_t>(kept.nbytes()));
    batches.push_back(std::move(kept));
    taken += n;
  }
  Quantization q = calibrate(graph, parameters, batches, options);
  q.source = data.name();
  return q;
}

}  // namespace cnnzoo
