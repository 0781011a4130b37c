// Loader: worker threads claim batch numbers in order, build them into a map keyed by number, and next()
// hands them out in order; at most `prefetch` batches are built ahead of the one being consumed.
#include <fmt/format.h>

#include <condition_variable>
#include <exception>
#include <map>
#include <mutex>
#include <numeric>
#include <thread>

#include "cnnzoo/data.h"
#include "cnnzoo/error.h"
#include "cnnzoo/init.h"

namespace cnnzoo {

struct Loader::State {
  std::mutex mutex;
  std::condition_variable changed;
  int64_t claim = 0;    // the next batch a worker builds
  int64_t consume = 0;  // the next batch next() returns
  int64_t end = 0;
  bool stopping = false;
  std::map<int64_t, Batch> ready;
  std::exception_ptr error;  // of the earliest batch that failed, `failed`
  int64_t failed = 0;
  std::vector<std::thread> workers;
};

Loader::Loader(const Dataset& data, LoaderOptions options)
    : data_(data), options_(std::move(options)), state_(std::make_unique<State>()) {
  if (options_.batch_size <= 0) {
    throw InvalidArgument(fmt::format("loader: batch size {} must be positive", options_.batch_size));
  }
  if (options_.threads < 0 || options_.prefetch < 1) {
    throw InvalidArgument(
        fmt::format("loader: {} threads, prefetch {}: expected >= 0 and >= 1", options_.threads, options_.prefetch));
  }
  if (options_.shards < 1 || options_.shard < 0 || options_.shard >= options_.shards) {
    throw InvalidArgument(
        fmt::format("loader: shard {} of {}: expected 0 <= shard < shards", options_.shard, options_.shards));
  }
  if (options_.shards > 1 && (options_.batch_size % options_.shards != 0 || !options_.drop_last)) {
    throw InvalidArgument(fmt::format("loader: a batch of {} cannot be cut into {} equal shards{}", options_.batch_size,
                                      options_.shards, options_.drop_last ? "" : " (shards need drop_last)"));
  }
  const Dims shape = data_.image_shape();
  if (options_.augment.out_h == 0) options_.augment.out_h = shape[1];
  if (options_.augment.out_w == 0) options_.augment.out_w = shape[2];
  sample_shape_ = {shape[0], options_.augment.out_h, options_.augment.out_w};
}

Loader::~Loader() { stop(); }

int64_t Loader::batches_per_epoch() const {
  const int64_t n = data_.size(), b = options_.batch_size;
  return options_.drop_last ? n / b : (n + b - 1) / b;
}

std::vector<int64_t> Loader::epoch_order(int64_t epoch) const {
  if (options_.shuffle) {
    return seeded_permutation(data_.size(),
                              splitmix64(stream_key("data.order", options_.seed) + static_cast<uint64_t>(epoch)));
  }
  std::vector<int64_t> order(static_cast<size_t>(data_.size()));
  std::iota(order.begin(), order.end(), 0);
  return order;
}

void Loader::stop() {
  {
    std::lock_guard lock(state_->mutex);
    state_->stopping = true;
  }
  state_->changed.notify_all();
  for (auto& t : state_->workers) t.join();
  state_->workers.clear();
}

void Loader::start_epoch(int64_t epoch, int64_t skip_batches) {
  stop();
  if (skip_batches < 0 || skip_batches > batches_per_epoch()) {
    throw InvalidArgument(
        fmt::format("loader: cannot skip {} of the {} batches of an epoch", skip_batches, batches_per_epoch()));
  }
  epoch_ = epoch;
  order_ = epoch_order(epoch);
  State& s = *state_;
  s.claim = s.consume = skip_batches;
  s.end = batches_per_epoch();
  s.stopping = false;
  s.ready.clear();
  s.error = nullptr;
  for (int64_t t = 0; t < options_.threads; ++t) s.workers.emplace_back([this] { work(); });
}

Batch Loader::build(int64_t batch) const {
  const int64_t share = options_.batch_size / options_.shards;
  const int64_t first = batch * options_.batch_size + options_.shard * share;
  const int64_t n = std::min<int64_t>(share, data_.size() - first);
  Batch out;
  out.images = Tensor({n, sample_shape_[0], sample_shape_[1], sample_shape_[2]});
  const int64_t per = numel(sample_shape_);
  std::span<float> all = out.images.f32();
  for (int64_t i = 0; i < n; ++i) {
    const int64_t index = order_[static_cast<size_t>(first + i)];
    const Image image = data_.image(index);
    if (image.channels != sample_shape_[0]) {
      throw Error(fmt::format("{}: image {} has {} channels, expected {}", data_.location(), index, image.channels,
                              sample_shape_[0]));
    }
    transform(image, options_.augment, sample_key(options_.seed, epoch_, index), all.subspan(i * per, per));
    out.labels.push_back(data_.label(index));
    out.indices.push_back(index);
  }
  return out;
}

void Loader::work() {
  State& s = *state_;
  while (true) {
    int64_t batch = 0;
    {
      std::unique_lock lock(s.mutex);
      s.changed.wait(
          lock, [&] { return s.stopping || s.error || s.claim >= s.end || s.claim < s.consume + options_.prefetch; });
      if (s.stopping || s.error || s.claim >= s.end) return;
      batch = s.claim++;
    }
    try {
      Batch built = build(batch);
      std::lock_guard lock(s.mutex);
      s.ready.emplace(batch, std::move(built));
    } catch (...) {
      std::lock_guard lock(s.mutex);
      if (!s.error || batch < s.failed) {
        s.error = std::current_exception();
        s.failed = batch;
      }
    }
    s.changed.notify_all();
  }
}

bool Loader::next(Batch& out) {
  if (epoch_ < 0) throw InvalidArgument("loader: next() before start_epoch()");
  State& s = *state_;
  std::unique_lock lock(s.mutex);
  if (s.consume >= s.end) return false;
  if (options_.threads == 0) {
    const int64_t batch = s.consume++;
    lock.unlock();
    out = build(batch);
    return true;
  }
  // A failed later batch does not cut short the earlier ones: every batch before it has been claimed, so
  // it arrives (or fails, and becomes the error) before the error is this batch's to throw.
  s.changed.wait(lock, [&] { return s.ready.count(s.consume) > 0 || (s.error && s.failed == s.consume); });
  auto it = s.ready.find(s.consume);
  if (it == s.ready.end()) std::rethrow_exception(s.error);
  out = std::move(it->second);
  s.ready.erase(it);
  ++s.consume;
  lock.unlock();
  s.changed.notify_all();
  return true;
}

}  // namespace cnnzoo
