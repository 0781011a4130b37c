// The training loop: exact resume, the NaN stop that keeps the last good checkpoint, metrics, and the
// model a checkpoint describes. Small runs on Fashion-MNIST (Debian's dataset-fashion-mnist).
#include <fmt/format.h>
#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
#include <filesystem>
#include <fstream>

#include "cnnzoo/checkpoint.h"
#include "cnnzoo/error.h"
#include "cnnzoo/fit.h"
#include "io/file_support.h"
#include "support/same_bits.h"

namespace cnnzoo {
namespace {

FitOptions small_run(const std::string& out, int64_t epochs) {
  FitOptions o;
  o.out_dir = out;
  o.epochs = epochs;
  o.subset = 256;
  o.val_subset = 256;
  o.batch_size = 64;
  o.threads = 2;
  o.seed = 3;
  return o;
}

// Two epochs straight, and one epoch followed by a resume to two, give the same bits. The schedule must
// then not depend on the run's length (a constant rate here); a cosine run is paused with stop_after.
void expect_resume_is_exact(FitOptions options) {
  const std::string straight = test::temp_dir("cnnzoo_fit") + "/straight";
  const std::string resumed = test::temp_dir("cnnzoo_fit") + "/resumed";
  options.out_dir = straight;
  options.epochs = 2;
  const FitResult a = fit(options);
  FitOptions first = options;
  first.out_dir = resumed;
  if (options.schedule.kind == "constant") {
    first.epochs = 1;
  } else {
    first.stop_after = 1;
  }
  fit(first);
  FitOptions more = options;
  more.out_dir = resumed;
  more.resume = true;
  const FitResult b = fit(more);
  const Checkpoint x = load_checkpoint(straight + "/last.safetensors");
  const Checkpoint y = load_checkpoint(resumed + "/last.safetensors");
  test::expect_same_tensors(x.model, y.model);
  test::expect_same_tensors(x.optimizer, y.optimizer);
  ASSERT_EQ(b.history.size(), 2u);
  EXPECT_EQ(a.history[1].train_loss, b.history[1].train_loss);
  EXPECT_EQ(a.history[1].top1, b.history[1].top1);
  // metrics.csv: a header and one row per epoch.
  std::ifstream csv(resumed + "/metrics.csv");
  std::string header, line;
  std::getline(csv, header);
  EXPECT_EQ(header, "epoch,lr,train_loss,train_accuracy,val_loss,top1,top5,seconds");
  int rows = 0;
  while (std::getline(csv, line)) ++rows;
  EXPECT_EQ(rows, 2);
}

TEST(Fit, ResumeContinuesBitForBit) {
  FitOptions constant = small_run("", 2);
  constant.schedule.kind = "constant";
  expect_resume_is_exact(constant);
}

TEST(Fit, APausedCosineRunResumesBitForBit) { expect_resume_is_exact(small_run("", 2)); }

TEST(Fit, ALossThatDivergesStopsAndKeepsTheLastGoodCheckpoint) {
  const std::string out = test::temp_dir("cnnzoo_fit") + "/diverge";
  fit(small_run(out, 1));
  const std::string before = test::bytes_of(out + "/last.safetensors");
  FitOptions wild = small_run(out, 2);
  wild.resume = true;
  wild.schedule.base_lr = 1e30;
  try {
    fit(wild);
    FAIL() << "expected the run to stop";
  } catch (const TrainingDiverged& e) {
    const std::string message = e.what();
    EXPECT_EQ(e.epoch, 2);
    EXPECT_GE(e.batch, 1);
    ASSERT_EQ(e.history.size(), 1u);  // the finished epoch, for a caller that records the run
    EXPECT_NE(message.find(fmt::format("epoch 2 batch {}", e.batch)), std::string::npos) << message;
    EXPECT_NE(message.find("the loss is"), std::string::npos) << message;
    EXPECT_NE(message.find(out + "/last.safetensors"), std::string::npos) << message;
  }
  EXPECT_EQ(test::bytes_of(out + "/last.safetensors"), before);
}

TEST(Fit, TheModelAdaptsToTheDataAndTheCheckpointDescribesIt) {
  const std::string out = test::temp_dir("cnnzoo_fit") + "/adapt";
  const FitResult r = fit(small_run(out, 1));
  EXPECT_GT(r.history[0].top1, 0.1);  // above chance on 10 classes after one short epoch
  const TrainedModel t = load_trained_model(out + "/best.safetensors");
  EXPECT_EQ(t.model, "resnet20");
  EXPECT_EQ(*t.options.input, (Dims{1, 28, 28}));
  EXPECT_EQ(*t.options.num_classes, 10);
  EXPECT_EQ(t.class_names.at(9), "Ankle boot");
  EXPECT_FLOAT_EQ(t.normalization.mean.at(0), 0.2860f);
}

// FitOptions::image_size on a fixed-size set: Fashion-MNIST's 28x28 images resized to the 40x40 the model is
// built for, recorded in the checkpoint (so that eval builds the same input), and a resume at another size is
// another run.
TEST(Fit, AFixedSizeSetIsResizedToTheImageSize) {
  const std::string out = test::temp_dir("cnnzoo_fit") + "/resized";
  FitOptions o = small_run(out, 1);
  o.image_size = 40;
  const FitResult r = fit(o);
  EXPECT_GT(r.history[0].top1, 0.1);
  const TrainedModel t = load_trained_model(out + "/last.safetensors");
  EXPECT_EQ(*t.options.input, (Dims{1, 40, 40}));
  const ImagePreprocessing p = checkpoint_preprocessing(t);
  EXPECT_EQ(p.input, (Dims{1, 40, 40}));
  FitOptions other = small_run(out, 2);
  other.resume = true;
  EXPECT_THROW(fit(other), InvalidArgument);  // the same run at 28x28 is not this one
}

// fit(options) is refused with a message that holds each of `parts`.
void expect_refused(const FitOptions& options, const std::vector<std::string>& parts) {
  try {
    fit(options);
    ADD_FAILURE() << "expected InvalidArgument";
  } catch (const InvalidArgument& e) {
    for (const std::string& part : parts) EXPECT_NE(std::string(e.what()).find(part), std::string::npos) << e.what();
  }
}

TEST(Fit, ResumeRefusesAnotherRun) {
  const std::string out = test::temp_dir("cnnzoo_fit") + "/other";
  fit(small_run(out, 1));
  const FitOptions resume = [&] {
    FitOptions o = small_run(out, 2);
    o.resume = true;
    return o;
  }();
  FitOptions other = resume;
  other.seed = 4;
  expect_refused(other, {"was trained with seed 3, this run asks for 4"});
  // Another loss, or a model option that adds no parameter, is another run too.
  FitOptions smoothed = resume;
  smoothed.label_smoothing = 0.1;
  expect_refused(smoothed, {"was trained with loss {\"aux_loss_weight\":0.0,\"label_smoothing\":0.0}, this run asks "
                            "for {\"aux_loss_weight\":0.0,\"label_smoothing\":0.1}"});
  FitOptions unnormalised = resume;
  unnormalised.model_options.no_bn = true;
  expect_refused(unnormalised, {"was trained with model_options {", "\"no_bn\":true"});
  expect_refused(small_run(out, 1), {"already holds a run"});
  FitOptions missing = small_run(test::temp_dir("cnnzoo_fit") + "/none", 1);
  missing.resume = true;
  EXPECT_THROW(fit(missing), Error);
}

// An auxiliary loss weight for a network without auxiliary classifiers weighs nothing: refused before any step.
TEST(Fit, AnAuxiliaryWeightNeedsAuxiliaryClassifiers) {
  FitOptions o = small_run(test::temp_dir("cnnzoo_fit") + "/aux", 1);
  o.aux_loss_weight = 0.5;
  try {
    fit(o);
    FAIL() << "expected OptionError";
  } catch (const OptionError& e) {
    EXPECT_STREQ(e.what(),
                 "FitOptions::aux_loss_weight: resnet20 as built has no auxiliary classifier to weigh; add "
                 "ModelOptions::aux_logits (GoogLeNet, Inception-v3) or drop the weight");
    EXPECT_EQ(e.fields(), (std::vector<std::string>{"FitOptions::aux_loss_weight", "ModelOptions::aux_logits"}));
  }
}

TEST(Evaluate, ScoreCountsTopKAndConfusion) {
  // Three images, three classes: rows are probabilities; labels 0, 1, 2.
  const float p[] = {0.7f, 0.2f, 0.1f, 0.5f, 0.3f, 0.2f, 0.1f, 0.1f, 0.8f};
  const Evaluation e = score(Tensor({3, 3}, p), {0, 1, 2}, 3);
  EXPECT_DOUBLE_EQ(e.top1, 2.0 / 3);
  EXPECT_DOUBLE_EQ(e.top5, 1.0);
  EXPECT_NEAR(e.loss, -(std::log(0.7) + std::log(0.3) + std::log(0.8)) / 3, 1e-6);
  EXPECT_EQ(e.confusion[1][0], 1);
  EXPECT_EQ(e.per_class[1], 0.0);
}

}  // namespace
}  // namespace cnnzoo
