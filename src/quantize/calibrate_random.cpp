// Calibration on random inputs (quantization.h): for timing int8 (bench, the cost experiment), where the ranges
// only need to be those of the inputs being timed.
#include <fmt/format.h>

#include "cnnzoo/error.h"
#include "cnnzoo/init.h"
#include "cnnzoo/quantization.h"

namespace cnnzoo {

Quantization calibrate_on_random(const Graph& graph, const Parameters& parameters, int64_t images, uint64_t seed,
                                 const CalibrationOptions& options) {
  if (images < 1) throw InvalidArgument(fmt::format("calibration needs at least 1 image, not {}", images));
  const Dims shape = graph.shape(graph.inputs().at(0));
  std::vector<Tensor> batches;
  for (int64_t seen = 0; seen < images; seen += shape[0]) {
    batches.push_back(test_uniform(fmt::format("calibration.random.{}", batches.size()), shape, seed, -1, 1));
  }
  Quantization q = calibrate(graph, parameters, batches, options);
  q.source = "random uniform [-1, 1] inputs";
  return q;
}

}  // namespace cnnzoo
