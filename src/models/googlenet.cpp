// GoogLeNet (Szegedy et al., "Going Deeper with Convolutions", 2014) as torchvision builds it and as the
// paper published it. One table row per inception block drives both.
//
// torchvision 0.14 differs from the paper in four ways: every convolution is a BasicConv2d (conv without
// bias, BatchNorm with eps 0.001, ReLU); branch3 uses a 3x3 convolution where the paper has a 5x5 (a known
// slip kept for its pretrained weights); there is no LRN; maxpool4 is 2x2/2, the heads pool adaptively and
// the main dropout is 0.2 rather than 0.4.
#include <fmt/format.h>

#include <algorithm>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "cnnzoo/builder.h"
#include "models/common.h"
#include "models/families.h"

namespace cnnzoo::models {
namespace {

// Caffe's bvlc_googlenet LRN (local_size 5, alpha 1e-4, beta 0.75, k 1). Caffe divides alpha by the size,
// as our attribute does, so the figures carry over unchanged. The paper itself gives no LRN constants.
constexpr attr::Lrn kGoogLeNetLrn{.size = 5, .alpha = 1e-4, .beta = 0.75, .k = 1.0};

struct InceptionRow {
  const char* name;
  int64_t in, ch1x1, ch3x3red, ch3x3, ch5x5red, ch5x5, pool_proj;
  const char* pool_after;  ///< the max pool that follows the block, if any
  const char* aux;         ///< the auxiliary classifier fed by the block, if any
};

// The paper's table 1; `in` is the channels the block expects, checked by its first convolutions.
constexpr InceptionRow kInception[] = {
    {"inception3a", 192, 64, 96, 128, 16, 32, 32, nullptr, nullptr},
    {"inception3b", 256, 128, 128, 192, 32, 96, 64, "maxpool3", nullptr},
    {"inception4a", 480, 192, 96, 208, 16, 48, 64, nullptr, "aux1"},
    {"inception4b", 512, 160, 112, 224, 24, 64, 64, nullptr, nullptr},
    {"inception4c", 512, 128, 128, 256, 24, 64, 64, nullptr, nullptr},
    {"inception4d", 512, 112, 144, 288, 32, 64, 64, nullptr, "aux2"},
    {"inception4e", 528, 256, 160, 320, 32, 128, 128, "maxpool4", nullptr},
    {"inception5a", 832, 256, 160, 320, 32, 128, 128, nullptr, nullptr},
    {"inception5b", 832, 384, 192, 384, 48, 128, 128, nullptr, nullptr},
};

struct Plan {
  bool batch_norm;         ///< torchvision's BasicConv2d; otherwise the paper's conv with bias + ReLU
  bool lrn;                ///< the paper's two LRNs (after maxpool1 and after conv3)
  int64_t branch3_kernel;  ///< 3 in torchvision, 5 in the paper
  attr::Pool maxpool4;     ///< 2x2/2 in torchvision, 3x3/2 in the paper; both take 14 to 7 in ceil mode
  bool fixed_pools;        ///< the paper's avgpool 7x7/1 and aux 5x5/3 (at 224); torchvision pools adaptively
  double dropout;
};

constexpr Plan kTorchvision{.batch_norm = true,
                            .lrn = false,
                            .branch3_kernel = 3,
                            .maxpool4 = {.kernel = 2, .stride = 2, .ceil_mode = true},
                            .fixed_pools = false,
                            .dropout = 0.2};
constexpr Plan kPaper{.batch_norm = false,
                      .lrn = true,
                      .branch3_kernel = 5,
                      .maxpool4 = {.kernel = 3, .stride = 2, .ceil_mode = true},
                      .fixed_pools = true,
                      .dropout = 0.4};

// One convolution with its ReLU: torchvision's BasicConv2d, whose modules are `name.conv` and `name.bn`,
// or the paper's biased convolution named `name` itself.
ValueId conv_unit(Builder& b, ValueId x, const std::string& name, attr::Conv a, const Plan& p) {
  if (!p.batch_norm) return b.relu(b.conv(x, name, a), name + ".relu");
  return basic_conv2d(b, x, name, a);
}

ValueId inception(Builder& b, ValueId x, const InceptionRow& r, const Plan& p) {
  const std::string n = r.name;
  const ValueId b1 = conv_unit(b, x, n + ".branch1", {.out = r.ch1x1, .in = r.in}, p);
  ValueId b2 = conv_unit(b, x, n + ".branch2.0", {.out = r.ch3x3red, .in = r.in}, p);
  b2 = conv_unit(b, b2, n + ".branch2.1", {.out = r.ch3x3, .kernel = 3, .pad = 1}, p);
  ValueId b3 = conv_unit(b, x, n + ".branch3.0", {.out = r.ch5x5red, .in = r.in}, p);
  const int64_t k3 = p.branch3_kernel;
  b3 = conv_unit(b, b3, n + ".branch3.1", {.out = r.ch5x5, .kernel = k3, .pad = k3 / 2}, p);
  ValueId b4 = b.max_pool(x, n + ".branch4.0", {.kernel = 3, .stride = 1, .pad = 1, .ceil_mode = true});
  b4 = conv_unit(b, b4, n + ".branch4.1", {.out = r.pool_proj, .in = r.in}, p);
  return b.concat({b1, b2, b3, b4}, n + ".cat");
}

// The paper's fixed average pool of `kernel`, narrowed to the map where the map is smaller (inputs below 224):
// the window then covers the whole map, as the paper's windows cover theirs at 224.
ValueId fixed_avg_pool(Builder& b, ValueId x, const std::string& name, int64_t kernel, int64_t stride) {
  const Dims& map = b.shape(x);
  return b.avg_pool(x, name, {.kernel = Hw(std::min(kernel, map[2]), std::min(kernel, map[3])), .stride = stride});
}

// Pool to 4x4 (x 512 or 528), 1x1 conv to 128, fc 2048 -> 1024 + ReLU, dropout 0.7, fc to the classes.
ValueId aux_head(Builder& b, ValueId x, const std::string& name, const Plan& p, int64_t num_classes) {
  x = p.fixed_pools ? fixed_avg_pool(b, x, name + ".avgpool", 5, 3) : b.adaptive_avg_pool(x, name + ".avgpool", 4);
  x = b.flatten(conv_unit(b, x, name + ".conv", {.out = 128}, p), name + ".flatten");
  x = b.relu(b.linear(x, name + ".fc1", {.out = 1024}), name + ".relu");
  x = b.dropout(x, name + ".dropout", 0.7);
  return b.linear(x, name + ".fc2", {.out = num_classes});
}

Graph googlenet(const ModelConfig& config, const Plan& p) {
  Builder b(config.name, config.input_shape());
  const attr::Pool pool{.kernel = 3, .stride = 2, .ceil_mode = true};
  ValueId x = config.transform_input ? transform_input(b, b.input(), config.name) : b.input();
  x = conv_unit(b, x, "conv1", {.out = 64, .kernel = 7, .stride = 2, .pad = 3}, p);
  x = b.max_pool(x, "maxpool1", pool);
  if (p.lrn) x = b.lrn(x, "lrn1", kGoogLeNetLrn);
  x = conv_unit(b, x, "conv2", {.out = 64}, p);
  x = conv_unit(b, x, "conv3", {.out = 192, .kernel = 3, .pad = 1}, p);
  if (p.lrn) x = b.lrn(x, "lrn2", kGoogLeNetLrn);
  x = b.max_pool(x, "maxpool2", pool);

  std::vector<std::pair<std::string, ValueId>> aux_inputs;
  for (const InceptionRow& r : kInception) {
    x = inception(b, x, r, p);
    if (r.aux != nullptr && config.aux_logits) aux_inputs.emplace_back(r.aux, x);
    if (r.pool_after == nullptr) continue;
    x = b.max_pool(x, r.pool_after, std::string_view(r.pool_after) == "maxpool4" ? p.maxpool4 : pool);
  }

  // The aux heads are added here, after inception5b, although they read inception4a and 4d: torchvision
  // registers them there, so the graph's parameters come out in exactly its state_dict order.
  std::vector<ValueId> aux_logits;
  for (const auto& [name, input] : aux_inputs) aux_logits.push_back(aux_head(b, input, name, p, config.num_classes));

  x = p.fixed_pools ? fixed_avg_pool(b, x, "avgpool", 7, 1) : b.adaptive_avg_pool(x, "avgpool", 1);
  x = b.dropout(b.flatten(x, "flatten"), "dropout", p.dropout);
  b.output(b.linear(x, "fc", {.out = config.num_classes}));
  // torchvision returns GoogLeNetOutputs(logits, aux_logits2, aux_logits1): the main output, then aux2, aux1.
  for (auto it = aux_logits.rbegin(); it != aux_logits.rend(); ++it) b.output(*it);
  return b.finish();
}

// The paper's section 5: "their loss gets added to the total loss of the network with a discount weight (the
// losses of the auxiliary classifiers were weighted by 0.3)".
constexpr double kAuxLossWeight = 0.3;

}  // namespace

void add_googlenet_family(std::vector<ModelInfo>& out) {
  out.push_back({"googlenet", "googlenet",
                 "GoogLeNet as torchvision: BN after every conv, 3x3 in the '5x5' branch; --aux-logits adds aux1/aux2",
                 kImageNetInput, 1000, true, kTakesAuxLogits | kTakesTransformInput,
                 [](const ModelConfig& config) { return googlenet(config, kTorchvision); }, kAuxLossWeight});
  out.push_back({"googlenet_paper", "googlenet",
                 "GoogLeNet as Szegedy et al. 2014: no BN, LRN, true 5x5 branch, dropout 0.4; --aux-logits",
                 kImageNetInput, 1000, false, kTakesAuxLogits,
                 [](const ModelConfig& config) { return googlenet(config, kPaper); }, kAuxLossWeight});
}

}  // namespace cnnzoo::models
