#include <gtest/gtest.h>

#include <cmath>
#include <fstream>
#include <nlohmann/json.hpp>

#include "cnnzoo/error.h"
#include "cnnzoo/optim.h"
#include "train/train_support.h"

namespace cnnzoo {
namespace {

using Json = nlohmann::json;
using test::expect_identical;
using test::test_gradients;
using test::tiny_graph;

const Json& fixture() {
  static const Json j = [] {
    std::ifstream in(std::string(CNNZOO_TEST_DATA) + "/optim/updates.json");
    return Json::parse(in);
  }();
  return j;
}

// Fixture tensors by name, on top of the graph's zero parameters (buffers included).
Parameters from_json(const Graph& graph, const Json& values) {
  Parameters out = zero_parameters(graph);
  for (const auto& [name, list] : values.items()) {
    auto data = out.at(name).f32();
    EXPECT_EQ(list.size(), data.size()) << name;
    for (std::size_t i = 0; i < data.size(); ++i) data[i] = list[i].get<float>();
  }
  return out;
}

Parameters trainable_only(const Parameters& all) {
  Parameters out;
  for (const auto& [name, t] : all)
    if (!name.starts_with("bn.running") && name != "bn.num_batches_tracked") out.emplace(name, t);
  return out;
}

OptimizerOptions options_of(const Json& c) {
  OptimizerOptions o{.kind = c.at("kind").get<std::string>(),
                     .weight_decay = c.at("weight_decay").get<double>(),
                     .decay_bn_and_bias = !c.at("exempt").get<bool>()};
  if (o.kind == "sgd") {
    o.momentum = c.at("momentum").get<double>();
    o.nesterov = c.at("nesterov").get<bool>();
  } else {
    o.beta1 = c.at("beta1").get<double>();
    o.beta2 = c.at("beta2").get<double>();
    o.eps = c.at("eps").get<double>();
  }
  return o;
}

class MatchesTorch : public ::testing::TestWithParam<std::string> {};

TEST_P(MatchesTorch, ThreeSteps) {
  const Graph graph = tiny_graph();
  const Json& c = fixture().at("cases").at(GetParam());
  const auto optimizer = make_optimizer(options_of(c.at("options")), graph);
  Parameters params = from_json(graph, fixture().at("initial"));
  const Parameters buffers_before = params;
  int inexact = 0;
  for (std::size_t s = 0; s < 3; ++s) {
    const Parameters grads = trainable_only(from_json(graph, fixture().at("grads")[s]));
    optimizer->step(params, grads, fixture().at("lrs")[s].get<double>());
    const Parameters expected = from_json(graph, c.at("steps")[s]);
    for (const auto& [name, t] : trainable_only(expected)) {
      const auto got = params.at(name).f32();
      const auto want = t.f32();
      for (std::size_t i = 0; i < got.size(); ++i) {
        inexact += got[i] != want[i];
        EXPECT_NEAR(got[i], want[i], 1e-6 * std::max(1.0f, std::abs(want[i])))
            << GetParam() << " step " << s + 1 << " " << name << "[" << i << "]";
      }
    }
  }
  // Beyond the contract: with fused multiply-adds where PyTorch's kernels fuse them (the fixture comes from an
  // x86-64 build with AVX2 and FMA), every value is bit-identical.
  EXPECT_EQ(inexact, 0) << GetParam() << ": values within tolerance but not bit-identical to PyTorch's";
  EXPECT_EQ(optimizer->steps(), 3);
  for (const char* buffer : {"bn.running_mean", "bn.running_var", "bn.num_batches_tracked"}) {
    EXPECT_EQ(std::memcmp(params.at(buffer).bytes(), buffers_before.at(buffer).bytes(),
                          static_cast<std::size_t>(params.at(buffer).nbytes())),
              0)
        << buffer;
  }
}

INSTANTIATE_TEST_SUITE_P(Optimizer, MatchesTorch,
                         ::testing::Values("sgd_plain", "sgd_momentum", "sgd_nesterov", "sgd_exempt", "adam",
                                           "adam_betas", "adamw", "adamw_exempt"));

TEST(Optimizer, ExemptionSkipsDecayOfOneDimensionalParameters) {
  const Graph graph = tiny_graph();
  for (const char* kind : {"sgd", "adam", "adamw"}) {
    for (bool decay_1d : {true, false}) {
      const auto optimizer =
          make_optimizer({.kind = kind, .momentum = 0, .weight_decay = 0.5, .decay_bn_and_bias = decay_1d}, graph);
      Parameters params = test_parameters(graph, 3);
      const Parameters before = params;
      Parameters grads = test_gradients(graph, 4);
      for (auto& [name, g] : grads)
        for (float& v : g.f32()) v = 0;
      optimizer->step(params, grads, 0.1);
      for (const auto& [name, g] : grads) {
        const bool one_d = g.shape().size() == 1;
        const bool changed =
            std::memcmp(params.at(name).bytes(), before.at(name).bytes(), static_cast<std::size_t>(g.nbytes())) != 0;
        // With zero gradients only decay moves a parameter (Adam's L2 term through its gradient).
        EXPECT_EQ(changed, !one_d || decay_1d) << kind << " " << name << " decay_bn_and_bias=" << decay_1d;
      }
    }
  }
}

TEST(Optimizer, StateNamesAndStepCount) {
  const Graph graph = tiny_graph();
  Parameters params = test_parameters(graph, 1);
  const Parameters grads = test_gradients(graph, 2);
  const auto sgd = make_optimizer({.kind = "sgd"}, graph);
  EXPECT_EQ(sgd->state().size(), 1u);
  EXPECT_EQ(sgd->state().at("optim.step").i64()[0], 0);
  sgd->step(params, grads, 0.1);
  const Parameters s = sgd->state();
  EXPECT_EQ(s.size(), 1u + grads.size());
  EXPECT_EQ(s.at("optim.step").i64()[0], 1);
  EXPECT_TRUE(s.at("optim.step").shape().empty());
  // The first momentum buffer is the decayed gradient.
  EXPECT_EQ(s.at("optim.momentum.fc.bias").shape(), Dims{3});

  const auto adam = make_optimizer({.kind = "adamw", .weight_decay = 0.01}, graph);
  adam->step(params, grads, 0.1);
  const Parameters a = adam->state();
  EXPECT_EQ(a.size(), 1u + 2 * grads.size());
  EXPECT_TRUE(a.contains("optim.exp_avg.conv.weight"));
  EXPECT_TRUE(a.contains("optim.exp_avg_sq.bn.bias"));

  const auto plain = make_optimizer({.kind = "sgd", .momentum = 0}, graph);
  plain->step(params, grads, 0.1);
  EXPECT_EQ(plain->state().size(), 1u);
}

// Two steps, state saved and loaded into a fresh optimizer, two more: the same bits as four straight.
TEST(Optimizer, StateRoundTripContinuesBitIdentically) {
  const Graph graph = tiny_graph();
  const std::vector<OptimizerOptions> all = {
      {.kind = "sgd"},
      {.kind = "sgd", .nesterov = true, .decay_bn_and_bias = false},
      {.kind = "sgd", .momentum = 0},
      {.kind = "adam", .weight_decay = 0.01},
      {.kind = "adamw", .weight_decay = 0.05, .decay_bn_and_bias = false},
  };
  const std::vector<double> lrs = {0.1, 0.08, 0.05, 0.01};
  for (const auto& options : all) {
    SCOPED_TRACE(to_json(options));
    Parameters straight = test_parameters(graph, 7);
    Parameters resumed = straight;
    const auto a = make_optimizer(options, graph);
    for (std::size_t s = 0; s < lrs.size(); ++s) a->step(straight, test_gradients(graph, 100 + s), lrs[s]);

    Parameters saved;
    {
      const auto b = make_optimizer(options, graph);
      for (std::size_t s = 0; s < 2; ++s) b->step(resumed, test_gradients(graph, 100 + s), lrs[s]);
      saved = b->state();
    }
    const auto c = make_optimizer(options, graph);
    c->load_state(saved);
    EXPECT_EQ(c->steps(), 2);
    for (std::size_t s = 2; s < lrs.size(); ++s) c->step(resumed, test_gradients(graph, 100 + s), lrs[s]);
    expect_identical(straight, resumed);
    expect_identical(a->state(), c->state());
  }
}

std::string load_error(Optimizer& optimizer, const Parameters& state) {
  try {
    optimizer.load_state(state);
  } catch (const Error& e) {
    return e.what();
  }
  ADD_FAILURE() << "load_state succeeded";
  return {};
}

TEST(Optimizer, LoadStateErrorsNameTheTensor) {
  const Graph graph = tiny_graph();
  Parameters params = test_parameters(graph, 1);
  const auto sgd = make_optimizer({.kind = "sgd"}, graph);
  sgd->step(params, test_gradients(graph, 2), 0.1);
  const Parameters good = sgd->state();
  const auto fresh = make_optimizer({.kind = "sgd"}, graph);

  Parameters missing = good;
  missing.erase("optim.momentum.fc.weight");
  EXPECT_NE(load_error(*fresh, missing).find("missing (optim.momentum.fc.weight)"), std::string::npos);

  Parameters no_step = good;
  no_step.erase("optim.step");
  EXPECT_NE(load_error(*fresh, no_step).find("optim.step"), std::string::npos);

  Parameters bad_step = good;
  bad_step.at("optim.step") = Tensor(Dims{1}, DType::I64);
  EXPECT_NE(load_error(*fresh, bad_step).find("optim.step: expected an int64 scalar, got int64 1"), std::string::npos);

  Parameters bad_shape = good;
  bad_shape.at("optim.momentum.fc.bias") = Tensor(Dims{4});
  EXPECT_NE(load_error(*fresh, bad_shape).find("optim.momentum.fc.bias: expected float32 3, got float32 4"),
            std::string::npos);

  Parameters extra = good;
  extra.emplace("optim.momentum.fc.gamma", Tensor(Dims{3}));
  EXPECT_NE(load_error(*fresh, extra).find("unexpected (optim.momentum.fc.gamma)"), std::string::npos);

  // Another optimizer's state: Adam's moments are not SGD's momentum.
  const auto adam = make_optimizer({.kind = "adam"}, graph);
  const std::string wrong_kind = load_error(*adam, good);
  EXPECT_NE(wrong_kind.find("adam optimizer state does not fit"), std::string::npos) << wrong_kind;
  EXPECT_NE(wrong_kind.find("optim.exp_avg.conv.weight"), std::string::npos) << wrong_kind;

  // A failed load leaves the optimizer as it was.
  EXPECT_EQ(fresh->steps(), 0);
  EXPECT_EQ(fresh->state().size(), 1u);
}

std::string step_error(Optimizer& optimizer, Parameters& params, const Parameters& grads) {
  try {
    optimizer.step(params, grads, 0.1);
  } catch (const Error& e) {
    return e.what();
  }
  ADD_FAILURE() << "step succeeded";
  return {};
}

TEST(Optimizer, StepErrorsNameTheTensor) {
  const Graph graph = tiny_graph();
  Parameters params = test_parameters(graph, 1);
  const Parameters grads = test_gradients(graph, 2);
  const auto sgd = make_optimizer({.kind = "sgd"}, graph);

  Parameters missing = grads;
  missing.erase("bn.bias");
  EXPECT_NE(step_error(*sgd, params, missing).find("missing (gradient bn.bias)"), std::string::npos);

  Parameters extra = grads;
  extra.emplace("bn.running_mean", Tensor(Dims{4}));
  EXPECT_NE(step_error(*sgd, params, extra).find("unexpected (gradient bn.running_mean)"), std::string::npos);

  Parameters shape = grads;
  shape.at("fc.weight") = Tensor(Dims{4, 3});
  EXPECT_NE(step_error(*sgd, params, shape).find("gradient fc.weight: expected float32 3x4, got float32 4x3"),
            std::string::npos);

  Parameters no_param = params;
  no_param.erase("conv.weight");
  EXPECT_NE(step_error(*sgd, no_param, grads).find("missing (parameter conv.weight)"), std::string::npos);
  EXPECT_EQ(sgd->steps(), 0);

  EXPECT_THROW(sgd->step(params, grads, -1), InvalidArgument);
  EXPECT_THROW(sgd->step(params, grads, std::nan("")), InvalidArgument);
}

TEST(Optimizer, OptionErrors) {
  const Graph graph = tiny_graph();
  try {
    make_optimizer({.kind = "rmsprop"}, graph);
    ADD_FAILURE() << "unknown kind accepted";
  } catch (const UnknownNameError& e) {
    EXPECT_STREQ(e.what(), "unknown optimizer 'rmsprop' (known: sgd, adam, adamw)");
  }
  EXPECT_THROW(make_optimizer({.kind = "sgd", .momentum = 0, .nesterov = true}, graph), InvalidArgument);
  EXPECT_THROW(make_optimizer({.kind = "sgd", .momentum = -0.1}, graph), InvalidArgument);
  EXPECT_THROW(make_optimizer({.kind = "sgd", .weight_decay = -1}, graph), InvalidArgument);
  EXPECT_THROW(make_optimizer({.kind = "adam", .beta1 = 1.0}, graph), InvalidArgument);
  EXPECT_THROW(make_optimizer({.kind = "adamw", .beta2 = -0.5}, graph), InvalidArgument);
  EXPECT_THROW(make_optimizer({.kind = "adamw", .eps = -1e-8}, graph), InvalidArgument);
}

TEST(Optimizer, OptionsJsonRoundTrip) {
  const OptimizerOptions o{.kind = "adamw",
                           .momentum = 0.8,
                           .nesterov = true,
                           .weight_decay = 0.05,
                           .decay_bn_and_bias = false,
                           .beta1 = 0.85,
                           .beta2 = 0.995,
                           .eps = 1e-7};
  const OptimizerOptions back = optimizer_options_from_json(to_json(o));
  EXPECT_EQ(to_json(back), to_json(o));
  EXPECT_EQ(back.eps, 1e-7);
  EXPECT_EQ(back.decay_bn_and_bias, false);
  EXPECT_EQ(optimizer_options_from_json(R"({"kind":"adam"})").momentum, 0.9);
  EXPECT_THROW(optimizer_options_from_json(R"({"kind":"adam","lr":1})"), InvalidArgument);
  EXPECT_THROW(optimizer_options_from_json(R"({"momentum":"high"})"), InvalidArgument);
  EXPECT_THROW(optimizer_options_from_json("[1]"), InvalidArgument);
  EXPECT_THROW(optimizer_options_from_json("{"), InvalidArgument);
}

}  // namespace
}  // namespace cnnzoo
