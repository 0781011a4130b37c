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

// Copies `count` little-endian values of type From from raw bytes or a typed field into `out`.
template <typename From, typename To, typename Field>
void fill(const onnx::TensorProto& proto, const Field& field, std::span<To> out, const std::string& what) {
  const auto count = out.size();
  if (proto.has_raw_data()) {
    const std::string& raw = proto.raw_data();
    if (raw.size() != count * sizeof(From)) {
      throw Error(
          fmt::format("{}: raw data holds {} bytes, its shape needs {}", what, raw.size(), count * sizeof(From)));
    }
    for (std::size_t i = 0; i < count; ++i) {
      From v;
      std::memcpy(&v, raw.data() + i * sizeof(From), sizeof(From));
      out[i] = static_cast<To>(v);
    }
    return;
  }
  if (static_cast<std::size_t>(field.size()) != count) {
    throw Error(fmt::format("{}: holds {} values, its shape needs {}", what, field.size(), count));
  }
  for (std::size_t i = 0; i < count; ++i) out[i] = static_cast<To>(static_cast<From>(field.Get(static_cast<int>(i))));
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
    case TP::FLOAT: {
      Tensor t(dims);
      fill<float>(proto, proto.float_data(), t.f32(), what);
      return t;
    }
    case TP::DOUBLE: {
      Tensor t(dims);
      fill<double>(proto, proto.double_data(), t.f32(), what);
      return t;
    }
    case TP::INT64: {
      Tensor t(dims, DType::I64);
      fill<int64_t>(proto, proto.int64_data(), t.i64(), what);
      return t;
    }
    case TP::INT32: {
      Tensor t(dims, DType::I64);
      fill<int32_t>(proto, proto.int32_data(), t.i64(), what);
      return t;
    }
    default:
      throw Error(fmt::format("{}: data type {} is not supported (float, double, int32 and int64 are)", what,
                              TP::DataType_Name(static_cast<TP::DataType>(proto.data_type()))));
  }
}

}  // namespace cnnzoo::onnx_import
