// Ops that write in place (ReLU, sigmoid, the SE channel product, a convolution's fused sum) must not
// overwrite a buffer that a view (flatten, reshape, inference dropout) shares with a value read later
// or returned: issue 12's "in-place op behind a view". Each graph is run by the engine and compared,
// output by output, with the reference interpreter, which copies every value.
#include <gtest/gtest.h>

#include "cnnzoo/builder.h"
#include "cnnzoo/engine.h"
#include "cnnzoo/init.h"
#include "cnnzoo/interpreter.h"
#include "engine_oracle.h"

namespace cnnzoo {
namespace {

using testing_oracle::expect_engine_matches_reference;

constexpr uint64_t kSeed = 5;
const Dims kInput{2, 3, 4, 4};

// X = input + input: plain, intermediate, half of it negative.
ValueId doubled(Builder& b) { return b.add({b.input(), b.input()}, "x"); }

ValueId reshape(Builder& b, ValueId x, const std::string& name, Dims shape) {
  return b.graph().add_node(name, OpKind::Reshape, attr::Reshape{std::move(shape)}, {x});
}

void expect_matches(Builder& b, Parameters p = {}) {
  const Graph g = b.finish();
  if (p.empty()) p = test_parameters(g, kSeed);
  expect_engine_matches_reference(g, p, test_uniform("input", kInput, kSeed, -1, 1));
}

TEST(ViewsInPlace, ReluBehindFlattenKeepsTheGraphOutput) {
  Builder b("flatten_relu", kInput);
  const ValueId x = doubled(b);
  const ValueId y = b.relu(b.flatten(x, "flat"), "relu");
  b.output(x);
  b.output(y);
  expect_matches(b);
}

TEST(ViewsInPlace, SigmoidBehindReshapeKeepsALaterConvolutionsInput) {
  Builder b("reshape_sigmoid", kInput);
  const ValueId x = doubled(b);
  const ValueId y = b.sigmoid(reshape(b, x, "reshape", {2, 3, 16}), "sigmoid");
  const ValueId z = b.conv(x, "conv", {.out = 4, .kernel = 3, .pad = 1});
  b.output(y);
  b.output(z);
  expect_matches(b);
}

TEST(ViewsInPlace, ReluBehindDropoutKeepsAFlattenAddReader) {
  Builder b("dropout_relu", kInput);
  const ValueId x = doubled(b);
  const ValueId r = b.relu(b.dropout(x, "drop", 0.5), "relu");
  b.output(b.add({b.flatten(x, "flat_x"), b.flatten(r, "flat_r")}, "sum"));
  expect_matches(b);
}

TEST(ViewsInPlace, ReluBehindAViewOfAView) {
  Builder b("view_of_view", kInput);
  const ValueId x = doubled(b);
  const ValueId y = b.relu(b.dropout(reshape(b, x, "reshape", {2, 48}), "drop", 0.1), "relu");
  b.output(y);
  b.output(x);
  expect_matches(b);
}

TEST(ViewsInPlace, ChannelMulBehindDropoutKeepsTheGraphOutput) {
  Builder b("se_dropout", kInput);
  const ValueId x = doubled(b);
  const ValueId scale = b.sigmoid(b.global_avg_pool(x, "squeeze"), "gate");
  const ValueId y = b.channel_mul(b.dropout(x, "drop", 0.5), scale, "excite");
  b.output(x);
  b.output(y);
  expect_matches(b);
}

// The fused residual sum accumulates into its other operand when nothing reads that operand later;
// a view of it that is returned (or read after the sum) is such a reader.
TEST(ViewsInPlace, FusedSumKeepsAViewOfItsOperand) {
  Builder b("sum_operand_view", kInput);
  const ValueId x = b.conv(b.input(), "conv_x", {.out = 16, .kernel = 3, .pad = 1});
  const ValueId kept = b.dropout(x, "drop", 0.5);
  const ValueId y = b.conv(b.input(), "conv_y", {.out = 16, .kernel = 3, .pad = 1});
  b.output(b.add({y, x}, "sum"));
  b.output(kept);
  expect_matches(b);
}

// A constant lives in a persistent buffer: an op working in place on it would change the next run.
TEST(ViewsInPlace, SigmoidNeverOverwritesAConstant) {
  Builder b("constant_sigmoid", kInput);
  const ValueId c = b.graph().add_node("c", OpKind::Constant, attr::Constant{kInput}, {});
  b.output(b.add({b.input(), b.sigmoid(c, "sigmoid")}, "sum"));
  Parameters p;
  p.emplace("c.value", test_uniform("c", kInput, kSeed, -1, 1));
  expect_matches(b, std::move(p));
}

}  // namespace
}  // namespace cnnzoo
