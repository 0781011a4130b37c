// VGG (Simonyan and Zisserman, 2014) as torchvision builds it: every convolution 3x3/1 pad 1, every
// pool 2x2/2, channels doubling after each pool; configurations A, B, D, E with and without BN.
#include <fmt/format.h>

#include <vector>

#include "cnnzoo/builder.h"
#include "models/common.h"
#include "models/families.h"

namespace cnnzoo::models {
namespace {

constexpr int64_t M = 0;  // a max pool in a configuration table

const std::vector<int64_t> kConfigA{64, M, 128, M, 256, 256, M, 512, 512, M, 512, 512, M};
const std::vector<int64_t> kConfigB{64, 64, M, 128, 128, M, 256, 256, M, 512, 512, M, 512, 512, M};
const std::vector<int64_t> kConfigD{64, 64, M, 128, 128, M, 256, 256, 256, M, 512, 512, 512, M, 512, 512, 512, M};
const std::vector<int64_t> kConfigE{64,  64,  M,   128, 128, M,   256, 256, 256, 256, M,
                                    512, 512, 512, 512, M,   512, 512, 512, 512, M};

Graph vgg(const ModelConfig& config, const std::vector<int64_t>& layers, bool batch_norm) {
  Builder b(config.name, config.input_shape());
  Sequential seq("features");
  ValueId x = b.input();
  for (int64_t channels : layers) {
    if (channels == M) {
      x = b.max_pool(x, seq.next(), {.kernel = 2, .stride = 2});
      continue;
    }
    x = b.conv(x, seq.next(), {.out = channels, .kernel = 3, .pad = 1});
    if (batch_norm) x = b.batch_norm(x, seq.next());
    x = b.relu(x, seq.next());
  }
  x = b.flatten(b.adaptive_avg_pool(x, "avgpool", 7), "flatten");
  Sequential head("classifier");
  for (int i = 0; i < 2; ++i) {
    x = b.linear(x, head.next(), {.out = 4096});
    x = b.relu(x, head.next());
    x = b.dropout(x, head.next(), 0.5);
  }
  b.output(b.linear(x, head.next(), {.out = config.num_classes}));
  return b.finish();
}

}  // namespace

void add_vgg_family(std::vector<ModelInfo>& out) {
  struct Variant {
    const char* depth;
    const std::vector<int64_t>* layers;  /// the paper's configuration A, B, D or E
  };
  const Variant variants[] = {{"11", &kConfigA}, {"13", &kConfigB}, {"16", &kConfigD}, {"19", &kConfigE}};
  for (const Variant& v : variants) {
    for (bool bn : {false, true}) {
      const auto* layers = v.layers;
      out.push_back(
          {fmt::format("vgg{}{}", v.depth, bn ? "_bn" : ""), "vgg",
           fmt::format("VGG-{}{} as torchvision (Simonyan & Zisserman 2014)", v.depth, bn ? " with batch norm" : ""),
           kImageNetInput, 1000, true, bn ? kTakesNoBn : 0u,
           [layers, bn, plain = fmt::format("vgg{}", v.depth)](const ModelConfig& config) {
             // vgg16_bn without its batch norms is vgg16, under that name.
             return config.no_bn ? vgg(named(config, plain), *layers, false) : vgg(config, *layers, bn);
           }});
    }
  }
}

}  // namespace cnnzoo::models
