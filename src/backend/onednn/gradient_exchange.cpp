#include "backend/onednn/gradient_exchange.h"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>

#include "cnnzoo/error.h"

namespace cnnzoo::onednn {

GradientExchange::GradientExchange(Communicator& communicator, int64_t first_bucket_bytes, int64_t bucket_bytes)
    : communicator_(communicator), first_bucket_bytes_(first_bucket_bytes), bucket_bytes_(bucket_bytes) {
  if (first_bucket_bytes < 1 || bucket_bytes < 1) {
    throw InvalidArgument(
        fmt::format("gradient buckets of {} and {} bytes: both must be positive", first_bucket_bytes, bucket_bytes));
  }
}

GradientExchange::Slot GradientExchange::add(std::size_t count) {
  if (!open_) {
    buckets_.emplace_back();
    open_ = true;
  }
  std::vector<float>& bucket = buckets_.back();
  const Slot slot{.bucket = buckets_.size() - 1, .offset = bucket.size(), .count = count};
  bucket.resize(bucket.size() + count);
  return slot;
}

bool GradientExchange::open_bucket_full() const {
  if (!open_) return false;
  const int64_t limit = buckets_.size() == 1 ? first_bucket_bytes_ : bucket_bytes_;
  return static_cast<int64_t>(buckets_.back().size() * sizeof(float)) >= limit;
}

std::size_t GradientExchange::close_bucket() {
  if (!open_) throw Error("GradientExchange::close_bucket: no bucket is open");
  open_ = false;
  return buckets_.size() - 1;
}

void GradientExchange::begin_step() {
  // Every sum a step starts must end within it (an update waits for it whatever the loss): one left under way
  // would pair with another rank's next sum.
  for (std::size_t b = 0; b < tickets_.size(); ++b) {
    if (tickets_[b] >= 0 && !done_[b]) {
      throw Error(fmt::format("gradient bucket {}: the last step left its sum under way", b));
    }
  }
  communicator_.clear_tickets();
  tickets_.assign(buckets_.size(), -1);
  averaged_.assign(buckets_.size(), false);
  started_at_.assign(buckets_.size(), Clock::time_point{});
  done_.assign(buckets_.size(), false);
  loss_ticket_ = -1;
  figures_ = StepCommunication{};
  for (const auto& bucket : buckets_) figures_.bytes += static_cast<int64_t>(bucket.size() * sizeof(float));
  figures_.buckets = static_cast<int64_t>(buckets_.size());
}

void GradientExchange::finished(std::size_t bucket) {
  done_.at(bucket) = true;
  figures_.communication_seconds += std::chrono::duration<double>(Clock::now() - started_at_.at(bucket)).count();
}

void GradientExchange::waited_since(Clock::time_point since) {
  figures_.exposed_seconds += std::chrono::duration<double>(Clock::now() - since).count();
}

void GradientExchange::blocked_since(Clock::time_point since) {
  const double seconds = std::chrono::duration<double>(Clock::now() - since).count();
  figures_.exposed_seconds += seconds;
  figures_.communication_seconds += seconds;
}

void GradientExchange::copy_in(const Slot& slot, const float* gradient) {
  std::copy_n(gradient, slot.count, buckets_.at(slot.bucket).begin() + static_cast<std::ptrdiff_t>(slot.offset));
}

void GradientExchange::start(std::size_t bucket) {
  started_at_.at(bucket) = Clock::now();
  tickets_.at(bucket) = communicator_.start_sum(std::span<float>(buckets_.at(bucket)));
}

void GradientExchange::progress() {
  for (std::size_t b = 0; b < tickets_.size(); ++b) {
    if (tickets_[b] >= 0 && !done_[b] && communicator_.poll(tickets_[b])) finished(b);
  }
  if (loss_ticket_ >= 0) communicator_.poll(loss_ticket_);
}

std::span<const float> GradientExchange::averaged(const Slot& slot) {
  std::vector<float>& bucket = buckets_.at(slot.bucket);
  if (!averaged_.at(slot.bucket)) {
    const Communicator::Ticket ticket = tickets_.at(slot.bucket);
    if (ticket < 0) throw Error(fmt::format("gradient bucket {} is read before it was started", slot.bucket));
    if (!done_.at(slot.bucket)) {
      if (!communicator_.poll(ticket)) {
        const auto since = Clock::now();
        communicator_.wait(ticket);
        waited_since(since);
      }
      finished(slot.bucket);
    }
    // The sum of the ranks' means over their equal shares of the batch, over the ranks: the batch's mean.
    const float ranks = static_cast<float>(communicator_.size());
    for (float& g : bucket) g /= ranks;
    averaged_.at(slot.bucket) = true;
  }
  return std::span<const float>(bucket).subspan(slot.offset, slot.count);
}

void GradientExchange::start_losses(const std::vector<double>& losses) {
  losses_ = losses;
  loss_ticket_ = communicator_.start_sum(std::span<double>(losses_));
}

void GradientExchange::finish_losses(std::vector<double>& losses) {
  if (loss_ticket_ < 0) throw Error("GradientExchange::finish_losses: the sum of the losses was not started");
  if (!communicator_.poll(loss_ticket_)) {
    const auto since = Clock::now();
    communicator_.wait(loss_ticket_);
    waited_since(since);
  }
  for (double& loss : losses_) loss /= communicator_.size();
  losses = losses_;
}

void GradientExchange::combine_statistics(std::span<const float> mean, std::span<const float> variance,
                                          std::span<float> job_mean, std::span<float> job_variance) {
  const std::size_t channels = mean.size();
  std::vector<float> mine(2 * channels);
  std::copy(mean.begin(), mean.end(), mine.begin());
  std::copy(variance.begin(), variance.end(), mine.begin() + static_cast<std::ptrdiff_t>(channels));
  const auto since = Clock::now();
  const std::vector<float> all = communicator_.gather(mine);
  blocked_since(since);
  // In double and in rank order: every rank computes the same floats.
  const auto ranks = static_cast<std::size_t>(communicator_.size());
  for (std::size_t c = 0; c < channels; ++c) {
    double m = 0;
    for (std::size_t r = 0; r < ranks; ++r) m += all[r * 2 * channels + c];
    m /= static_cast<double>(ranks);
    double v = 0;
    for (std::size_t r = 0; r < ranks; ++r) {
      const double d = all[r * 2 * channels + c] - m;
      v += all[r * 2 * channels + channels + c] + d * d;
    }
    job_mean[c] = static_cast<float>(m);
    job_variance[c] = static_cast<float>(v / static_cast<double>(ranks));
  }
}

void GradientExchange::sum_blocking(std::span<double> values) {
  const auto since = Clock::now();
  communicator_.sum(values);
  blocked_since(since);
}

}  // namespace cnnzoo::onednn
