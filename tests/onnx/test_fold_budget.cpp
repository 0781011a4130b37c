// The folded-constant budget of the ONNX import (issue 12): a constant the import computes (Gather,
// Concat, Add of constants) is measured before it is computed and refused above
// OnnxImportOptions::budgets.folded_bytes, naming the node, the size, the budget and its flag.
#include <fmt/format.h>
#include <gtest/gtest.h>
#include <onnx/onnx_pb.h>

#include <string>

#include "cnnzoo/error.h"
#include "cnnzoo/onnx.h"
#include "support/fold_models.h"

namespace cnnzoo {
namespace {

std::string import_error(const onnx::ModelProto& m, int64_t folded_bytes) {
  OnnxImportOptions options;
  options.budgets.folded_bytes = folded_bytes;
  try {
    import_onnx_bytes(m.SerializeAsString(), "bomb.onnx", options);
  } catch (const Error& e) {
    return e.what();
  }
  return "(no error)";
}

TEST(OnnxFoldBudget, GatherOfAFourMegabyteWeightIsRefusedBeforeItIsComputed) {
  // 1 x 1,048,576 floats (4 MiB) gathered 512 times: 2 GiB, twice the default budget of 1024 MiB.
  const onnx::ModelProto m = test::gather_bomb_model(1 << 20, 512);
  EXPECT_LT(m.ByteSizeLong(), 4'300'000u);
  EXPECT_EQ(import_error(m, DecodeBudgets{}.folded_bytes),
            "bomb.onnx: node 'repeat_rows' (Gather): folding it at import makes a constant of 512x1048576 = "
            "536,870,912 elements of 4 bytes = 2,147,483,648 bytes (2.0 GiB), more than the budget of 1024 MiB; "
            "DecodeBudgets::folded_bytes raises it");
}

TEST(OnnxFoldBudget, AConstantOfExactlyTheBudgetIsFolded) {
  // 3 x 262,144 floats = 3 MiB.
  const onnx::ModelProto m = test::gather_bomb_model(1 << 18, 3);
  EXPECT_EQ(import_error(m, 3 * kMiB - 1),
            "bomb.onnx: node 'repeat_rows' (Gather): folding it at import makes a constant of 3x262144 = 786,432 "
            "elements of 4 bytes = 3,145,728 bytes (3.0 MiB), more than the budget of 3145727 bytes; "
            "DecodeBudgets::folded_bytes raises it");
  OnnxImportOptions options;
  options.budgets.folded_bytes = 3 * kMiB;
  const OnnxModel model = import_onnx_bytes(m.SerializeAsString(), "bomb.onnx", options);
  const Graph& g = model.graph;
  EXPECT_EQ(g.shape(g.outputs().at(0)), (Dims{3, 1 << 18}));
}

TEST(OnnxFoldBudget, ConcatAndAddOfConstantsAreMeasuredToo) {
  // Concat of one 1 x 1024 constant with itself 100 times along axis 0: 100 x 1024 floats = 409,600 bytes.
  const onnx::ModelProto concat =
      test::fold_model({{"w", {1, 1024}}}, "repeat_rows", "Concat", std::vector<std::string>(100, "w"), 0);
  EXPECT_EQ(import_error(concat, 409'599),
            "bomb.onnx: node 'repeat_rows' (Concat): folding it at import makes a constant of 100x1024 = 102,400 "
            "elements of 4 bytes = 409,600 bytes (400.0 KiB), more than the budget of 409599 bytes; "
            "DecodeBudgets::folded_bytes raises it");
  EXPECT_EQ(import_error(concat, 409'600), "(no error)");

  // Add of a 1 x 1024 and a 1000 x 1 constant broadcasts to 1000 x 1024, computed in float64: 8,192,000 bytes.
  const onnx::ModelProto add =
      test::fold_model({{"w", {1, 1024}}, {"column", {1000, 1}}}, "repeat_rows", "Add", {"w", "column"});
  EXPECT_EQ(import_error(add, 8'191'999),
            "bomb.onnx: node 'repeat_rows' (Add): folding it at import makes a constant of 1000x1024 = 1,024,000 "
            "elements of 8 bytes = 8,192,000 bytes (7.8 MiB), more than the budget of 8191999 bytes; "
            "DecodeBudgets::folded_bytes raises it");
  EXPECT_EQ(import_error(add, 8'192'000), "(no error)");
}

}  // namespace
}  // namespace cnnzoo
