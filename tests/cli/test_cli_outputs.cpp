// Issue 12, "lost output" and "invalid graphs accepted": every output of `run --output-dir` gets a file of
// its own inside the folder, and an ONNX graph that defines a value twice is refused at import.
#include <fmt/format.h>
#include <gtest/gtest.h>
#include <onnx/onnx_pb.h>

#include <cmath>
#include <filesystem>
#include <fstream>
#include <set>

#include "cli/run_cli.h"
#include "cnnzoo/io.h"
#include "run_outputs.h"
#include "support/onnx_builder.h"

namespace cnnzoo {
namespace {

using test::run_cli;
namespace fs = std::filesystem;

std::string temp(const std::string& name) {
  const std::string path = ::testing::TempDir() + "cnnzoo_outputs_" + std::to_string(::getpid()) + "_" + name;
  fs::remove_all(path);
  return path;
}

struct OnnxNode {
  std::string name, op, input, output;
};

// A model on a 1x2x3x3 float input "x" of one-input nodes, with `outputs` as its graph outputs.
std::string onnx_model(const std::string& file, const std::vector<OnnxNode>& nodes,
                       const std::vector<std::string>& outputs) {
  onnx::ModelProto m = test::onnx_model_header();
  onnx::GraphProto* g = m.mutable_graph();
  test::add_float_input(*g, "x", {1, 2, 3, 3});
  for (const OnnxNode& n : nodes) {
    onnx::NodeProto* node = g->add_node();
    node->set_name(n.name);
    node->set_op_type(n.op);
    node->add_input(n.input);
    node->add_output(n.output);
  }
  for (const std::string& out : outputs) g->add_output()->set_name(out);
  const std::string path = temp(file);
  std::ofstream(path, std::ios::binary) << m.SerializeAsString();
  return path;
}

// x: 18 values from -4 to 4.5, so that Relu and Sigmoid differ everywhere.
std::string input_x(const std::string& path) {
  Tensor x({1, 2, 3, 3});
  for (std::size_t i = 0; i < 18; ++i) x.f32()[i] = -4.0f + 0.5f * static_cast<float>(i);
  write_npy(path, x);
  return path;
}

void expect_values(const std::string& file, float (*f)(float)) {
  const Tensor y = read_npy(file);
  ASSERT_EQ(y.shape(), (Dims{1, 2, 3, 3})) << file;
  for (std::size_t i = 0; i < 18; ++i) EXPECT_FLOAT_EQ(y.f32()[i], f(-4.0f + 0.5f * static_cast<float>(i))) << file;
}

float relu(float v) { return std::max(v, 0.0f); }
float sigmoid(float v) { return 1.0f / (1.0f + std::exp(-v)); }
float identity(float v) { return v; }

std::set<std::string> files_in(const std::string& dir) {
  std::set<std::string> names;
  for (const auto& entry : fs::directory_iterator(dir)) names.insert(entry.path().filename().string());
  return names;
}

TEST(CliOutputs, FileNamesAreUniqueSafeAndDeterministic) {
  using cli::output_file_names;
  // A name that is a file name keeps it, even when a name changed into it comes first.
  EXPECT_EQ(output_file_names({"a/b", "a_b"}), (std::vector<std::string>{"a_b~2.npy", "a_b.npy"}));
  EXPECT_EQ(output_file_names({"a/b", "a:b", "a b", "a_b"}),
            (std::vector<std::string>{"a_b~2.npy", "a_b~3.npy", "a_b~4.npy", "a_b.npy"}));
  // No separator, no hidden file, no "." or "..": the file stays in the folder.
  EXPECT_EQ(output_file_names({"../../escape", ".", "..", "", "/"}),
            (std::vector<std::string>{"_._.._escape.npy", "_.npy", "_..npy", "output.npy", "_~2.npy"}));
  // The same name twice, and '~' (the suffix's mark) in a name.
  EXPECT_EQ(output_file_names({"y", "y", "y~2"}), (std::vector<std::string>{"y.npy", "y~2.npy", "y_2.npy"}));
  // Within NAME_MAX (255 bytes) with the suffix.
  const std::vector<std::string> longs = output_file_names({std::string(300, 'a'), std::string(301, 'a')});
  EXPECT_EQ(longs[0], std::string(200, 'a') + ".npy");
  EXPECT_EQ(longs[1], std::string(200, 'a') + "~2.npy");
}

// The case: outputs "a/b" and "a_b" both went to a_b.npy, one over the other; "../../escape" became
// ".._.._escape.npy".
TEST(CliOutputs, EveryOutputIsWrittenInsideTheFolderAndTheMappingIsPrinted) {
  const std::string model = onnx_model(
      "three.onnx", {{"r", "Relu", "x", "a/b"}, {"s", "Sigmoid", "x", "a_b"}, {"n", "Identity", "x", "../../escape"}},
      {"a/b", "a_b", "../../escape"});
  const std::string x = input_x(temp("x.npy"));
  const std::string top = temp("deep");
  const std::string dir = top + "/er/out";
  const auto r = run_cli(fmt::format("run {} --input {} --output-dir {}", model, x, dir));
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(files_in(dir), (std::set<std::string>{"a_b.npy", "a_b~2.npy", "_._.._escape.npy"}));
  expect_values(dir + "/a_b.npy", sigmoid);
  expect_values(dir + "/a_b~2.npy", relu);
  expect_values(dir + "/_._.._escape.npy", identity);
  // Nothing beside the folder, nor two levels up, where "../../escape" points.
  EXPECT_EQ(files_in(top), (std::set<std::string>{"er"}));
  EXPECT_EQ(files_in(top + "/er"), (std::set<std::string>{"out"}));
  EXPECT_EQ(r.err, fmt::format("cnnzoo: output 'a/b' written to {0}/a_b~2.npy\n"
                               "cnnzoo: output 'a_b' written to {0}/a_b.npy\n"
                               "cnnzoo: output '../../escape' written to {0}/_._.._escape.npy\n",
                               dir));
  // Outputs whose names are file names: nothing to say.
  const std::string plain = onnx_model("plain.onnx", {{"r", "Relu", "x", "y"}}, {"y"});
  const std::string plain_dir = temp("plain_out");
  const auto quiet = run_cli(fmt::format("run {} --input {} --output-dir {}", plain, x, plain_dir));
  ASSERT_EQ(quiet.exit_code, 0) << quiet.err;
  EXPECT_EQ(quiet.err, "");
  expect_values(plain_dir + "/y.npy", relu);
}

TEST(CliOutputs, AnInputIsNeverOverwritten) {
  const std::string model = onnx_model("in_place.onnx", {{"r", "Relu", "x", "a/b"}}, {"a/b"});
  const std::string dir = temp("in_dir");
  fs::create_directories(dir);
  const std::string x = input_x(dir + "/a_b.npy");
  const std::string before = test::slurp(x);
  const auto r = run_cli(fmt::format("run {} --input {} --output-dir {}", model, x, dir));
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_EQ(r.err, fmt::format("cnnzoo: error: --output-dir {}/a_b.npy: is also an input; give another file (run "
                               "never overwrites its inputs)\n",
                               dir));
  EXPECT_EQ(test::slurp(x), before);
}

// onnx.checker refuses both; cnnzoo ran them and the last writer won.
TEST(CliOutputs, AValueDefinedTwiceIsRefusedNamingTheNode) {
  const std::string x = input_x(temp("x2.npy"));
  const std::string twice =
      onnx_model("twice.onnx", {{"first", "Relu", "x", "y"}, {"second", "Sigmoid", "x", "y"}}, {"y"});
  for (const char* command : {"run {} --input {}", "summary {}"}) {
    const auto r = run_cli(fmt::format(fmt::runtime(command), twice, x));
    EXPECT_EQ(r.exit_code, 1);
    EXPECT_EQ(r.err, fmt::format("cnnzoo: error: {}: node 'second' (Sigmoid): writes 'y', which node 'first' (Relu) "
                                 "writes too; in ONNX every value has exactly one definition (rename one of them)\n",
                                 twice));
  }
  const std::string over_input = onnx_model("over_input.onnx", {{"r", "Relu", "x", "x"}}, {"x"});
  auto r = run_cli(fmt::format("run {} --input {}", over_input, x));
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_EQ(r.err, fmt::format("cnnzoo: error: {}: node 'r' (Relu): writes 'x', which is a graph input; in ONNX "
                               "every value has exactly one definition (rename one of them)\n",
                               over_input));
  // A value read before the node that defines it (a cycle, or nodes out of order) was refused already.
  const std::string cycle = onnx_model("cycle.onnx", {{"a", "Relu", "z", "y"}, {"b", "Sigmoid", "y", "z"}}, {"z"});
  r = run_cli(fmt::format("run {} --input {}", cycle, x));
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_EQ(r.err,
            fmt::format("cnnzoo: error: {}: node 'a' (Relu): input 'z' is not defined before this node\n", cycle));
}

}  // namespace
}  // namespace cnnzoo
