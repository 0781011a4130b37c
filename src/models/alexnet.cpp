// AlexNet as torchvision builds it, AlexNet as Krizhevsky et al. (2012) published it, and ZFNet
// (Zeiler and Fergus, 2013).
#include "cnnzoo/builder.h"
#include "models/common.h"
#include "models/families.h"

namespace cnnzoo::models {
namespace {

// Krizhevsky's LRN: b = a / (k + alpha * sum a^2)^beta with k = 2, n = 5, alpha = 1e-4, beta = 0.75.
// Our attribute follows PyTorch and divides alpha by the size, so the paper's alpha is 5 x 1e-4 here.
constexpr attr::Lrn kKrizhevskyLrn{.size = 5, .alpha = 5e-4, .beta = 0.75, .k = 2.0};

// fc6, fc7, fc8 with dropout before the first two, as torchvision's classifier.
ValueId classifier(Builder& b, ValueId x, int64_t num_classes) {
  Sequential seq("classifier");
  for (int i = 0; i < 2; ++i) {
    x = b.dropout(x, seq.next(), 0.5);
    x = b.linear(x, seq.next(), {.out = 4096});
    x = b.relu(x, seq.next());
  }
  return b.linear(x, seq.next(), {.out = num_classes});
}

Graph alexnet(const ModelConfig& config) {
  Builder b(config.name, config.input_shape());
  Sequential seq("features");
  struct Layer {
    attr::Conv conv;
    bool pool_after;
  };
  const Layer layers[] = {
      {{.out = 64, .kernel = 11, .stride = 4, .pad = 2}, true},
      {{.out = 192, .kernel = 5, .pad = 2}, true},
      {{.out = 384, .kernel = 3, .pad = 1}, false},
      {{.out = 256, .kernel = 3, .pad = 1}, false},
      {{.out = 256, .kernel = 3, .pad = 1}, true},
  };
  ValueId x = b.input();
  for (const Layer& l : layers) {
    x = b.conv(x, seq.next(), l.conv);
    x = b.relu(x, seq.next());
    if (l.pool_after) x = b.max_pool(x, seq.next(), {.kernel = 3, .stride = 2});
  }
  x = b.flatten(b.adaptive_avg_pool(x, "avgpool", 6), "flatten");
  b.output(classifier(b, x, config.num_classes));
  return b.finish();
}

// The paper's layers: LRN after the first two convolutions, overlapping 3x3/2 pools, and the two-GPU
// split as groups = 2 where a layer saw only its own GPU's maps (conv2, conv4, conv5).
// ZFNet keeps this plan with a 7x7/2 first layer, a stride-2 second layer and no split.
struct PaperPlan {
  attr::Conv conv1, conv2, conv3, conv4, conv5;
  bool ceil_pools;
};

Graph paper_style(const ModelConfig& config, const PaperPlan& p) {
  Builder b(config.name, config.input_shape());
  Sequential seq("features");
  const attr::Pool pool{.kernel = 3, .stride = 2, .ceil_mode = p.ceil_pools};
  ValueId x = b.input();
  for (const attr::Conv& conv : {p.conv1, p.conv2}) {
    x = b.conv(x, seq.next(), conv);
    x = b.relu(x, seq.next());
    x = b.lrn(x, seq.next(), kKrizhevskyLrn);
    x = b.max_pool(x, seq.next(), pool);
  }
  for (const attr::Conv& conv : {p.conv3, p.conv4, p.conv5}) {
    x = b.conv(x, seq.next(), conv);
    x = b.relu(x, seq.next());
  }
  x = b.flatten(b.max_pool(x, seq.next(), pool), "flatten");
  b.output(classifier(b, x, config.num_classes));
  return b.finish();
}

Graph alexnet_paper(const ModelConfig& config) {
  return paper_style(config, {
                                 .conv1 = {.out = 96, .kernel = 11, .stride = 4},
                                 .conv2 = {.out = 256, .kernel = 5, .pad = 2, .groups = 2},
                                 .conv3 = {.out = 384, .kernel = 3, .pad = 1},
                                 .conv4 = {.out = 384, .kernel = 3, .pad = 1, .groups = 2},
                                 .conv5 = {.out = 256, .kernel = 3, .pad = 1, .groups = 2},
                                 .ceil_pools = false,
                             });
}

// Zeiler and Fergus, figure 3: 224 -> 110 (7x7/2) -> 55 -> 26 (5x5/2) -> 13 -> 13 -> 13 -> 6.
// `--wide` takes their table 6 variant with 512, 1024 and 512 maps in layers 3, 4 and 5.
Graph zfnet(const ModelConfig& config) {
  const int64_t c3 = config.wide ? 512 : 384;
  const int64_t c4 = config.wide ? 1024 : 384;
  const int64_t c5 = config.wide ? 512 : 256;
  return paper_style(config, {
                                 .conv1 = {.out = 96, .kernel = 7, .stride = 2, .pad = 1},
                                 .conv2 = {.out = 256, .kernel = 5, .stride = 2},
                                 .conv3 = {.out = c3, .kernel = 3, .pad = 1},
                                 .conv4 = {.out = c4, .kernel = 3, .pad = 1},
                                 .conv5 = {.out = c5, .kernel = 3, .pad = 1},
                                 .ceil_pools = true,
                             });
}

}  // namespace

void add_alexnet_family(std::vector<ModelInfo>& out) {
  out.push_back({"alexnet", "alexnet", "AlexNet as torchvision: 64/192/384/256/256 filters, no LRN", kImageNetInput,
                 1000, true, 0, alexnet});
  out.push_back({"alexnet_paper",
                 "alexnet",
                 "AlexNet as Krizhevsky et al. 2012: 96/256/384/384/256, LRN, two-GPU groups, 227x227",
                 {3, 227, 227},
                 1000,
                 false,
                 0,
                 alexnet_paper});
  out.push_back({"zfnet", "alexnet", "ZFNet (Zeiler & Fergus 2013): 7x7/2 first layer; --wide for 512/1024/512",
                 kImageNetInput, 1000, false, kTakesWide, zfnet});
}

}  // namespace cnnzoo::models
