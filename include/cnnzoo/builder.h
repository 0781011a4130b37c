// A small front end for writing networks: one call per layer, names as torchvision's module paths.
//
//   Builder b("vgg16", {1, 3, 224, 224});
//   auto x = b.conv(b.input(), "features.0", {.out = 64, .kernel = 3, .pad = 1});
//   x = b.relu(x, "features.1");
//
// Parameterless nodes (ReLU, add, ...) may reuse a name, as torchvision reuses one `relu` module; the
// builder then appends "_1", "_2", ... to keep node names unique. A parameter-bearing name must be unique.
#pragma once

#include <string>
#include <vector>

#include "cnnzoo/graph.h"

namespace cnnzoo {

class Builder {
 public:
  /// Starts a graph named `model` with one input "input" of shape `input` (N, C, H, W).
  Builder(std::string model, Dims input);

  ValueId input() const { return input_; }
  const Dims& shape(ValueId v) const { return graph_.shape(v); }
  /// Channels (dimension 1) of a value.
  int64_t channels(ValueId v) const { return graph_.shape(v).at(1); }

  ValueId conv(ValueId x, const std::string& name, const attr::Conv& a);
  ValueId batch_norm(ValueId x, const std::string& name, const attr::BatchNorm& a = {});
  ValueId relu(ValueId x, const std::string& name);
  ValueId sigmoid(ValueId x, const std::string& name);
  ValueId max_pool(ValueId x, const std::string& name, const attr::Pool& a);
  ValueId avg_pool(ValueId x, const std::string& name, const attr::Pool& a);
  ValueId adaptive_avg_pool(ValueId x, const std::string& name, Hw output);
  ValueId global_avg_pool(ValueId x, const std::string& name);
  ValueId lrn(ValueId x, const std::string& name, const attr::Lrn& a);
  ValueId dropout(ValueId x, const std::string& name, double p);
  ValueId linear(ValueId x, const std::string& name, const attr::Linear& a);
  ValueId flatten(ValueId x, const std::string& name, int64_t axis = 1);
  ValueId concat(const std::vector<ValueId>& xs, const std::string& name, int64_t axis = 1);
  ValueId add(const std::vector<ValueId>& xs, const std::string& name);
  ValueId channel_mul(ValueId x, ValueId scale, const std::string& name);
  ValueId channel_pad(ValueId x, const std::string& name, int64_t before, int64_t after);
  ValueId softmax(ValueId x, const std::string& name, int64_t axis = 1);

  /// Conv, then BatchNorm named `bn_name`, then ReLU named `relu_name` unless it is empty.
  ValueId conv_bn_relu(ValueId x, const std::string& conv_name, const attr::Conv& a, const std::string& bn_name,
                       const std::string& relu_name);

  void output(ValueId v) { graph_.add_output(v); }

  /// Verifies the graph and hands it over; the builder is empty afterwards.
  Graph finish();

  Graph& graph() { return graph_; }

  /// Any op by its kind: its parameters are made by its rule (src/ops/), named NAME.SUFFIX. The methods above
  /// are this with the attributes spelled out.
  ValueId append(OpKind op, const std::string& name, Attrs attrs, std::vector<ValueId> inputs);

 private:
  Graph graph_;
  ValueId input_;
};

}  // namespace cnnzoo
