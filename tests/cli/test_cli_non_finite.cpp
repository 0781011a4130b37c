// `run` warns on stderr, once per output, when an output holds NaN or infinity (issue 12).
#include <fmt/format.h>
#include <gtest/gtest.h>

#include <limits>

#include "cli/run_cli.h"
#include "cli/run_fixtures.h"
#include "cnnzoo/io.h"

namespace cnnzoo {
namespace {

TEST(CliNonFinite, RunWarnsWhenLogitsHoldNaNOrInf) {
  const std::string dir = test::fresh_path("cnnzoo_non_finite_", "d");
  std::filesystem::create_directories(dir);
  const test::TinyCheckpoint f(dir + "/tiny.ckpt");
  // A NaN and an infinite bias make one logit of every sample NaN and another infinite.
  Checkpoint c = load_checkpoint(f.path);
  c.model.at("fc.bias").f32()[3] = std::numeric_limits<float>::quiet_NaN();
  c.model.at("fc.bias").f32()[5] = -std::numeric_limits<float>::infinity();
  save_checkpoint(f.path, c);
  write_npy(dir + "/x.npy", test_uniform("x", {2, 1, 28, 28}, 1, -1, 1));

  const auto r = test::run_cli(fmt::format("run --checkpoint {0}/tiny.ckpt --input {0}/x.npy --output {0}/y.npy", dir));
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.err, "cnnzoo: warning: the output of fc holds 2 NaN and 2 Inf values (first at [0, 3])\n");

  // The clean checkpoint: no warning.
  const test::TinyCheckpoint clean(dir + "/clean.ckpt");
  const auto quiet =
      test::run_cli(fmt::format("run --checkpoint {0}/clean.ckpt --input {0}/x.npy --output {0}/y.npy", dir));
  ASSERT_EQ(quiet.exit_code, 0) << quiet.err;
  EXPECT_EQ(quiet.err, "");
}

// An input that is not finite is named, and that its batch runs on the (slower) reference interpreter.
TEST(CliNonFinite, RunWarnsWhenAnInputHoldsNaNOrInf) {
  const std::string dir = test::fresh_path("cnnzoo_non_finite_", "d");
  std::filesystem::create_directories(dir);
  const test::TinyCheckpoint f(dir + "/tiny.ckpt");
  Tensor x = test_uniform("x", {2, 1, 28, 28}, 1, -1, 1);
  x.f32()[28 * 28 + 5 * 28 + 7] = std::numeric_limits<float>::quiet_NaN();  // sample 1, row 5, column 7
  x.f32()[28 * 28 + 6 * 28] = std::numeric_limits<float>::infinity();
  write_npy(dir + "/x.npy", x);
  const auto r = test::run_cli(fmt::format("run --checkpoint {0}/tiny.ckpt {0}/x.npy --format json", dir));
  ASSERT_EQ(r.exit_code, 0) << r.err;
  // The NaN reaches the logits of its sample; the output is named too.
  EXPECT_EQ(r.err, fmt::format("cnnzoo: warning: the input {}/x.npy[1] holds 1 NaN and 1 Inf values (first at [0, 5, "
                               "7]); its batch runs on the reference interpreter, which carries NaN and Inf through "
                               "as PyTorch does (slower)\n"
                               "cnnzoo: warning: the output of fc holds 10 NaN and 0 Inf values (first at [1, 0])\n",
                               dir));
}

}  // namespace
}  // namespace cnnzoo
