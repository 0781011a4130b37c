// Converters of ONNX's resampling: Resize (opsets 10 to 18) and the Upsample it replaced (opsets 7 to 9), both to the
// IR's resize. The output sizes and the scales the coordinates use are worked out here, as ONNX's reference does.
#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <map>
#include <set>

#include "cnnzoo/checked.h"
#include "onnx/import_constants.h"

namespace cnnzoo::onnx_import {
namespace {

using Resize = attr::Resize;

template <typename E>
E named(const Importer& im, const std::string& attribute, const std::string& fallback,
        const std::map<std::string, E>& names) {
  const std::string name = im.string_attr(attribute, fallback);
  const auto it = names.find(name);
  if (it == names.end()) {
    std::vector<std::string> known;
    for (const auto& entry : names) known.push_back(entry.first);
    im.fail(fmt::format("{} '{}' is not supported ({} are)", attribute, name, fmt::join(known, ", ")));
  }
  return it->second;
}

Resize::Mode mode_of(const Importer& im, bool cubic_allowed) {
  std::map<std::string, Resize::Mode> modes{{"nearest", Resize::Mode::Nearest}, {"linear", Resize::Mode::Linear}};
  if (cubic_allowed) modes.emplace("cubic", Resize::Mode::Cubic);
  return named(im, "mode", "nearest", modes);
}

// The output size of a dimension of `in` elements scaled by `scale`: floor, as ONNX's reference (and every runtime).
int64_t scaled_size(const Importer& im, int64_t in, double scale) {
  const double size = std::floor(static_cast<double>(in) * scale);
  if (!std::isfinite(scale) || scale <= 0 || size < 1 || size > static_cast<double>(kMaxDim)) {
    im.fail(fmt::format("scale {} takes a dimension of {} to {}; it must give 1 to {}", scale, in, size, kMaxDim));
  }
  return static_cast<int64_t>(size);
}

// Sizes and scales from per-dimension `scales` (every dimension).
void from_scales(const Importer& im, Resize& a, const Dims& in, const std::vector<double>& scales) {
  if (scales.size() != in.size()) {
    im.fail(fmt::format("has {} scales for an input of {} dimensions", scales.size(), in.size()));
  }
  a.scales = scales;
  a.sizes.clear();
  for (std::size_t d = 0; d < in.size(); ++d) a.sizes.push_back(scaled_size(im, in[d], scales[d]));
}

// Opsets 7 to 10 (Upsample, and Resize 10): the output element i reads the input at i / scale, the nearest element
// below it, or between its neighbours (linear).
Resize legacy_resize(const Importer& im, const Dims& in, const std::vector<double>& scales) {
  Resize a;
  a.mode = mode_of(im, false);
  a.coordinates = Resize::Coordinates::Asymmetric;
  a.rounding = Resize::Rounding::Floor;
  from_scales(im, a, in, scales);
  return a;
}

void add_resize(Importer& im, const Resize& a) {
  if (im.is_constant(0)) return im.set_output(fold_op(im, OpKind::Resize, a, {im.constant(0)}));
  im.set_output(im.add(OpKind::Resize, a, {im.value(0)}));
}

// Whether optional input `i` is there and holds values (opset 11 writes an empty scales when it gives sizes).
bool has_values(const Importer& im, std::size_t i) { return im.has_input(i) && im.constant(i).numel() > 0; }

// Opset 18's axes: the dimensions that scales, sizes and roi name; the others keep their size, at scale 1.
std::vector<std::size_t> resized_axes(const Importer& im, std::size_t rank) {
  std::vector<std::size_t> axes;
  if (!im.attr("axes")) {
    for (std::size_t d = 0; d < rank; ++d) axes.push_back(d);
    return axes;
  }
  for (int64_t axis : im.ints_attr("axes")) {
    const auto d = static_cast<std::size_t>(normalize_axis(im, axis, rank));
    if (std::find(axes.begin(), axes.end(), d) != axes.end()) im.fail(fmt::format("axis {} is repeated", axis));
    axes.push_back(d);
  }
  return axes;
}

// Sizes given (opset 11 on): the scales the coordinates use are sizes / input sizes; opset 18's
// keep_aspect_ratio_policy may instead take one scale for every axis named, the smallest or largest.
void from_sizes(const Importer& im, Resize& a, const Dims& in, const std::vector<std::size_t>& axes,
                const std::vector<int64_t>& sizes) {
  if (sizes.size() != axes.size()) {
    im.fail(fmt::format("has {} sizes for {} dimensions to resize", sizes.size(), axes.size()));
  }
  for (int64_t s : sizes) {
    if (s < 1 || s > kMaxDim) im.fail(fmt::format("size {} is outside 1..{}", s, kMaxDim));
  }
  const std::string policy = im.string_attr("keep_aspect_ratio_policy", "stretch");
  if (policy != "stretch" && policy != "not_larger" && policy != "not_smaller") {
    im.fail(
        fmt::format("keep_aspect_ratio_policy '{}' is not supported (stretch, not_larger, not_smaller are)", policy));
  }
  double kept = policy == "not_larger" ? INFINITY : 0.0;
  for (std::size_t k = 0; k < axes.size(); ++k) {
    const double scale = static_cast<double>(sizes[k]) / static_cast<double>(in[axes[k]]);
    kept = policy == "not_larger" ? std::min(kept, scale) : std::max(kept, scale);
  }
  for (std::size_t k = 0; k < axes.size(); ++k) {
    const std::size_t d = axes[k];
    if (policy == "stretch") {
      a.sizes[d] = sizes[k];
      a.scales[d] = static_cast<double>(sizes[k]) / static_cast<double>(in[d]);
    } else {  // ONNX's reference rounds half to even, as nearbyint does
      a.scales[d] = kept;
      a.sizes[d] = std::max<int64_t>(1, static_cast<int64_t>(std::nearbyint(kept * static_cast<double>(in[d]))));
    }
  }
}

void convert_resize(Importer& im) {
  const Dims& in = im.shape(0);
  if (im.opset() < 11) {
    im.accept_attrs({"mode"});
    return add_resize(im, legacy_resize(im, in, as_doubles(im.constant(1))));
  }
  std::set<std::string> known{
      "mode",        "coordinate_transformation_mode", "cubic_coeff_a", "exclude_outside", "extrapolation_value",
      "nearest_mode"};
  if (im.opset() >= 18) known.insert({"antialias", "axes", "keep_aspect_ratio_policy"});
  im.accept_attrs(known);
  if (im.int_attr("antialias", 0) != 0) im.fail("antialias=1 (a wider filter when downsampling) is not supported");
  using C = Resize::Coordinates;
  using R = Resize::Rounding;
  Resize a{.sizes = in,
           .scales = std::vector<double>(in.size(), 1.0),
           .mode = mode_of(im, true),
           .coordinates = named<C>(im, "coordinate_transformation_mode", "half_pixel",
                                   {{"half_pixel", C::HalfPixel},
                                    {"pytorch_half_pixel", C::PytorchHalfPixel},
                                    {"align_corners", C::AlignCorners},
                                    {"asymmetric", C::Asymmetric},
                                    {"tf_half_pixel_for_nn", C::TfHalfPixelForNn},
                                    {"tf_crop_and_resize", C::TfCropAndResize}}),
           .rounding = named<R>(im, "nearest_mode", "round_prefer_floor",
                                {{"round_prefer_floor", R::RoundPreferFloor},
                                 {"round_prefer_ceil", R::RoundPreferCeil},
                                 {"floor", R::Floor},
                                 {"ceil", R::Ceil}}),
           .cubic_coeff_a = im.float_attr("cubic_coeff_a", -0.75),
           .exclude_outside = im.int_attr("exclude_outside", 0) != 0,
           .roi = {},
           .extrapolation_value = im.float_attr("extrapolation_value", 0.0)};
  const std::vector<std::size_t> axes = resized_axes(im, in.size());
  const bool scales = has_values(im, 2);
  const bool sizes = has_values(im, 3);
  if (scales == sizes) im.fail("needs either scales (input 3) or sizes (input 4), not both or neither");
  if (sizes) {
    from_sizes(im, a, in, axes, int_values(im, 3));
  } else {
    const std::vector<double> given = as_doubles(im.constant(2));
    if (given.size() != axes.size()) {
      im.fail(fmt::format("has {} scales for {} dimensions to resize", given.size(), axes.size()));
    }
    std::vector<double> all(in.size(), 1.0);
    for (std::size_t k = 0; k < axes.size(); ++k) all[axes[k]] = given[k];
    from_scales(im, a, in, all);
  }
  if (a.coordinates == C::TfCropAndResize) {
    if (!has_values(im, 1)) im.fail("tf_crop_and_resize needs its box, roi (input 2)");
    const std::vector<double> roi = as_doubles(im.constant(1));
    if (roi.size() != 2 * axes.size()) {
      im.fail(fmt::format("roi has {} values; tf_crop_and_resize needs 2 x {}", roi.size(), axes.size()));
    }
    a.roi.assign(2 * in.size(), 0.0);
    std::fill(a.roi.begin() + static_cast<std::ptrdiff_t>(in.size()), a.roi.end(), 1.0);  // whole dimensions
    for (std::size_t k = 0; k < axes.size(); ++k) {
      a.roi[axes[k]] = roi[k];
      a.roi[in.size() + axes[k]] = roi[axes.size() + k];
    }
  }
  add_resize(im, a);
}

// Upsample (deprecated in opset 10): scales an attribute (opset 7) or an input (opset 9).
void convert_upsample(Importer& im) {
  im.accept_attrs({"mode", "scales"});
  std::vector<double> scales;
  if (im.opset() >= 9) {
    scales = as_doubles(im.constant(1));
  } else {
    const onnx::AttributeProto* attribute = im.attr("scales");
    if (!attribute) im.fail("needs the attribute scales");
    scales.assign(attribute->floats().begin(), attribute->floats().end());
  }
  add_resize(im, legacy_resize(im, im.shape(0), scales));
}

}  // namespace

void add_resize_converters(std::map<std::string, Converter>& table) {
  table["Resize"] = convert_resize;
  table["Upsample"] = convert_upsample;
}

}  // namespace cnnzoo::onnx_import
