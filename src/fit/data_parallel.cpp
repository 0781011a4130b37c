#include "fit/data_parallel.h"

#include <cmath>
#include <numeric>

namespace cnnzoo::fit_detail {

void broadcast_parameters(const Communicator& job, Parameters& parameters) {
  // The same names in the same (sorted) order on every rank: the model is built from the same options.
  for (auto& [name, tensor] : parameters) {
    job.broadcast({tensor.bytes(), static_cast<std::size_t>(tensor.nbytes())});
  }
}

std::unique_ptr<Dataset> evaluation_shard(const Communicator& job, const std::shared_ptr<const Dataset>& test) {
  const int64_t n = test->size(), ranks = job.size(), rank = job.rank();
  const int64_t first = n * rank / ranks, end = n * (rank + 1) / ranks;
  std::vector<int64_t> indices(static_cast<std::size_t>(end - first));
  std::iota(indices.begin(), indices.end(), first);
  return subset(test, std::move(indices));
}

Evaluation combine_evaluations(const Communicator& job, Evaluation mine) {
  if (!job.distributed()) return mine;
  // Counts travel as integers: top1 x images gives back the count exactly (images < 2^53).
  const auto images = static_cast<double>(mine.images);
  std::vector<int64_t> counts{mine.images, std::llround(mine.top1 * images), std::llround(mine.top5 * images)};
  for (const auto& row : mine.confusion) counts.insert(counts.end(), row.begin(), row.end());
  std::vector<double> loss{mine.loss * images};
  job.sum(counts);
  job.sum(loss);
  Evaluation job_evaluation;
  job_evaluation.images = counts[0];
  const auto n = static_cast<double>(std::max<int64_t>(counts[0], 1));
  job_evaluation.top1 = static_cast<double>(counts[1]) / n;
  job_evaluation.top5 = static_cast<double>(counts[2]) / n;
  job_evaluation.loss = loss[0] / n;
  job_evaluation.confusion = mine.confusion;
  std::size_t at = 3;
  for (auto& row : job_evaluation.confusion) {
    for (int64_t& cell : row) cell = counts[at++];
  }
  job_evaluation.per_class = per_class_accuracy(job_evaluation.confusion);
  job_evaluation.probabilities = std::move(mine.probabilities);
  job_evaluation.labels = std::move(mine.labels);
  return job_evaluation;
}

StepAgreement agree_after_step(const Communicator& job, int64_t correct, bool stop_requested) {
  std::vector<int64_t> values{correct, stop_requested ? 1 : 0};
  job.sum(values);
  return {.correct = values[0], .stop = values[1] > 0};
}

}  // namespace cnnzoo::fit_detail
