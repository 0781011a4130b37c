// What the training loop does differently across the ranks of a data-parallel job (docs/distributed.md).
#pragma once

#include <cstdint>

#include "cnnzoo/data.h"
#include "cnnzoo/distributed.h"
#include "cnnzoo/fit.h"
#include "cnnzoo/parameters.h"

namespace cnnzoo::fit_detail {

/// Every rank takes rank 0's tensors (all of them: weights, batch-norm statistics, counters), as PyTorch
/// DDP broadcasts its module at the start and its buffers before forward.
void broadcast_parameters(const Communicator& job, Parameters& parameters);

/// This rank's share of the test set: a contiguous run of about size / ranks images.
std::unique_ptr<Dataset> evaluation_shard(const Communicator& job, const std::shared_ptr<const Dataset>& test);

/// The job's evaluation from each rank's over its shard: images, loss, top-1, top-5, the confusion matrix
/// and per-class accuracy as one process would report them (the probabilities and labels stay the rank's).
Evaluation combine_evaluations(const Communicator& job, Evaluation mine);

/// After a step: the job's count of correct predictions, and whether any rank was asked to stop (every
/// rank then stops at the same batch; a rank that stopped alone would leave the others waiting).
struct StepAgreement {
  int64_t correct = 0;
  bool stop = false;
};
StepAgreement agree_after_step(const Communicator& job, int64_t correct, bool stop_requested);

}  // namespace cnnzoo::fit_detail
