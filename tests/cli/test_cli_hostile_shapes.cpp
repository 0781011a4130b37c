// Hostile shapes (issue 12): a pooling stride of 0, element counts and cost figures past int64, limits on
// batch, input, depth and node count, and `summary model.onnx --batch` on a file that fixes its batch.
// Each case reproduces a row of the table: before the fix a signal, a wrapped figure or a silent
// batch of 1.
#include <fmt/format.h>
#include <gtest/gtest.h>
#include <onnx/onnx_pb.h>

#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "cli/run_cli.h"
#include "cnnzoo/io.h"
#include "cnnzoo/tensor.h"
#include "support/onnx_builder.h"

namespace cnnzoo {
namespace {

namespace fs = std::filesystem;
using test::CliResult;
using test::run_cli;

constexpr int64_t k2To62 = int64_t{1} << 62;

std::string temp(const std::string& name) {
  return ::testing::TempDir() + "cnnzoo_hostile_" + std::to_string(::getpid()) + "_" + name;
}

// One ONNX node: op, inputs, output and its integer-list attributes.
struct OnnxNode {
  std::string op;
  std::vector<std::string> inputs;
  std::string output;
  std::map<std::string, std::vector<int64_t>> ints{};
};

// An ONNX model (opset 13) of `nodes` on one float input "x" of shape `input` (the first dimension
// symbolic when `symbolic_batch`); `shapes` are int64 initializers (a Reshape's target); the last node's
// output is the graph output.
std::string write_onnx(const std::string& name, const Dims& input, const std::vector<OnnxNode>& nodes,
                       const std::map<std::string, std::vector<int64_t>>& shapes = {}, bool symbolic_batch = false) {
  onnx::ModelProto m = test::onnx_model_header();
  onnx::GraphProto* g = m.mutable_graph();
  test::add_float_input(*g, "x", input, symbolic_batch);
  for (const auto& [shape_name, values] : shapes) {
    onnx::TensorProto* t = g->add_initializer();
    t->set_name(shape_name);
    t->set_data_type(onnx::TensorProto::INT64);
    t->add_dims(static_cast<int64_t>(values.size()));
    for (int64_t v : values) t->add_int64_data(v);
  }
  for (const OnnxNode& n : nodes) {
    onnx::NodeProto* node = g->add_node();
    node->set_name(n.output);
    node->set_op_type(n.op);
    for (const std::string& i : n.inputs) node->add_input(i);
    node->add_output(n.output);
    for (const auto& [attr_name, values] : n.ints) {
      onnx::AttributeProto* a = node->add_attribute();
      a->set_name(attr_name);
      a->set_type(onnx::AttributeProto::INTS);
      for (int64_t v : values) a->add_ints(v);
    }
  }
  g->add_output()->set_name(nodes.back().output);
  const std::string path = temp(name + ".onnx");
  std::ofstream(path, std::ios::binary) << m.SerializeAsString();
  return path;
}

// A 1x3x8x8 float32 input for `run`.
std::string input_npy() {
  const std::string path = temp("x.npy");
  write_npy(path, Tensor(Dims{1, 3, 8, 8}));
  return path;
}

void expect_error(const CliResult& r, const std::string& message) {
  EXPECT_EQ(r.exit_code, 1) << r.err;
  EXPECT_EQ(r.err, "cnnzoo: error: " + message + "\n");
  EXPECT_EQ(r.out, "");
}

// Row "zero pooling stride": SIGFPE before the fix, in run and in summary.
TEST(CliHostileShapes, ZeroPoolingStrideIsRefusedNamingTheNode) {
  for (const char* op : {"MaxPool", "AveragePool"}) {
    const std::string model =
        write_onnx(std::string("stride0_") + op, {1, 3, 8, 8},
                   {{op, {"x"}, "pool", {{"kernel_shape", {2, 2}}, {"strides", {0, 0}}}}, {"Relu", {"pool"}, "y"}});
    const std::string message =
        fmt::format("{}: node 'pool' ({}): strides (0, 0) must lie in 1..2147483647; 0 does not", model, op);
    expect_error(run_cli(fmt::format("summary {}", model)), message);
    const std::string out = temp(std::string("stride0_") + op + ".npy");
    expect_error(run_cli(fmt::format("run {} {} --output {}", model, input_npy(), out)), message);
    EXPECT_FALSE(fs::exists(out));
  }
  // A zero kernel, a negative dilation and a stride past the dimension limit likewise.
  std::string model = write_onnx("kernel0", {1, 3, 8, 8}, {{"MaxPool", {"x"}, "pool", {{"kernel_shape", {0, 2}}}}});
  expect_error(
      run_cli(fmt::format("summary {}", model)),
      fmt::format("{}: node 'pool' (MaxPool): kernel_shape (0, 2) must lie in 1..2147483647; 0 does not", model));
  model = write_onnx("stride_huge", {1, 3, 8, 8},
                     {{"AveragePool", {"x"}, "pool", {{"kernel_shape", {2, 2}}, {"strides", {1, k2To62}}}}});
  expect_error(run_cli(fmt::format("summary {}", model)),
               fmt::format("{}: node 'pool' (AveragePool): strides (1, {}) must lie in 1..2147483647; {} does not",
                           model, k2To62, k2To62));
  model = write_onnx("pads_negative", {1, 3, 8, 8},
                     {{"MaxPool", {"x"}, "pool", {{"kernel_shape", {2, 2}}, {"pads", {0, -1, 0, 0}}}}});
  expect_error(
      run_cli(fmt::format("summary {}", model)),
      fmt::format("{}: node 'pool' (MaxPool): pads (0, -1, 0, 0) must lie in 0..2147483647; -1 does not", model));
}

// A Conv's group times its weight's channels is the input's channel count: a huge group overflows it.
TEST(CliHostileShapes, ConvGroupOverflowIsRefusedNamingTheNode) {
  onnx::ModelProto m = test::onnx_model_header();
  onnx::GraphProto* g = m.mutable_graph();
  test::add_float_input(*g, "x", {1, 4, 8, 8});
  onnx::TensorProto* w = g->add_initializer();
  w->set_name("w");
  w->set_data_type(onnx::TensorProto::FLOAT);
  for (int64_t d : {4, 4, 1, 1}) w->add_dims(d);
  for (int i = 0; i < 16; ++i) w->add_float_data(1);
  onnx::NodeProto* conv = g->add_node();
  conv->set_name("conv");
  conv->set_op_type("Conv");
  conv->add_input("x");
  conv->add_input("w");
  conv->add_output("y");
  onnx::AttributeProto* group = conv->add_attribute();
  group->set_name("group");
  group->set_type(onnx::AttributeProto::INT);
  group->set_i(k2To62);
  g->add_output()->set_name("y");
  const std::string model = temp("conv_group.onnx");
  std::ofstream(model, std::ios::binary) << m.SerializeAsString();
  expect_error(run_cli(fmt::format("summary {}", model)),
               fmt::format("{}: node 'conv' (Conv): the input channels (weight channels x group) overflows 64 bits: 4 "
                           "x 4611686018427387904 exceeds 9223372036854775807 (2^63 - 1)",
                           model));
}

// Row "element count overflow": heap corruption, SIGSEGV or a bogus .npy before the fix.
TEST(CliHostileShapes, ElementCountOverflowIsRefusedNamingTheReshape) {
  const std::vector<std::pair<std::vector<int64_t>, std::vector<std::string>>> cases{
      {{4, k2To62 + 48}, {"Softmax", "Relu", "MatMul"}},
      {{1, 1, k2To62 + 48, 4}, {"GlobalAveragePool", "MaxPool", "Relu"}},
  };
  for (const auto& [target, ops] : cases) {
    for (const std::string& op : ops) {
      OnnxNode after{op, {"big"}, "y"};
      if (op == "MaxPool") after.ints = {{"kernel_shape", {1, 1}}};
      if (op == "MatMul") after.inputs = {"big", "big"};
      const std::string model =
          write_onnx("overflow_" + op, {1, 3, 8, 8}, {{"Reshape", {"x", "shape"}, "big"}, after}, {{"shape", target}});
      const std::string shape = fmt::format("{}", fmt::join(target, "x"));
      const std::string message = fmt::format(
          "{}: node 'big' (Reshape): the element count of {} overflows 64 bits: {} x {} exceeds "
          "9223372036854775807 (2^63 - 1)",
          model, shape, target.size() == 2 ? 4 : k2To62 + 48, target.size() == 2 ? k2To62 + 48 : 4);
      const std::string out = temp("overflow_" + op + ".npy");
      expect_error(run_cli(fmt::format("run {} {} --output {}", model, input_npy(), out)), message);
      EXPECT_FALSE(fs::exists(out)) << op;
      expect_error(run_cli(fmt::format("summary {}", model)), message);
    }
  }
}

// resnet20's totals at batch 1, from its JSON summary.
struct Totals {
  int64_t macs = 0, flops = 0, activation_bytes = 0, peak_live_bytes = 0;
};

// An integer of the JSON summary's "total" object.
int64_t total_integer(const std::string& json, const std::string& key) {
  const std::size_t at = json.find("\"" + key + "\": ", json.find("\"total\": {"));
  if (at == std::string::npos) return -1;
  return std::stoll(json.substr(at + key.size() + 4));
}

Totals totals_of(const std::string& args) {
  const CliResult r = run_cli("summary " + args + " --format json");
  EXPECT_EQ(r.exit_code, 0) << r.err;
  return {total_integer(r.out, "macs"), total_integer(r.out, "flops"), total_integer(r.out, "activation_bytes"),
          total_integer(r.out, "peak_live_bytes")};
}

// Row "overflowing figures": negative and wrapped totals before the fix.
TEST(CliHostileShapes, HugeBatchesGiveExactFiguresOrNameTheLimit) {
  const Totals one = totals_of("resnet20");
  ASSERT_EQ(one.macs, 40551040);  // He et al.'s ResNet-20: 41 M multiply-adds
  // The largest batch: every figure that scales with it is exact (all fit: 1.8e17 FLOPs at most).
  constexpr int64_t kBatch = 2147483647;
  const Totals big = totals_of(fmt::format("resnet20 --batch {}", kBatch));
  EXPECT_EQ(big.macs, one.macs * kBatch);
  EXPECT_EQ(big.flops, one.flops * kBatch);
  EXPECT_EQ(big.activation_bytes, one.activation_bytes * kBatch);
  EXPECT_EQ(big.peak_live_bytes, one.peak_live_bytes * kBatch);
  const CliResult table = run_cli(fmt::format("summary resnet20 --batch {}", kBatch));
  ASSERT_EQ(table.exit_code, 0) << table.err;
  // 40,551,040 x 2,147,483,647 and 81,757,450 x 2,147,483,647, printed whole and in P = 10^15.
  EXPECT_NE(table.out.find("multiply-adds        87,082,695,268,842,880 MACs (87.08 PMACs)\n"), std::string::npos)
      << table.out;
  EXPECT_NE(table.out.find("FLOPs                175,572,786,895,420,150 (175.57 PFLOPs, "), std::string::npos)
      << table.out;
  EXPECT_NE(table.out.find("activations          2.2 PiB: "), std::string::npos) << table.out;
  // Past it: the batch is refused with the limit named, before any arithmetic.
  for (const char* batch : {"4611686018427387904", "9223372036854775807", "1000000000000"}) {
    expect_error(run_cli(fmt::format("summary resnet20 --batch {}", batch)),
                 fmt::format("--batch {} is above the maximum 2147483647 (2^31 - 1; docs/counting.md)", batch));
  }
  expect_error(run_cli("summary resnet20 --input 3x4294967296x4294967296"),
               "--input 3x4294967296x4294967296: dimension 4294967296 is above the maximum 2147483647 (2^31 - 1; "
               "docs/counting.md)");
}

// Within the limits, a figure can still pass 2^63 - 1: the node and the figure are named.
TEST(CliHostileShapes, AnOverflowingTotalNamesTheFigureAndTheNode) {
  // 1000 images of 10^12 pixels, 16 channels: conv1 2 x 27 x 1.6e16 = 8.64e17 FLOPs, its batch norm 3.2e16
  // and ReLU 1.6e16; layer1.0.conv1 2 x 144 x 1.6e16 = 4.608e18 with the same two: 5.568e18 so far, and
  // layer1.0.conv2's 4.608e18 takes the total past 2^63 - 1 (9.22e18).
  expect_error(run_cli("summary resnet20 --batch 1000 --input 3x1000000x1000000"),
               "layer1.0.conv2: total FLOPs overflows 64 bits: 5568000000000000000 + 4608000000000000000 exceeds "
               "9223372036854775807 (2^63 - 1)");
}

// Row "unbounded work": 20 s and 3 GB before the fix.
TEST(CliHostileShapes, DepthAndNodeCountAreLimitedQuickly) {
  const auto start = std::chrono::steady_clock::now();
  expect_error(run_cli("summary resnet56 --depth 600002"),
               "--depth 600002 is above the maximum 10000 layers (the deepest published CIFAR network has 1,202; "
               "docs/counting.md)");
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(5));
  // A 100,001-node ONNX chain is refused before its nodes are converted.
  std::vector<OnnxNode> chain;
  std::string last = "x";
  for (int i = 0; i <= 100'000; ++i) {
    chain.push_back({"Relu", {last}, fmt::format("r{}", i)});
    last = chain.back().output;
  }
  const std::string model = write_onnx("long_chain", {1, 2}, chain);
  expect_error(run_cli(fmt::format("summary {}", model)),
               fmt::format("{}: the graph has 100001 nodes, more than the 100000 supported (docs/counting.md)", model));
  std::remove(model.c_str());  // 3 MB
}

// Row "batch ignored": batch 1 printed without a word before the fix.
// Found by fuzzing (fuzz/regressions/onnx/empty_graph, 2 bytes): a model whose graph is empty. `summary`
// ended in "internal error" (the analysis read the first input of none).
TEST(CliHostileShapes, AGraphWithoutInputIsRefusedNamingTheFile) {
  onnx::ModelProto m = test::onnx_model_header();
  m.mutable_graph()->set_name("empty");
  const std::string path = temp("empty_graph.onnx");
  std::ofstream(path, std::ios::binary) << m.SerializeAsString();
  const std::string input = temp("empty_graph_input.npy");
  write_npy(input, Tensor({1, 3, 4, 4}));
  for (const std::string& command : {"summary " + path, "run " + path + " " + input}) {
    const CliResult r = run_cli(command);
    EXPECT_EQ(r.exit_code, 1) << command << ": " << r.err;
    EXPECT_EQ(r.err, fmt::format("cnnzoo: error: {}: the graph has no input (no graph input that is not an "
                                 "initializer); cnnzoo runs and analyses graphs that take an input tensor\n",
                                 path))
        << command;
  }
}

TEST(CliHostileShapes, SummaryBatchOfAFileThatFixesItsBatch) {
  const std::vector<OnnxNode> conv_net{{"MaxPool", {"x"}, "pool", {{"kernel_shape", {2, 2}}, {"strides", {2, 2}}}},
                                       {"GlobalAveragePool", {"pool"}, "gap"},
                                       {"Flatten", {"gap"}, "y"}};
  const std::string fixed = write_onnx("fixed_batch", {1, 3, 8, 8}, conv_net);
  CliResult r = run_cli(fmt::format("summary {} --batch 8 --format json", fixed));
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find("\"batch\": 8"), std::string::npos) << r.out;
  // 8 x 3 x 4 x 4 windows of 3 comparisons, then 8 x 3 x 16 for the average: 1,536 FLOPs, 8 times batch 1's.
  EXPECT_EQ(total_integer(r.out, "flops"), 1536);
  EXPECT_EQ(r.err, fmt::format("note: {} fixes input 'x' at batch 1; taken at --batch 8\n", fixed));
  // Without --batch (or with the file's own), the file's batch and no note.
  for (const char* flags : {"", " --batch 1"}) {
    r = run_cli(fmt::format("summary {}{} --format json", fixed, flags));
    ASSERT_EQ(r.exit_code, 0) << r.err;
    EXPECT_NE(r.out.find("\"batch\": 1"), std::string::npos) << r.out;
    EXPECT_EQ(total_integer(r.out, "flops"), 192);
    EXPECT_EQ(r.err, "");
  }
  // A symbolic batch takes --batch without a note.
  const std::string dynamic = write_onnx("dynamic_batch", {1, 3, 8, 8}, conv_net, {}, /*symbolic_batch=*/true);
  r = run_cli(fmt::format("summary {} --batch 8 --format json", dynamic));
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find("\"batch\": 8"), std::string::npos) << r.out;
  EXPECT_EQ(r.err, "");
  // A graph that cannot take another batch (a Reshape to a fixed 1 x 192) says so, naming the node.
  const std::string rigid =
      write_onnx("rigid_batch", {1, 3, 8, 8}, {{"Reshape", {"x", "shape"}, "y"}}, {{"shape", {1, 192}}});
  expect_error(run_cli(fmt::format("summary {} --batch 8", rigid)),
               fmt::format("--batch 8: {0} fixes input 'x' at batch 1 and its graph takes no other: {0}: node 'y' "
                           "(Reshape): cannot make 8x3x8x8 (1536 elements) into 1x192",
                           rigid));
}

}  // namespace
}  // namespace cnnzoo
