// ELU, the op added as the worked example of docs/architecture.md, through ONNX both ways: a network that
// PyTorch exported (scripts/make_onnx_fixtures.py: nn.ELU with alpha 0.7 and 1.0) imported and run to
// PyTorch's outputs, and exported by cnnzoo as ONNX Elu nodes that import back to the same graph.
#include <gtest/gtest.h>
#include <onnx/onnx_pb.h>

#include "cnnzoo/engine.h"
#include "cnnzoo/interpreter.h"
#include "cnnzoo/io.h"
#include "cnnzoo/onnx.h"

namespace cnnzoo {
namespace {

const std::string kDir = std::string(CNNZOO_TEST_DATA) + "/onnx/";

std::vector<double> elu_alphas(const Graph& g) {
  std::vector<double> alphas;
  for (const Node& n : g.nodes()) {
    if (n.op == OpKind::Elu) alphas.push_back(std::get<attr::Elu>(n.attrs).alpha);
  }
  return alphas;
}

void expect_near(const Tensor& got, const Tensor& want, double tolerance) {
  ASSERT_EQ(got.shape(), want.shape());
  for (std::size_t i = 0; i < want.f32().size(); ++i) EXPECT_NEAR(got.f32()[i], want.f32()[i], tolerance) << i;
}

TEST(OnnxElu, PyTorchsExportRunsToItsOutputs) {
  const OnnxModel model = import_onnx(kDir + "elu_cnn.onnx");
  const std::vector<double> alphas = elu_alphas(model.graph);
  ASSERT_EQ(alphas.size(), 2u);
  EXPECT_FLOAT_EQ(alphas[0], 0.7f);  // ONNX keeps alpha as a float
  EXPECT_EQ(alphas[1], 1.0);
  const Tensor x = read_npy(kDir + "elu_input.npy");
  const Tensor want = read_npy(kDir + "elu_output.npy");
  expect_near(InferenceEngine(model.graph, model.parameters).run(x).at(0), want, 1e-5);
  expect_near(run_reference(model.graph, model.parameters, x).at(0), want, 1e-5);
}

TEST(OnnxElu, ExportWritesEluNodesThatImportBack) {
  const OnnxModel model = import_onnx(kDir + "elu_cnn.onnx");
  const std::string bytes = export_onnx_bytes(model.graph, model.parameters);
  onnx::ModelProto proto;
  ASSERT_TRUE(proto.ParseFromString(bytes));
  std::vector<float> exported_alphas;
  for (const onnx::NodeProto& n : proto.graph().node()) {
    if (n.op_type() != "Elu") continue;
    ASSERT_EQ(n.attribute_size(), 1);
    EXPECT_EQ(n.attribute(0).name(), "alpha");
    exported_alphas.push_back(n.attribute(0).f());
  }
  EXPECT_EQ(exported_alphas, (std::vector<float>{0.7f, 1.0f}));

  const OnnxModel again = import_onnx_bytes(bytes, "exported");
  EXPECT_EQ(elu_alphas(again.graph), elu_alphas(model.graph));
  const Tensor x = read_npy(kDir + "elu_input.npy");
  const Tensor first = run_reference(model.graph, model.parameters, x).at(0);
  const Tensor second = run_reference(again.graph, again.parameters, x).at(0);
  ASSERT_EQ(first.shape(), second.shape());
  for (std::size_t i = 0; i < first.f32().size(); ++i) EXPECT_EQ(first.f32()[i], second.f32()[i]) << i;
}

}  // namespace
}  // namespace cnnzoo
