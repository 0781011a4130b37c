#include <gtest/gtest.h>

#include "cnnzoo/error.h"
#include "cnnzoo/tensor.h"

namespace cnnzoo {
namespace {

TEST(Tensor, ZeroFilledAlignedAndDeepCopied) {
  Tensor t({2, 3, 4});
  EXPECT_EQ(t.numel(), 24);
  EXPECT_EQ(t.nbytes(), 96);
  EXPECT_EQ(reinterpret_cast<std::uintptr_t>(t.bytes()) % 64, 0u);
  for (float v : t.f32()) EXPECT_EQ(v, 0.0f);
  t.f32()[5] = 2.5f;
  Tensor copy = t;
  copy.f32()[5] = -1.0f;
  EXPECT_EQ(t.f32()[5], 2.5f);
  EXPECT_THROW(t.i64(), Error);
}

TEST(Tensor, FromValuesAndReshape) {
  const float values[] = {1, 2, 3, 4, 5, 6};
  const Tensor t({2, 3}, values);
  const Tensor r = t.reshaped({3, 2});
  EXPECT_EQ(r.shape(), (Dims{3, 2}));
  EXPECT_EQ(r.f32()[4], 5.0f);
  EXPECT_THROW(t.reshaped({4, 2}), ShapeError);
  EXPECT_THROW(Tensor({4}, values), ShapeError);
  const Tensor scalar(Dims{}, DType::I64);
  EXPECT_EQ(scalar.numel(), 1);
  EXPECT_EQ(scalar.i64()[0], 0);
}

}  // namespace
}  // namespace cnnzoo
