// Reading and computing the constants of an ONNX import: tensors known before any run (weights, shapes,
// the shape arithmetic exporters write), which the converters fold instead of adding nodes.
#pragma once

#include <fmt/format.h>

#include <vector>

#include "onnx/import_state.h"

namespace cnnzoo::onnx_import {

inline bool all_constant(const Importer& im) {
  for (std::size_t i = 0; i < im.input_count(); ++i) {
    if (!im.is_constant(i)) return false;
  }
  return true;
}

/// Constant input `i`'s integers; a float tensor is the node's error.
inline std::vector<int64_t> int_values(const Importer& im, std::size_t i) {
  const Tensor& t = im.constant(i);
  if (t.dtype() != DType::I64) im.fail(fmt::format("input {} must be an integer tensor", i + 1));
  return {t.i64().begin(), t.i64().end()};
}

/// A tensor's values in double precision, whatever its dtype (I64 or F32).
inline std::vector<double> as_doubles(const Tensor& t) {
  if (t.dtype() == DType::I64) return {t.i64().begin(), t.i64().end()};
  return {t.f32().begin(), t.f32().end()};
}

/// A tensor of `dtype` holding `v` (integers truncated toward zero, as C++ and ONNX's integer Div do).
inline Tensor from_doubles(const std::vector<double>& v, const Dims& shape, DType dtype) {
  Tensor t(shape, dtype);
  for (std::size_t i = 0; i < v.size(); ++i) {
    if (dtype == DType::I64) {
      t.i64()[i] = static_cast<int64_t>(v[i]);
    } else {
      t.f32()[i] = static_cast<float>(v[i]);
    }
  }
  return t;
}

/// The single value of constant input `i` (a Pad's value, a Dropout's training_mode); an empty or longer
/// tensor is the node's error.
inline double scalar_input(const Importer& im, std::size_t i, const char* what) {
  const std::vector<double> v = as_doubles(im.constant(i));
  if (v.size() != 1) im.fail(fmt::format("input {} ({}) must hold one value, holds {}", i + 1, what, v.size()));
  return v[0];
}

/// Computes tensor op `op` (OpFamily::TensorOp) on `inputs` at import time, in float64, through the op's reference
/// kernel; the result has the first input's dtype (shape arithmetic stays int64). Its size is checked against the
/// fold budget first (Importer::check_fold).
Tensor fold_op(const Importer& im, OpKind op, const Attrs& attrs, const std::vector<Tensor>& inputs);
/// The same on the node's own inputs, all constant.
Tensor fold_op(const Importer& im, OpKind op, const Attrs& attrs);

}  // namespace cnnzoo::onnx_import
