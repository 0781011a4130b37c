// cnnzoo train: a zoo model on a data set, with checkpoints, metrics and exact resume.
#include <fmt/format.h>

#include <filesystem>
#include <memory>
#include <vector>

#include "budget_flags.h"
#include "cnnzoo/checked.h"
#include "cnnzoo/distributed.h"
#include "cnnzoo/fit.h"
#include "cnnzoo/io.h"
#include "commands.h"
#include "flag_checks.h"
#include "machine_peak.h"
#include "model_flags.h"
#include "progress.h"
#include "stop_signals.h"

namespace cnnzoo::cli {
namespace {

struct TrainArgs {
  FitOptions fit;
  std::optional<int64_t> depth, width, groups, growth_rate;
  bool aux_logits = false;
  bool transform_input = false;
  std::vector<double> residual_scales;
  bool no_bn = false;
  bool no_nesterov = false;
  std::string precision = "fp32";
  double bucket_mb = 25;
  BudgetFlags budget_flags;
};

// The data-parallel part of the progress line: this rank's mean step over the epoch so far, split into
// compute and the communication compute did not hide.
class CommunicationTally {
 public:
  void add(const StepCommunication& step) {
    ++steps_;
    step_ += step.step_seconds;
    exposed_ += step.exposed_seconds;
    communication_ += step.communication_seconds;
    hidden_ += step.hidden_seconds();
  }
  void reset() { *this = {}; }
  std::string text() const {
    if (steps_ == 0) return "";
    const double n = static_cast<double>(steps_);
    return fmt::format("  step {:.0f} ms: compute {:.0f} ms, comm {:.1f} ms ({:.0f}% hidden)", 1e3 * step_ / n,
                       1e3 * (step_ - exposed_) / n, 1e3 * communication_ / n,
                       communication_ > 0 ? 100 * hidden_ / communication_ : 100.0);
  }

 private:
  int64_t steps_ = 0;
  double step_ = 0, exposed_ = 0, communication_ = 0, hidden_ = 0;
};

void run_train(TrainArgs args) {
  FitOptions& o = args.fit;
  o.model_options.depth = args.depth;
  o.model_options.width = args.width;
  o.model_options.groups = args.groups;
  o.model_options.growth_rate = args.growth_rate;
  o.model_options.aux_logits = args.aux_logits;
  o.model_options.transform_input = args.transform_input;
  if (!args.residual_scales.empty()) o.model_options.residual_scales = args.residual_scales;
  o.model_options.no_bn = args.no_bn;
  if (args.no_nesterov) o.optimizer.nesterov = false;
  o.precision = args.precision == "bf16" ? Precision::BF16 : Precision::F32;
  if (o.precision == Precision::BF16 && !bf16_unit()) {
    // Below AVX-512 the engine refuses; with AVX-512 but no bf16 instructions oneDNN converts in software.
    fmt::print(stderr,
               "cnnzoo: note: this CPU has no bfloat16 unit (AVX-512 BF16 or AMX); oneDNN emulates bf16, which is "
               "slower than fp32 here\n");
  }
  o.budgets = args.budget_flags.resolve();
  o.bucket_bytes = static_cast<int64_t>(args.bucket_mb * (1 << 20));
  o.first_bucket_bytes = std::min(o.first_bucket_bytes, o.bucket_bytes);
  const Communicator& job = Communicator::world();
  // Data parallel: rank 0 speaks for the job; the other ranks print only their errors.
  const bool speaks = job.is_root();
  // fit checks these too; here before the header line, so an error stands alone (and the header never shows
  // a batch that does not split over the ranks).
  check_fit_options(o);
  if (speaks) prepare_output_folder(o.out_dir, "--out");
  // Ctrl-C or a supervisor's SIGTERM: the run writes last.safetensors where it stands and ends. In place
  // before the header line, so that a signal after it always stops the run this way.
  const StopSignals signals;
  if (!speaks) {
    FitCallbacks quiet;
    quiet.stop_requested = [&] { return signals.received() != 0; };
    const FitResult result = fit(o, quiet);
    if (result.stopped) signals.end_process();
    return;
  }
  const std::string ranks = job.distributed()
                                ? fmt::format(" on {} ranks ({} images each{})", job.size(), o.batch_size / job.size(),
                                              o.sync_batch_norm ? ", sync batch norm" : "")
                                : "";
  fmt::print("training {} on {} for {} (batch {}, {} lr {} {}, seed {}, {}){} into {}\n", o.model, o.data,
             plural(o.epochs, "epoch"), o.batch_size, o.optimizer.kind, o.schedule.base_lr, o.schedule.kind, o.seed,
             precision_name(o.precision), ranks, o.out_dir);
  std::fflush(stdout);  // a log file shows it while the data loads
  std::unique_ptr<Progress> bar;
  FitCallbacks callbacks;
  int64_t bar_epoch = 0;  // the epoch `bar` shows; a resumed run begins mid-epoch
  CommunicationTally tally;
  callbacks.on_step_communication = [&](const StepCommunication& step) { tally.add(step); };
  callbacks.on_batch = [&](int64_t epoch, int64_t done, int64_t total, double loss, double accuracy) {
    if (bar_epoch != epoch) {
      bar = std::make_unique<Progress>(fmt::format("epoch {}/{}", epoch, o.epochs), total * o.batch_size, "img");
      bar_epoch = epoch;
    }
    bar->update(done * o.batch_size, fmt::format("loss {:.4f} acc {:.2f}%{}", loss, 100 * accuracy, tally.text()));
    if (done == total) bar->finish();
  };
  callbacks.on_eval_start = [&](int64_t batches) {
    bar = std::make_unique<Progress>(job.distributed() ? "  evaluating (rank 0's share)" : "  evaluating", batches,
                                     "batch");
  };
  callbacks.on_eval_batch = [&](int64_t done) { bar->update(done); };
  callbacks.on_epoch = [&](const EpochMetrics& m) {
    bar->finish();
    fmt::print(
        "epoch {:3}  lr {:.4g}  train loss {:.4f} acc {:.2f}%  val loss {:.4f} top-1 {:.2f}% top-5 {:.2f}%  "
        "{:.1f} s, {:.0f} img/s\n",
        m.epoch, m.lr, m.train_loss, 100 * m.train_accuracy, m.val_loss, 100 * m.top1, 100 * m.top5, m.seconds,
        m.images_per_second);
    if (job.distributed()) fmt::print("          rank 0, mean{}\n", tally.text());
    tally.reset();
    std::fflush(stdout);
  };
  callbacks.stop_requested = [&] { return signals.received() != 0; };
  const FitResult result = fit(o, callbacks);
  const std::filesystem::path out(o.out_dir);
  if (result.stopped) {
    if (bar && bar->interactive()) std::fputc('\n', stderr);  // below the bar left mid-line
    fmt::print(
        "stopped by {} after {} and {} of epoch {}: {} holds this point; the same command with --resume "
        "continues from it\n",
        signals.received_name(), plural(result.epochs_done, "epoch"),
        fmt::format("{} batch{}", result.batches_done, result.batches_done == 1 ? "" : "es"), result.epochs_done + 1,
        (out / "last.safetensors").string());
    signals.end_process();
  }
  fmt::print("best top-1 {:.2f}%; checkpoints {} and {}, metrics {}, report {}\n", 100 * result.best_top1,
             (out / "last.safetensors").string(), (out / "best.safetensors").string(), (out / "metrics.csv").string(),
             (out / "report.html").string());
}

}  // namespace

void add_train_command(CLI::App& app) {
  auto args = std::make_shared<TrainArgs>();
  FitOptions& o = args->fit;
  CLI::App* cmd = app.add_subcommand("train", "Train a model on a data set (default: resnet20 on Fashion-MNIST)");
  cmd->add_option("--model", o.model, "Model name (see `cnnzoo list`)")->default_val(o.model);
  cmd->add_option("--data", o.data, "fashion-mnist, mnist:DIR, cifar10:DIR, cifar100:DIR or folder:DIR")
      ->default_val(o.data);
  cmd->add_option("--epochs", o.epochs, "Epochs")->default_val(o.epochs)->check(at_least(1));
  cmd->add_option("--batch,--batch-size", o.batch_size, "Images per step (--batch-size: the older spelling)")
      ->default_val(o.batch_size)
      ->check(at_least(1));
  cmd->add_option("--lr", o.schedule.base_lr, "Peak learning rate")->default_val(o.schedule.base_lr)->check(positive());
  cmd->add_option("--seed", o.seed, "Seed of initialisation, data order, augmentation and dropout")->default_val(0);
  cmd->add_option("--subset", o.subset, "Train on the first N training images (0 = all)")
      ->default_val(0)
      ->check(at_least(0));
  cmd->add_option("--val-subset", o.val_subset, "Evaluate on the first N test images (0 = all)")
      ->default_val(0)
      ->check(at_least(0));
  cmd->add_option("--val-split", o.validation_split,
                  "folder:DIR without train/ and val/: the fraction held out for validation")
      ->default_val(o.validation_split)
      ->check(number_where([](double v) { return v >= 0 && v < 1; }, "lie in [0, 1)", "in [0, 1)"));
  cmd->add_option("--image-size", o.image_size,
                  "The model's input size in pixels: folder:DIR 224 by default; Fashion-MNIST, MNIST and CIFAR "
                  "are resized to it (default: their own size)")
      ->check(within(1, static_cast<double>(kMaxDim)));
  add_threads_option(*cmd, o.threads, "Engine threads (0 = every core; more than the cores is capped)");
  cmd->add_option("--precision", args->precision,
                  "fp32, or bf16: mixed precision (bfloat16 activations and gradients in convolutions, linear "
                  "layers and batch norm; float32 master weights, optimizer state and checkpoints), on CPUs with "
                  "AVX-512 BF16 or AMX")
      ->default_val("fp32")
      ->check(CLI::IsMember({"fp32", "bf16"}));
  cmd->add_option("--loader-threads", o.loader_threads, "Threads that prepare batches")
      ->default_val(o.loader_threads)
      ->check(at_least(1));
  cmd->add_option("--out", o.out_dir, "Folder for last.safetensors, best.safetensors and metrics.csv")->required();
  cmd->add_flag("--resume", o.resume,
                "Continue from OUT/last.safetensors (with the same options); Ctrl-C, SIGTERM or SIGUSR1 stop a run at "
                "the "
                "batch it reached and write that point there (under mpirun: SIGUSR1 to mpirun)");
  cmd->add_flag("--overwrite", o.overwrite, "Start afresh even if OUT holds a run");
  cmd->add_option("--stop-after", o.stop_after, "Stop after this many epochs, to --resume later (0 = no)")
      ->default_val(0)
      ->check(at_least(0));
  cmd->add_option("--optimizer", o.optimizer.kind, "sgd, adam or adamw")->default_val(o.optimizer.kind);
  cmd->add_option("--momentum", o.optimizer.momentum, "SGD momentum")
      ->default_val(o.optimizer.momentum)
      ->check(within(0, 1));
  cmd->add_flag("--no-nesterov", args->no_nesterov, "Plain momentum instead of Nesterov's");
  cmd->add_option("--weight-decay", o.optimizer.weight_decay, "Weight decay")
      ->default_val(o.optimizer.weight_decay)
      ->check(at_least(0));
  cmd->add_flag("--decay-bn-and-bias", o.optimizer.decay_bn_and_bias,
                "Also decay batch-norm weights and biases (exempt by default)");
  cmd->add_option("--schedule", o.schedule.kind, "constant, step, multistep or cosine")->default_val(o.schedule.kind);
  cmd->add_option("--warmup-epochs", o.schedule.warmup_epochs, "Linear warm-up, in epochs (may be fractional)")
      ->default_val(o.schedule.warmup_epochs)
      ->check(at_least(0));
  cmd->add_option("--step-size", o.schedule.step_size, "step: epochs between decays")
      ->default_val(o.schedule.step_size)
      ->check(at_least(1));
  cmd->add_option("--milestones", o.schedule.milestones, "multistep: epochs at which the rate drops");
  cmd->add_option("--gamma", o.schedule.gamma, "step, multistep: the factor of each drop")
      ->default_val(o.schedule.gamma)
      ->check(positive());
  cmd->add_option("--label-smoothing", o.label_smoothing, "Label smoothing, in [0, 1]")
      ->default_val(0.0)
      ->check(within(0, 1));
  cmd->add_option("--depth", args->depth, "Depth, where the model's paper defines a family")->check(at_least(1));
  cmd->add_option("--width", args->width, "Widen factor or width per group")->check(at_least(1));
  cmd->add_option("--groups", args->groups, "Groups of the bottleneck convolution (ResNeXt)")->check(at_least(1));
  cmd->add_option("--growth-rate", args->growth_rate, "DenseNet growth rate")->check(at_least(1));
  cmd->add_flag("--aux-logits", args->aux_logits,
                "GoogLeNet, Inception-v3: train with the auxiliary classifiers (weight: --aux-weight)");
  cmd->add_option("--aux-weight", o.aux_loss_weight,
                  "Weight of each auxiliary loss (default: the authors', GoogLeNet 0.3, Inception-v3 0.4)")
      ->check(within(0, 1));
  cmd->add_flag("--transform-input", args->transform_input, kTransformInputHelp);
  cmd->add_option("--residual-scales", args->residual_scales,
                  "Inception-ResNet-v2: the 35x35, 17x17 and 8x8 blocks' residual scales (default 0.17,0.1,0.2)")
      ->delimiter(',')
      ->expected(3);
  cmd->add_flag("--no-bn", args->no_bn,
                "Without batch normalisation (CIFAR ResNets and plain nets, VGG *_bn); convolutions get biases");
  cmd->add_flag("--sync-bn", o.sync_batch_norm,
                "Data parallel (mpirun): batch norm uses the statistics of the job's whole batch, not each rank's "
                "(docs/distributed.md)");
  cmd->add_option("--bucket-mb", args->bucket_mb,
                  "Data parallel: gradients are summed across ranks in buckets of this many MiB, each started as "
                  "backward fills it (the first at most 1 MiB)")
      ->default_val(args->bucket_mb)
      ->check(within(0.001, 1024));
  args->budget_flags.add_to(*cmd, BudgetFlags::kImages | BudgetFlags::kGzip);
  cmd->callback([args] { run_train(*args); });
}

}  // namespace cnnzoo::cli
