// The loader: seeded order, exact resume, thread-count independence, errors from workers, throughput.
#include <chrono>
#include <cmath>
#include <cstdio>

#include "data_sets/helpers.h"

namespace cnnzoo {
namespace {

using namespace cnnzoo::testing;

std::unique_ptr<Dataset> tiny(int n) {
  const fs::path dir = scratch_dir("idx");
  write_tiny_idx(dir, n, false);
  return open_dataset("mnist:" + dir.string(), Split::Train);
}

std::vector<Batch> epoch(Loader& loader, int64_t e, int64_t skip = 0) {
  loader.start_epoch(e, skip);
  std::vector<Batch> out;
  Batch b;
  while (loader.next(b)) out.push_back(std::move(b));
  return out;
}

void expect_same(const std::vector<Batch>& a, const std::vector<Batch>& b) {
  ASSERT_EQ(a.size(), b.size());
  for (size_t i = 0; i < a.size(); ++i) {
    EXPECT_EQ(a[i].indices, b[i].indices) << i;
    EXPECT_EQ(a[i].labels, b[i].labels) << i;
    ASSERT_EQ(a[i].images.shape(), b[i].images.shape());
    const auto x = a[i].images.f32(), y = b[i].images.f32();
    EXPECT_TRUE(std::equal(x.begin(), x.end(), y.begin())) << i;
  }
}

LoaderOptions augmented(const Dataset& data, int64_t threads) {
  LoaderOptions o;
  o.batch_size = 8;
  o.seed = 11;
  o.threads = threads;
  o.augment = train_augment(data, data.image_shape());
  o.augment.hflip = true;
  return o;
}

TEST(Loader, EpochCoversEveryImageOnce) {
  auto data = tiny(30);
  Loader loader(*data, augmented(*data, 2));
  EXPECT_EQ(loader.batches_per_epoch(), 4);
  const auto batches = epoch(loader, 0);
  ASSERT_EQ(batches.size(), 4u);
  EXPECT_EQ(batches[3].images.shape(), (Dims{6, 1, 4, 3}));
  std::vector<int64_t> all;
  for (const auto& b : batches) {
    for (size_t i = 0; i < b.indices.size(); ++i) {
      EXPECT_EQ(b.labels[i], b.indices[i] % 10);
      all.push_back(b.indices[i]);
    }
  }
  EXPECT_EQ(all, loader.epoch_order(0));
  std::sort(all.begin(), all.end());
  for (int i = 0; i < 30; ++i) EXPECT_EQ(all[static_cast<size_t>(i)], i);

  LoaderOptions o = augmented(*data, 2);
  o.drop_last = true;
  Loader dropping(*data, o);
  EXPECT_EQ(dropping.batches_per_epoch(), 3);
  EXPECT_EQ(epoch(dropping, 0).size(), 3u);
}

TEST(Loader, PlainOrderAndPixels) {
  auto data = tiny(5);
  LoaderOptions o;
  o.batch_size = 2;
  o.shuffle = false;
  Loader loader(*data, o);
  const auto batches = epoch(loader, 0);
  ASSERT_EQ(batches.size(), 3u);
  EXPECT_EQ(batches[1].indices, (std::vector<int64_t>{2, 3}));
  const auto px = batches[1].images.f32();
  EXPECT_FLOAT_EQ(px[0] * 255.0f, 32.0f);        // image 2, pixel 0
  EXPECT_FLOAT_EQ(px[12 + 11] * 255.0f, 59.0f);  // image 3, pixel 11
}

TEST(Loader, DeterministicBySeedEpochAndIndex) {
  auto data = tiny(40);
  Loader a(*data, augmented(*data, 2)), b(*data, augmented(*data, 2));
  const auto e0 = epoch(a, 0);
  expect_same(e0, epoch(b, 0));
  expect_same(e0, epoch(a, 0));  // replay
  const auto e1 = epoch(a, 1);
  EXPECT_NE(e0[0].indices, e1[0].indices);
  LoaderOptions other = augmented(*data, 2);
  other.seed = 12;
  Loader c(*data, other);
  EXPECT_NE(epoch(c, 0)[0].indices, e0[0].indices);
}

TEST(Loader, ResumeMidEpochGivesTheSameBatches) {
  auto data = tiny(45);
  Loader loader(*data, augmented(*data, 3));
  const auto full = epoch(loader, 5);
  for (int64_t skip : {1, 3, 5, 6}) {
    const auto rest = epoch(loader, 5, skip);
    expect_same(std::vector<Batch>(full.begin() + skip, full.end()), rest);
  }
  EXPECT_THROW(loader.start_epoch(0, 7), InvalidArgument);
}

TEST(Loader, ThreadCountDoesNotChangeBatches) {
  auto data = tiny(50);
  Loader inline_loader(*data, augmented(*data, 0)), one(*data, augmented(*data, 1)), three(*data, augmented(*data, 3));
  const auto reference = epoch(inline_loader, 2);
  expect_same(reference, epoch(one, 2));
  expect_same(reference, epoch(three, 2));
}

// Data parallel: the ranks' shards of each batch, side by side, are the batch of one loader, augmentation
// included (it depends on the seed, epoch and image, never on the rank).
TEST(Loader, ShardsOfEachBatchMakeTheWholeBatch) {
  auto data = tiny(50);
  LoaderOptions whole = augmented(*data, 2);
  whole.drop_last = true;
  Loader one(*data, whole);
  const auto reference = epoch(one, 4);
  ASSERT_EQ(reference.size(), 6u);  // 50 images, batches of 8, the short one dropped
  std::vector<std::vector<Batch>> shards;
  for (int64_t shard = 0; shard < 4; ++shard) {
    LoaderOptions part = whole;
    part.shard = shard;
    part.shards = 4;
    Loader loader(*data, part);
    shards.push_back(epoch(loader, 4));
    ASSERT_EQ(shards.back().size(), reference.size());
  }
  for (std::size_t b = 0; b < reference.size(); ++b) {
    std::vector<int64_t> indices;
    std::vector<float> pixels;
    for (const auto& shard : shards) {
      EXPECT_EQ(shard[b].images.shape()[0], 2);
      indices.insert(indices.end(), shard[b].indices.begin(), shard[b].indices.end());
      pixels.insert(pixels.end(), shard[b].images.f32().begin(), shard[b].images.f32().end());
    }
    EXPECT_EQ(indices, reference[b].indices) << b;
    const auto x = reference[b].images.f32();
    EXPECT_TRUE(std::equal(x.begin(), x.end(), pixels.begin(), pixels.end())) << b;
  }
  LoaderOptions uneven = whole;
  uneven.shards = 3;  // 8 does not split into 3
  EXPECT_THROW(Loader(*data, uneven), InvalidArgument);
  LoaderOptions outside = whole;
  outside.shards = 2;
  outside.shard = 2;
  EXPECT_THROW(Loader(*data, outside), InvalidArgument);
}

// Throws for one image, as an unreadable file would.
class Failing final : public Dataset {
 public:
  explicit Failing(const Dataset& base) : base_(base) {}
  int64_t size() const override { return base_.size(); }
  Image image(int64_t i) const override {
    if (i == 17) throw Error("broken.png: cannot decode PNG");
    return base_.image(i);
  }
  int64_t label(int64_t i) const override { return base_.label(i); }
  int64_t num_classes() const override { return base_.num_classes(); }
  const std::vector<std::string>& class_names() const override { return base_.class_names(); }
  Dims image_shape() const override { return base_.image_shape(); }
  std::string name() const override { return base_.name(); }
  std::string location() const override { return base_.location(); }
  Normalization normalization() const override { return base_.normalization(); }
  bool in_memory() const override { return true; }

 private:
  const Dataset& base_;
};

TEST(Loader, WorkerErrorsReachTheCaller) {
  auto data = tiny(40);
  Failing failing(*data);
  for (int64_t threads : {0, 1, 3}) {
    LoaderOptions o;
    o.batch_size = 4;
    o.shuffle = false;
    o.threads = threads;
    Loader loader(failing, o);
    loader.start_epoch(0);
    Batch b;
    for (int i = 0; i < 4; ++i) ASSERT_TRUE(loader.next(b)) << threads;  // batches 0..3 are fine
    expect_error_mentions([&] { loader.next(b); }, {"broken.png"});
  }
  // Stopping in the middle of an epoch, and before any epoch, joins cleanly.
  Loader early(*data, augmented(*data, 3));
  early.start_epoch(0);
  Batch b;
  EXPECT_TRUE(early.next(b));
  Loader never(*data, augmented(*data, 3));
  EXPECT_THROW(never.next(b), InvalidArgument);
}

TEST(Loader, FashionMnistThroughput) {
  ASSERT_TRUE(fs::exists(fs::path(fashion_mnist_dir)))
      << "install the Debian package dataset-fashion-mnist (make test does)";
  auto data = open_dataset("fashion-mnist", Split::Train);
  for (int64_t threads : {1, 2, 4}) {
    LoaderOptions o;
    o.batch_size = 128;
    o.threads = threads;
    o.augment = train_augment(*data, {1, 28, 28});
    Loader loader(*data, o);
    const auto start = std::chrono::steady_clock::now();
    loader.start_epoch(0);
    Batch b;
    int64_t n = 0;
    while (loader.next(b)) ++n;
    const double s = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    EXPECT_EQ(n, 469);
    std::printf("[ throughput ] fashion-mnist train, batch 128, %lld threads: %.0f batches/s (%.2f s/epoch)\n",
                static_cast<long long>(threads), static_cast<double>(n) / s, s);
  }
}

TEST(Loader, FashionMnistNormalisedToZeroMeanUnitStd) {
  ASSERT_TRUE(fs::exists(fs::path(fashion_mnist_dir)))
      << "install the Debian package dataset-fashion-mnist (make test does)";
  auto data = open_dataset("fashion-mnist", Split::Train);
  LoaderOptions o;
  o.batch_size = 1000;
  o.augment = eval_augment(*data, {1, 28, 28});
  Loader loader(*data, o);
  loader.start_epoch(0);
  double sum = 0, sum2 = 0, n = 0;
  Batch b;
  while (loader.next(b)) {
    for (float v : b.images.f32()) {
      sum += v;
      sum2 += double{v} * v;
      ++n;
    }
  }
  const double mean = sum / n;
  EXPECT_NEAR(mean, 0.0, 0.01);
  EXPECT_NEAR(std::sqrt(sum2 / n - mean * mean), 1.0, 0.01);
}

}  // namespace
}  // namespace cnnzoo
