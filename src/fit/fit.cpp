// The training loop of `cnnzoo train`.
#include <fmt/format.h>

#include <chrono>
#include <cmath>
#include <filesystem>
#include <nlohmann/json.hpp>

#include "cnnzoo/checked.h"
#include "cnnzoo/checkpoint.h"
#include "cnnzoo/distributed.h"
#include "cnnzoo/engine.h"
#include "cnnzoo/error.h"
#include "cnnzoo/fit.h"
#include "cnnzoo/html_report.h"
#include "cnnzoo/init.h"
#include "cnnzoo/io.h"
#include "cnnzoo/memory_check.h"
#include "cnnzoo/onnx.h"
#include "fit/data_parallel.h"
#include "fit/run_record.h"
#include "io/atomic_file.h"
#include "io/folder_lock.h"
#include "io/json_get.h"

namespace cnnzoo {
namespace {

using namespace fit_detail;
using Clock = std::chrono::steady_clock;

constexpr int64_t kEvalBatch = 256;

struct Run {
  std::unique_ptr<Dataset> train;
  std::shared_ptr<const Dataset> test;
  ModelOptions model_options;  ///< as recorded: the job's batch
  Graph graph;                 ///< this rank's share of the batch
  Parameters parameters;
  std::unique_ptr<Optimizer> optimizer;
  ScheduleOptions schedule;
  FitResult result;
  int64_t first_epoch = 0;  ///< 0-based: epochs already done
  EpochProgress progress;   ///< how far into epoch first_epoch a resumed run is
};

// Thrown through evaluate() by its batch callback when the run is asked to stop.
struct EvaluationStopped {};

std::string data_json(const FitOptions& options, const Dataset& train) {
  const Normalization norm = train.normalization();
  nlohmann::json j{{"spec", options.data},
                   {"subset", options.subset},
                   {"batch_size", options.batch_size},
                   {"class_names", train.class_names()},
                   {"mean", norm.mean},
                   {"stddev", norm.stddev}};
  // Only when set, so that the runs before the option existed still resume.
  if (options.image_size > 0) j["image_size"] = options.image_size;
  return j.dump();
}

// The weight of each auxiliary classifier's loss: the option, else the model's authors'.
double aux_loss_weight(const FitOptions& options) {
  return options.aux_loss_weight.value_or(find_model(options.model).aux_loss_weight);
}

std::string loss_json(const FitOptions& options) {
  return nlohmann::json{{"label_smoothing", options.label_smoothing}, {"aux_loss_weight", aux_loss_weight(options)}}
      .dump();
}

// The run a checkpoint continues must be the same run: same model and options, data, seed, batch and loss.
void check_resumable(const FitOptions& options, const Run& run, const Checkpoint& checkpoint, const std::string& path,
                     const std::string& data) {
  auto differs = [&](const std::string& key, const std::string& ours) {
    const std::string& theirs = meta_value(checkpoint.meta, key, path);
    if (theirs != ours) {
      throw OptionError(
          {"FitOptions::resume"},
          fmt::format("FitOptions::resume: {} was trained with {} {}, this run asks for {}", path, key, theirs, ours));
    }
  };
  differs(kCheckpointModelKey, options.model);
  // Options that add no parameter (transform_input, residual scales) would otherwise change the network unseen;
  // read back and written again, so that options recorded before a field existed compare by its default.
  const ModelOptions recorded =
      model_options_from_json(meta_value(checkpoint.meta, kCheckpointModelOptionsKey, path), path);
  if (model_options_json(recorded) != model_options_json(run.model_options)) {
    differs(kCheckpointModelOptionsKey, model_options_json(run.model_options));
  }
  differs(kCheckpointSeedKey, std::to_string(options.seed));
  differs(kCheckpointDataKey, data);
  if (checkpoint.meta.contains(kCheckpointLossKey)) differs(kCheckpointLossKey, loss_json(options));
  const auto precision = checkpoint.meta.find(kCheckpointPrecisionKey);
  const std::string theirs = precision != checkpoint.meta.end() ? precision->second : "fp32";
  if (theirs != precision_name(options.precision)) {
    throw OptionError({"FitOptions::resume", "FitOptions::precision"},
                      fmt::format("FitOptions::resume: {} was trained in {}, this run asks for {}; resume it in {}",
                                  path, theirs, precision_name(options.precision), theirs));
  }
}

Run prepare(const FitOptions& options, const Communicator& job) {
  Run run;
  const DatasetOptions data_options{
      .validation_split = options.validation_split,
      .image_size = options.image_size > 0 ? options.image_size : DatasetOptions{}.image_size,
      .budgets = options.budgets};
  run.train = open_dataset(options.data, Split::Train, data_options);
  if (options.subset > 0) run.train = take_first(std::move(run.train), options.subset);
  std::unique_ptr<Dataset> test = open_dataset(options.data, Split::Test, data_options);
  if (options.val_subset > 0) test = take_first(std::move(test), options.val_subset);
  run.test = std::move(test);
  if (run.train->size() < options.batch_size) {
    throw OptionError({"FitOptions::batch_size"},
                      fmt::format("FitOptions::batch_size {} is larger than the {} training images; use a smaller "
                                  "FitOptions::batch_size",
                                  options.batch_size, run.train->size()));
  }
  // The model adapts to the data: its input channels and size, and its classes.
  run.model_options = options.model_options;
  run.model_options.input = run.train->image_shape();
  if (options.image_size > 0) (*run.model_options.input)[1] = (*run.model_options.input)[2] = options.image_size;
  run.model_options.num_classes = run.train->num_classes();
  run.model_options.batch = options.batch_size;
  std::vector<OptionValue> sizes{{"FitOptions::batch_size", std::to_string(options.batch_size)}};
  if (options.image_size > 0 || options.data.starts_with("folder:")) {
    sizes.push_back({"FitOptions::image_size", std::to_string(data_options.image_size)});
  }
  ModelOptions rank_options = run.model_options;
  rank_options.batch = options.batch_size / job.size();
  require_memory(options.model, rank_options, true, sizes);
  run.graph = build_model(options.model, rank_options);
  if (options.aux_loss_weight && run.graph.outputs().size() < 2) {
    throw OptionError({"FitOptions::aux_loss_weight", "ModelOptions::aux_logits"},
                      fmt::format("FitOptions::aux_loss_weight: {} as built has no auxiliary classifier to weigh; add "
                                  "ModelOptions::aux_logits (GoogLeNet, Inception-v3) or drop the weight",
                                  options.model));
  }
  run.parameters = init_parameters(run.graph, init_scheme_for(options.model), options.seed);
  run.optimizer = make_optimizer(options.optimizer, run.graph);
  run.schedule = options.schedule;
  run.schedule.epochs = options.epochs;
  validate(run.schedule);
  return run;
}

void restore(const FitOptions& options, Run& run, const std::string& path) {
  Checkpoint checkpoint = load_checkpoint(path);
  check_resumable(options, run, checkpoint, path, data_json(options, *run.train));
  require_fit(check_parameters(run.graph, checkpoint.model),
              fmt::format("{}: weights do not fit {}", path, options.model));
  run.parameters = std::move(checkpoint.model);
  run.optimizer->load_state(checkpoint.optimizer);
  ResumePoint point = resume_point_from_meta(checkpoint.meta, path);
  run.first_epoch = point.epochs_done;
  run.progress = point.progress;
  run.result.history = std::move(point.history);
  run.result.best_top1 = point.best_top1;
}

// `epochs_done` whole epochs and `progress` into the next; `per_epoch` batches make an epoch.
void save(const FitOptions& options, const Run& run, const std::string& path, int64_t epochs_done,
          const EpochProgress& progress, int64_t per_epoch) {
  const int64_t iteration = epochs_done * per_epoch + progress.batches;
  Checkpoint checkpoint{.model = run.parameters, .optimizer = run.optimizer->state(), .meta = {}};
  checkpoint.meta = {{kCheckpointModelKey, options.model},
                     {kCheckpointEpochKey, std::to_string(epochs_done)},
                     {kCheckpointIterationKey, std::to_string(iteration)},
                     {kCheckpointSeedKey, std::to_string(options.seed)},
                     {kCheckpointModelOptionsKey, model_options_json(run.model_options)},
                     {kCheckpointDataKey, data_json(options, *run.train)},
                     {kCheckpointOptimizerKey, to_json(options.optimizer)},
                     {kCheckpointScheduleKey, to_json(run.schedule)},
                     {kCheckpointBestMetricKey, fmt::format("{:.17g}", run.result.best_top1)},
                     {kCheckpointPrecisionKey, precision_name(options.precision)},
                     {kCheckpointEpochProgressKey, epoch_progress_json(progress)},
                     {kCheckpointLossKey, loss_json(options)},
                     {"history", history_json(run.result.history)}};
  save_checkpoint(path, checkpoint);
}

int64_t correct_predictions(const Tensor& logits, const std::vector<int64_t>& labels) {
  const std::vector<int64_t> predicted = top1_classes(logits);
  int64_t correct = 0;
  for (std::size_t i = 0; i < labels.size(); ++i) correct += predicted.at(i) == labels[i];
  return correct;
}

}  // namespace

// Every option a user can get wrong, named by its field, before anything is read or built.
void check_fit_options(const FitOptions& options) {
  const auto refuse = [](const std::string& field, const std::string& why) {
    throw OptionError({field}, fmt::format("{}: {}", field, why));
  };
  const auto at_least = [&](const char* field, auto value, auto min) {
    if (value < min) refuse(field, fmt::format("must be at least {}, got {}", min, value));
  };
  if (options.out_dir.empty()) refuse("FitOptions::out_dir", "a folder for the checkpoints and metrics is required");
  at_least("FitOptions::epochs", options.epochs, 1);
  at_least("FitOptions::batch_size", options.batch_size, 1);
  at_least("FitOptions::subset", options.subset, 0);
  at_least("FitOptions::val_subset", options.val_subset, 0);
  at_least("FitOptions::stop_after", options.stop_after, 0);
  at_least("FitOptions::threads", options.threads, 0);
  at_least("FitOptions::loader_threads", options.loader_threads, 1);
  at_least("FitOptions::image_size", options.image_size, 0);
  if (options.image_size > kMaxDim) {
    refuse("FitOptions::image_size",
           fmt::format("{} is above the maximum {} (2^31 - 1; docs/counting.md)", options.image_size, kMaxDim));
  }
  if (!(options.schedule.base_lr > 0)) {
    refuse("FitOptions::schedule.base_lr", fmt::format("must be positive, got {}", options.schedule.base_lr));
  }
  if (!(options.label_smoothing >= 0 && options.label_smoothing <= 1)) {
    refuse("FitOptions::label_smoothing", fmt::format("must lie in [0, 1], got {}", options.label_smoothing));
  }
  if (options.precision == Precision::INT8) {
    refuse("FitOptions::precision",
           "int8 is an inference precision; train in fp32 or bf16, then quantize the checkpoint (cnnzoo quantize)");
  }
  if (options.first_bucket_bytes < 1 || options.bucket_bytes < 1) {
    refuse("FitOptions::bucket_bytes", fmt::format("bucket sizes must be positive, got {} and {} bytes",
                                                   options.first_bucket_bytes, options.bucket_bytes));
  }
  const Communicator& job = Communicator::world();
  if (options.batch_size % job.size() != 0) {
    refuse("FitOptions::batch_size",
           fmt::format("the job's batch of {} does not split evenly over its {} ranks; use a multiple of {}",
                       options.batch_size, job.size(), job.size()));
  }
  if (!(options.validation_split >= 0 && options.validation_split < 1)) {
    refuse("FitOptions::validation_split", fmt::format("must lie in [0, 1), got {}", options.validation_split));
  }
}

FitResult fit(const FitOptions& options, const FitCallbacks& callbacks) {
  check_fit_options(options);
  // Data parallel: rank 0 alone owns the folder (its lock, checkpoints, metrics and report); every rank
  // reads a resumed run's checkpoint from it, so on several hosts it is a shared folder.
  Communicator& job = Communicator::world();
  const bool writer = job.is_root();
  // Checked before the data is read and the first step runs: an unwritable folder fails now, not after
  // an epoch.
  std::optional<io::FolderLock> one_writer;
  if (writer) {
    prepare_output_folder(options.out_dir, "FitOptions::out_dir");
    one_writer.emplace(options.out_dir, "FitOptions::out_dir");
  }
  const std::string last = (std::filesystem::path(options.out_dir) / "last.safetensors").string();
  const std::string best = (std::filesystem::path(options.out_dir) / "best.safetensors").string();
  if (!options.resume && !options.overwrite && std::filesystem::exists(last)) {
    throw OptionError({"FitOptions::resume", "FitOptions::overwrite", "FitOptions::out_dir"},
                      fmt::format("{} already holds a run ({}); pass FitOptions::resume to continue it, "
                                  "FitOptions::overwrite to start again, or another FitOptions::out_dir",
                                  options.out_dir, last));
  }
  // A run killed while writing leaves its temporary files behind (the targets are intact): the next run
  // of the folder clears them.
  const std::filesystem::path folder(options.out_dir);
  if (writer) {
    for (const std::string& file : {last, best, (folder / "metrics.csv").string(),
                                    (folder / "evaluation.json").string(), (folder / "report.html").string()}) {
      io::remove_stale_temporaries(file);
    }
  }
  Run run = prepare(options, job);
  if (options.resume) restore(options, run, last);
  // The same start on every rank, whatever each read or drew.
  broadcast_parameters(job, run.parameters);

  Loader loader(*run.train, {.batch_size = options.batch_size,
                             .shuffle = true,
                             .seed = options.seed,
                             .drop_last = true,
                             .threads = options.loader_threads,
                             .shard = job.rank(),
                             .shards = job.size(),
                             .augment = train_augment(*run.train, *run.model_options.input)});
  const int64_t per_epoch = loader.batches_per_epoch();
  // The optimizer updates each parameter inside the step, as soon as its gradient is known (data parallel:
  // as soon as the job's sum of it is).
  TrainingEngine engine(run.graph, run.parameters,
                        {.threads = options.threads,
                         .seed = options.seed,
                         .label_smoothing = options.label_smoothing,
                         .aux_loss_weight = aux_loss_weight(options),
                         .fused_update = true,
                         .precision = options.precision,
                         .communicator = job.distributed() ? &job : nullptr,
                         .first_bucket_bytes = options.first_bucket_bytes,
                         .bucket_bytes = options.bucket_bytes,
                         .sync_batch_norm = options.sync_batch_norm});
  // Each rank evaluates its share of the test set; the figures are the job's.
  const std::shared_ptr<const Dataset> test_shard =
      job.distributed() ? std::shared_ptr<const Dataset>(evaluation_shard(job, run.test)) : run.test;
  ModelOptions eval_options = run.model_options;
  eval_options.batch = std::clamp<int64_t>(test_shard->size(), 1, kEvalBatch);
  const Graph eval_graph = build_model(options.model, eval_options);

  if (run.progress.batches > per_epoch) {
    throw Error(fmt::format("{}: its position, batch {} of epoch {}, lies past the epoch's {} batches", last,
                            run.progress.batches, run.first_epoch + 1, per_epoch));
  }
  engine.set_steps(run.first_epoch * per_epoch + run.progress.batches);
  const auto asked_to_stop = [&] { return callbacks.stop_requested && callbacks.stop_requested(); };
  // Data parallel, the ranks stop together: at the batch after the step whose agreement says so.
  bool job_stops = false;
  const auto stopping = [&] { return job.distributed() ? job_stops : asked_to_stop(); };
  FitCallbacks eval_callbacks = callbacks;
  eval_callbacks.on_eval_batch = [&](int64_t done) {
    if (callbacks.on_eval_batch) callbacks.on_eval_batch(done);
    // Data parallel, an evaluation is not abandoned: the ranks would leave it at different batches.
    if (!job.distributed() && stopping()) throw EvaluationStopped{};
  };
  // Writes last.safetensors at `progress` into `epoch` (0-based) and ends the run there.
  const auto stop_at = [&](int64_t epoch, const EpochProgress& progress) {
    if (writer) save(options, run, last, epoch, progress, per_epoch);
    run.result.stopped = true;
    run.result.epochs_done = epoch;
    run.result.batches_done = progress.batches;
    return run.result;
  };

  const int64_t end = options.stop_after > 0 ? std::min(options.stop_after, options.epochs) : options.epochs;
  for (int64_t epoch = run.first_epoch; epoch < end; ++epoch) {
    // The figures of the epoch so far: those of the resumed checkpoint in its first epoch, else none.
    EpochProgress progress = epoch == run.first_epoch ? run.progress : EpochProgress{};
    const double earlier_seconds = progress.seconds;  // spent by the processes before a resume
    const auto start = Clock::now();
    const auto seconds_so_far = [&] {
      return earlier_seconds + std::chrono::duration<double>(Clock::now() - start).count();
    };
    loader.start_epoch(epoch, progress.batches);
    Batch batch;
    for (;;) {
      if (stopping()) {
        progress.seconds = seconds_so_far();
        return stop_at(epoch, progress);
      }
      if (!loader.next(batch)) break;
      const int64_t iteration = epoch * per_epoch + progress.batches;
      // The job's mean loss over the job's batch (every rank's share).
      const double loss =
          engine.step(batch.images, batch.labels, *run.optimizer, learning_rate(run.schedule, iteration, per_epoch));
      if (!std::isfinite(loss)) {
        throw TrainingDiverged(
            fmt::format("epoch {} batch {}: the loss is {}; stopping. The last good checkpoint is {}", epoch + 1,
                        progress.batches + 1, loss,
                        options.resume || epoch > 0 ? last : std::string("none (this is the first epoch)")),
            epoch + 1, progress.batches + 1, run.result.history);
      }
      int64_t correct = correct_predictions(engine.outputs().at(0), batch.labels);
      if (job.distributed()) {
        const StepAgreement agreed = agree_after_step(job, correct, asked_to_stop());
        correct = agreed.correct;
        job_stops = agreed.stop;
        if (callbacks.on_step_communication) callbacks.on_step_communication(engine.communication());
      }
      if (callbacks.on_step) callbacks.on_step(iteration, loss);
      const int64_t images_in_batch = static_cast<int64_t>(batch.labels.size()) * job.size();
      progress.loss_sum += loss * static_cast<double>(images_in_batch);
      progress.correct += correct;
      progress.seen += images_in_batch;
      ++progress.batches;
      if (callbacks.on_batch) {
        callbacks.on_batch(epoch + 1, progress.batches, per_epoch,
                           progress.loss_sum / static_cast<double>(progress.seen),
                           static_cast<double>(progress.correct) / static_cast<double>(progress.seen));
      }
    }
    progress.seconds = seconds_so_far();
    // Each rank's running statistics saw its own share of the batches: rank 0's are the model's (those it
    // saves), and every rank evaluates with them.
    broadcast_parameters(job, run.parameters);
    Evaluation evaluation;
    try {
      evaluation = combine_evaluations(job, evaluate(eval_graph, run.parameters, *test_shard, options.threads,
                                                     options.loader_threads, eval_callbacks));
    } catch (const EvaluationStopped&) {
      return stop_at(epoch, progress);
    }
    const auto seen = static_cast<double>(progress.seen);
    const EpochMetrics metrics{
        .epoch = epoch + 1,
        .lr = learning_rate(run.schedule, (epoch + 1) * per_epoch - 1, per_epoch),  // the last step's
        .train_loss = progress.loss_sum / seen,
        .train_accuracy = static_cast<double>(progress.correct) / seen,
        .val_loss = evaluation.loss,
        .top1 = evaluation.top1,
        .top5 = evaluation.top5,
        .seconds = seconds_so_far(),
        .images_per_second = seen / progress.seconds};
    run.result.history.push_back(metrics);
    const bool improved = metrics.top1 > run.result.best_top1 || epoch == 0;
    if (improved) run.result.best_top1 = metrics.top1;
    if (writer) {
      // best before last: a run killed between the two redoes this epoch on resume and writes best again,
      // while the other order could leave a resumed run with no best.safetensors.
      if (improved) save(options, run, best, epoch + 1, {}, per_epoch);
      save(options, run, last, epoch + 1, {}, per_epoch);
      write_metrics_csv((folder / "metrics.csv").string(), run.result.history);
      write_evaluation_json((folder / "evaluation.json").string(), {.model = options.model,
                                                                    .data = options.data,
                                                                    .epoch = epoch + 1,
                                                                    .class_names = run.test->class_names(),
                                                                    .evaluation = std::move(evaluation)});
      write_report((folder / "report.html").string(), training_report_html(options.out_dir));
    }
    if (callbacks.on_epoch) callbacks.on_epoch(metrics);
  }
  return run.result;
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
  Checkpoint checkpoint = read_trained_checkpoint(path);
  TrainedModel trained;
  trained.model = meta_value(checkpoint.meta, kCheckpointModelKey, path);
  trained.options = model_options_from_json(meta_value(checkpoint.meta, kCheckpointModelOptionsKey, path), path);
  trained.options.batch = 1;
  const auto data = nlohmann::json::parse(meta_value(checkpoint.meta, kCheckpointDataKey, path), nullptr, false);
  if (data.is_discarded() || !data.contains("spec") || !data.contains("mean") || !data.contains("stddev")) {
    throw Error(fmt::format("{}: metadata 'data' is malformed (it needs spec, mean and stddev)", path));
  }
  try {
    trained.data = data.at("spec").get<std::string>();
    trained.class_names = data.value("class_names", std::vector<std::string>{});
    trained.normalization = {json_get<std::vector<float>>(data.at("mean")),
                             json_get<std::vector<float>>(data.at("stddev"))};
  } catch (const nlohmann::json::exception& e) {
    throw Error(fmt::format("{}: metadata 'data' is malformed: {}", path, e.what()));
  }
  const Graph graph = build_model(trained.model, trained.options);
  require_fit(check_parameters(graph, checkpoint.model), fmt::format("{}: weights do not fit {}", path, trained.model));
  trained.parameters = std::move(checkpoint.model);
  trained.meta = std::move(checkpoint.meta);
  return trained;
}

}  // namespace cnnzoo
