// Data sets for training and evaluation: Fashion-MNIST (the embedded default, from Debian's
// dataset-fashion-mnist), MNIST-style IDX sets, CIFAR-10/100 binary batches and ImageNet-style image
// folders; the augmentations that turn an 8-bit image into a normalised float CHW sample; and a
// multi-threaded loader that prefetches batches while the engine computes.
//
// Determinism: every random choice is drawn from the counter-based generator of cnnzoo/init.h. The order
// of an epoch depends only on (seed, epoch) and a sample's augmentation only on (seed, epoch, index in
// the data set), never on the number of threads or on which batches came before, so an epoch can be
// resumed mid-way (start_epoch(e, k)) or replayed exactly.
//
// Memory: IDX and CIFAR sets are read into memory once (Fashion-MNIST is 47 MB); folder sets keep a
// list of files and decode an image (JPEG with libjpeg-turbo, PNG with libpng) on every access.
#pragma once

#include <array>
#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "cnnzoo/budgets.h"
#include "cnnzoo/shape.h"
#include "cnnzoo/tensor.h"

namespace cnnzoo {

/// An 8-bit image, pixels in HWC order (height, width, channels), row-major.
struct Image {
  int64_t channels = 0;
  int64_t height = 0;
  int64_t width = 0;
  std::vector<uint8_t> pixels;
};

/// Per-channel normalisation applied after scaling pixels to [0, 1]: (x - mean) / stddev.
struct Normalization {
  std::vector<float> mean{};
  std::vector<float> stddev{};
};

/// The mean and std of ImageNet's RGB pixels in [0, 1]: torchvision's pretrained models take their input
/// normalised by these, and its GoogLeNet and Inception-v3 undo them in transform_input.
inline constexpr std::array<double, 3> kImageNetMean{0.485, 0.456, 0.406};
inline constexpr std::array<double, 3> kImageNetStd{0.229, 0.224, 0.225};

/// kImageNetMean and kImageNetStd as a Normalization.
inline Normalization imagenet_normalization() {
  return {{kImageNetMean.begin(), kImageNetMean.end()}, {kImageNetStd.begin(), kImageNetStd.end()}};
}

/// A labelled set of images. All const members are safe to call from several threads at once.
class Dataset {
 public:
  virtual ~Dataset() = default;
  virtual int64_t size() const = 0;
  /// Image `i` (0 <= i < size()); throws Error naming the file when it cannot be read or decoded.
  virtual Image image(int64_t i) const = 0;
  virtual int64_t label(int64_t i) const = 0;
  virtual int64_t num_classes() const = 0;
  /// One name per class, index = label.
  virtual const std::vector<std::string>& class_names() const = 0;
  /// {C, H, W} of every image; for folder sets (whose decoded sizes vary) the configured training size.
  virtual Dims image_shape() const = 0;
  /// The kind: "fashion-mnist", "mnist", "cifar10", "cifar100" or "folder".
  virtual std::string name() const = 0;
  /// Where it was read from (a directory).
  virtual std::string location() const = 0;
  /// The customary per-channel mean/std of the set (ImageNet's for folders).
  virtual Normalization normalization() const = 0;
  /// True when image(i) is as cheap as a copy (in memory); false when it decodes a file.
  virtual bool in_memory() const = 0;
};

enum class Split { Train, Test };

struct DatasetOptions {
  /// folder:DIR without train/ and val/ subfolders: the fraction of the images held out as the Test split.
  double validation_split = 0.1;
  /// Seed of the permutation that chooses the held-out images.
  uint64_t split_seed = 0;
  /// folder sets: the training size reported by image_shape() (the model's input).
  int64_t image_size = 224;
  /// How large an image may be decoded (folder sets) and a gzipped IDX or CIFAR file inflated.
  DecodeBudgets budgets{};
};

/// Where Debian's dataset-fashion-mnist installs the data.
inline constexpr const char* fashion_mnist_dir = "/usr/share/datasets/fashion-mnist";

/// Opens a data set from a spec:
///   "fashion-mnist"        the Debian package's files in fashion_mnist_dir ("fashion-mnist:DIR" elsewhere)
///   "mnist:DIR"            an IDX set: {train,t10k}-{images-idx3,labels-idx1}-ubyte, gzipped (.gz) or not
///   "cifar10:DIR"          data_batch_1..5.bin / test_batch.bin (+ batches.meta.txt for class names)
///   "cifar100:DIR"         train.bin / test.bin, fine labels (+ fine_label_names.txt)
///   "folder:DIR"           one subfolder per class of JPEG/PNG files; DIR/train and DIR/val when present,
///                          else DIR split by options.validation_split (Test = the held-out part)
/// Throws UnknownNameError listing the kinds for an unknown kind, Error naming the file for a missing or
/// malformed file (for Fashion-MNIST, naming the Debian package to install).
std::unique_ptr<Dataset> open_dataset(const std::string& spec, Split split, const DatasetOptions& options = {});

/// The data set kinds open_dataset knows.
std::vector<std::string> dataset_kinds();

/// The first `n` images of `data` (all of them when n >= size()); for `--subset N`.
std::unique_ptr<Dataset> take_first(std::unique_ptr<Dataset> data, int64_t n);

/// The images of `data` at `indices` (each in [0, size())), in that order.
std::unique_ptr<Dataset> subset(std::shared_ptr<const Dataset> data, std::vector<int64_t> indices);

struct SplitDatasets {
  std::unique_ptr<Dataset> train;
  std::unique_ptr<Dataset> validation;
};

/// Splits `data` by a permutation seeded by `seed`: round(fraction * size()) images go to validation,
/// the rest to train, each part in ascending index order. Deterministic; 0 <= fraction < 1.
SplitDatasets split_validation(std::unique_ptr<Dataset> data, double fraction, uint64_t seed);

/// A permutation of 0..n-1 by Fisher-Yates, swap j = splitmix64(key + i) mod (i + 1), i = n-1 .. 1.
std::vector<int64_t> seeded_permutation(int64_t n, uint64_t key);

/// How an image becomes a sample. The steps, in order:
///   1. random_resized_crop: a crop of scale in [scale_min, scale_max] of the area and aspect ratio in
///      [ratio_min, ratio_max] (log-uniform), as torchvision's RandomResizedCrop (10 tries, then a
///      centre crop), resized to out_h x out_w; otherwise, resize > 0 resizes the shorter side to it.
///   2. center_crop: the centre out_h x out_w (zero-filled where the image is smaller).
///   3. pad_crop > 0: zero padding of pad_crop on every side, then a random out_h x out_w crop.
///   4. hflip: a left-right flip with probability 1/2.
///   5. x / 255, then (x - mean[c]) / stddev[c] (empty = none; one value = every channel).
/// The image must then be out_h x out_w. Resizing is bilinear (half-pixel centres, no antialiasing).
struct Augment {
  int64_t out_h = 0;
  int64_t out_w = 0;
  int64_t pad_crop = 0;
  bool hflip = false;
  bool random_resized_crop = false;
  double scale_min = 0.08;
  double scale_max = 1.0;
  double ratio_min = 3.0 / 4.0;
  double ratio_max = 4.0 / 3.0;
  int64_t resize = 0;
  bool center_crop = false;
  std::vector<float> mean{};
  std::vector<float> stddev{};
};

/// Applies `augment` to `image`, all randomness from unit_uniform(splitmix64(random_key), slot) (slots
/// 0..39 the crop tries, 40-41 the pad-crop offsets, 42 the flip). `out_chw` holds channels * out_h * out_w floats.
/// Throws InvalidArgument when the sizes do not fit.
void transform(const Image& image, const Augment& augment, uint64_t random_key, std::span<float> out_chw);

/// Decodes a JPEG or PNG file (by its contents, never gunzipped) to 8-bit RGB; Error naming the file when it
/// cannot, or when its header declares more pixels or decoded bytes than `budgets` allow (checked before
/// anything is allocated; the message names --max-image-pixels or --max-image-mib).
Image read_image(const std::string& path, const DecodeBudgets& budgets = {});

/// Writes a grey or RGB image as PNG, atomically.
void write_png(const std::string& path, const Image& image);

/// Bilinear resize (half-pixel centres, as PyTorch's align_corners=False), rounded to 8 bits.
Image resize_bilinear(const Image& image, int64_t height, int64_t width);

/// Training augmentation for `data` feeding a model whose input is `input` ({C, H, W} or {N, C, H, W}):
/// Fashion-MNIST pad 2 + flip, MNIST pad 2, CIFAR pad 4 + flip, folders RandomResizedCrop + flip; IDX
/// and CIFAR images of another size than the input are resized first. Always the set's normalisation.
Augment train_augment(const Dataset& data, const Dims& input);

/// Evaluation: IDX/CIFAR unchanged (resized when the input differs); folders resized to 256/224 of the
/// input and centre-cropped.
Augment eval_augment(const Dataset& data, const Dims& input);

/// The key of sample `index` in `epoch`: splitmix64(splitmix64(stream_key("data.augment", seed) + epoch)
/// + index).
uint64_t sample_key(uint64_t seed, int64_t epoch, int64_t index);

struct LoaderOptions {
  int64_t batch_size = 128;
  bool shuffle = true;
  uint64_t seed = 0;
  bool drop_last = false;
  /// Worker threads; 0 builds each batch in next() on the caller's thread.
  int64_t threads = 2;
  /// Batches built ahead of the one next() returns.
  int64_t prefetch = 4;
  /// Data parallel: each batch of the order is cut into `shards` equal parts, and this loader builds part
  /// `shard` (0-based) of each; every rank's loader has the same order. batch_size must be a multiple of
  /// `shards`, and the last, short batch is dropped (drop_last).
  int64_t shard = 0, shards = 1;
  /// out_h/out_w of 0 take the data set's image_shape(); empty mean/stddev leave pixels in [0, 1]. The
  /// presets train_augment/eval_augment fill everything, normalisation included.
  Augment augment;
};

struct Batch {
  Tensor images;  ///< N, C, H, W float32
  std::vector<int64_t> labels;
  std::vector<int64_t> indices;  ///< into the data set
};

/// Batches of a data set in a seeded order, built by worker threads ahead of use. Batches come out in
/// order whatever the number of threads; an error inside a worker is rethrown by next().
class Loader {
 public:
  /// `data` must outlive the loader.
  Loader(const Dataset& data, LoaderOptions options);
  ~Loader();
  Loader(const Loader&) = delete;
  Loader& operator=(const Loader&) = delete;

  /// Begins `epoch` (order: seeded_permutation(size, splitmix64(stream_key("data.order", seed) + epoch))
  /// when shuffling), skipping its first `skip_batches` batches; stops any epoch in progress.
  void start_epoch(int64_t epoch, int64_t skip_batches = 0);
  /// The next batch of the epoch; false at its end.
  bool next(Batch& out);
  int64_t batches_per_epoch() const;
  /// The order of `epoch` (indices into the data set).
  std::vector<int64_t> epoch_order(int64_t epoch) const;
  const LoaderOptions& options() const { return options_; }

 private:
  struct State;
  Batch build(int64_t batch) const;
  void stop();
  void work();

  const Dataset& data_;
  LoaderOptions options_;
  Dims sample_shape_;
  int64_t epoch_ = -1;
  std::vector<int64_t> order_;
  std::unique_ptr<State> state_;
};

}  // namespace cnnzoo
