// The training loop of `cnnzoo train`.
#include <fmt/format.h>

#include <chrono>
#include <cmath>
#include <filesystem>
#include <nlohmann/json.hpp>

#include "cnnzoo/checkpoint.h"
#include "cnnzoo/engine.h"
#include "cnnzoo/error.h"
#include "cnnzoo/fit.h"
#include "cnnzoo/init.h"
#include "cnnzoo/io.h"
#include "cnnzoo/memory_check.h"
#include "cnnzoo/onnx.h"
#include "fit/run_record.h"
#include "io/atomic_file.h"
#include "io/folder_lock.h"

namespace cnnzoo {
namespace {

using namespace fit_detail;
using Clock = std::chrono::steady_clock;

constexpr int64_t kEvalBatch = 256;

struct Run {
  std::unique_ptr<Dataset> train, test;
  ModelOptions model_options;
  Graph graph;
  Parameters parameters;
  std::unique_ptr<Optimizer> optimizer;
  ScheduleOptions schedule;
  FitResult result;
  int64_t first_epoch = 0;  ///< 0-based: epochs already done
  EpochProgress progress;   ///< how far into epoch first_epoch a resumed run is
};

// Thrown through evaluate() by its batch callback when the run is asked to stop.
struct EvaluationStopped {};

std::string data_json(const FitOptions& o, const Dataset& train) {
  const Normalization norm = train.normalization();
  return nlohmann::json{
      {"spec", o.data},    {"subset", o.subset},   {"batch_size", o.batch_size}, {"class_names", train.class_names()},
      {"mean", norm.mean}, {"stddev", norm.stddev}}
      .dump();
}

// The run a checkpoint continues must be the same run: same model, data, seed and batch.
void check_resumable(const FitOptions& o, const Checkpoint& c, const std::string& path, const std::string& data) {
  auto differs = [&](const std::string& key, const std::string& ours) {
    const std::string& theirs = meta_value(c.meta, key, path);
    if (theirs != ours) {
      throw InvalidArgument(
          fmt::format("--resume: {} was trained with {} {}, this run asks for {}", path, key, theirs, ours));
    }
  };
  differs(kCheckpointModelKey, o.model);
  differs(kCheckpointSeedKey, std::to_string(o.seed));
  differs(kCheckpointDataKey, data);
}

Run prepare(const FitOptions& o) {
  Run r;
  const DatasetOptions data_options{
      .validation_split = o.validation_split, .image_size = o.image_size, .budgets = o.budgets};
  r.train = open_dataset(o.data, Split::Train, data_options);
  if (o.subset > 0) r.train = take_first(std::move(r.train), o.subset);
  r.test = open_dataset(o.data, Split::Test, data_options);
  if (o.val_subset > 0) r.test = take_first(std::move(r.test), o.val_subset);
  if (r.train->size() < o.batch_size) {
    throw InvalidArgument(fmt::format("--batch {} is larger than the {} training images; use a smaller --batch",
                                      o.batch_size, r.train->size()));
  }
  // The model adapts to the data: its input channels and size, and its classes.
  r.model_options = o.model_options;
  r.model_options.input = r.train->image_shape();
  r.model_options.num_classes = r.train->num_classes();
  r.model_options.batch = o.batch_size;
  require_memory(o.model, r.model_options, true,
                 o.data.starts_with("folder:") ? fmt::format("--batch {} --image-size {}", o.batch_size, o.image_size)
                                               : fmt::format("--batch {}", o.batch_size));
  r.graph = build_model(o.model, r.model_options);
  r.parameters = init_parameters(r.graph, init_scheme_for(o.model), o.seed);
  r.optimizer = make_optimizer(o.optimizer, r.graph);
  r.schedule = o.schedule;
  r.schedule.epochs = o.epochs;
  validate(r.schedule);
  return r;
}

void restore(const FitOptions& o, Run& r, const std::string& path) {
  Checkpoint c = load_checkpoint(path);
  check_resumable(o, c, path, data_json(o, *r.train));
  require_fit(check_parameters(r.graph, c.model), fmt::format("{}: weights do not fit {}", path, o.model));
  r.parameters = std::move(c.model);
  r.optimizer->load_state(c.optimizer);
  ResumePoint point = resume_point_from_meta(c.meta, path);
  r.first_epoch = point.epochs_done;
  r.progress = point.progress;
  r.result.history = std::move(point.history);
  r.result.best_top1 = point.best_top1;
}

// `epochs_done` whole epochs and `progress` into the next; `per_epoch` batches make an epoch.
void save(const FitOptions& o, const Run& r, const std::string& path, int64_t epochs_done,
          const EpochProgress& progress, int64_t per_epoch) {
  const int64_t iteration = epochs_done * per_epoch + progress.batches;
  Checkpoint c{.model = r.parameters, .optimizer = r.optimizer->state(), .meta = {}};
  c.meta = {{kCheckpointModelKey, o.model},
            {kCheckpointEpochKey, std::to_string(epochs_done)},
            {kCheckpointIterationKey, std::to_string(iteration)},
            {kCheckpointSeedKey, std::to_string(o.seed)},
            {kCheckpointModelOptionsKey, model_options_json(r.model_options)},
            {kCheckpointDataKey, data_json(o, *r.train)},
            {kCheckpointOptimizerKey, to_json(o.optimizer)},
            {kCheckpointScheduleKey, to_json(r.schedule)},
            {kCheckpointBestMetricKey, fmt::format("{:.17g}", r.result.best_top1)},
            {kCheckpointEpochProgressKey, epoch_progress_json(progress)},
            {"history", history_json(r.result.history)}};
  save_checkpoint(path, c);
}

int64_t correct_predictions(const Tensor& logits, const std::vector<int64_t>& labels) {
  const int64_t classes = logits.shape()[1];
  int64_t correct = 0;
  for (std::size_t i = 0; i < labels.size(); ++i) {
    const auto row = logits.f32().subspan(i * static_cast<std::size_t>(classes), static_cast<std::size_t>(classes));
    correct += std::max_element(row.begin(), row.end()) - row.begin() == labels[i];
  }
  return correct;
}

// Every option a user can get wrong, named by its `cnnzoo train` flag, before anything is read or built.
void check_options(const FitOptions& o) {
  const auto at_least = [](const char* flag, auto value, auto min) {
    if (value < min) throw InvalidArgument(fmt::format("{}: must be at least {}, got {}", flag, min, value));
  };
  if (o.out_dir.empty()) throw InvalidArgument("--out: a folder for the checkpoints and metrics is required");
  at_least("--epochs", o.epochs, 1);
  at_least("--batch", o.batch_size, 1);
  at_least("--subset", o.subset, 0);
  at_least("--val-subset", o.val_subset, 0);
  at_least("--stop-after", o.stop_after, 0);
  at_least("--threads", o.threads, 0);
  at_least("--loader-threads", o.loader_threads, 1);
  at_least("--image-size", o.image_size, 1);
  if (!(o.schedule.base_lr > 0))
    throw InvalidArgument(fmt::format("--lr: must be positive, got {}", o.schedule.base_lr));
  if (!(o.label_smoothing >= 0 && o.label_smoothing <= 1)) {
    throw InvalidArgument(fmt::format("--label-smoothing: must lie in [0, 1], got {}", o.label_smoothing));
  }
  if (!(o.validation_split >= 0 && o.validation_split < 1)) {
    throw InvalidArgument(fmt::format("--val-split: must lie in [0, 1), got {}", o.validation_split));
  }
}

}  // namespace

FitResult fit(const FitOptions& o, const FitCallbacks& callbacks) {
  check_options(o);
  // Checked before the data is read and the first step runs: an unwritable folder fails now, not after
  // an epoch.
  prepare_output_folder(o.out_dir, "--out");
  const io::FolderLock one_writer(o.out_dir, "--out");
  const std::string last = (std::filesystem::path(o.out_dir) / "last.safetensors").string();
  const std::string best = (std::filesystem::path(o.out_dir) / "best.safetensors").string();
  if (!o.resume && !o.overwrite && std::filesystem::exists(last)) {
    throw InvalidArgument(
        fmt::format("{} already holds a run ({}); pass --resume to continue it, --overwrite to "
                    "start again, or another --out",
                    o.out_dir, last));
  }
  // A run killed while writing leaves its temporary files behind (the targets are intact): the next run
  // of the folder clears them.
  for (const std::string& file : {last, best, (std::filesystem::path(o.out_dir) / "metrics.csv").string()}) {
    io::remove_stale_temporaries(file);
  }
  Run r = prepare(o);
  if (o.resume) restore(o, r, last);

  Loader loader(*r.train, {.batch_size = o.batch_size,
                           .shuffle = true,
                           .seed = o.seed,
                           .drop_last = true,
                           .threads = o.loader_threads,
                           .augment = train_augment(*r.train, *r.model_options.input)});
  const int64_t per_epoch = loader.batches_per_epoch();
  // The optimizer updates each parameter inside the step, as soon as its gradient is known.
  TrainingEngine engine(
      r.graph, r.parameters,
      {.threads = o.threads, .seed = o.seed, .label_smoothing = o.label_smoothing, .fused_update = true});
  ModelOptions eval_options = r.model_options;
  eval_options.batch = std::min<int64_t>(kEvalBatch, r.test->size());
  const Graph eval_graph = build_model(o.model, eval_options);

  if (r.progress.batches > per_epoch) {
    throw Error(fmt::format("{}: its position, batch {} of epoch {}, lies past the epoch's {} batches", last,
                            r.progress.batches, r.first_epoch + 1, per_epoch));
  }
  engine.set_steps(r.first_epoch * per_epoch + r.progress.batches);
  const auto stopping = [&] { return callbacks.stop_requested && callbacks.stop_requested(); };
  FitCallbacks eval_callbacks = callbacks;
  eval_callbacks.on_eval_batch = [&](int64_t done) {
    if (callbacks.on_eval_batch) callbacks.on_eval_batch(done);
    if (stopping()) throw EvaluationStopped{};
  };
  // Writes last.safetensors at `progress` into `epoch` (0-based) and ends the run there.
  const auto stop_at = [&](int64_t epoch, const EpochProgress& progress) {
    save(o, r, last, epoch, progress, per_epoch);
    r.result.stopped = true;
    r.result.epochs_done = epoch;
    r.result.batches_done = progress.batches;
    return r.result;
  };

  const int64_t end = o.stop_after > 0 ? std::min(o.stop_after, o.epochs) : o.epochs;
  for (int64_t epoch = r.first_epoch; epoch < end; ++epoch) {
    // The figures of the epoch so far: those of the resumed checkpoint in its first epoch, else none.
    EpochProgress progress = epoch == r.first_epoch ? r.progress : EpochProgress{};
    const double earlier_seconds = progress.seconds;  // spent by the processes before a resume
    const auto start = Clock::now();
    const auto seconds_so_far = [&] {
      return earlier_seconds + std::chrono::duration<double>(Clock::now() - start).count();
    };
    loader.start_epoch(epoch, progress.batches);
    Batch b;
    for (;;) {
      if (stopping()) {
        progress.seconds = seconds_so_far();
        return stop_at(epoch, progress);
      }
      if (!loader.next(b)) break;
      const int64_t iteration = epoch * per_epoch + progress.batches;
      const double loss =
          engine.step(b.images, b.labels, *r.optimizer, learning_rate(r.schedule, iteration, per_epoch));
      if (!std::isfinite(loss)) {
        throw Error(fmt::format("epoch {} batch {}: the loss is {}; stopping. The last good checkpoint is {}",
                                epoch + 1, progress.batches + 1, loss,
                                o.resume || epoch > 0 ? last : std::string("none (this is the first epoch)")));
      }
      const auto n = static_cast<int64_t>(b.labels.size());
      progress.loss_sum += loss * static_cast<double>(n);
      progress.correct += correct_predictions(engine.outputs().at(0), b.labels);
      progress.seen += n;
      ++progress.batches;
      if (callbacks.on_batch) {
        callbacks.on_batch(epoch + 1, progress.batches, per_epoch,
                           progress.loss_sum / static_cast<double>(progress.seen),
                           static_cast<double>(progress.correct) / static_cast<double>(progress.seen));
      }
    }
    progress.seconds = seconds_so_far();
    Evaluation ev;
    try {
      ev = evaluate(eval_graph, r.parameters, *r.test, o.threads, o.loader_threads, eval_callbacks);
    } catch (const EvaluationStopped&) {
      return stop_at(epoch, progress);
    }
    const auto seen = static_cast<double>(progress.seen);
    const EpochMetrics m{.epoch = epoch + 1,
                         .lr = learning_rate(r.schedule, (epoch + 1) * per_epoch - 1, per_epoch),  // the last step's
                         .train_loss = progress.loss_sum / seen,
                         .train_accuracy = static_cast<double>(progress.correct) / seen,
                         .val_loss = ev.loss,
                         .top1 = ev.top1,
                         .top5 = ev.top5,
                         .seconds = seconds_so_far(),
                         .images_per_second = seen / progress.seconds};
    r.result.history.push_back(m);
    const bool improved = m.top1 > r.result.best_top1 || epoch == 0;
    if (improved) r.result.best_top1 = m.top1;
    // best before last: a run killed between the two redoes this epoch on resume and writes best again,
    // while the other order could leave a resumed run with no best.safetensors.
    if (improved) save(o, r, best, epoch + 1, {}, per_epoch);
    save(o, r, last, epoch + 1, {}, per_epoch);
    write_metrics_csv((std::filesystem::path(o.out_dir) / "metrics.csv").string(), r.result.history);
    if (callbacks.on_epoch) callbacks.on_epoch(m);
  }
  return r.result;
}

namespace {

// A checkpoint's tensors and metadata; a file that is something else (an ONNX model, a state_dict, any
// other file) is named as not a checkpoint, with what it is when that is known.
Checkpoint read_trained_checkpoint(const std::string& path) {
  if (is_onnx_file(path)) {
    throw InvalidArgument(fmt::format(
        "{}: an ONNX model, not a checkpoint (written by cnnzoo train); run it with `cnnzoo run {}`", path, path));
  }
  std::error_code ec;
  if (!std::filesystem::is_regular_file(path, ec)) return load_checkpoint(path);  // its own "cannot open"
  try {
    return load_checkpoint(path);
  } catch (const Error& e) {
    std::string reason = e.what();
    if (reason.starts_with(path + ": ")) reason.erase(0, path.size() + 2);
    throw InvalidArgument(fmt::format("{}: not a checkpoint (written by cnnzoo train): {}", path, reason));
  }
}

}  // namespace

TrainedModel load_trained_model(const std::string& path) {
  Checkpoint c = read_trained_checkpoint(path);
  TrainedModel t;
  t.model = meta_value(c.meta, kCheckpointModelKey, path);
  t.options = model_options_from_json(meta_value(c.meta, kCheckpointModelOptionsKey, path), path);
  t.options.batch = 1;
  const auto data = nlohmann::json::parse(meta_value(c.meta, kCheckpointDataKey, path), nullptr, false);
  if (data.is_discarded() || !data.contains("spec") || !data.contains("mean") || !data.contains("stddev")) {
    throw Error(fmt::format("{}: metadata 'data' is malformed (it needs spec, mean and stddev)", path));
  }
  try {
    t.data = data.at("spec").get<std::string>();
    t.class_names = data.value("class_names", std::vector<std::string>{});
    t.normalization = {data.at("mean").get<std::vector<float>>(), data.at("stddev").get<std::vector<float>>()};
  } catch (const nlohmann::json::exception& e) {
    throw Error(fmt::format("{}: metadata 'data' is malformed: {}", path, e.what()));
  }
  const Graph g = build_model(t.model, t.options);
  require_fit(check_parameters(g, c.model), fmt::format("{}: weights do not fit {}", path, t.model));
  t.parameters = std::move(c.model);
  return t;
}

}  // namespace cnnzoo
