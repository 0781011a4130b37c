// TensorProto to Tensor: the data types a CNN file carries, from raw bytes or the typed fields, checked
// against the dimensions so a truncated or corrupted initializer is an error, never a crash.
#include <fmt/format.h>

#include <cstring>

#include "cnnzoo/error.h"
#include "onnx/import_state.h"

namespace cnnzoo::onnx_import {
namespace {

constexpr int64_t kMaxElements = int64_t{1} << 34;  // 64 GiB of float32: more is a corrupted size

Dims dims_of(const onnx::TensorProto& proto, const std::string& what) {
  Dims dims(proto.dims().begin(), proto.dims().end());
  int64_t total = 1;
  for (int64_t d : dims) {
    if (d < 0 || (d > 0 && total > kMaxElements / d)) {
      throw Error(fmt::format("{}: implausible dimensions [{}]", what, fmt::join(dims, ", ")));
    }
    total *= d;
  }
  return dims;
}

// Checks that raw bytes or a typed field hold `count` values of type From, before anything is allocated.
template <typename From, typename Field>
void check_count(const onnx::TensorProto& proto, const Field& field, int64_t count, const std::string& what) {
  const auto want = static_cast<uint64_t>(count);
  if (proto.has_raw_data()) {
    if (proto.raw_data().size() != want * sizeof(From)) {
      throw Error(fmt::format("{}: raw data holds {} bytes, its shape needs {}", what, proto.raw_data().size(),
                              want * sizeof(From)));
    }
  } else if (static_cast<uint64_t>(field.size()) != want) {
    throw Error(fmt::format("{}: holds {} values, its shape needs {}", what, field.size(), want));
  }
}

// Copies little-endian values of type From from raw bytes or a typed field into `out` (sizes checked).
template <typename From, typename To, typename Field>
void fill(const onnx::TensorProto& proto, const Field& field, std::span<To> out) {
  for (std::size_t i = 0; i < out.size(); ++i) {
    From v;
    if (proto.has_raw_data()) {
      std::memcpy(&v, proto.raw_data().data() + i * sizeof(From), sizeof(From));
    } else {
      v = static_cast<From>(field.Get(static_cast<int>(i)));
    }
    out[i] = static_cast<To>(v);
  }
}

template <typename From, typename Field>
Tensor read_values(const onnx::TensorProto& proto, const Field& field, Dims dims, DType dtype,
                   const std::string& what) {
  check_count<From>(proto, field, numel(dims), what);
  Tensor t(std::move(dims), dtype);
  if (dtype == DType::I64) {
    fill<From>(proto, field, t.i64());
  } else {
    fill<From>(proto, field, t.f32());
  }
  return t;
}

}  // namespace

Tensor tensor_from_proto(const onnx::TensorProto& proto, const std::string& what) {
  if (proto.data_location() == onnx::TensorProto::EXTERNAL) {
    throw Error(
        fmt::format("{}: data stored in an external file is not supported; save the model with its "
                    "weights inside (onnx.save(..., save_as_external_data=False))",
                    what));
  }
  const Dims dims = dims_of(proto, what);
  using TP = onnx::TensorProto;
  switch (proto.data_type()) {
    case TP::FLOAT:
      return read_values<float>(proto, proto.float_data(), dims, DType::F32, what);
    case TP::DOUBLE:
      return read_values<double>(proto, proto.double_data(), dims, DType::F32, what);
    case TP::INT64:
      return read_values<int64_t>(proto, proto.int64_data(), dims, DType::I64, what);
    case TP::INT32:
      return read_values<int32_t>(proto, proto.int32_data(), dims, DType::I64, what);
    default:
      throw Error(fmt::format("{}: data type {} is not supported (float, double, int32 and int64 are)", what,
                              TP::DataType_Name(static_cast<TP::DataType>(proto.data_type()))));
  }
}

}  // namespace cnnzoo::onnx_import
