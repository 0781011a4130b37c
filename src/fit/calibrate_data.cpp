// Calibration on a data set's images (cnnzoo quantize, eval --precision int8): a seeded sample of them, as
// the evaluation sees them (eval_augment), so that the ranges are those the test images will meet.
#include <fmt/format.h>

#include <algorithm>
#include <cstring>

#include "cnnzoo/data.h"
#include "cnnzoo/error.h"
#include "cnnzoo/memory_check.h"
#include "cnnzoo/quantization.h"

namespace cnnzoo {

Quantization calibrate_on_data(const Graph& graph, const Parameters& parameters, const Dataset& data, int64_t images,
                               const CalibrationOptions& options) {
  if (images < 1) throw InvalidArgument(fmt::format("calibration needs at least 1 image, not {}", images));
  const Dims& input = graph.shape(graph.inputs().at(0));
  const int64_t wanted = std::min(images, data.size());
  // The samples are kept for the percentile's second pass: refuse a sample that cannot fit before loading it
  // (half of the memory, leaving the rest to the calibration plan's activations).
  const double sample_bytes = 4.0 * static_cast<double>(numel(Dims(input.begin() + 1, input.end())));
  const double bytes = static_cast<double>(wanted) * sample_bytes;
  if (bytes > static_cast<double>(usable_memory_bytes()) / 2) {
    throw InvalidArgument(
        fmt::format("calibrating on {} images of {} keeps {} of samples in memory, but this process "
                    "may use {}; calibrate on fewer images",
                    wanted, to_string(Dims(input.begin() + 1, input.end())), format_bytes(bytes),
                    format_bytes(static_cast<double>(usable_memory_bytes()))));
  }
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
