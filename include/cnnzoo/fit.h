// Training a zoo model on a data set, end to end: the loop of `cnnzoo train`, evaluation for
// `cnnzoo eval`, and the model a checkpoint describes.
//
// The schedule spans the run's `epochs`: a cosine run of 2 epochs is not a run of 1 continued. To pause
// a run, interrupt it (or use stop_after) and resume it with the same options.
//
// A run writes DIR/last.safetensors after every epoch and DIR/best.safetensors when the validation top-1
// improves (atomically: a run killed at any moment loses at most the epoch under way), and rewrites
// DIR/metrics.csv, one row per epoch. A run asked to stop (FitCallbacks::stop_requested, a signal in
// `cnnzoo train`) writes last.safetensors at the batch it reached, and a resume continues from that batch. With the
// same seed and thread count, a run resumed from last.safetensors continues bit for bit: the data order and
// augmentation depend only on (seed, epoch, index), dropout on (seed, step), and the weights, batch-norm statistics and
// optimizer state are saved.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "cnnzoo/data.h"
#include "cnnzoo/engine.h"
#include "cnnzoo/error.h"
#include "cnnzoo/graph.h"
#include "cnnzoo/models.h"
#include "cnnzoo/optim.h"
#include "cnnzoo/parameters.h"

namespace cnnzoo {

struct FitOptions {
  std::string model = "resnet20";
  /// depth, width, ...; the input shape and the number of classes come from the data set.
  ModelOptions model_options{};
  std::string data = "fashion-mnist";
  int64_t epochs = 15;
  int64_t batch_size = 64;
  int64_t subset = 0;      ///< train on the first N training images (0 = all)
  int64_t val_subset = 0;  ///< evaluate on the first N test images (0 = all)
  /// folder:DIR without train/ and val/ subfolders: the fraction held out for validation (by a seeded split).
  double validation_split = 0.1;
  /// The model's input size in pixels (square). folder:DIR: 0 means 224. The fixed-size sets (Fashion-MNIST,
  /// MNIST, CIFAR): 0 means their own size; another size resizes their images to it (bilinear), e.g. for a
  /// network that needs larger inputs than 28x28.
  int64_t image_size = 0;
  DecodeBudgets budgets{};  ///< how large a data file may inflate and an image decode
  uint64_t seed = 0;
  int threads = 0;  ///< engine threads (0 = every core)
  /// The training steps' arithmetic: F32, or BF16 mixed precision (TrainingOptions::precision; float32 master
  /// weights, so checkpoints and evaluation stay float32). A resumed run keeps the precision it began with.
  Precision precision = Precision::F32;
  int64_t loader_threads = 1;
  OptimizerOptions optimizer{
      .kind = "sgd", .momentum = 0.9, .nesterov = true, .weight_decay = 5e-4, .decay_bn_and_bias = false};
  ScheduleOptions schedule{.kind = "cosine", .base_lr = 0.1, .warmup_epochs = 0.2};
  double label_smoothing = 0.0;
  /// The weight of each auxiliary classifier's loss (--aux-logits); unset: the model's own (ModelInfo).
  std::optional<double> aux_loss_weight{};
  std::string out_dir;     ///< required
  bool resume = false;     ///< continue from out_dir/last.safetensors
  bool overwrite = false;  ///< start afresh even when out_dir holds a run (else that is an error)
  /// Stop after this many epochs (0 = at `epochs`), as an interruption would: the schedule still spans
  /// `epochs`, so a later --resume continues the same run.
  int64_t stop_after = 0;
  /// Data parallel (under mpirun or srun; docs/distributed.md): batch_size stays the job's batch, split
  /// evenly over the ranks. Batch norm normalises with each rank's statistics, as PyTorch DDP's, or with
  /// sync_batch_norm the job's; the gradients travel in buckets of these sizes (TrainingOptions).
  bool sync_batch_norm = false;
  int64_t first_bucket_bytes = TrainingOptions{}.first_bucket_bytes;
  int64_t bucket_bytes = TrainingOptions{}.bucket_bytes;
};

struct EpochMetrics {
  int64_t epoch = 0;  ///< 1-based
  double lr = 0;      ///< at the end of the epoch
  double train_loss = 0, train_accuracy = 0;
  double val_loss = 0, top1 = 0, top5 = 0;
  double seconds = 0;
  double images_per_second = 0;  ///< training only
};

struct FitCallbacks {
  /// After each training batch: epoch (1-based), batches done and in all, running loss and accuracy.
  std::function<void(int64_t epoch, int64_t done, int64_t total, double loss, double accuracy)> on_batch;
  /// After each training step: the step (0-based, counted over the whole run) and its own batch's mean loss.
  std::function<void(int64_t step, double loss)> on_step;
  /// Data parallel, after each training step (before on_batch): where this rank's step time went.
  std::function<void(const StepCommunication&)> on_step_communication;
  /// After each epoch's evaluation and checkpoint.
  std::function<void(const EpochMetrics&)> on_epoch;
  /// Before each evaluation pass, with its number of batches; then on_eval_batch per batch.
  std::function<void(int64_t batches)> on_eval_start;
  std::function<void(int64_t done)> on_eval_batch;
  /// Polled before each training batch and after each evaluation batch; once it returns true, the run
  /// stops there (an evaluation under way is abandoned and redone on resume), writes last.safetensors at
  /// that position and returns with FitResult::stopped.
  std::function<bool()> stop_requested;
};

struct FitResult {
  std::vector<EpochMetrics> history;  ///< every epoch of the run, resumed ones included
  double best_top1 = 0;
  /// Whether the run stopped on stop_requested; last.safetensors then holds `epochs_done` epochs and
  /// `batches_done` batches of the next.
  bool stopped = false;
  int64_t epochs_done = 0, batches_done = 0;
};

/// The loss turned NaN or infinite: training stopped at `epoch` (1-based), batch `batch` (1-based). `history`
/// holds the epochs finished before (the last good checkpoint stays).
class TrainingDiverged : public Error {
 public:
  TrainingDiverged(const std::string& message, int64_t epoch, int64_t batch, std::vector<EpochMetrics> history)
      : Error(message), epoch(epoch), batch(batch), history(std::move(history)) {}
  int64_t epoch, batch;
  std::vector<EpochMetrics> history;
};

/// Throws OptionError, naming the field, for an option a user can get wrong (fit calls it first; a front end
/// calls it too to refuse before it prints anything, under mpirun with the job's number of ranks).
void check_fit_options(const FitOptions& options);

/// Trains as configured; throws Error for a bad option or data, and TrainingDiverged when the loss turns NaN
/// or infinite.
FitResult fit(const FitOptions& options, const FitCallbacks& callbacks = {});

struct Evaluation {
  int64_t images = 0;
  double loss = 0, top1 = 0, top5 = 0;          ///< top-k as fractions in [0, 1]
  std::vector<double> per_class;                ///< accuracy of each class (NaN when it has no image)
  std::vector<std::vector<int64_t>> confusion;  ///< [true class][predicted class]
  Tensor probabilities;                         ///< images x classes, softmax of the logits
  std::vector<int64_t> labels;                  ///< the true class of each image
};

/// Runs `graph` (built for batch `batch`) over `data` with the evaluation transform.
Evaluation evaluate(const Graph& graph, const Parameters& parameters, const Dataset& data, int threads = 0,
                    int64_t loader_threads = 1, const FitCallbacks& callbacks = {},
                    Precision precision = Precision::F32, std::shared_ptr<const Quantization> quantization = {});

/// An evaluation as JSON: {"images", "top1", "top5", "loss", "per_class": {class name: accuracy or null},
/// "confusion": [[...]]} (`cnnzoo eval --format json`, a run's evaluation.json).
nlohmann::json evaluation_json(const Evaluation& e, const std::vector<std::string>& class_names);

/// The most probable class of each row of N x K scores (logits or probabilities), the first on a tie.
std::vector<int64_t> top1_classes(const Tensor& scores);

/// The share of rows whose most probable class is the same in `a` and `b` (N x K probabilities).
double top1_agreement(const Tensor& a, const Tensor& b);

/// The accuracy of each class from a confusion matrix ([true][predicted]): NaN for a class with no image.
std::vector<double> per_class_accuracy(const std::vector<std::vector<int64_t>>& confusion);

/// Accuracy figures of class probabilities against labels (used for ensembles).
Evaluation score(Tensor probabilities, const std::vector<int64_t>& labels, int64_t num_classes);

/// A trained model as a checkpoint describes it.
struct TrainedModel {
  std::string model;     ///< registry name
  ModelOptions options;  ///< as trained (input, classes, depth, ...), batch 1
  std::string data;      ///< the data set it was trained on
  std::vector<std::string> class_names;
  Normalization normalization;  ///< of the data set it was trained on
  Parameters parameters;
  std::map<std::string, std::string> meta;  ///< the checkpoint's metadata as read (int8 ranges, ...)
};

/// Reads a checkpoint written by fit(); Error names the file and what is missing.
TrainedModel load_trained_model(const std::string& path);

/// How a user's image (PNG/JPEG of any size) becomes a model's input sample.
struct ImagePreprocessing {
  Dims input;                   ///< C, H, W of the model's input
  int64_t resize = 0;           ///< the shorter side is resized to this, then the centre H x W is cropped
  Normalization normalization;  ///< per channel, after scaling the pixels to [0, 1]
};

/// As the evaluation of the data set the checkpoint was trained on (eval_augment): folder sets resize the
/// shorter side to 256/224 of the input and centre-crop; fixed-size sets (Fashion-MNIST, MNIST, CIFAR)
/// resize it to the input and centre-crop, so their own images pass unchanged. The set's normalisation.
ImagePreprocessing checkpoint_preprocessing(const TrainedModel& trained);

/// torchvision's ImageNet weights transforms (ImageClassification: resize 256, centre crop 224, mean
/// 0.485/0.456/0.406, std 0.229/0.224/0.225; Inception v3's 342/299 is the same 256/224 ratio) for an
/// input of any size; a one-channel input gets the luma of that mean and std.
ImagePreprocessing imagenet_preprocessing(const Dims& input);

/// An image as a model input sample: converted to the input's channels (RGB to grey by ITU-R 601 luma),
/// its shorter side resized, centre-cropped, scaled to [0, 1] and normalised. `out_chw` holds C x H x W
/// floats. InvalidArgument when the image's channels cannot become the input's.
void image_to_sample(const Image& image, const ImagePreprocessing& preprocessing, std::span<float> out_chw);

}  // namespace cnnzoo
