#include <gtest/gtest.h>

#include "cnnzoo/builder.h"
#include "cnnzoo/io.h"
#include "cnnzoo/models.h"
#include "cnnzoo/ops.h"

namespace cnnzoo {
namespace {

const std::string kTorchFile = std::string(CNNZOO_TEST_DATA) + "/io/tiny_resnet_stem.safetensors";

// The graph of scripts/make_io_fixtures.py's Tiny module, with torchvision's names.
Graph tiny_graph() {
  Builder b("tiny", {1, 3, 6, 6});
  auto x = b.conv(b.input(), "conv1", {.out = 4, .kernel = 3, .pad = 1, .bias = false});
  x = b.batch_norm(x, "bn1");
  x = b.relu(x, "relu");
  x = b.global_avg_pool(x, "avgpool");
  x = b.flatten(x, "flatten");
  b.output(b.linear(x, "fc", {.out = 5}));
  return b.finish();
}

void replace(TensorFile& file, const std::string& name, Tensor t) {
  for (auto& [n, old] : file.tensors) {
    if (n == name) old = std::move(t);
  }
}

TEST(Weights, TorchStateDictMatchesGraph) {
  const WeightCheck check = check_weights(tiny_graph(), read_safetensors(kTorchFile));
  EXPECT_TRUE(check.ok()) << check.message();
  EXPECT_EQ(check.message(), "");
}

TEST(Weights, ReportsMissingUnexpectedAndMismatchedByName) {
  TensorFile file = read_safetensors(kTorchFile);
  std::erase_if(file.tensors, [](const auto& p) { return p.first == "bn1.running_var"; });
  file.tensors.emplace_back("layer9.extra", Tensor({2}));
  replace(file, "conv1.weight", Tensor({4, 3, 1, 1}));
  replace(file, "bn1.num_batches_tracked", Tensor(Dims{}, DType::F32));
  replace(file, "fc.bias", Tensor({6}));

  const WeightCheck check = check_weights(tiny_graph(), file);
  EXPECT_FALSE(check.ok());
  EXPECT_EQ(check.missing, std::vector<std::string>{"bn1.running_var"});
  EXPECT_EQ(check.unexpected, std::vector<std::string>{"layer9.extra"});
  EXPECT_EQ(check.mismatched, (std::vector<std::string>{
                                  "conv1.weight: expected 4x3x3x3, got 4x3x1x1",
                                  "bn1.num_batches_tracked: expected int64 scalar, got float32 scalar",
                                  "fc.bias: expected 5, got 6",
                              }));
  const std::string msg = check.message();
  for (const char* part : {"1 missing (bn1.running_var)", "1 unexpected (layer9.extra)", "3 mismatched (",
                           "conv1.weight: expected 4x3x3x3, got 4x3x1x1"}) {
    EXPECT_NE(msg.find(part), std::string::npos) << msg;
  }
}

TEST(Weights, EmptyFileListsEveryParameterBriefly) {
  const WeightCheck check = check_weights(tiny_graph(), TensorFile{});
  EXPECT_EQ(check.missing.size(), 8u);  // conv1.weight, bn1 x5, fc.weight, fc.bias
  EXPECT_NE(check.message().find("8 missing (conv1.weight, bn1.weight, bn1.bias, bn1.running_mean, "
                                 "bn1.running_var, ... and 3 more)"),
            std::string::npos)
      << check.message();
}

TEST(Weights, ZooModelAcceptsItsOwnParameters) {
  const Graph g = build_model("resnet18", {.num_classes = 10});
  TensorFile file;
  for (const Node& node : g.nodes()) {
    for (const ParamSpec& p : node.params) file.tensors.emplace_back(p.name, Tensor(p.shape, p.dtype));
  }
  EXPECT_TRUE(check_weights(g, file).ok());
  ASSERT_NE(file.find("layer1.0.conv1.weight"), nullptr);
  EXPECT_EQ(file.find("bn1.num_batches_tracked")->dtype(), DType::I64);
  file.tensors.pop_back();
  EXPECT_EQ(check_weights(g, file).missing.size(), 1u);
}

}  // namespace
}  // namespace cnnzoo
