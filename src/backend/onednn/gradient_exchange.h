// Data-parallel training's exchange (docs/distributed.md): each rank's gradients summed over the job in
// buckets, each started (MPI_Iallreduce) as soon as backward has written its last gradient, so that it
// travels while backward computes the gradients of earlier layers; then averaged, for the update.
//
// Buckets fill in backward order, as PyTorch DDP's: the first holds at most `first_bucket_bytes` (DDP: 1 MB)
// so that the network starts early, the others at most `bucket_bytes` (DDP: 25 MB) so that few latencies
// add up. A parameter is never split: a bucket may exceed its size by one parameter.
#pragma once

#include <chrono>
#include <cstdint>
#include <span>
#include <vector>

#include "cnnzoo/distributed.h"
#include "cnnzoo/engine.h"

namespace cnnzoo::onednn {

class GradientExchange {
 public:
  GradientExchange(Communicator& communicator, int64_t first_bucket_bytes, int64_t bucket_bytes);

  /// Where a parameter's gradient travels.
  struct Slot {
    std::size_t bucket = 0, offset = 0, count = 0;
  };

  // While the plan is compiled:
  /// A place for `count` floats in the open bucket (opened if none is).
  Slot add(std::size_t count);
  /// Whether the open bucket has reached its size, and so should be started.
  bool open_bucket_full() const;
  bool has_open_bucket() const { return open_; }
  /// Closes the open bucket; returns its index, for start().
  std::size_t close_bucket();
  std::size_t buckets() const { return buckets_.size(); }

  // While a step runs, in plan order (the same on every rank):
  /// Resets the step's tickets and figures.
  void begin_step();
  void copy_in(const Slot& slot, const float* gradient);
  /// Starts the sum of bucket `bucket`.
  void start(std::size_t bucket);
  /// Lets MPI move the sums under way (it progresses them only inside its calls); cheap.
  void progress();
  /// The job's mean of the slot's gradient: waits for its bucket's sum (once) and divides it by the ranks.
  std::span<const float> averaged(const Slot& slot);
  /// Starts the sum of the step's losses (one per graph output); finish_losses() waits for it and leaves
  /// their job mean in `losses`.
  void start_losses(const std::vector<double>& losses);
  void finish_losses(std::vector<double>& losses);

  /// Sync batch norm's forward: from each rank's mean and (biased) variance of a batch of the same size,
  /// those of the job's batch: the mean of the means and, by the parallel form of the variance (Chan et
  /// al., 1979), the mean of the variances plus the variance of the means. Blocking.
  void combine_statistics(std::span<const float> mean, std::span<const float> variance, std::span<float> job_mean,
                          std::span<float> job_variance);
  /// Sync batch norm's backward: the job's sums of the per-rank values, in place. Blocking.
  void sum_blocking(std::span<double> values);

  int ranks() const { return communicator_.size(); }
  int rank() const { return communicator_.rank(); }
  /// The figures of the last step (step_seconds is the engine's to fill).
  const StepCommunication& figures() const { return figures_; }

 private:
  using Clock = std::chrono::steady_clock;
  /// Bucket `bucket`'s sum is seen done: its time in flight counts as communication.
  void finished(std::size_t bucket);
  void waited_since(Clock::time_point since);   ///< on a sum under way: exposed
  void blocked_since(Clock::time_point since);  ///< on a blocking sum: exposed, and communication of its own

  Communicator& communicator_;
  int64_t first_bucket_bytes_, bucket_bytes_;
  std::vector<std::vector<float>> buckets_;
  bool open_ = false;
  // Per step:
  std::vector<Communicator::Ticket> tickets_;  ///< by bucket; -1 before it starts
  std::vector<bool> averaged_;                 ///< by bucket
  std::vector<double> losses_;
  Communicator::Ticket loss_ticket_ = -1;
  std::vector<Clock::time_point> started_at_;  ///< by bucket
  std::vector<bool> done_;                     ///< by bucket
  StepCommunication figures_;
};

}  // namespace cnnzoo::onednn
