// Every op through the oneDNN engine against the reference kernels on random shapes and attributes,
// forward (InferenceEngine) and backward (TrainingEngine against the float64 reference step). Each
// case is a small graph: input -> [conv] -> the op -> flatten -> linear, so the op's input and its
// parameters both receive gradients.
#include <fmt/format.h>
#include <gtest/gtest.h>

#include <cmath>
#include <functional>
#include <random>

#include "cnnzoo/builder.h"
#include "cnnzoo/engine.h"
#include "cnnzoo/error.h"
#include "cnnzoo/init.h"
#include "cnnzoo/interpreter.h"

namespace cnnzoo {
namespace {

using AddOp = std::function<ValueId(Builder&, ValueId, std::mt19937&)>;

int64_t pick(std::mt19937& rng, int64_t lo, int64_t hi) { return std::uniform_int_distribution<int64_t>(lo, hi)(rng); }

double squared_norm(std::span<const float> b) {
  double s = 0;
  for (float v : b) s += static_cast<double>(v) * v;
  return s;
}

// ||a - b|| / ||b||, with ||b||^2 taken as at least `floor` (for b that is zero in exact arithmetic).
double relative_l2(std::span<const float> a, std::span<const float> b, double floor = 1e-30) {
  double d = 0;
  for (std::size_t i = 0; i < b.size(); ++i)
    d += (static_cast<double>(a[i]) - b[i]) * (static_cast<double>(a[i]) - b[i]);
  return std::sqrt(d / std::max(squared_norm(b), floor));
}

// Builds the case graph, or nullopt when the random attributes do not fit the random input (a
// ShapeError), so the next draw is tried.
std::optional<Graph> case_graph(const AddOp& add_op, std::mt19937& rng) {
  const Dims input{pick(rng, 1, 3), pick(rng, 1, 3) * 8, pick(rng, 5, 13), pick(rng, 5, 13)};
  try {
    Builder b("case", input);
    ValueId x = b.conv(b.input(), "stem", {.out = input[1], .kernel = 3, .pad = 1});
    x = add_op(b, x, rng);
    x = b.flatten(x, "flatten");
    b.output(b.linear(x, "head", {.out = 5}));
    return b.finish();
  } catch (const ShapeError&) {
    return std::nullopt;
  }
}

void check_op(const std::string& op, const AddOp& add_op) {
  std::mt19937 rng(std::hash<std::string>{}(op)&0xffff);
  int checked = 0;
  for (int attempt = 0; checked < 4 && attempt < 100; ++attempt) {
    auto g = case_graph(add_op, rng);
    if (!g) continue;
    ++checked;
    SCOPED_TRACE(fmt::format("{} case {}: input {}", op, checked, to_string(g->shape(g->inputs()[0]))));
    const uint64_t seed = static_cast<uint64_t>(attempt) + 1;
    Parameters p = test_parameters(*g, seed);
    const Parameters reference_params = p;
    const Tensor x = test_uniform("input", g->shape(g->inputs()[0]), seed, -1, 1);
    InferenceEngine inference(*g, p);
    EXPECT_LT(relative_l2(inference.run(x)[0].f32(), run_reference(*g, p, x)[0].f32()), 1e-5);

    std::vector<int64_t> labels;
    for (int64_t i = 0; i < x.shape()[0]; ++i) labels.push_back(i % 5);
    TrainingEngine training(*g, p, {.seed = seed});
    const double loss = training.step(x, labels);
    const ReferenceStep expected = reference_training_step(*g, reference_params, x, labels, {.seed = seed});
    EXPECT_NEAR(loss, expected.loss, 1e-5 * std::max(1.0, expected.loss));
    // A gradient that is zero in exact arithmetic (the stem's bias before a batch norm) is measured
    // against the gradients' overall scale.
    double overall = 0;
    for (const auto& [name, grad] : expected.gradients) overall += squared_norm(grad.f32());
    for (const auto& [name, grad] : expected.gradients) {
      EXPECT_LT(relative_l2(training.gradients().at(name).f32(), grad.f32(), 1e-6 * overall), 1e-4) << name;
    }
  }
  EXPECT_EQ(checked, 4) << "too few random cases fit";
}

attr::Pool random_pool(std::mt19937& rng) {
  const int64_t k = pick(rng, 1, 4);
  return {.kernel = k,
          .stride = pick(rng, 1, 3),
          .pad = pick(rng, 0, k / 2),
          .ceil_mode = pick(rng, 0, 1) == 1,
          .count_include_pad = pick(rng, 0, 1) == 1};
}

TEST(OpsRandom, Conv) {
  check_op("conv", [](Builder& b, ValueId x, std::mt19937& rng) {
    const int64_t groups = pick(rng, 0, 1) ? 2 : 1;
    const int64_t k = pick(rng, 1, 5);
    return b.conv(x, "op",
                  {.out = 8 * groups,
                   .kernel = {k, pick(rng, 1, 3)},
                   .stride = pick(rng, 1, 2),
                   .pad = pick(rng, 0, 2),
                   .dilation = pick(rng, 1, 2),
                   .groups = groups,
                   .bias = pick(rng, 0, 1) == 1});
  });
}

TEST(OpsRandom, MaxPool) {
  check_op("maxpool", [](Builder& b, ValueId x, std::mt19937& rng) { return b.max_pool(x, "op", random_pool(rng)); });
}

TEST(OpsRandom, AvgPool) {
  check_op("avgpool", [](Builder& b, ValueId x, std::mt19937& rng) { return b.avg_pool(x, "op", random_pool(rng)); });
}

TEST(OpsRandom, AdaptiveAndGlobalAvgPool) {
  check_op("adaptive", [](Builder& b, ValueId x, std::mt19937& rng) {
    return b.adaptive_avg_pool(x, "op", Hw{pick(rng, 1, 7), pick(rng, 1, 7)});
  });
  check_op("global", [](Builder& b, ValueId x, std::mt19937&) { return b.global_avg_pool(x, "op"); });
}

TEST(OpsRandom, BatchNormAndLrn) {
  check_op("batchnorm", [](Builder& b, ValueId x, std::mt19937&) { return b.batch_norm(x, "op"); });
  check_op("lrn", [](Builder& b, ValueId x, std::mt19937& rng) {
    return b.lrn(x, "op", {.size = pick(rng, 1, 5), .alpha = 1e-2, .beta = 0.75, .k = 1.0 + pick(rng, 0, 1)});
  });
}

TEST(OpsRandom, Activations) {
  check_op("relu", [](Builder& b, ValueId x, std::mt19937&) { return b.relu(x, "op"); });
  check_op("sigmoid", [](Builder& b, ValueId x, std::mt19937&) { return b.sigmoid(x, "op"); });
  check_op("elu", [](Builder& b, ValueId x, std::mt19937& rng) {
    return b.append(OpKind::Elu, "op", attr::Elu{.alpha = 0.5 * static_cast<double>(pick(rng, 0, 3))}, {x});
  });
  check_op("scale", [](Builder& b, ValueId x, std::mt19937& rng) {
    return b.append(OpKind::Scale, "op", attr::Scale{.factor = 0.1 * static_cast<double>(pick(rng, -3, 3))}, {x});
  });
  check_op("dropout", [](Builder& b, ValueId x, std::mt19937& rng) {
    return b.dropout(x, "op", 0.1 * static_cast<double>(pick(rng, 1, 6)));
  });
  check_op("softmax", [](Builder& b, ValueId x, std::mt19937&) { return b.softmax(x, "op", 1); });
}

TEST(OpsRandom, ConcatAddMulPad) {
  check_op("concat", [](Builder& b, ValueId x, std::mt19937& rng) {
    const ValueId y = b.conv(x, "branch", {.out = 8 * pick(rng, 1, 2), .kernel = 1});
    return b.concat({x, y, x}, "op");
  });
  check_op("add", [](Builder& b, ValueId x, std::mt19937&) {
    const ValueId y = b.conv(x, "branch", {.out = b.channels(x), .kernel = 3, .pad = 1});
    return b.add({x, y}, "op");
  });
  check_op("channel_mul", [](Builder& b, ValueId x, std::mt19937&) {
    const ValueId gate = b.sigmoid(b.global_avg_pool(x, "squeeze"), "gate");
    return b.channel_mul(x, gate, "op");
  });
  check_op("channel_pad", [](Builder& b, ValueId x, std::mt19937& rng) {
    return b.channel_pad(x, "op", pick(rng, 0, 8), pick(rng, 1, 8));
  });
}

TEST(OpsRandom, ChannelAffine) {
  check_op("channel_affine", [](Builder& b, ValueId x, std::mt19937& rng) {
    attr::ChannelAffine a;
    for (int64_t c = 0; c < b.channels(x); ++c) {
      a.scale.push_back(0.25 * static_cast<double>(pick(rng, -8, 8)));
      a.shift.push_back(0.25 * static_cast<double>(pick(rng, -8, 8)));
    }
    return b.append(OpKind::ChannelAffine, "op", a, {x});
  });
}

}  // namespace
}  // namespace cnnzoo
