// int8 inference's calibration: the range each value of a graph takes on sample inputs, from which the
// engine derives each activation's int8 scale (one per tensor). Weights need no calibration: the engine
// gives each output channel its own symmetric scale from the weights themselves, after folding batch norm.
//
// A value whose range never goes below zero (a ReLU's output) is stored as u8, x = scale * q with
// scale = max / 255; any other as s8, scale = max(|min|, |max|) / 127 (symmetric: zero is exactly 0).
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <span>
#include <string>

#include "cnnzoo/graph.h"
#include "cnnzoo/parameters.h"
#include "cnnzoo/tensor.h"

namespace cnnzoo {

/// The smallest and largest value a graph value took during calibration (after clipping, for a percentile).
struct ValueRange {
  float min = 0;
  float max = 0;
  bool unsigned_int8() const { return min >= 0; }
  /// x = scale * q: max / 255 for u8, max(|min|, |max|) / 127 for s8; 1 for a value that was always 0.
  float scale() const;
};

/// How calibration turns what it saw into ranges.
enum class CalibrationMethod : uint8_t {
  MinMax,      ///< the extremes seen: nothing saturates on the calibration data, small values lose steps
  Percentile,  ///< |x| clipped at a percentile of all |x| seen: rare outliers saturate, the rest keeps steps
};

/// "minmax" or "percentile".
const char* calibration_method_name(CalibrationMethod method);
/// Throws InvalidArgument naming the known methods for any other name.
CalibrationMethod calibration_method_from_name(const std::string& name);

struct Quantization {
  CalibrationMethod method = CalibrationMethod::MinMax;
  double percentile = 0;  ///< of |x|, in percent (CalibrationMethod::Percentile only)
  int64_t images = 0;     ///< calibration samples seen
  std::string source{};   ///< where the samples came from (a data set spec, "random normal", ...)
  std::map<std::string, ValueRange, std::less<>> ranges{};  ///< by value name (the producing node's name)
};

struct CalibrationOptions {
  CalibrationMethod method = CalibrationMethod::MinMax;
  double percentile = 99.99;  ///< in (0, 100]
  int threads = 0;            ///< engine threads, 0 = every core
  /// Called after each batch of each pass (the percentile method makes two passes over the batches).
  std::function<void(int64_t done, int64_t total)> on_batch{};
};

/// The symmetric int8 scale of each of the `channels` rows (output channels) of a weight: max |w| / 127 (1 for a
/// row of zeros), so that every channel uses the whole int8 range. The engine's int8 layers and the int8 ONNX
/// export quantize weights with it.
std::vector<float> weight_scales(const Tensor& weight, int64_t channels);

/// Folds a batch norm (eps, scale g, shift beta, running mean m and variance v) into the weight and bias of the
/// convolution before it: w' = w g / sqrt(v + eps) per output channel, b' = (b - m) g / sqrt(v + eps) + beta. The
/// inference engine and the int8 ONNX export fold so.
void fold_batch_norm(double eps, const Tensor& scale, const Tensor& shift, const Tensor& mean, const Tensor& variance,
                     Tensor& weight, Tensor& bias);

/// Runs `graph` in float32 on `batches` (the graph's input shape but for the batch size) and records the
/// range of every value: the graph's input, each node's output. NaN and infinity are left out of the ranges.
/// Throws InvalidArgument for no batches or one of another sample shape.
Quantization calibrate(const Graph& graph, const Parameters& parameters, std::span<const Tensor> batches,
                       const CalibrationOptions& options = {});

class Dataset;

/// calibrate() on `images` images of `data` (a seeded sample, all of them if fewer), transformed as for
/// evaluation at the graph's input size, in batches of the graph's batch size. Quantization::source names
/// the data set.
Quantization calibrate_on_data(const Graph& graph, const Parameters& parameters, const Dataset& data, int64_t images,
                               const CalibrationOptions& options = {});

/// calibrate() on `images` random samples, uniform in [-1, 1] (seeded by `seed`), in batches of the graph's
/// batch size: a calibration for timing and quick use where no data set is at hand (`cnnzoo bench`). Its
/// ranges are those of such inputs, not of real images. Quantization::source says so.
Quantization calibrate_on_random(const Graph& graph, const Parameters& parameters, int64_t images, uint64_t seed,
                                 const CalibrationOptions& options = {});

/// Ranges stored as JSON in a safetensors file's metadata, under this key (`cnnzoo quantize`).
inline constexpr const char* kQuantizationKey = "cnnzoo.quantization";

/// {"format_version": 1, "method": ..., "percentile": ..., "images": ..., "source": ..., "ranges": {name: [min, max]}}
std::string quantization_json(const Quantization& quantization);
/// Reads quantization_json()'s text; an Error naming `origin` (a file) and what is wrong otherwise.
Quantization quantization_from_json(const std::string& text, const std::string& origin);
/// The ranges stored under kQuantizationKey in a safetensors file's metadata (a checkpoint or a weights file
/// that `cnnzoo quantize` wrote), read by quantization_from_json; nullptr when there are none.
std::shared_ptr<const Quantization> stored_quantization(const std::map<std::string, std::string>& metadata,
                                                        const std::string& origin);

/// The values of `graph` an int8 plan needs a range for but `quantization` lacks (a file calibrated for
/// another model): their names, in graph order.
std::vector<std::string> missing_ranges(const Graph& graph, const Quantization& quantization);

/// int8 needs a calibrated range for every value: an InvalidArgument for no calibration, or one that lacks some
/// (a file calibrated for another model), naming the first missing values.
void require_ranges(const Graph& graph, const Quantization* quantization);

}  // namespace cnnzoo
