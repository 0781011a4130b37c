// NaN and infinity through the engine give what PyTorch gives (issue 12): the engine sends a run whose
// inputs or parameters are not finite, or whose outputs come out so, to the reference interpreter, and
// keeps oneDNN for finite data. PyTorch's answers: tests/data/non_finite/, written by
// scripts/make_non_finite_fixtures.py.
#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <string>

#include "cnnzoo/builder.h"
#include "cnnzoo/engine.h"
#include "cnnzoo/init.h"
#include "cnnzoo/interpreter.h"
#include "cnnzoo/io.h"
#include "cnnzoo/models.h"
#include "cnnzoo/onnx.h"
#include "support/non_finite_compare.h"

namespace cnnzoo {
namespace {

constexpr uint64_t kSeed = 12;  // SEED in scripts/make_non_finite_fixtures.py
constexpr float kNaN = std::numeric_limits<float>::quiet_NaN();
constexpr float kInf = std::numeric_limits<float>::infinity();
// PyTorch computed the logits in float64; ours are float32 (as tests/engine/test_pytorch_parity.cpp).
constexpr double kLogitTolerance = 1e-4;

std::string fixture(const std::string& name) { return std::string(CNNZOO_TEST_DATA) + "/non_finite/" + name; }

Graph resnet20() { return build_model("resnet20", {.batch = 2}); }

TEST(NonFinitePyTorch, OneNaNPixelInResnet20GivesPyTorchsNaNPattern) {
  const Graph g = resnet20();
  const Parameters p = test_parameters(g, kSeed);
  const Tensor x = read_npy(fixture("resnet20_nan_pixel.input.npy"));
  const Tensor pytorch = read_npy(fixture("resnet20_nan_pixel.expected.npy"));
  // PyTorch: the NaN pixel of sample 0 reaches all of its logits; sample 1 stays finite.
  ASSERT_EQ(pytorch.shape(), (Dims{2, 10}));
  for (int i = 0; i < 10; ++i) {
    ASSERT_TRUE(std::isnan(pytorch.f32()[i])) << i;
    ASSERT_TRUE(std::isfinite(pytorch.f32()[10 + i])) << i;
  }
  InferenceEngine engine(g, p);
  const Tensor ours = engine.run(x).at(0);
  EXPECT_EQ(engine.reference_runs(), 1);
  EXPECT_EQ(test::non_finite_mismatch(ours, pytorch, kLogitTolerance), "");
  EXPECT_EQ(test::non_finite_mismatch(ours, run_reference(g, p, x).at(0), 0), "");  // the interpreter's, exactly
}

TEST(NonFinitePyTorch, AllNaNAndAllInfiniteInputsGiveAllNaNLogits) {
  const Graph g = resnet20();
  InferenceEngine engine(g, test_parameters(g, kSeed));
  const std::pair<float, const char*> cases[] = {
      {kNaN, "resnet20_all_nan"}, {kInf, "resnet20_all_inf"}, {-kInf, "resnet20_all_neg_inf"}};
  for (const auto& [value, name] : cases) {
    Tensor x(g.shape(g.inputs()[0]));
    std::fill(x.f32().begin(), x.f32().end(), value);
    const Tensor ours = engine.run(x).at(0);
    EXPECT_EQ(test::count_nan(ours), 20) << name;
    EXPECT_EQ(test::non_finite_mismatch(ours, read_npy(fixture(std::string(name) + ".expected.npy"))), "") << name;
  }
  EXPECT_EQ(engine.reference_runs(), 3);
}

// One Relu, MaxPool (3x3, stride 2, padding 1) or Softmax (axis 1) node from ONNX, on an input holding
// NaN, +inf and -inf: PyTorch's output element by element.
TEST(NonFinitePyTorch, OneNodeOnnxModelsMatchPyTorch) {
  for (const std::string op : {"relu", "maxpool", "softmax"}) {
    const OnnxModel model = import_onnx(fixture(op + ".onnx"));
    const Tensor x = read_npy(fixture(op + ".input.npy"));
    const Tensor pytorch = read_npy(fixture(op + ".expected.npy"));
    EXPECT_GT(test::count_nan(pytorch), 0) << op << ": the fixture holds no NaN, the test proves nothing";
    InferenceEngine engine(model.graph, model.parameters);
    EXPECT_EQ(test::non_finite_mismatch(engine.run(x).at(0), pytorch, 1e-6), "") << op;
    EXPECT_EQ(engine.reference_runs(), 1) << op;
  }
}

TEST(NonFinitePyTorch, FiniteInputsRunOnOneDnn) {
  const Graph g = resnet20();
  const Parameters p = test_parameters(g, kSeed);
  Tensor x = read_npy(fixture("resnet20_nan_pixel.input.npy"));
  x.f32()[1 * 32 * 32 + 5 * 32 + 7] = 0.5f;  // the NaN pixel made finite
  InferenceEngine engine(g, p);
  const Tensor ours = engine.run(x).at(0);
  EXPECT_EQ(engine.reference_runs(), 0);
  EXPECT_EQ(test::count_nan(ours), 0);
  // Sample 1 is the fixture's finite one: oneDNN's float32 logits are PyTorch's.
  const Tensor pytorch = read_npy(fixture("resnet20_nan_pixel.expected.npy"));
  for (int i = 10; i < 20; ++i) EXPECT_NEAR(ours.f32()[i], pytorch.f32()[i], kLogitTolerance * 3) << i;
}

// Finite data whose sum overflows inside: 10 * 3e38 - 10 * 3e38 is inf - inf = NaN in PyTorch (float32
// F.conv2d, torch 1.13), on the sum and on its ReLU. oneDNN, accumulating with fused multiply-adds, gives
// no NaN there, but an output that is not finite: the run goes to the interpreter, which gives PyTorch's.
TEST(NonFinitePyTorch, OverflowInsideIsRecomputedAsPyTorchComputesIt) {
  Builder b("overflow", {1, 2, 1, 1});
  const ValueId sum = b.conv(b.input(), "conv", {.out = 1, .kernel = 1, .bias = false});
  b.output(sum);
  b.output(b.relu(sum, "relu"));
  const Graph g = b.finish();
  Parameters p = test_parameters(g, kSeed);
  std::fill(p.at("conv.weight").f32().begin(), p.at("conv.weight").f32().end(), 10.0f);
  InferenceEngine engine(g, p);
  const auto outputs = engine.run(Tensor({1, 2, 1, 1}, std::vector<float>{3e38f, -3e38f}));  // 10 x: +-inf
  EXPECT_EQ(engine.reference_runs(), 1);
  ASSERT_EQ(outputs.size(), 2U);
  EXPECT_TRUE(std::isnan(outputs[0].f32()[0]));
  EXPECT_TRUE(std::isnan(outputs[1].f32()[0]));
  // Overflow to a single infinity, no NaN: recomputed too, and the interpreter agrees.
  const auto inf = engine.run(Tensor({1, 2, 1, 1}, std::vector<float>{3e38f, 3e38f}));
  EXPECT_EQ(engine.reference_runs(), 2);
  EXPECT_EQ(inf[0].f32()[0], kInf);
  EXPECT_EQ(inf[1].f32()[0], kInf);
}

// Finite data that overflows inside and turns to NaN before a ReLU and a max pooling that are not outputs:
// oneDNN's max(x, 0) drops the NaN and every output comes out finite, where PyTorch's are NaN. The engine
// sees the invalid operation (InvalidOperationWatch) and recomputes the run on the interpreter.
TEST(NonFinitePyTorch, ANaNMadeAndDroppedInsideIsRecomputedAsPyTorchComputesIt) {
  const OnnxModel model = import_onnx(fixture("masked_overflow.onnx"));
  const Tensor x = read_npy(fixture("masked_overflow.input.npy"));
  InferenceEngine engine(model.graph, model.parameters);
  const auto outputs = engine.run(x);
  EXPECT_EQ(engine.reference_runs(), 1);
  ASSERT_EQ(outputs.size(), 2U);
  EXPECT_EQ(test::non_finite_mismatch(outputs[0], read_npy(fixture("masked_overflow.expected_y.npy")), 0), "");
  EXPECT_EQ(test::non_finite_mismatch(outputs[1], read_npy(fixture("masked_overflow.expected_z.npy")), 0), "");
  // The same graph on finite data that does not overflow stays on oneDNN: the watch has no false alarm.
  Tensor small = x;
  small.f32()[0] = 1.0f;
  small.f32()[4] = 1.0f;
  const auto finite = engine.run(small);
  EXPECT_EQ(engine.reference_runs(), 1);
  EXPECT_EQ(test::count_nan(finite[0]) + test::count_nan(finite[1]), 0);
}

TEST(NonFinitePyTorch, NonFiniteParametersSendEveryRunToTheInterpreter) {
  const Graph g = resnet20();
  Parameters p = test_parameters(g, kSeed);
  p.at("fc.bias").f32()[3] = kNaN;
  const Tensor x = test_uniform("input", {2, 3, 32, 32}, kSeed, -1, 1);
  InferenceEngine engine(g, p, {.reload_parameters = [] { return Parameters{}; }});  // kept: never reloaded
  const Tensor ours = engine.run(x).at(0);
  EXPECT_EQ(engine.reference_runs(), 1);
  EXPECT_EQ(test::non_finite_mismatch(ours, run_reference(g, p, x).at(0), 0), "");
  EXPECT_EQ(test::count_nan(ours), 2);  // logit 3 of each sample
}

// With reload_parameters, the && constructor still releases the plain parameters; they come back once,
// for the first run that needs the interpreter.
TEST(NonFinitePyTorch, ReleasedParametersAreReloadedOnceWhenNeeded) {
  const Graph g = resnet20();
  const Parameters p = test_parameters(g, kSeed);
  Parameters given = p;
  int reloads = 0;
  InferenceEngine engine(g, std::move(given), {.reload_parameters = [&] {
                           ++reloads;
                           return p;
                         }});
  EXPECT_TRUE(given.empty());  // NOLINT: moved-from on purpose, the engine empties it
  const Tensor finite = test_uniform("input", {2, 3, 32, 32}, kSeed, -1, 1);
  engine.run(finite);
  EXPECT_EQ(reloads, 0);
  const Tensor x = read_npy(fixture("resnet20_nan_pixel.input.npy"));
  const Tensor want = read_npy(fixture("resnet20_nan_pixel.expected.npy"));
  EXPECT_EQ(test::non_finite_mismatch(engine.run(x).at(0), want, kLogitTolerance), "");
  EXPECT_EQ(test::non_finite_mismatch(engine.run(x).at(0), want, kLogitTolerance), "");
  EXPECT_EQ(reloads, 1);
  EXPECT_EQ(engine.reference_runs(), 2);
}

}  // namespace
}  // namespace cnnzoo
