// A newcomer's mistakes, as the CLI answers them: each exits 1 (a bad value) or 2 (a malformed command
// line) with one line that names the flag, file or node and what to do, and never an "internal error", a
// bad_alloc or a signal. Flags share one vocabulary and one set of range checks.
#include <fmt/format.h>
#include <gtest/gtest.h>
#include <onnx/onnx_pb.h>
#include <sched.h>

#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <regex>

#include "cli/run_cli.h"
#include "cnnzoo/io.h"
#include "support/onnx_builder.h"
#include "support/sanitizers.h"

namespace cnnzoo {
namespace {

using test::CliResult;
using test::run_cli;
namespace fs = std::filesystem;

std::string temp(const std::string& name) {
  const std::string path = ::testing::TempDir() + "cnnzoo_errors_" + std::to_string(::getpid()) + "_" + name;
  fs::remove_all(path);
  return path;
}

std::string make_file(const std::string& name) {
  const std::string path = temp(name);
  std::ofstream(path) << "not a folder\n";
  return path;
}

// One line on stderr, starting "cnnzoo: error: " + `start`, and nothing of an internal failure.
void expect_one_line_error(const CliResult& r, int exit_code, const std::string& start) {
  EXPECT_EQ(r.exit_code, exit_code) << r.err;
  EXPECT_EQ(r.err.rfind("cnnzoo: error: " + start, 0), 0u) << r.err;
  EXPECT_EQ(std::count(r.err.begin(), r.err.end(), '\n'), 1) << r.err;
  for (const char* leak : {"internal error", "bad_alloc", "filesystem error", "ref::"}) {
    EXPECT_EQ(r.err.find(leak), std::string::npos) << r.err;
  }
}

// A value refused while parsing: "cnnzoo: error: --flag: MESSAGE (see `cnnzoo COMMAND --help`)", exit 2.
void expect_refused_flag(const std::string& args, const std::string& message) {
  const CliResult r = run_cli(args);
  const std::string command = args.substr(0, args.find(' '));
  EXPECT_EQ(r.exit_code, 2) << args << "\n" << r.err;
  EXPECT_EQ(r.err.rfind("cnnzoo: error: ", 0), 0u) << args << "\n" << r.err;
  EXPECT_NE(r.err.find(message + fmt::format(" (see `cnnzoo {} --help`)\n", command)), std::string::npos)
      << args << "\n"
      << r.err;
  EXPECT_EQ(std::count(r.err.begin(), r.err.end(), '\n'), 1) << r.err;
  EXPECT_TRUE(r.out.empty()) << args;
}

// Item 9: a mistyped subcommand names the nearest one.
TEST(CliErrors, MistypedCommandSuggestsTheNearest) {
  const CliResult r = run_cli("summry resnet50");
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_EQ(r.err,
            "cnnzoo: error: unknown command 'summry'; did you mean 'summary'? commands: list, summary, compare, run, "
            "train, eval, predict, samples, export, quantize, bench, report, experiment (cnnzoo --help)\n");
  EXPECT_TRUE(r.out.empty());
  const CliResult far = run_cli("frobnicate");
  EXPECT_EQ(far.exit_code, 2);
  EXPECT_EQ(far.err.rfind("cnnzoo: error: unknown command 'frobnicate'; commands: list, summary,", 0), 0u) << far.err;
}

// Item 9: a mistyped model names the nearest models first, then every one.
TEST(CliErrors, MistypedModelSuggestsTheNearest) {
  CliResult r = run_cli("summary resnet5");
  expect_one_line_error(r, 1,
                        "unknown model 'resnet5'; did you mean 'resnet50', 'resnet56' or 'resnet18'? known models: ");
  EXPECT_NE(r.err.find("known models: alexnet, "), std::string::npos) << r.err;
  r = run_cli("bench vgg61");
  expect_one_line_error(r, 1, "unknown model 'vgg61'; did you mean 'vgg11' or 'vgg16'? known models: ");
}

// Item 7: negative and zero counts are refused while parsing, with the range.
TEST(CliErrors, OutOfRangeNumbersAreRefused) {
  const std::string out = temp("never");
  for (const auto& [flag, message] : std::vector<std::pair<std::string, std::string>>{
           {"--threads -1", "--threads: must be at least 0, got -1"},
           {"--subset -1", "--subset: must be at least 0, got -1"},
           {"--val-subset -1", "--val-subset: must be at least 0, got -1"},
           {"--stop-after -1", "--stop-after: must be at least 0, got -1"},
           {"--epochs 0", "--epochs: must be at least 1, got 0"},
           {"--epochs -1", "--epochs: must be at least 1, got -1"},
           {"--lr -1", "--lr: must be positive, got -1"},
           {"--lr 0", "--lr: must be positive, got 0"},
           {"--batch 0", "--batch: must be at least 1, got 0"},
           {"--batch-size 0", "--batch: must be at least 1, got 0"},
           {"--label-smoothing 2", "--label-smoothing: must lie in [0, 1], got 2"},
           {"--val-split 1", "--val-split: must lie in [0, 1), got 1"},
           {"--image-size 0", "--image-size: must lie in [1, 2147483647], got 0"},
           {"--image-size 3000000000", "--image-size: must lie in [1, 2147483647], got 3000000000"},
           {"--loader-threads 0", "--loader-threads: must be at least 1, got 0"}}) {
    expect_refused_flag(fmt::format("train {} --out {}", flag, out), message);
  }
  EXPECT_FALSE(fs::exists(out)) << "nothing is created for a refused command line";
  expect_refused_flag("summary resnet18 --batch 0", "--batch: must be at least 1, got 0");
  expect_refused_flag("summary resnet18 --num-classes 0", "--num-classes: must be at least 1, got 0");
  expect_refused_flag("export resnet18 --batch -2 --output x.onnx", "--batch: must be at least 1, got -2");
  expect_refused_flag("bench resnet20 --threads -1", "--threads: must be at least 0, got -1");
  expect_refused_flag("eval --checkpoint x.safetensors --threads -1", "--threads: must be at least 0, got -1");
  expect_refused_flag("predict --checkpoint x.safetensors a.png --threads -1", "--threads: must be at least 0, got -1");
  expect_refused_flag("run resnet20 --input x.npy --output y.npy --threads -1",
                      "--threads: must be at least 0, got -1");
  expect_refused_flag("samples --count 0 --out x", "--count: must be at least 1, got 0");
}

// The cores this process may use, as the kernel's affinity mask says.
int affinity_cores() {
  cpu_set_t set;
  CPU_ZERO(&set);
  EXPECT_EQ(sched_getaffinity(0, sizeof(set), &set), 0);
  return CPU_COUNT(&set);
}

// Item 7: more threads than cores are capped to the cores, with a note.
TEST(CliErrors, ThreadsBeyondTheCoresAreCapped) {
  const CliResult r = run_cli("bench resnet20 --threads 10000 --iterations 1 --warmup 0 --format json");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const std::regex note(
      "cnnzoo: note: --threads 10000 is more than the (\\d+) cores this process may use; using (\\d+)\n");
  std::smatch m;
  ASSERT_TRUE(std::regex_search(r.err, m, note)) << r.err;
  const int cores = std::stoi(m[1]);
  EXPECT_EQ(std::stoi(m[2]), cores);
  EXPECT_GE(cores, 1);
  EXPECT_LE(cores, affinity_cores());
  EXPECT_EQ(nlohmann::json::parse(r.out)["threads"], cores);
}

// Items 5 and 6: every output location is checked before any work, with the flag and the reason.
TEST(CliErrors, UnwritableOutputsAreNamedBeforeAnyWork) {
  const std::string file = make_file("a_file");
  CliResult r = run_cli(fmt::format("train --subset 64 --val-subset 64 --out {}", file));
  expect_one_line_error(r, 1, fmt::format("--out {}: is a file, not a folder", file));
  EXPECT_EQ(r.out.find("epoch   1"), std::string::npos) << "refused before the first step";
  EXPECT_EQ(r.err.find("img/s"), std::string::npos);

  r = run_cli(fmt::format("train --subset 64 --val-subset 64 --out {}/run", file));
  expect_one_line_error(r, 1, fmt::format("--out {0}/run: cannot create the folder: {0} is a file", file));

  r = run_cli("train --subset 64 --val-subset 64 --out /proc/x");
  expect_one_line_error(r, 1, "--out /proc/x: cannot create the folder: ");
  // An existing folder no one may write into (root included): /proc.
  r = run_cli("train --subset 64 --val-subset 64 --out /proc");
  expect_one_line_error(r, 1, "--out /proc: cannot write into the folder: ");

  r = run_cli(fmt::format("samples --out {}", file));
  expect_one_line_error(r, 1, fmt::format("--out {}: is a file, not a folder", file));
  EXPECT_TRUE(r.out.empty());

  const std::string x = temp("x.npy");
  write_npy(x, Tensor({1, 3, 32, 32}));
  r = run_cli(fmt::format("run resnet20 --input {} --output-dir {}", x, file));
  expect_one_line_error(r, 1, fmt::format("--output-dir {}: is a file, not a folder", file));
  r = run_cli(fmt::format("run resnet20 --input {} --output {}/y.npy", x, temp("missing_dir")));
  expect_one_line_error(
      r, 1, fmt::format("--output {}/y.npy: the folder {} does not exist", temp("missing_dir"), temp("missing_dir")));

  const std::string folder = temp("a_folder");
  fs::create_directories(folder);
  r = run_cli(fmt::format("export resnet20 --output {}", folder));
  expect_one_line_error(r, 1, fmt::format("--output {}: is a folder; give a file name", folder));
}

// Item 5: sizes are checked against the machine's memory before they are allocated.
TEST(CliErrors, SizesBeyondMemoryAreRefusedBeforeAllocation) {
  CliResult r = run_cli("bench resnet20 --batch 1000000000000");
  expect_one_line_error(r, 1,
                        "--batch 1000000000000: running resnet20 at batch 1000000000000 and input 3x32x32 needs at "
                        "least ");
  EXPECT_NE(r.err.find(" PiB of memory"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("but this process may use "), std::string::npos) << r.err;

  // A folder data set of 8 images in 2 classes, at 20000 x 20000 pixels.
  const std::string data = temp("folder_data");
  ASSERT_EQ(run_cli(fmt::format("samples --count 4 --out {}/a", data)).exit_code, 0);
  ASSERT_EQ(run_cli(fmt::format("samples --first 4 --count 4 --out {}/b", data)).exit_code, 0);
  r = run_cli(
      fmt::format("train --data folder:{} --val-split 0.25 --image-size 20000 --batch 2 --out {}", data, temp("huge")));
  expect_one_line_error(r, 1,
                        "--batch 2 --image-size 20000: training resnet20 at batch 2 and input 3x20000x20000 needs "
                        "at least ");
  EXPECT_EQ(r.out.find("epoch   1"), std::string::npos);
}

// `ulimit -v` bounds what a process may allocate as much as the machine's memory does: the run is refused with
// the limit's figure instead of ending in std::bad_alloc. (AddressSanitizer reserves terabytes of address space
// for its shadow memory, so a sanitized binary cannot start under such a limit at all.)
TEST(CliErrors, AnAddressSpaceLimitIsMemoryTheRunMayNotUse) {
  if (CNNZOO_TEST_UNDER_ASAN) GTEST_SKIP() << "a sanitized binary cannot start under ulimit -v (ASan's shadow memory)";
  const std::string err = temp("ulimit_err.txt");
  const std::string cmd =
      fmt::format("ulimit -v 1572864 && {} bench vgg16 --batch 64 --iterations 1 2>{}", CNNZOO_BINARY, err);
  const int status = std::system(fmt::format("sh -c '{}' >/dev/null", cmd).c_str());
  ASSERT_TRUE(WIFEXITED(status));
  EXPECT_EQ(WEXITSTATUS(status), 1);
  const std::string text = test::slurp(err);
  EXPECT_NE(text.find("--batch 64: running vgg16 at batch 64 and input 3x224x224 needs at least 2.0 GiB of memory"),
            std::string::npos)
      << text;
  EXPECT_NE(text.find("but this process may use 1.5 GiB"), std::string::npos) << text;
}

// Item 3: train takes --batch (and the older --batch-size), and its messages name the flag it takes.
TEST(CliErrors, TrainSpeaksOfTheBatchFlagItTakes) {
  CliResult r = run_cli(fmt::format("train --subset 64 --batch 128 --out {}", temp("batch")));
  expect_one_line_error(r, 1, "--batch 128 is larger than the 64 training images; use a smaller --batch");
  r = run_cli(fmt::format("train --subset 64 --batch-size 128 --out {}", temp("batch_size")));
  expect_one_line_error(r, 1, "--batch 128 is larger than the 64 training images");
  r = run_cli("train --help");
  EXPECT_NE(r.out.find("--batch,--batch-size"), std::string::npos) << r.out;
  // The options common to models are there wherever a model is built.
  for (const char* command : {"summary", "compare", "export", "bench"}) {
    r = run_cli(fmt::format("{} --help", command));
    for (const char* flag : {"--input", "--batch", "--num-classes"}) {
      EXPECT_NE(r.out.find(flag), std::string::npos) << command << " " << flag;
    }
  }
}

// Item 5: a symbolic link that loops inside a folder: data set names the entry.
TEST(CliErrors, SymlinkLoopInAFolderDataSetIsNamed) {
  const std::string data = temp("loop_data");
  ASSERT_EQ(run_cli(fmt::format("samples --count 2 --out {}/a", data)).exit_code, 0);
  fs::create_symlink(data + "/loop", data + "/loop");
  const CliResult r = run_cli(fmt::format("samples --data folder:{} --out {}", data, temp("loop_out")));
  expect_one_line_error(r, 1, fmt::format("folder:{0}: {0}/loop: Too many levels of symbolic links", data));
}

// An ONNX model of one node on a 1x2x3x3 float input x; `constants` are initializers (float or int64).
std::string one_node_onnx(const std::string& op, const std::vector<std::pair<std::string, Tensor>>& constants,
                          int64_t opset = 13) {
  onnx::ModelProto m = test::onnx_model_header(opset);
  onnx::GraphProto* g = m.mutable_graph();
  onnx::NodeProto* node = g->add_node();
  node->set_name("the_node");
  node->set_op_type(op);
  node->add_input("x");
  node->add_output("y");
  test::add_float_input(*g, "x", {1, 2, 3, 3});
  for (const auto& [name, tensor] : constants) {
    node->add_input(name);
    onnx::TensorProto* t = g->add_initializer();
    t->set_name(name);
    for (int64_t d : tensor.shape()) t->add_dims(d);
    if (tensor.dtype() == DType::I64) {
      t->set_data_type(onnx::TensorProto::INT64);
      for (int64_t v : tensor.i64()) t->add_int64_data(v);
    } else {
      t->set_data_type(onnx::TensorProto::FLOAT);
      for (float v : tensor.f32()) t->add_float_data(v);
    }
  }
  g->add_output()->set_name("y");
  const std::string path = temp(op + ".onnx");
  std::ofstream(path, std::ios::binary) << m.SerializeAsString();
  return path;
}

// Item 5: empty Pad and Dropout values name the file, the node and the input.
TEST(CliErrors, EmptyPadAndDropoutValuesNameTheNode) {
  const Tensor pads(Dims{8}, DType::I64);
  const Tensor empty_float(Dims{0});
  std::string model = one_node_onnx("Pad", {{"pads", pads}, {"value", empty_float}});
  CliResult r = run_cli(fmt::format("summary {}", model));
  expect_one_line_error(
      r, 1, fmt::format("{}: node 'the_node' (Pad): input 3 (constant_value) must hold one value, holds 0", model));
  model = one_node_onnx("Dropout", {{"ratio", empty_float}, {"training_mode", empty_float}});
  r = run_cli(fmt::format("summary {}", model));
  expect_one_line_error(
      r, 1, fmt::format("{}: node 'the_node' (Dropout): input 3 (training_mode) must hold one value, holds 0", model));
  // A weight of the wrong type names the node and the tensor, not a bare "tensor: expected float32".
  model = one_node_onnx("Conv", {{"w", Tensor({4, 2, 1, 1}, DType::I64)}});
  r = run_cli(fmt::format("summary {}", model));
  expect_one_line_error(r, 1,
                        fmt::format("{}: node 'the_node' (Conv): weight holds int64 values; expected float32", model));
  // An empty pads input is a pads count that does not fit the input.
  model = one_node_onnx("Pad", {{"pads", Tensor(Dims{0}, DType::I64)}});
  r = run_cli(fmt::format("summary {}", model));
  expect_one_line_error(r, 1,
                        fmt::format("{}: node 'the_node' (Pad): has 0 pads for 4 padded dimensions (2 each)", model));
}

// Item 9: an ONNX file is recognised by its content, whatever its name; a checkpoint is recognised as one.
TEST(CliErrors, OnnxIsRecognisedByContentAndIsNotACheckpoint) {
  const std::string onnx = temp("r20.onnx");
  ASSERT_EQ(run_cli(fmt::format("export resnet20 --output {}", onnx)).exit_code, 0);
  const std::string bin = temp("r20.bin");
  fs::copy_file(onnx, bin);
  const CliResult want = run_cli(fmt::format("summary {} --format json", onnx));
  ASSERT_EQ(want.exit_code, 0) << want.err;
  CliResult r = run_cli(fmt::format("summary {} --format json", bin));
  ASSERT_EQ(r.exit_code, 0) << r.err;
  auto strip_name = [](std::string text) {
    nlohmann::json j = nlohmann::json::parse(text);
    j.erase("model");
    return j.dump();
  };
  EXPECT_EQ(strip_name(r.out), strip_name(want.out));

  const std::string x = temp("x3.npy");
  write_npy(x, Tensor({1, 3, 32, 32}));
  const std::string y_onnx = temp("y_onnx.npy");
  const std::string y_bin = temp("y_bin.npy");
  ASSERT_EQ(run_cli(fmt::format("run {} --input {} --output {}", onnx, x, y_onnx)).exit_code, 0);
  r = run_cli(fmt::format("run {} --input {} --output {}", bin, x, y_bin));
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const Tensor a = read_npy(y_onnx);
  const Tensor b = read_npy(y_bin);
  ASSERT_EQ(a.shape(), (Dims{1, 10}));
  for (std::size_t i = 0; i < a.f32().size(); ++i) EXPECT_EQ(a.f32()[i], b.f32()[i]) << i;

  r = run_cli(fmt::format("eval --checkpoint {}", bin));
  expect_one_line_error(r, 1,
                        fmt::format("{0}: an ONNX model, not a checkpoint (written by cnnzoo train); run it with "
                                    "`cnnzoo run {0}`",
                                    bin));
  r = run_cli(fmt::format("predict --checkpoint {} {}", x, x));
  expect_one_line_error(r, 1, fmt::format("{}: not a checkpoint (written by cnnzoo train): ", x));
  // A file that is neither is still not taken for a model.
  r = run_cli(fmt::format("summary {}", x));
  expect_one_line_error(r, 1, fmt::format("unknown model '{}'", x));
}

}  // namespace
}  // namespace cnnzoo
