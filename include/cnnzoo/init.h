// Deterministic parameter initialisation: a portable generator shared with Python, the "test" fill used
// for parity checks against PyTorch, and each model's own initialisation scheme as torchvision writes it.
//
// The generator is stateless and counter-based, so a tensor's values depend only on its state_dict name,
// the seed and the element's index -- never on the order in which tensors are filled. Its twin,
// scripts/cnnzoo_rng.py, produces bit-identical uniforms, so a Python script can rebuild exactly the
// weights the C++ side uses without any weights being committed.
//
// Specification (all arithmetic on unsigned 64-bit integers, modulo 2^64):
//   fnv1a64(s)    = FNV-1a over the UTF-8 bytes of s: h = 0xcbf29ce484222325; for each byte c:
//                   h = (h XOR c) * 0x00000100000001b3.
//   splitmix64(x) = z = x + 0x9e3779b97f4a7c15; z = (z XOR (z >> 30)) * 0xbf58476d1ce4e5b9;
//                   z = (z XOR (z >> 27)) * 0x94d049bb133111eb; return z XOR (z >> 31).
//   key(name, S)  = fnv1a64(name) XOR splitmix64(S)
//   u(key, i)     = (splitmix64(key + i) >> 40) * 2^-24: 24 bits, in [0, 1), exact in float32 and float64.
//   uniform       = float32(low + (high - low) * u), computed in float64 (no fused multiply-add): element
//                   i of a tensor (row-major) uses u(key, i). Both sides round identically.
//   normal        = Box-Muller on two draws: u1 = u(key, 2i), u2 = u(key, 2i + 1),
//                   z = sqrt(-2 ln(1 - u1)) * cos(2 pi u2); value = float32(mean + std * z). Only the cosine
//                   branch is used. libm and numpy may differ in the last bit of log/cos, so normals agree
//                   with the Python twin to about 1 ulp of float32, uniforms exactly.
//   truncated     = the normal above; while it falls outside [a, b], attempt t = 1, 2, ... redraws with
//                   the key splitmix64(key + t) at the same indices 2i, 2i + 1 (at most 1000 attempts).
#pragma once

#include <cstdint>
#include <span>
#include <string_view>

#include "cnnzoo/graph.h"
#include "cnnzoo/parameters.h"
#include "cnnzoo/tensor.h"

namespace cnnzoo {

uint64_t fnv1a64(std::string_view bytes);
uint64_t splitmix64(uint64_t x);

/// The stream of a tensor: fnv1a64(name) XOR splitmix64(seed).
uint64_t stream_key(std::string_view name, uint64_t seed);

/// Draw `index` of the stream `key`: a multiple of 2^-24 in [0, 1).
double unit_uniform(uint64_t key, uint64_t index);

/// A standard normal by Box-Muller from draws 2 * index and 2 * index + 1.
double standard_normal(uint64_t key, uint64_t index);

/// Fills `out[i]` with low + (high - low) * unit_uniform(key, i).
void fill_uniform(std::span<float> out, uint64_t key, double low, double high);

/// Fills `out[i]` with mean + std * standard_normal(key, i).
void fill_normal(std::span<float> out, uint64_t key, double mean, double std);

/// As fill_normal, redrawing values outside [a, b] (absolute bounds, as torch.nn.init.trunc_normal_).
/// Throws InvalidArgument when a >= b or when [a, b] is too unlikely to hit.
void fill_truncated_normal(std::span<float> out, uint64_t key, double mean, double std, double a, double b);

/// An F32 tensor of `shape` uniform in [low, high) from the stream of (name, seed).
Tensor test_uniform(std::string_view name, const Dims& shape, uint64_t seed, double low, double high);

/// Every ParamSpec of the graph, filled for parity tests (activations stay of order one at any depth):
///   conv and linear weight  U(-b, b), b = sqrt(3 / fan_in) (variance 1 / fan_in);  their bias U(-0.1, 0.1)
///   BN weight U(0.5, 1.5), bias U(-0.2, 0.2), running_mean U(-0.2, 0.2), running_var U(0.5, 1.5)
///   num_batches_tracked 0 (int64)
/// fan_in = weight.numel() / weight.shape[0]. Each tensor uses the stream of (its name, seed).
/// Throws Error for a parameter of another op or suffix.
Parameters test_parameters(const Graph& graph, uint64_t seed);

/// The initialisation schemes init_parameters knows, as torchvision 0.14 writes them (fan_in and fan_out
/// as torch: weight.numel() / shape[0] and shape[0] * kh * kw; "default" = PyTorch's reset_parameters,
/// weight U(+-1/sqrt(fan_in)) from kaiming_uniform_(a=sqrt(5)), bias U(+-1/sqrt(fan_in))):
///   "torch_default"  conv, linear: default                                          (AlexNet)
///   "vgg"            conv: N(0, sqrt(2/fan_out)), bias 0; linear: N(0, 0.01), bias 0  (VGG)
///   "resnet"         conv: N(0, sqrt(2/fan_out)), bias default; linear: default       (ResNet family)
///   "densenet"       conv: N(0, sqrt(2/fan_in)), bias default; linear: weight default, bias 0 (DenseNet)
///   "googlenet"      conv, linear weight: N(0, 0.01) truncated to [-2, 2]; biases default (GoogLeNet)
/// Every scheme sets BN weight 1, bias 0, running_mean 0, running_var 1, num_batches_tracked 0.
std::span<const std::string_view> init_schemes();

/// The scheme torchvision (or, for the paper and CIFAR models, the closest documented code) uses for
/// the registered model of that name; see src/init/model_schemes.cpp. Throws UnknownNameError for an
/// unknown model.
std::string_view init_scheme_for(std::string_view model_name);

/// Every ParamSpec of the graph initialised by `scheme` from `seed`; each tensor uses the stream of
/// (its name, seed). Throws UnknownNameError for an unknown scheme, Error for a parameter of another op.
Parameters init_parameters(const Graph& graph, std::string_view scheme, uint64_t seed);

}  // namespace cnnzoo
