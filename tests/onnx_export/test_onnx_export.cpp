// ONNX export read back with ONNX's own protobuf classes: op types, attributes, initializers and the
// errors for what ONNX cannot express. tests/e2e/onnx_export_check.py runs the files in OpenCV.
#include <gtest/gtest.h>
#include <onnx/onnx_pb.h>

#include <cmath>
#include <cstring>
#include <limits>
#include <map>
#include <set>
#include <string>

#include "cnnzoo/builder.h"
#include "cnnzoo/error.h"
#include "cnnzoo/init.h"
#include "cnnzoo/models.h"
#include "cnnzoo/onnx.h"
#include "cnnzoo/quantization.h"
#include "io/file_support.h"

namespace cnnzoo {
namespace {

onnx::ModelProto parse(const std::string& bytes) {
  onnx::ModelProto model;
  EXPECT_TRUE(model.ParseFromString(bytes));
  return model;
}

onnx::ModelProto export_zoo(const std::string& name, const ModelOptions& options = {}) {
  const Graph graph = build_model(name, options);
  return parse(export_onnx_bytes(graph, zero_parameters(graph)));
}

const onnx::NodeProto& node(const onnx::ModelProto& model, const std::string& name) {
  for (const onnx::NodeProto& n : model.graph().node()) {
    if (n.name() == name) return n;
  }
  throw std::runtime_error("no node " + name);
}

const onnx::AttributeProto& attribute(const onnx::NodeProto& n, const std::string& name) {
  for (const onnx::AttributeProto& a : n.attribute()) {
    if (a.name() == name) return a;
  }
  throw std::runtime_error(n.name() + " has no attribute " + name);
}

std::vector<int64_t> ints(const onnx::NodeProto& n, const std::string& name) {
  const auto& a = attribute(n, name).ints();
  return {a.begin(), a.end()};
}

std::vector<std::string> inputs(const onnx::NodeProto& n) { return {n.input().begin(), n.input().end()}; }

std::map<std::string, int> op_counts(const onnx::ModelProto& model) {
  std::map<std::string, int> counts;
  for (const onnx::NodeProto& n : model.graph().node()) ++counts[n.op_type()];
  return counts;
}

Dims dims(const onnx::ValueInfoProto& info) {
  Dims out;
  for (const auto& d : info.type().tensor_type().shape().dim()) out.push_back(d.dim_value());
  return out;
}

const onnx::TensorProto& initializer(const onnx::ModelProto& model, const std::string& name) {
  for (const onnx::TensorProto& t : model.graph().initializer()) {
    if (t.name() == name) return t;
  }
  throw std::runtime_error("no initializer " + name);
}

std::vector<int64_t> int64s(const onnx::TensorProto& t) {
  EXPECT_EQ(t.data_type(), onnx::TensorProto::INT64);
  std::vector<int64_t> out(t.raw_data().size() / sizeof(int64_t));
  std::memcpy(out.data(), t.raw_data().data(), t.raw_data().size());
  return out;
}

// The message of the Error that exporting throws; fails the test if it does not throw.
std::string export_error(const Graph& graph) {
  try {
    export_onnx_bytes(graph, zero_parameters(graph));
  } catch (const Error& e) {
    return e.what();
  }
  ADD_FAILURE() << graph.name() << ": export succeeded";
  return {};
}

TEST(OnnxExport, Resnet18NodesAttributesAndInitializers) {
  const Graph graph = build_model("resnet18");
  const Parameters parameters = init_parameters(graph, "resnet", 1);
  const onnx::ModelProto model = parse(export_onnx_bytes(graph, parameters));

  EXPECT_EQ(model.ir_version(), 7);
  ASSERT_EQ(model.opset_import_size(), 1);
  EXPECT_EQ(model.opset_import(0).domain(), "");
  EXPECT_EQ(model.opset_import(0).version(), kOnnxExportOpset);
  EXPECT_EQ(kOnnxExportOpset, 13);
  EXPECT_EQ(model.producer_name(), "cnnzoo");
  EXPECT_EQ(model.graph().name(), "resnet18");

  EXPECT_EQ(op_counts(model), (std::map<std::string, int>{{"Add", 8},
                                                          {"BatchNormalization", 20},
                                                          {"Conv", 20},
                                                          {"Flatten", 1},
                                                          {"Gemm", 1},
                                                          {"GlobalAveragePool", 1},
                                                          {"MaxPool", 1},
                                                          {"Relu", 17}}));
  EXPECT_EQ(model.graph().node_size(), 69);

  ASSERT_EQ(model.graph().input_size(), 1);
  EXPECT_EQ(model.graph().input(0).name(), "input");
  EXPECT_EQ(dims(model.graph().input(0)), (Dims{1, 3, 224, 224}));
  ASSERT_EQ(model.graph().output_size(), 1);
  EXPECT_EQ(model.graph().output(0).name(), "fc");
  EXPECT_EQ(dims(model.graph().output(0)), (Dims{1, 1000}));

  // Every parameter but BN's num_batches_tracked, under its state_dict key, with its values.
  int64_t floats = 0;
  int64_t expected_floats = 0;
  std::size_t expected_count = 0;
  for (const auto& [name, tensor] : parameters) {
    if (tensor.dtype() == DType::I64) continue;
    ++expected_count;
    expected_floats += tensor.numel();
  }
  for (const onnx::TensorProto& t : model.graph().initializer()) {
    ASSERT_EQ(t.data_type(), onnx::TensorProto::FLOAT) << t.name();
    const Tensor& p = parameters.at(t.name());
    EXPECT_EQ(Dims(t.dims().begin(), t.dims().end()), p.shape()) << t.name();
    ASSERT_EQ(t.raw_data().size(), static_cast<std::size_t>(p.nbytes())) << t.name();
    EXPECT_EQ(std::memcmp(t.raw_data().data(), p.bytes(), t.raw_data().size()), 0) << t.name();
    floats += p.numel();
  }
  EXPECT_EQ(static_cast<std::size_t>(model.graph().initializer_size()), expected_count);
  EXPECT_EQ(expected_count, 102u);  // 20 convolutions, 20 x 4 BN tensors, fc weight and bias
  EXPECT_EQ(floats, expected_floats);
  EXPECT_EQ(floats, 11689512 + 2 * 4800);  // parameters and the running statistics of 4800 BN channels

  const onnx::NodeProto& conv1 = node(model, "conv1");
  EXPECT_EQ(inputs(conv1), (std::vector<std::string>{"input", "conv1.weight"}));
  EXPECT_EQ(conv1.output(0), "conv1");
  EXPECT_EQ(ints(conv1, "kernel_shape"), (std::vector<int64_t>{7, 7}));
  EXPECT_EQ(ints(conv1, "strides"), (std::vector<int64_t>{2, 2}));
  EXPECT_EQ(ints(conv1, "pads"), (std::vector<int64_t>{3, 3, 3, 3}));
  EXPECT_EQ(attribute(conv1, "group").i(), 1);

  const onnx::NodeProto& bn = node(model, "layer1.0.bn1");
  EXPECT_EQ(inputs(bn), (std::vector<std::string>{"layer1.0.conv1", "layer1.0.bn1.weight", "layer1.0.bn1.bias",
                                                  "layer1.0.bn1.running_mean", "layer1.0.bn1.running_var"}));
  EXPECT_FLOAT_EQ(attribute(bn, "epsilon").f(), 1e-5f);
  EXPECT_FLOAT_EQ(attribute(bn, "momentum").f(), 0.9f);  // 1 - PyTorch's 0.1

  const onnx::NodeProto& fc = node(model, "fc");
  EXPECT_EQ(inputs(fc), (std::vector<std::string>{"flatten", "fc.weight", "fc.bias"}));
  EXPECT_EQ(attribute(fc, "transB").i(), 1);
  EXPECT_EQ(node(model, "avgpool").op_type(), "GlobalAveragePool");
  EXPECT_EQ(ints(node(model, "maxpool"), "pads"), (std::vector<int64_t>{1, 1, 1, 1}));
}

TEST(OnnxExport, CeilModeOnlyWhereItAddsAWindow) {
  const onnx::ModelProto model = export_zoo("googlenet");
  // 112 -> 56 by 3x3/2 needs ceil mode; 3x3/1 with padding 1 and 2x2/2 on 14 come out the same either way.
  EXPECT_EQ(attribute(node(model, "maxpool1"), "ceil_mode").i(), 1);
  EXPECT_EQ(attribute(node(model, "maxpool2"), "ceil_mode").i(), 1);
  EXPECT_EQ(attribute(node(model, "inception3a.branch4.0"), "ceil_mode").i(), 0);
  EXPECT_EQ(attribute(node(model, "maxpool4"), "ceil_mode").i(), 0);

  // PyTorch drops a last window that starts in the trailing padding (5 -> 3, not 4); ONNX's ceil mode
  // would keep it, floor mode gives the same three windows.
  Graph graph("dropped_window");
  const ValueId x = graph.add_input("input", {1, 1, 5, 5});
  const ValueId y =
      graph.add_node("pool", OpKind::MaxPool, attr::Pool{.kernel = 2, .stride = 2, .pad = 1, .ceil_mode = true}, {x});
  graph.add_output(y);
  ASSERT_EQ(graph.shape(y), (Dims{1, 1, 3, 3}));
  const onnx::ModelProto dropped = parse(export_onnx_bytes(graph, {}));
  EXPECT_EQ(attribute(node(dropped, "pool"), "ceil_mode").i(), 0);
  EXPECT_EQ(ints(node(dropped, "pool"), "strides"), (std::vector<int64_t>{2, 2}));
}

TEST(OnnxExport, DropoutIsLeftOutUnlessItIsAnOutput) {
  const onnx::ModelProto alexnet = export_zoo("alexnet");
  EXPECT_EQ(op_counts(alexnet).count("Dropout"), 0u);
  EXPECT_EQ(op_counts(alexnet).count("Identity"), 0u);
  // classifier.0 is a dropout on the flattened features; classifier.1 reads them directly. The 6x6 adaptive
  // pool of a 6x6 input is an identity too.
  EXPECT_EQ(inputs(node(alexnet, "classifier.1"))[0], "flatten");
  EXPECT_EQ(inputs(node(alexnet, "flatten"))[0], "features.12");

  Graph graph("dropout_out");
  const ValueId x = graph.add_input("input", {2, 8});
  graph.add_output(graph.add_node("drop", OpKind::Dropout, attr::Dropout{}, {x}));
  const onnx::ModelProto model = parse(export_onnx_bytes(graph, {}));
  ASSERT_EQ(model.graph().node_size(), 1);
  EXPECT_EQ(model.graph().node(0).op_type(), "Identity");
  EXPECT_EQ(model.graph().output(0).name(), "drop");
}

TEST(OnnxExport, ZooOpsMapOntoOnnx) {
  const onnx::ModelProto paper = export_zoo("alexnet_paper");
  const onnx::NodeProto& lrn = node(paper, "features.2");
  EXPECT_EQ(lrn.op_type(), "LRN");
  EXPECT_EQ(attribute(lrn, "size").i(), 5);
  EXPECT_FLOAT_EQ(attribute(lrn, "alpha").f(), 5e-4f);  // the same alpha / size convention as PyTorch
  EXPECT_FLOAT_EQ(attribute(lrn, "beta").f(), 0.75f);
  EXPECT_FLOAT_EQ(attribute(lrn, "bias").f(), 2.0f);
  EXPECT_EQ(attribute(node(paper, "features.4"), "group").i(), 2);

  const onnx::ModelProto cifar = export_zoo("resnet20");
  const onnx::NodeProto& pad = node(cifar, "layer2.0.shortcut.pad");
  EXPECT_EQ(pad.op_type(), "Pad");
  EXPECT_EQ(attribute(pad, "mode").s(), "constant");
  EXPECT_EQ(int64s(initializer(cifar, inputs(pad).at(1))), (std::vector<int64_t>{0, 8, 0, 0, 0, 8, 0, 0}));
  EXPECT_EQ(ints(node(cifar, "layer2.0.shortcut.subsample"), "kernel_shape"), (std::vector<int64_t>{1, 1}));

  const onnx::ModelProto se = export_zoo("se_resnet18");
  const onnx::NodeProto& scale = node(se, "layer1.0.se.scale");
  EXPECT_EQ(scale.op_type(), "Mul");
  EXPECT_EQ(inputs(scale), (std::vector<std::string>{"layer1.0.bn2", "layer1.0.se.sigmoid"}));
  EXPECT_EQ(op_counts(se)["Sigmoid"], 8);

  const onnx::ModelProto densenet = export_zoo("densenet121");
  EXPECT_EQ(op_counts(densenet)["Concat"], 58);
  EXPECT_EQ(op_counts(densenet)["AveragePool"], 3);  // the transitions' 2x2/2
}

TEST(OnnxExport, GeneralOps) {
  Graph graph("general");
  const ValueId x = graph.add_input("input", {2, 3, 4});
  const ValueId c = graph.add_node("c", OpKind::Constant, attr::Constant{.shape = {4, 5}}, {});
  const ValueId mm = graph.add_node("mm", OpKind::MatMul, attr::None{}, {x, c});
  const ValueId clip = graph.add_node("clip", OpKind::Clip, attr::Clip{.max = 6.0}, {mm});
  const ValueId t = graph.add_node("t", OpKind::Transpose, attr::Transpose{.perm = {0, 2, 1}}, {clip});
  const ValueId r = graph.add_node("r", OpKind::Reshape, attr::Reshape{.shape = {2, 15}}, {t});
  const ValueId g =
      graph.add_node("g", OpKind::Gather, attr::Gather{.axis = 1, .indices = {0, 14, 3}, .indices_shape = {3}}, {r});
  const ValueId m = graph.add_node("m", OpKind::Mul, attr::None{}, {g, g});
  const ValueId s = graph.add_node("s", OpKind::Add, attr::None{}, {m, g, g});
  const ValueId f = graph.add_node("f", OpKind::Flatten, attr::Flatten{.axis = 2}, {x});
  graph.add_output(graph.add_node("soft", OpKind::Softmax, attr::Softmax{.axis = 1}, {s}));
  graph.add_output(f);
  const Parameters parameters = zero_parameters(graph);
  const onnx::ModelProto model = parse(export_onnx_bytes(graph, parameters));

  EXPECT_EQ(initializer(model, "c").data_type(), onnx::TensorProto::FLOAT);
  EXPECT_EQ(inputs(node(model, "mm")), (std::vector<std::string>{"input", "c"}));
  EXPECT_EQ(inputs(node(model, "clip")), (std::vector<std::string>{"mm", "", "clip.max"}));
  EXPECT_EQ(initializer(model, "clip.max").dims_size(), 0);
  EXPECT_EQ(ints(node(model, "t"), "perm"), (std::vector<int64_t>{0, 2, 1}));
  EXPECT_EQ(int64s(initializer(model, "r.shape")), (std::vector<int64_t>{2, 15}));
  EXPECT_EQ(int64s(initializer(model, "g.indices")), (std::vector<int64_t>{0, 14, 3}));
  EXPECT_EQ(attribute(node(model, "g"), "axis").i(), 1);
  EXPECT_EQ(node(model, "m").op_type(), "Mul");
  EXPECT_EQ(node(model, "s").op_type(), "Sum");
  EXPECT_EQ(attribute(node(model, "soft"), "axis").i(), 1);
  // Flatten from axis 2 keeps rank 3 (2 x 3 x 4): not ONNX's matrix, so a reshape.
  EXPECT_EQ(node(model, "f").op_type(), "Reshape");
  EXPECT_EQ(int64s(initializer(model, "f.shape")), (std::vector<int64_t>{2, 3, 4}));
}

TEST(OnnxExport, EveryZooModelExports) {
  for (const ModelInfo& info : list_models()) {
    SCOPED_TRACE(info.name);
    const Graph graph = build_model(info.name);
    std::string bytes;
    ASSERT_NO_THROW(bytes = export_onnx_bytes(graph, zero_parameters(graph)));
    const onnx::ModelProto model = parse(bytes);
    EXPECT_GT(model.graph().node_size(), 0);
    // At most one ONNX node per IR node, plus the zero Pad before each average pool that counts its padding.
    std::set<std::string> padded_pools;
    for (const Node& n : graph.nodes()) {
      if (n.op != OpKind::AvgPool) continue;
      const auto& a = std::get<attr::Pool>(n.attrs);
      if (a.count_include_pad && (a.pad != Hw(0) || a.effective_pad_end() != Hw(0))) padded_pools.insert(n.name);
    }
    const auto counted_padding = static_cast<int>(padded_pools.size());
    int pads = 0;
    for (const onnx::NodeProto& n : model.graph().node()) {
      pads += n.op_type() == "Pad" && padded_pools.contains(n.name().substr(0, n.name().size() - 4));
    }
    EXPECT_EQ(pads, counted_padding);
    EXPECT_LE(model.graph().node_size(), static_cast<int>(graph.nodes().size()) + counted_padding);
    EXPECT_EQ(model.graph().output_size(), static_cast<int>(graph.outputs().size()));
  }
}

TEST(OnnxExport, WhatOnnxCannotExpressIsAnErrorNamingTheNode) {
  Graph lrn("even_lrn");
  lrn.add_output(lrn.add_node("norm", OpKind::Lrn, attr::Lrn{.size = 4}, {lrn.add_input("input", {1, 8, 4, 4})}));
  const std::string even = export_error(lrn);
  EXPECT_NE(even.find("norm: "), std::string::npos) << even;
  EXPECT_NE(even.find("even size 4"), std::string::npos) << even;

  Graph pool("adaptive");
  pool.add_output(pool.add_node("avgpool", OpKind::AdaptiveAvgPool, attr::AdaptiveAvgPool{.output = 6},
                                {pool.add_input("input", {1, 2, 13, 13})}));
  const std::string adaptive = export_error(pool);
  EXPECT_NE(adaptive.find("avgpool: cannot export to ONNX: adaptive average pooling from 13x13 to 6x6"),
            std::string::npos)
      << adaptive;

  // AlexNet at 256 x 256 pools 7x7 features to 6x6.
  const Graph alexnet = build_model("alexnet", {.input = Dims{3, 256, 256}});
  EXPECT_NE(export_error(alexnet).find("avgpool: cannot export to ONNX: adaptive average pooling from 7x7 to 6x6"),
            std::string::npos);
}

TEST(OnnxExport, DivisibleAdaptivePoolingIsAnAveragePool) {
  Graph graph("adaptive");
  graph.add_output(graph.add_node("avgpool", OpKind::AdaptiveAvgPool, attr::AdaptiveAvgPool{.output = {2, 3}},
                                  {graph.add_input("input", {1, 2, 8, 9})}));
  const onnx::ModelProto model = parse(export_onnx_bytes(graph, {}));
  const onnx::NodeProto& pool = node(model, "avgpool");
  EXPECT_EQ(pool.op_type(), "AveragePool");
  EXPECT_EQ(ints(pool, "kernel_shape"), (std::vector<int64_t>{4, 3}));
  EXPECT_EQ(ints(pool, "strides"), (std::vector<int64_t>{4, 3}));
}

TEST(OnnxExport, ParametersMustFit) {
  const Graph graph = build_model("resnet20");
  Parameters parameters = zero_parameters(graph);
  parameters.erase("conv1.weight");
  try {
    export_onnx_bytes(graph, parameters);
    ADD_FAILURE() << "export succeeded";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("conv1.weight"), std::string::npos) << e.what();
  }
}

TEST(OnnxExport, WritesTheFile) {
  const Graph graph = build_model("resnet20");
  const Parameters parameters = init_parameters(graph, "resnet", 3);
  const std::string path = test::temp_dir("cnnzoo_onnx_export") + "/resnet20.onnx";
  export_onnx(graph, parameters, path);
  EXPECT_EQ(test::bytes_of(path), export_onnx_bytes(graph, parameters));
  EXPECT_THROW(export_onnx(graph, parameters, "/nonexistent/folder/x.onnx"), Error);
}

// int8 in QDQ form, on a graph small enough to check by hand: conv (2 output channels, no bias) -> batch norm ->
// relu -> flatten -> linear. The batch norm is folded into the convolution (no BatchNormalization node), each
// weight is s8 with a scale per output channel, the bias int32 at s_input * s_weight, and each layer's input goes
// through QuantizeLinear / DequantizeLinear with the engine's activation scale (s8 for the input, which goes below
// zero; u8 for the ReLU's output).
TEST(OnnxExport, Int8IsQdqWithTheEnginesScales) {
  Builder b("tiny", {1, 1, 2, 2});
  ValueId x = b.conv(b.input(), "conv", {.out = 2, .kernel = 1});
  x = b.relu(b.batch_norm(x, "bn"), "relu");
  b.output(b.linear(b.flatten(x, "flatten"), "fc", {.out = 1}));
  const Graph g = b.finish();
  Parameters p = zero_parameters(g);
  p.at("conv.weight").f32()[0] = 0.5f;   // channel 0
  p.at("conv.weight").f32()[1] = -2.0f;  // channel 1
  // bn: channel 0 scale 2 (variance 1 - eps makes sqrt exactly 1), shift 0.25; channel 1 scale 1, mean 1.
  const double eps = std::get<attr::BatchNorm>(g.node(*g.find_node("bn")).attrs).eps;
  for (int c = 0; c < 2; ++c) p.at("bn.running_var").f32()[c] = static_cast<float>(1.0 - eps);
  p.at("bn.weight").f32()[0] = 2.0f;
  p.at("bn.weight").f32()[1] = 1.0f;
  p.at("bn.bias").f32()[0] = 0.25f;
  p.at("bn.running_mean").f32()[1] = 1.0f;
  // 0.0125 (i + 1)^2, up to 0.8: no quotient of the scale 0.8 / 127 lies on a rounding tie.
  for (int i = 0; i < 8; ++i) p.at("fc.weight").f32()[i] = 0.0125f * static_cast<float>((i + 1) * (i + 1));
  p.at("fc.bias").f32()[0] = 0.3f;
  Quantization q;
  q.ranges = {{"input", {-1.0f, 2.54f}}, {"conv", {-3, 3}},       {"bn", {-3, 3}},
              {"relu", {0, 2.55f}},      {"flatten", {0, 2.55f}}, {"fc", {-1, 1}}};
  const onnx::ModelProto m = parse(export_onnx_bytes(g, p, &q));
  EXPECT_EQ(
      op_counts(m),
      (std::map<std::string, int>{
          {"Conv", 1}, {"DequantizeLinear", 6}, {"Flatten", 1}, {"Gemm", 1}, {"QuantizeLinear", 2}, {"Relu", 1}}));
  const auto raw = [&](const std::string& name, auto element) {
    const std::string& bytes = initializer(m, name).raw_data();
    std::vector<decltype(element)> out(bytes.size() / sizeof element);
    std::memcpy(out.data(), bytes.data(), bytes.size());
    return out;
  };
  // The input: s8, scale max(|-1|, 2.54) / 127 = 0.02.
  EXPECT_EQ(initializer(m, "input.zero_point").data_type(), onnx::TensorProto::INT8);
  EXPECT_FLOAT_EQ(raw("input.scale", 0.0f).at(0), 2.54f / 127);
  // Folded weights 0.5 * 2 = 1 and -2 * 1 = -2: each its channel's largest, so 127 and -127 at scales 1/127, 2/127.
  EXPECT_EQ(raw("conv.weight_quantized", int8_t{}), (std::vector<int8_t>{127, -127}));
  EXPECT_EQ(raw("conv.weight_scale", 0.0f), (std::vector<float>{1.0f / 127, 2.0f / 127}));
  EXPECT_EQ(attribute(node(m, "conv.weight_dequantized.DequantizeLinear"), "axis").i(), 0);
  // Folded biases 0.25 and (0 - 1) * 1 = -1 over s_input * s_weight.
  const auto bias = raw("conv.bias_quantized", int32_t{});
  EXPECT_EQ(bias, (std::vector<int32_t>{static_cast<int32_t>(std::nearbyint(0.25 / (2.54 / 127 / 127))),
                                        static_cast<int32_t>(std::nearbyint(-1.0 / (2.54 / 127 * 2 / 127)))}));
  // The convolution writes the batch norm's output; the relu reads it.
  EXPECT_EQ(node(m, "conv").output(0), "bn");
  EXPECT_EQ(inputs(node(m, "conv")),
            (std::vector<std::string>{"input.dequantized", "conv.weight_dequantized", "conv.bias_dequantized"}));
  // fc's input (the flattened ReLU output) is u8 with scale 2.55 / 255 = 0.01; its weights' scale 0.8 / 127.
  EXPECT_EQ(initializer(m, "flatten.zero_point").data_type(), onnx::TensorProto::UINT8);
  EXPECT_FLOAT_EQ(raw("flatten.scale", 0.0f).at(0), 0.01f);
  const auto fc = raw("fc.weight_quantized", int8_t{});
  for (int i = 0; i < 8; ++i) EXPECT_EQ(fc[i], std::nearbyint(0.0125 * (i + 1) * (i + 1) / (0.8 / 127))) << i;
  EXPECT_EQ(raw("fc.bias_quantized", int32_t{}).at(0), static_cast<int32_t>(std::nearbyint(0.3 / (0.01 * 0.8 / 127))));

  // A calibration without some value is refused, naming it.
  q.ranges.erase("relu");
  try {
    export_onnx_bytes(g, p, &q);
    ADD_FAILURE() << "exported without a range";
  } catch (const InvalidArgument& e) {
    EXPECT_NE(std::string(e.what()).find("lacks the range of 1 of its 6 values (relu)"), std::string::npos) << e.what();
  }
}

// int8 has no NaN: a weight holding one is refused, naming it (converting it would be undefined behaviour).
TEST(OnnxExport, Int8RefusesAWeightThatIsNotFinite) {
  Builder b("tiny", {1, 1, 2, 2});
  b.output(b.conv(b.input(), "conv", {.out = 2, .kernel = 1}));
  const Graph g = b.finish();
  Parameters p = zero_parameters(g);
  p.at("conv.weight").f32()[1] = std::numeric_limits<float>::quiet_NaN();
  Quantization q;
  q.ranges = {{"input", {-1, 1}}, {"conv", {-1, 1}}};
  try {
    export_onnx_bytes(g, p, &q);
    ADD_FAILURE() << "a NaN weight was quantized";
  } catch (const Error& e) {
    EXPECT_EQ(std::string(e.what()),
              "conv.weight: holds a value that is not finite, which int8 cannot represent; export it in fp32");
  }
}

}  // namespace
}  // namespace cnnzoo
