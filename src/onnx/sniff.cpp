// Recognising an ONNX file by its content: a file named model.bin, or a download without its extension,
// is still a model.
#include <filesystem>
#include <fstream>
#include <optional>

#include "cnnzoo/onnx.h"

namespace cnnzoo {
namespace {

// Protobuf wire types.
constexpr int kVarint = 0;
constexpr int kLengthDelimited = 2;

// The wire type of each ModelProto field (onnx.proto), or -1 for a number ModelProto does not have.
int model_field_wire_type(uint64_t field) {
  switch (field) {
    case 1:  // ir_version
    case 5:  // model_version
      return kVarint;
    case 2:   // producer_name
    case 3:   // producer_version
    case 4:   // domain
    case 6:   // doc_string
    case 7:   // graph
    case 8:   // opset_import
    case 14:  // metadata_props
    case 20:  // training_info
    case 25:  // functions
      return kLengthDelimited;
    default:
      return -1;
  }
}

std::optional<uint64_t> read_varint(std::istream& in) {
  uint64_t value = 0;
  for (int shift = 0; shift < 64; shift += 7) {
    const int byte = in.get();
    if (byte == std::char_traits<char>::eof()) return std::nullopt;
    value |= static_cast<uint64_t>(byte & 0x7f) << shift;
    if ((byte & 0x80) == 0) return value;
  }
  return std::nullopt;
}

}  // namespace

bool is_onnx_file(const std::string& path) {
  std::error_code ec;
  if (!std::filesystem::is_regular_file(path, ec)) return false;
  std::ifstream in(path, std::ios::binary);
  if (!in) return false;
  in.seekg(0, std::ios::end);
  const auto size = static_cast<uint64_t>(in.tellg());
  in.seekg(0);
  // Walk the top-level fields, skipping their contents: every one must be a ModelProto field with its wire
  // type and fit in the file, and the graph must be there. Safetensors, .npy, images and text fail in the
  // first few bytes; nothing is read beyond the tags.
  bool has_graph = false;
  uint64_t at = 0;
  while (at < size) {
    const std::optional<uint64_t> tag = read_varint(in);
    if (!tag) return false;
    const uint64_t field = *tag >> 3;
    const int wire = static_cast<int>(*tag & 7);
    if (wire != model_field_wire_type(field)) return false;
    if (wire == kVarint) {
      if (!read_varint(in)) return false;
    } else {
      const std::optional<uint64_t> length = read_varint(in);
      const auto here = static_cast<uint64_t>(in.tellg());
      if (!length || *length > size - here) return false;
      in.seekg(static_cast<std::streamoff>(here + *length));
      has_graph = has_graph || field == 7;
    }
    at = static_cast<uint64_t>(in.tellg());
  }
  return has_graph && at == size;
}

}  // namespace cnnzoo
