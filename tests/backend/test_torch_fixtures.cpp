// The reference kernels against PyTorch: fixtures written by scripts/make_reference_fixtures.py
// (tests/data/ref/), compared in float32 within 1e-5 (relative above magnitude 1).
#include <fstream>

#include <nlohmann/json.hpp>

#include "ref_helpers.h"

namespace cnnzoo::test {
namespace {

using nlohmann::json;

json load(const std::string& name) {
  const std::string path = std::string(CNNZOO_TEST_DATA) + "/ref/" + name + ".json";
  std::ifstream in(path);
  if (!in) throw std::runtime_error("missing fixture " + path + " (run scripts/make_reference_fixtures.py)");
  return json::parse(in);
}

Buf<float> buf(const json& j) {
  return Buf<float>(j.at("shape").get<Dims>(), j.at("values").get<std::vector<float>>());
}

void expect_close(const std::string& what, const std::vector<float>& got, const json& want) {
  SCOPED_TRACE(what);
  const auto values = want.at("values").get<std::vector<double>>();
  ASSERT_EQ(got.size(), values.size());
  for (std::size_t i = 0; i < got.size(); ++i) {
    ASSERT_NEAR(got[i], values[i], 1e-5 * std::max(1.0, std::abs(values[i]))) << what << " element " << i;
  }
}

TEST(RefTorch, AvgPoolCeilModePadding) {
  for (const char* name : {"avgpool_ceil_pad1_include0", "avgpool_ceil_pad1_include1"}) {
    const json f = load(name);
    const attr::Pool a{.kernel = 3,
                       .stride = 2,
                       .pad = 1,
                       .ceil_mode = true,
                       .count_include_pad = f["attrs"]["count_include_pad"].get<bool>()};
    const Buf<float> x = buf(f["inputs"]["x"]), dy = buf(f["dy"]);
    Buf<float> y(dy.shape), dx(x.shape);
    ref::avg_pool2d_forward<float>(a, x.in(), y.out());
    ref::avg_pool2d_backward<float>(a, dy.in(), dx.out());
    expect_close(std::string(name) + " y", y.v, f["y"]);
    expect_close(std::string(name) + " dx", dx.v, f["grads"]["x"]);
  }
}

TEST(RefTorch, Elu) {
  const json f = load("elu_alpha0.7");
  const attr::Elu a{.alpha = f["attrs"]["alpha"].get<double>()};
  const Buf<float> x = buf(f["inputs"]["x"]), dy = buf(f["dy"]);
  Buf<float> y(x.shape), dx(x.shape);
  ref::activation_forward<float>(OpKind::Elu, a, x.v, y.v);
  ref::activation_backward<float>(OpKind::Elu, a, y.v, dy.v, dx.v);
  expect_close("elu y", y.v, f["y"]);
  expect_close("elu dx", dx.v, f["grads"]["x"]);
  // Near zero, alpha (exp(x) - 1) keeps its digits (expm1), as PyTorch's does: -1e-7 gives -0.7e-7.
  EXPECT_NEAR(y.v[1], -0.7e-7, 1e-13);
}

TEST(RefTorch, MaxPoolCeilModePadding) {
  const json f = load("maxpool_ceil_pad1");
  const attr::Pool a{.kernel = 3, .stride = 2, .pad = 1, .ceil_mode = true};
  const Buf<float> x = buf(f["inputs"]["x"]), dy = buf(f["dy"]);
  Buf<float> y(dy.shape), dx(x.shape);
  ref::max_pool2d_forward<float>(a, x.in(), y.out());
  ref::max_pool2d_backward<float>(a, x.in(), dy.in(), dx.out());
  expect_close("maxpool y", y.v, f["y"]);
  expect_close("maxpool dx", dx.v, f["grads"]["x"]);
}

TEST(RefTorch, Lrn) {
  for (const char* name : {"lrn_size5", "lrn_size4"}) {
    const json f = load(name);
    const json& at = f["attrs"];
    const attr::Lrn a{.size = at["size"], .alpha = at["alpha"], .beta = at["beta"], .k = at["k"]};
    const Buf<float> x = buf(f["inputs"]["x"]), dy = buf(f["dy"]);
    Buf<float> y(x.shape), dx(x.shape);
    ref::lrn_forward<float>(a, x.in(), y.out());
    ref::lrn_backward<float>(a, x.in(), dy.in(), dx.out());
    expect_close(std::string(name) + " y", y.v, f["y"]);
    expect_close(std::string(name) + " dx", dx.v, f["grads"]["x"]);
  }
}

TEST(RefTorch, AdaptiveAvgPool13To6) {
  const json f = load("adaptive_avgpool_13_to_6");
  const attr::AdaptiveAvgPool a{.output = 6};
  const Buf<float> x = buf(f["inputs"]["x"]), dy = buf(f["dy"]);
  Buf<float> y(dy.shape), dx(x.shape);
  ref::adaptive_avg_pool2d_forward<float>(a, x.in(), y.out());
  ref::adaptive_avg_pool2d_backward<float>(a, dy.in(), dx.out());
  expect_close("adaptive y", y.v, f["y"]);
  expect_close("adaptive dx", dx.v, f["grads"]["x"]);
}

TEST(RefTorch, ConvGroupsDilationStride) {
  const json f = load("conv_groups2_dilation2_stride2");
  const attr::Conv a{.out = 4, .kernel = 3, .stride = 2, .pad = 1, .dilation = 2, .groups = 2};
  const Buf<float> x = buf(f["inputs"]["x"]), w = buf(f["inputs"]["w"]), b = buf(f["inputs"]["b"]), dy = buf(f["dy"]);
  Buf<float> y(dy.shape), dx(x.shape), dw(w.shape), db(b.shape);
  ref::conv2d_forward<float>(a, x.in(), w.in(), b.v, y.out());
  ref::conv2d_backward_data<float>(a, dy.in(), w.in(), dx.out());
  ref::conv2d_backward_weights<float>(a, x.in(), dy.in(), dw.out(), db.v);
  expect_close("conv y", y.v, f["y"]);
  expect_close("conv dx", dx.v, f["grads"]["x"]);
  expect_close("conv dw", dw.v, f["grads"]["w"]);
  expect_close("conv db", db.v, f["grads"]["b"]);
}

TEST(RefTorch, BatchNormTrainStep) {
  const json f = load("batchnorm_train_step");
  const Buf<float> x = buf(f["inputs"]["x"]), gamma = buf(f["inputs"]["gamma"]), beta = buf(f["inputs"]["beta"]);
  const Buf<float> dy = buf(f["dy"]);
  Buf<float> rm = buf(f["running_mean_in"]), rv = buf(f["running_var_in"]), mean({3}), invstd({3});
  Buf<float> y(x.shape), dx(x.shape), dgamma({3}), dbeta({3});
  ref::batch_norm_forward_training<float>({}, x.in(), gamma.v, beta.v, rm.v, rv.v, y.out(), mean.v, invstd.v);
  ref::batch_norm_backward<float>(x.in(), dy.in(), gamma.v, mean.v, invstd.v, dx.out(), dgamma.v, dbeta.v);
  expect_close("bn y", y.v, f["y"]);
  expect_close("bn running_mean", rm.v, f["running_mean_out"]);
  expect_close("bn running_var", rv.v, f["running_var_out"]);
  expect_close("bn dx", dx.v, f["grads"]["x"]);
  expect_close("bn dgamma", dgamma.v, f["grads"]["gamma"]);
  expect_close("bn dbeta", dbeta.v, f["grads"]["beta"]);
}

TEST(RefTorch, CrossEntropyLabelSmoothing) {
  const json f = load("cross_entropy_smooth0.1");
  const Buf<float> z = buf(f["logits"]);
  const auto labels = f["labels"].get<std::vector<int64_t>>();
  Buf<float> dz(z.shape);
  const float loss = ref::softmax_cross_entropy<float>(z.in(), labels, f["label_smoothing"], dz.out());
  EXPECT_NEAR(loss, f["loss"].get<double>(), 1e-5);
  expect_close("dlogits", dz.v, f["dlogits"]);
}

}  // namespace
}  // namespace cnnzoo::test
