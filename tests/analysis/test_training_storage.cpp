// Which node outputs a training step keeps in buffers of their own, computes in place, or fuses: the
// rule the training engine follows and the training-memory estimate counts by.
#include <gtest/gtest.h>

#include "cnnzoo/analysis.h"
#include "cnnzoo/builder.h"
#include "cnnzoo/models.h"
#include "cnnzoo/training_storage.h"

namespace cnnzoo {
namespace {

TrainingOutput storage_of(const Graph& g, const std::string& node) { return training_output(g, *g.find_node(node)); }

TEST(TrainingStorage, ResNet50FusesEveryBatchNormReluAndSumsInPlace) {
  const Graph g = build_model("resnet50");
  int fused = 0, in_place = 0, recomputed = 0, recomputed_convs = 0;
  for (NodeId id = 0; id < static_cast<NodeId>(g.nodes().size()); ++id) {
    const TrainingOutput storage = training_output(g, id);
    fused += storage == TrainingOutput::Fused ? 1 : 0;
    in_place += storage == TrainingOutput::InPlace ? 1 : 0;
    recomputed += storage == TrainingOutput::Recomputed && g.node(id).op == OpKind::BatchNorm ? 1 : 0;
    recomputed_convs += storage == TrainingOutput::Recomputed && g.node(id).op == OpKind::Conv ? 1 : 0;
    if (storage == TrainingOutput::InPlace && g.node(id).op == OpKind::Add) {
      // The sum goes over the third batch norm's output, never over the block input (a ReLU's output).
      const ValueId over = overwritten_input(g, id);
      EXPECT_EQ(g.node(g.value(over).producer).op, OpKind::BatchNorm) << g.node(id).name;
    }
  }
  EXPECT_EQ(fused, 1 + 16 * 2);  // the stem's ReLU, and two per bottleneck
  EXPECT_EQ(in_place, 16 * 2);   // each block's add and the ReLU after it
  EXPECT_EQ(storage_of(g, "layer1.0.relu"), TrainingOutput::Fused);
  EXPECT_EQ(storage_of(g, "layer1.0.add"), TrainingOutput::InPlace);
  EXPECT_EQ(storage_of(g, "layer1.0.relu_2"), TrainingOutput::InPlace);
  EXPECT_EQ(recomputed, 16 * 2);  // the batch norms before each block's 3x3 and last 1x1 convolution
  EXPECT_EQ(storage_of(g, "bn1"), TrainingOutput::Own);  // the stem's: max pooling reads it
  EXPECT_EQ(storage_of(g, "layer1.0.bn1"), TrainingOutput::Recomputed);
  EXPECT_EQ(storage_of(g, "layer1.0.bn3"), TrainingOutput::Own);  // the sum overwrites it
  // 1x1 convolutions on at most 128 channels: the expanding ones of the first two stages (64 and 128
  // channels in), the first block's shortcut and its reducing convolution (64 in, from the stem).
  EXPECT_EQ(recomputed_convs, 3 + 4 + 1 + 1);
  for (const char* conv : {"layer1.0.conv1", "layer1.0.conv3", "layer1.0.downsample.0", "layer2.3.conv3"}) {
    EXPECT_EQ(storage_of(g, conv), TrainingOutput::Recomputed) << conv;
  }
  for (const char* conv : {"layer1.1.conv1", "layer1.0.conv2", "layer2.0.downsample.0", "layer3.0.conv3"}) {
    EXPECT_EQ(storage_of(g, conv), TrainingOutput::Own) << conv;  // 256 channels in, 3x3, 256, 256
  }
}

TEST(TrainingStorage, OnlyInputsThatNothingElseNeedsAreOverwritten) {
  Builder b("cases", {1, 2, 4, 4});
  const ValueId conv = b.conv(b.input(), "conv", {.out = 2, .kernel = 1});
  const ValueId after_conv = b.relu(conv, "after_conv");     // conv's backward reads its input only
  const ValueId on_input = b.relu(b.input(), "on_input");    // the graph input is the caller's
  const ValueId sigmoid = b.sigmoid(after_conv, "sigmoid");  // reads its own output in backward
  const ValueId after_sigmoid = b.relu(sigmoid, "after_sigmoid");
  const ValueId shared = b.conv(after_sigmoid, "shared", {.out = 2, .kernel = 1});
  const ValueId reads_shared = b.relu(shared, "reads_shared");  // shared is read by the add too
  const ValueId sum = b.add({shared, reads_shared}, "sum");     // ReLU output and a value read twice
  const ValueId bn = b.batch_norm(sum, "bn");
  const ValueId bn_relu = b.relu(bn, "bn_relu");
  const ValueId bn_out = b.batch_norm(bn_relu, "bn_out");
  const ValueId after_output = b.relu(bn_out, "after_output");  // bn_out is a graph output
  b.output(b.add({on_input, after_output}, "last"));
  b.output(bn_out);
  const Graph g = b.finish();
  EXPECT_EQ(storage_of(g, "after_conv"), TrainingOutput::InPlace);
  EXPECT_EQ(storage_of(g, "on_input"), TrainingOutput::Own);
  EXPECT_EQ(storage_of(g, "after_sigmoid"), TrainingOutput::Own);
  EXPECT_EQ(storage_of(g, "reads_shared"), TrainingOutput::Own);
  EXPECT_EQ(storage_of(g, "sum"), TrainingOutput::Own);
  EXPECT_EQ(storage_of(g, "bn_relu"), TrainingOutput::Fused);
  EXPECT_EQ(storage_of(g, "bn"), TrainingOutput::Own);  // a batch norm reads its ReLU's output
  EXPECT_EQ(storage_of(g, "bn"), TrainingOutput::Own);  // a batch norm reads its ReLU's output
  EXPECT_EQ(storage_of(g, "after_output"), TrainingOutput::Own);
  EXPECT_EQ(storage_of(g, "last"), TrainingOutput::Own);  // a ReLU output and a graph output's ReLU
  EXPECT_EQ(overwritten_input(g, *g.find_node("after_conv")), conv);
  EXPECT_EQ(overwritten_input(g, *g.find_node("sum")), -1);
}

}  // namespace
}  // namespace cnnzoo
