// Which initialisation scheme each zoo model uses. torchvision's models use their constructor's own;
// the paper and CIFAR models take the closest documented code:
//   alexnet, alexnet_paper, zfnet       torch_default  torchvision's AlexNet has no init loop
//   vgg*                                vgg
//   googlenet                           googlenet
//   googlenet_paper                     caffe_googlenet  torchvision's std-0.01 draws are made for BN: without
//                                                        it the signal fades through 22 layers; the paper's
//                                                        net (no BN) as Caffe's bvlc_googlenet replicates it
//   resnet*, resnet*_v1, wide_resnet*, resnext*, preact_resnet*, se_resnet*, CIFAR resnet/plain/preact,
//   wrn*                                resnet         He et al.'s fb.resnet.torch draws convolutions from
//                                                      N(0, sqrt(2 / (kh kw out))): torchvision's fan_out
//   densenet121..264                    densenet
//   densenet_bc100                      resnet         the DenseNet authors' CIFAR code (built on
//                                                      fb.resnet.torch) uses the same fan_out rule
//   inception_v3                        inception_v3   torchvision's trunc_normal_(std 0.1)
//   inception_v4, inception_resnet_v2   torch_default  timm's ports have no init loop
#include <fmt/format.h>

#include "cnnzoo/error.h"
#include "cnnzoo/init.h"
#include "cnnzoo/models.h"

namespace cnnzoo {
namespace {

struct Row {
  std::string_view key;
  std::string_view scheme;
};

// Exact model names first: they override their family's scheme.
constexpr Row kByName[] = {
    {"densenet_bc100", "resnet"}, {"googlenet_paper", "caffe_googlenet"}, {"inception_v3", "inception_v3"}};

constexpr Row kByFamily[] = {
    {"alexnet", "torch_default"}, {"vgg", "vgg"},           {"googlenet", "googlenet"},     {"resnet", "resnet"},
    {"wide_resnet", "resnet"},    {"resnext", "resnet"},    {"preact_resnet", "resnet"},    {"se_resnet", "resnet"},
    {"cifar_resnet", "resnet"},   {"densenet", "densenet"}, {"inception", "torch_default"},
};

}  // namespace

std::string_view init_scheme_for(std::string_view model_name) {
  const ModelInfo& info = find_model(model_name);
  for (const Row& r : kByName) {
    if (r.key == info.name) return r.scheme;
  }
  for (const Row& r : kByFamily) {
    if (r.key == info.family) return r.scheme;
  }
  throw Error(
      fmt::format("model '{}' of family '{}' has no initialisation scheme; add one to src/init/model_schemes.cpp",
                  info.name, info.family));
}

}  // namespace cnnzoo
