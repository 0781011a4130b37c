// Importing real exporter output: figures, outputs against PyTorch's, and refusals with clear errors,
// down to files truncated or corrupted byte by byte.
#include <gtest/gtest.h>
#include <onnx/onnx_pb.h>

#include <iostream>
#include <limits>
#include <random>

#include "cnnzoo/analysis.h"
#include "cnnzoo/engine.h"
#include "cnnzoo/error.h"
#include "cnnzoo/io.h"
#include "cnnzoo/onnx.h"
#include "io/file_support.h"
#include "support/error_of.h"

namespace cnnzoo {
namespace {

const std::string kDir = std::string(CNNZOO_TEST_DATA) + "/onnx/";
const std::string kModel = kDir + "small_cnn.onnx";  // scripts/make_onnx_fixtures.py

OnnxModel import_at_batch(int64_t batch) { return import_onnx(kModel, {.input_shapes = {}, .symbolic_dim = batch}); }

using test::error_of;

onnx::ModelProto small_cnn_proto() {
  onnx::ModelProto m;
  EXPECT_TRUE(m.ParseFromString(test::bytes_of(kModel)));
  return m;
}

TEST(OnnxImport, SmallCnnMatchesPyTorch) {
  const OnnxModel model = import_at_batch(2);
  EXPECT_EQ(model.opset, 13);
  EXPECT_TRUE(model.producer.starts_with("pytorch")) << model.producer;
  EXPECT_EQ(model.output_names, std::vector<std::string>{"probabilities"});
  const Tensor x = read_npy(kDir + "input.npy");
  const Tensor want = read_npy(kDir + "output.npy");
  const Tensor got = InferenceEngine(model.graph, model.parameters).run(x).at(0);
  ASSERT_EQ(got.shape(), want.shape());
  for (std::size_t i = 0; i < want.f32().size(); ++i) EXPECT_NEAR(got.f32()[i], want.f32()[i], 1e-6) << i;
}

TEST(OnnxImport, ShapeArithmeticIsFoldedAndTheBatchIsSymbolic) {
  // Shape, Gather, Unsqueeze and Concat leave no node behind: the Reshape gets a static shape.
  for (int64_t batch : {1, 3}) {
    const OnnxModel model = import_at_batch(batch);
    int reshapes = 0;
    for (const Node& n : model.graph.nodes()) {
      EXPECT_NE(n.op, OpKind::Gather) << n.name;
      if (n.op == OpKind::Reshape) {
        ++reshapes;
        EXPECT_EQ(model.graph.shape(n.output), (Dims{batch, 128}));
      }
    }
    EXPECT_EQ(reshapes, 1);
    EXPECT_EQ(model.graph.shape(model.graph.outputs()[0]), (Dims{batch, 5}));
  }
}

TEST(OnnxImport, SummaryFiguresAreTheNetworksOwn) {
  const Analysis a = analyze(import_at_batch(1).graph);
  // conv1 3*8*9, bn1 2*8, conv2 8*8*9 + 8, fc 128*5 + 5.
  EXPECT_EQ(a.total.params, 216 + 16 + 584 + 645);
  // conv1 8*16*16*27 + conv2 8*8*8*72 + fc 640 multiply-adds per image.
  EXPECT_EQ(a.total.macs, 55296 + 36864 + 640);
  EXPECT_EQ(a.input, (Dims{3, 16, 16}));
}

TEST(OnnxImport, InputShapesCanBeGiven) {
  const OnnxModel model = import_onnx(kModel, {.input_shapes = {{"image", {4, 3, 16, 16}}}});
  EXPECT_EQ(model.graph.shape(model.graph.inputs()[0]), (Dims{4, 3, 16, 16}));
  EXPECT_EQ(onnx_input_names(kModel), std::vector<std::string>{"image"});
  // 3x17x17 does not flatten into the 128 features the Gemm takes: the node says so.
  const std::string e = error_of([] { import_onnx(kModel, {.input_shapes = {{"image", {1, 3, 20, 20}}}}); });
  EXPECT_NE(e.find("(Gemm)"), std::string::npos) << e;
}

TEST(OnnxImport, UnsupportedOpsAndAttributesNameTheNodeAndWhatIsSupported) {
  onnx::ModelProto m = small_cnn_proto();
  m.mutable_graph()->mutable_node(2)->set_op_type("LeakyRelu");
  const std::string op = error_of([&] { import_onnx_bytes(m.SerializeAsString(), "leaky.onnx"); });
  EXPECT_NE(op.find("leaky.onnx: node '"), std::string::npos) << op;
  EXPECT_NE(op.find("(LeakyRelu): op type LeakyRelu is not supported; supported: Abs, Add, AveragePool"),
            std::string::npos)
      << op;

  m = small_cnn_proto();
  auto* attr = m.mutable_graph()->mutable_node(0)->add_attribute();
  attr->set_name("frobnicate");
  attr->set_type(onnx::AttributeProto::INT);
  const std::string at = error_of([&] { import_onnx_bytes(m.SerializeAsString(), "attr.onnx"); });
  EXPECT_NE(at.find("(Conv): attribute 'frobnicate' is not supported (supported: auto_pad, dilations"),
            std::string::npos)
      << at;

  m = small_cnn_proto();
  m.mutable_opset_import(0)->set_version(19);
  EXPECT_EQ(error_of([&] { import_onnx_bytes(m.SerializeAsString(), "new.onnx"); }),
            "new.onnx: opset 19 is not supported (opsets 1 to 18 are)");
}

TEST(OnnxImport, WeightsMustBeKnownAtLoadTime) {
  // The first convolution's weight made a graph input: a weight the graph would compute is refused.
  onnx::ModelProto m = small_cnn_proto();
  const std::string weight = m.graph().node(0).input(1);
  auto* initializers = m.mutable_graph()->mutable_initializer();
  for (int i = 0; i < initializers->size(); ++i) {
    if (initializers->Get(i).name() == weight) {
      initializers->DeleteSubrange(i, 1);
      break;
    }
  }
  auto* input = m.mutable_graph()->add_input();
  *input = m.graph().input(0);
  input->set_name(weight);
  const std::string e = error_of([&] { import_onnx_bytes(m.SerializeAsString(), "w.onnx"); });
  EXPECT_NE(e.find("(Conv): input 2 ('" + weight + "') must be known when the model is loaded"), std::string::npos)
      << e;
}

// A model of one node: `inputs` are graph inputs (float, the given shapes), `constants` initializers.
std::string one_node_model(const std::string& op, const std::vector<std::pair<std::string, Dims>>& inputs,
                           const std::vector<std::pair<std::string, Tensor>>& constants) {
  onnx::ModelProto m;
  m.set_ir_version(7);
  m.add_opset_import()->set_version(13);
  onnx::GraphProto* g = m.mutable_graph();
  onnx::NodeProto* node = g->add_node();
  node->set_op_type(op);
  node->add_output("y");
  for (const auto& [name, dims] : inputs) {
    node->add_input(name);
    onnx::ValueInfoProto* in = g->add_input();
    in->set_name(name);
    in->mutable_type()->mutable_tensor_type()->set_elem_type(onnx::TensorProto::FLOAT);
    for (int64_t d : dims) in->mutable_type()->mutable_tensor_type()->mutable_shape()->add_dim()->set_dim_value(d);
  }
  for (const auto& [name, tensor] : constants) {
    node->add_input(name);
    onnx::TensorProto* t = g->add_initializer();
    t->set_name(name);
    t->set_data_type(onnx::TensorProto::FLOAT);
    for (int64_t d : tensor.shape()) t->add_dims(d);
    for (float v : tensor.f32()) t->add_float_data(v);
  }
  g->add_output()->set_name("y");
  return m.SerializeAsString();
}

TEST(OnnxImport, OddRanksAndScalarsAreHandled) {
  // A convolution of a rank-2 input is refused by name (not read past the weight's dimensions).
  const std::string conv = one_node_model("Conv", {{"x", {2, 3}}}, {{"w", Tensor({4, 3})}});
  EXPECT_EQ(error_of([&] { import_onnx_bytes(conv, "conv.onnx"); }),
            "conv.onnx: node 'y' (Conv): expects a 1-D or 2-D (rank 3 or 4) input, got shape 2x3");
  // Gemm with a scalar C on a one-column output: a linear layer whose bias is that scalar.
  Tensor b({3, 1}, std::vector<float>{1, 2, 3});
  const std::string gemm =
      one_node_model("Gemm", {{"a", {2, 3}}}, {{"b", std::move(b)}, {"c", Tensor(Dims{}, std::vector<float>{0.5f})}});
  const OnnxModel model = import_onnx_bytes(gemm, "gemm.onnx");
  const Tensor y =
      InferenceEngine(model.graph, model.parameters).run(Tensor({2, 3}, std::vector<float>{1, 1, 1, 0, 1, 0})).at(0);
  EXPECT_EQ(y.shape(), (Dims{2, 1}));
  EXPECT_FLOAT_EQ(y.f32()[0], 6.5f);  // 1 + 2 + 3 + 0.5
  EXPECT_FLOAT_EQ(y.f32()[1], 2.5f);  // 2 + 0.5
}

// A Mul by one finite float is a scale (oneDNN, trainable); by an infinite one it is the general product, which
// computes what the file says rather than being refused as a scale would be.
TEST(OnnxImport, AMulByAScalarIsAScaleWhenTheScalarIsFinite) {
  const auto import_mul = [](float factor) {
    return import_onnx_bytes(one_node_model("Mul", {{"x", {1, 2, 1, 2}}}, {{"c", Tensor(Dims{}, std::vector{factor})}}),
                             "mul.onnx");
  };
  const Tensor x({1, 2, 1, 2}, std::vector<float>{1, -2, 0.5f, 4});
  const OnnxModel finite = import_mul(0.25f);
  ASSERT_EQ(finite.graph.nodes().size(), 1u);
  EXPECT_EQ(finite.graph.node(0).op, OpKind::Scale);
  const Tensor scaled = InferenceEngine(finite.graph, finite.parameters).run(x).at(0);
  EXPECT_EQ(std::vector<float>(scaled.f32().begin(), scaled.f32().end()),
            (std::vector<float>{0.25f, -0.5f, 0.125f, 1}));
  const OnnxModel infinite = import_mul(std::numeric_limits<float>::infinity());
  EXPECT_NE(infinite.graph.node(infinite.graph.nodes().size() - 1).op, OpKind::Scale);
  const Tensor product = InferenceEngine(infinite.graph, infinite.parameters).run(x).at(0);
  const float inf = std::numeric_limits<float>::infinity();
  EXPECT_EQ(std::vector<float>(product.f32().begin(), product.f32().end()), (std::vector<float>{inf, -inf, inf, inf}));
}

// A Mul of a 4-D tensor by one float per channel is a channel_affine map; an Add of one float per channel right
// after it joins it, and a second reader of the Mul's output gets the scale as a node of its own.
TEST(OnnxImport, PerChannelMulAndAddAreAChannelAffineMap) {
  const Tensor x({1, 2, 1, 2}, std::vector<float>{1, -2, 0.5f, 4});
  const OnnxModel scaled = import_onnx_bytes(
      one_node_model("Mul", {{"x", {1, 2, 1, 2}}}, {{"s", Tensor({2, 1, 1}, std::vector<float>{3, -1})}}), "mul.onnx");
  ASSERT_EQ(scaled.graph.nodes().size(), 1u);
  EXPECT_EQ(scaled.graph.node(0).op, OpKind::ChannelAffine);
  const Tensor y = InferenceEngine(scaled.graph, scaled.parameters).run(x).at(0);
  EXPECT_EQ(std::vector<float>(y.f32().begin(), y.f32().end()), (std::vector<float>{3, -6, -0.5f, -4}));

  // x * s + b, with x * s also a graph output.
  onnx::ModelProto m;
  ASSERT_TRUE(m.ParseFromString(
      one_node_model("Mul", {{"x", {1, 2, 1, 2}}}, {{"s", Tensor({1, 2, 1, 1}, std::vector<float>{3, -1})}})));
  onnx::GraphProto* g = m.mutable_graph();
  g->mutable_node(0)->set_name("scale");
  onnx::NodeProto* add = g->add_node();
  add->set_name("affine");
  add->set_op_type("Add");
  add->add_input("y");
  add->add_input("b");
  add->add_output("z");
  onnx::TensorProto* b = g->add_initializer();
  b->set_name("b");
  b->set_data_type(onnx::TensorProto::FLOAT);
  for (int64_t d : {2, 1, 1}) b->add_dims(d);
  for (float v : {0.5f, 10.0f}) b->add_float_data(v);
  g->add_output()->set_name("z");
  const OnnxModel affine = import_onnx_bytes(m.SerializeAsString(), "affine.onnx");
  ASSERT_EQ(affine.graph.nodes().size(), 2u);
  for (const Node& n : affine.graph.nodes()) {
    EXPECT_EQ(n.op, OpKind::ChannelAffine) << n.name;
    EXPECT_EQ(n.inputs, std::vector<ValueId>{affine.graph.inputs()[0]}) << n.name;
  }
  const std::vector<Tensor> outputs = InferenceEngine(affine.graph, affine.parameters).run(x);
  ASSERT_EQ(outputs.size(), 2u);
  EXPECT_EQ(std::vector<float>(outputs[0].f32().begin(), outputs[0].f32().end()),
            (std::vector<float>{3, -6, -0.5f, -4}));
  EXPECT_EQ(std::vector<float>(outputs[1].f32().begin(), outputs[1].f32().end()),
            (std::vector<float>{3.5f, -5.5f, 9.5f, 6}));
}

// A Dropout's mask declared but read by nothing (how Caffe2-era exporters write it) is left alone; a mask that
// is read, here as a graph output, is refused by name.
TEST(OnnxImport, ADeclaredButUnreadMaskIsNoOutput) {
  onnx::ModelProto m;
  ASSERT_TRUE(m.ParseFromString(one_node_model("Dropout", {{"x", {1, 2, 1, 2}}}, {})));
  m.mutable_graph()->mutable_node(0)->add_output("mask");
  const OnnxModel model = import_onnx_bytes(m.SerializeAsString(), "dropout.onnx");
  const Tensor x({1, 2, 1, 2}, std::vector<float>{1, -2, 0.5f, 4});
  const Tensor y = InferenceEngine(model.graph, model.parameters).run(x).at(0);
  EXPECT_EQ(std::vector<float>(y.f32().begin(), y.f32().end()), (std::vector<float>{1, -2, 0.5f, 4}));
  m.mutable_graph()->add_output()->set_name("mask");
  EXPECT_EQ(error_of([&] { import_onnx_bytes(m.SerializeAsString(), "dropout.onnx"); }),
            "dropout.onnx: node 'y' (Dropout): output 2 (the mask) is not supported, and 'mask' is read");
}

TEST(OnnxImport, NotAModelAndMissingFilesAreClearErrors) {
  EXPECT_EQ(error_of([] { import_onnx_bytes("this is not protobuf at all", "text.onnx"); }),
            "text.onnx: not a valid ONNX model (the protobuf data is malformed or truncated, 27 bytes)");
  EXPECT_EQ(error_of([] { import_onnx_bytes("", "empty.onnx"); }),
            "empty.onnx: the model has no graph (is this an ONNX model?)");
  EXPECT_EQ(error_of([] { import_onnx("/nonexistent/model.onnx"); }), "/nonexistent/model.onnx: cannot open the file");
}

// Imports a corrupted file; an import that succeeds must also run. Anything but cnnzoo::Error or a
// clean result fails the test (a crash fails the whole binary).
void expect_clean(const std::string& bytes, const std::string& what, int& refused) {
  try {
    const OnnxModel model = import_onnx_bytes(bytes, what);
    if (model.graph.outputs().empty()) return;
    if (analyze(model.graph).total.peak_live_bytes > (int64_t{1} << 28)) return;  // valid, but too big to run here
    std::vector<Tensor> inputs;
    for (ValueId v : model.graph.inputs()) inputs.emplace_back(model.graph.shape(v));
    InferenceEngine(model.graph, model.parameters, {.threads = 1}).run(inputs);
  } catch (const Error&) {
    ++refused;
  } catch (const std::exception& e) {
    ADD_FAILURE() << what << ": " << typeid(e).name() << ": " << e.what();
  }
}

TEST(OnnxImport, EveryTruncationIsRefused) {
  const std::string bytes = test::bytes_of(kModel);
  int refused = 0;
  int tried = 0;
  for (std::size_t size = 0; size < bytes.size(); size += 3, ++tried) {
    expect_clean(bytes.substr(0, size), "truncated to " + std::to_string(size), refused);
  }
  // A prefix that ends between two whole fields can still parse; it then lacks a later part (weights,
  // nodes, outputs) and is refused by the checks after parsing.
  EXPECT_EQ(refused, tried);
}

TEST(OnnxImport, CorruptedBytesAreRefusedOrRunCleanly) {
  const std::string bytes = test::bytes_of(kModel);
  std::mt19937_64 rng(5);
  int refused = 0;
  const int mutants = 3000;
  for (int k = 0; k < mutants; ++k) {
    std::string mutant = bytes;
    const int flips = 1 + static_cast<int>(rng() % 3);
    for (int f = 0; f < flips; ++f) mutant[rng() % mutant.size()] = static_cast<char>(rng() % 256);
    expect_clean(mutant, "mutant " + std::to_string(k), refused);
  }
  // Most flips land in weight data, which stays a valid model; a real share must still be refused.
  EXPECT_GT(refused, mutants / 20);
  std::cout << refused << " of " << mutants << " mutants refused\n";
}

}  // namespace
}  // namespace cnnzoo
