// Decompression bombs (issue 12): a 3 MB gzip named .png, a PNG and a JPEG that declare 16384 x 16384
// pixels, a gzipped IDX file of zeros and an ONNX Gather that folds a 4 MB weight into 2 GiB. Each is
// refused with one line naming the file or node, the size, the budget and the flag that raises it, and
// the process's peak memory (its own getrusage, from wait4) stays far below what decoding would take.
// Raising a flag lets a large, legitimate input through.
#include <fmt/format.h>
#include <gtest/gtest.h>
#include <sys/wait.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "cli/run_cli.h"
#include "cli/run_fixtures.h"
#include "cli/spawn_cli.h"
#include "cnnzoo/data.h"
#include "cnnzoo/io.h"
#include "data_sets/helpers.h"
#include "support/bombs.h"
#include "support/fold_models.h"

namespace cnnzoo {
namespace {

namespace fs = std::filesystem;
using test::run_cli;

// Far below every bomb decoded (768 MiB for 16384 x 16384 RGB, 2 GiB for the fold, 2.9 GiB inflated), far
// above the 20 to 30 MiB a refusing process takes (more under AddressSanitizer).
constexpr long kMostPeakMiB = 256;

std::string temp(const std::string& name) { return test::fresh_path("cnnzoo_budgets_", name); }

struct MeasuredRun {
  int exit_code = -1;
  std::string err;
  long peak_mib = 0;  ///< the process's peak resident memory (ru_maxrss)
};

// `cnnzoo ARGS` (split at spaces) as its own process, its stdout dropped, with its own peak memory.
MeasuredRun run_measured(const std::string& args) {
  const std::string err_file = temp("stderr.txt");
  test::SpawnedCli run(args, "/dev/null", err_file);
  const int status = run.wait();
  return {.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status),
          .err = test::slurp(err_file),
          .peak_mib = run.peak_mib()};
}

void write_file(const std::string& path, const std::vector<uint8_t>& bytes) {
  std::ofstream(path, std::ios::binary)
      .write(reinterpret_cast<const char*>(bytes.data()), static_cast<std::streamsize>(bytes.size()));
}

std::vector<uint8_t> fixture(const std::string& name) {
  return testing::read_bytes(fs::path(CNNZOO_TEST_DATA) / "datasets" / "folder" / name);
}

TEST(CliBudgets, AGzipNamedPngIsRefusedWithoutInflatingIt) {
  const test::TinyCheckpoint ckpt(temp("tiny.safetensors"));
  const std::string bomb = temp("bomb.png");
  write_file(bomb, test::gzip_of_zeros(47));
  ASSERT_GT(fs::file_size(bomb), 3'000'000u);  // inflates to 47 x 64 MiB = 2.9 GiB
  const MeasuredRun r = run_measured(fmt::format("predict --checkpoint {} {}", ckpt.path, bomb));
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_EQ(r.err, fmt::format("cnnzoo: error: {}: is a gzip stream, not a PNG or JPEG image; images are told by "
                               "their content and never inflated (gunzip it first if it holds one)\n",
                               bomb));
  EXPECT_LT(r.peak_mib, kMostPeakMiB);
}

TEST(CliBudgets, APngAndAJpegDeclaring16kBy16kAreRefusedBeforeDecoding) {
  const test::TinyCheckpoint ckpt(temp("tiny.safetensors"));
  const std::string png = temp("bomb.png");
  const std::string jpeg = temp("bomb.jpg");
  write_file(png, test::png_declaring(fixture("blue/gray.png"), 16384, 16384));
  write_file(jpeg, test::jpeg_declaring(fixture("blue/solid.jpg"), 16384, 16384));
  for (const auto& [path, format] : {std::pair{png, "PNG"}, std::pair{jpeg, "JPEG"}}) {
    const MeasuredRun r = run_measured(fmt::format("predict --checkpoint {} {}", ckpt.path, path));
    EXPECT_EQ(r.exit_code, 1);
    EXPECT_EQ(r.err, fmt::format("cnnzoo: error: {}: the {} header declares 16384 x 16384 = 268,435,456 pixels, more "
                                 "than the budget of 89,478,485 pixels; --max-image-pixels raises it\n",
                                 path, format));
    EXPECT_LT(r.peak_mib, kMostPeakMiB) << format;
  }
  // Its pixels allowed, the PNG meets the byte budget: 768 MiB of RGB, refused before it is allocated.
  const MeasuredRun r = run_measured(
      fmt::format("predict --checkpoint {} {} --max-image-pixels 268435456 --max-image-mib 767", ckpt.path, png));
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_EQ(r.err, fmt::format("cnnzoo: error: {}: decoding this 16384 x 16384 PNG takes 805,306,368 bytes (768.0 "
                               "MiB), more than the budget of 767 MiB; --max-image-mib raises it\n",
                               png));
  EXPECT_LT(r.peak_mib, kMostPeakMiB);
}

TEST(CliBudgets, RaisingTheImageFlagsLetsALargerImageThrough) {
  const test::TinyCheckpoint ckpt(temp("tiny.safetensors"));
  const std::string image = temp("large.png");  // 1024 x 1024: 1,048,576 pixels, 3 MiB decoded as RGB
  write_png(image, test::pattern_image(1, 1024, 1024, 3));
  const std::string predict = fmt::format("predict --checkpoint {} {} --top 1", ckpt.path, image);
  const auto fewer_pixels = run_cli(predict + " --max-image-pixels 1048575");
  EXPECT_EQ(fewer_pixels.exit_code, 1);
  EXPECT_EQ(fewer_pixels.err, fmt::format("cnnzoo: error: {}: the PNG header declares 1024 x 1024 = 1,048,576 pixels, "
                                          "more than the budget of 1,048,575 pixels; --max-image-pixels raises it\n",
                                          image));
  const auto fewer_bytes = run_cli(predict + " --max-image-mib 2");
  EXPECT_EQ(fewer_bytes.exit_code, 1);
  EXPECT_EQ(fewer_bytes.err, fmt::format("cnnzoo: error: {}: decoding this 1024 x 1024 PNG takes 3,145,728 bytes (3.0 "
                                         "MiB), more than the budget of 2 MiB; --max-image-mib raises it\n",
                                         image));
  const auto allowed = run_cli(predict + " --max-image-pixels 1048576 --max-image-mib 3");
  EXPECT_EQ(allowed.exit_code, 0) << allowed.err;
  EXPECT_EQ(allowed.out, run_cli(predict).out);  // the defaults allow it too
  EXPECT_NE(allowed.out.find(image), std::string::npos) << allowed.out;
}

// An IDX set in `dir` whose test images are `images` (gzipped as they are) and 2,000 labels.
void write_idx_set(const fs::path& dir, const std::vector<uint8_t>& images) {
  fs::create_directories(dir);
  write_file((dir / "t10k-images-idx3-ubyte.gz").string(), images);
  testing::write_gzip(dir / "t10k-labels-idx1-ubyte.gz", testing::idx_bytes({2000}, std::vector<uint8_t>(2000, 3)));
}

std::vector<uint8_t> gzipped(const std::vector<uint8_t>& bytes) {
  const std::string path = temp("gzipped.gz");
  testing::write_gzip(path, bytes);
  return testing::read_bytes(path);
}

TEST(CliBudgets, AGzippedDataFileStopsInflatingAtItsBudget) {
  const std::string bombed = temp("bombed");
  write_idx_set(bombed, test::gzip_of_zeros(47));
  const std::string bomb = bombed + "/t10k-images-idx3-ubyte.gz";
  const MeasuredRun r =
      run_measured(fmt::format("samples --data mnist:{} --out {} --max-gunzip-mib 64", bombed, temp("out")));
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_EQ(r.err, fmt::format("cnnzoo: error: {}: the gzip stream inflates to more than the budget of 64 MiB; "
                               "--max-gunzip-mib raises it\n",
                               bomb));
  EXPECT_LT(r.peak_mib, kMostPeakMiB);

  // 2,000 images of 28 x 28 and a 16-byte header: 1,568,016 bytes, more than 1 MiB.
  const std::string real = temp("real");
  write_idx_set(real, gzipped(testing::idx_bytes({2000, 28, 28}, std::vector<uint8_t>(2000 * 28 * 28, 9))));
  const std::string out = temp("samples");
  const std::string samples = fmt::format("samples --data mnist:{} --count 1 --out {}", real, out);
  const auto small = run_cli(samples + " --max-gunzip-mib 1");
  EXPECT_EQ(small.exit_code, 1);
  EXPECT_EQ(small.err, fmt::format("cnnzoo: error: {}: the gzip stream declares 1568016 bytes in its header, more "
                                   "than the budget of 1 MiB; --max-gunzip-mib raises it\n",
                                   real + "/t10k-images-idx3-ubyte.gz"));
  const auto allowed = run_cli(samples + " --max-gunzip-mib 2");
  EXPECT_EQ(allowed.exit_code, 0) << allowed.err;
  EXPECT_EQ(allowed.out, fmt::format("{}/test_00000_3.png\n", out));
  EXPECT_TRUE(fs::exists(out + "/test_00000_3.png"));
}

TEST(CliBudgets, AnOnnxGatherFoldedPastItsBudgetIsRefusedNamingTheNode) {
  // A 4 MiB weight gathered 512 times: 2 GiB once folded.
  const std::string bomb = temp("bomb.onnx");
  std::ofstream(bomb, std::ios::binary) << test::gather_bomb_model(1 << 20, 512).SerializeAsString();
  ASSERT_LT(fs::file_size(bomb), 4'300'000u);
  const std::string x = temp("x.npy");
  write_npy(x, Tensor(Dims{1, 1}, std::vector<float>{1.0f}));
  const std::string refusal = fmt::format(
      "cnnzoo: error: {}: node 'repeat_rows' (Gather): folding it at import makes a constant of 512x1048576 = "
      "536,870,912 elements of 4 bytes = 2,147,483,648 bytes (2.0 GiB), more than the budget of 1024 MiB; "
      "--max-folded-mib raises it\n",
      bomb);
  for (const std::string& command : {fmt::format("summary {}", bomb), fmt::format("run {} {}", bomb, x)}) {
    const MeasuredRun r = run_measured(command);
    EXPECT_EQ(r.exit_code, 1) << command;
    EXPECT_EQ(r.err, refusal) << command;
    EXPECT_LT(r.peak_mib, kMostPeakMiB) << command;
  }

  // 3 x 262,144 floats: 3 MiB.
  const std::string model = temp("three_mib.onnx");
  std::ofstream(model, std::ios::binary) << test::gather_bomb_model(1 << 18, 3).SerializeAsString();
  const std::string y = temp("y.npy");
  const std::string run = fmt::format("run {} {} --top 1 --output {}", model, x, y);
  const auto small = run_cli(run + " --max-folded-mib 2");
  EXPECT_EQ(small.exit_code, 1);
  EXPECT_EQ(small.err, fmt::format("cnnzoo: error: {}: node 'repeat_rows' (Gather): folding it at import makes a "
                                   "constant of 3x262144 = 786,432 elements of 4 bytes = 3,145,728 bytes (3.0 MiB), "
                                   "more than the budget of 2 MiB; --max-folded-mib raises it\n",
                                   model));
  const auto allowed = run_cli(run + " --max-folded-mib 3");
  ASSERT_EQ(allowed.exit_code, 0) << allowed.err;
  const Tensor sum = read_npy(y);  // x + the folded zeros
  EXPECT_EQ(sum.shape(), (Dims{3, 1 << 18}));
  EXPECT_EQ(std::count(sum.f32().begin(), sum.f32().end(), 1.0f), 3 << 18);
  // The analysis of a graph that reads the folded constant (a node without inputs: it crashed summary once).
  const auto summary = run_cli(fmt::format("summary {} --max-folded-mib 3 --format csv", model));
  ASSERT_EQ(summary.exit_code, 0) << summary.err;
  EXPECT_NE(summary.out.find("\ny.const1,constant,constant,262144,,3x262144,0,786432,0,0,3145728,1,,0\n"),
            std::string::npos)
      << summary.out;
}

TEST(CliBudgets, EachCommandTakesTheFlagsOfTheReadersItUses) {
  const std::vector<std::string> flags{"--max-image-pixels", "--max-image-mib", "--max-gunzip-mib", "--max-folded-mib"};
  const std::vector<std::pair<std::string, std::vector<bool>>> commands{
      {"run", {true, true, false, true}},      {"predict", {true, true, false, true}},
      {"eval", {true, true, true, false}},     {"train", {true, true, true, false}},
      {"samples", {true, true, true, false}},  {"summary", {false, false, false, true}},
      {"export", {false, false, false, false}}};
  for (const auto& [command, takes] : commands) {
    const auto help = run_cli(command + " --help");
    ASSERT_EQ(help.exit_code, 0) << command;
    for (std::size_t i = 0; i < flags.size(); ++i) {
      EXPECT_EQ(help.out.find(flags[i]) != std::string::npos, takes[i]) << command << " " << flags[i];
    }
  }
  const auto zero = run_cli("summary resnet20 --max-folded-mib 0");
  EXPECT_EQ(zero.exit_code, 2);
  EXPECT_EQ(zero.err,
            "cnnzoo: error: --max-folded-mib: must lie in [1, 1048576], got 0 (see `cnnzoo summary --help`)\n");
  const auto huge = run_cli("train --out x --max-image-pixels 1000000000001");
  EXPECT_EQ(huge.exit_code, 2);
  EXPECT_EQ(huge.err,
            "cnnzoo: error: --max-image-pixels: must lie in [1, 1000000000000], got 1000000000001 (see `cnnzoo train "
            "--help`)\n");
}

}  // namespace
}  // namespace cnnzoo
