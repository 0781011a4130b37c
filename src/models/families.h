// Each model family registers its models here; registry.cpp calls these in order.
#pragma once

#include <vector>

#include "cnnzoo/models.h"

namespace cnnzoo::models {

void add_alexnet_family(std::vector<ModelInfo>& out);       // alexnet.cpp: alexnet, alexnet_paper, zfnet
void add_vgg_family(std::vector<ModelInfo>& out);           // vgg.cpp
void add_googlenet_family(std::vector<ModelInfo>& out);     // googlenet.cpp
void add_inception_v3_family(std::vector<ModelInfo>& out);  // inception_v3.cpp
void add_inception_v4_family(std::vector<ModelInfo>& out);  // inception_v4.cpp: v4 and Inception-ResNet-v2
void add_resnet_family(
    std::vector<ModelInfo>& out);  // resnet.cpp: ImageNet ResNets, v1, wide, ResNeXt, SE, pre-activation
void add_cifar_resnet_family(std::vector<ModelInfo>& out);  // resnet_cifar.cpp: resnetN, plainN, preact_resnetN, wrn
void add_densenet_family(std::vector<ModelInfo>& out);      // densenet.cpp

}  // namespace cnnzoo::models
