// safetensors: u64 little-endian header length N, N bytes of JSON header, then the raw data.
// https://github.com/huggingface/safetensors#format
#include <fmt/format.h>

#include <algorithm>
#include <bit>
#include <cstring>
#include <limits>
#include <nlohmann/json.hpp>
#include <set>

#include "cnnzoo/error.h"
#include "cnnzoo/io.h"
#include "io/atomic_file.h"

namespace cnnzoo {
namespace {

static_assert(std::endian::native == std::endian::little, "tensor files are little-endian, as is the host");

using Json = nlohmann::ordered_json;

constexpr uint64_t kMaxHeaderBytes = 100ull << 20;  // the reference implementation's limit
constexpr int kMaxDepth = 8;                        // a valid header nests 3 deep: {"name": {"shape": [...]}}
constexpr const char* kMetadataKey = "__metadata__";

// The dtypes the format defines; any of these other than F32/I64 is "unsupported", anything else "unknown".
constexpr const char* kKnownDtypes[] = {"BOOL", "U8",  "I8",  "I16", "U16", "F16",     "BF16",    "I32",
                                        "U32",  "F32", "F64", "I64", "U64", "F8_E4M3", "F8_E5M2", "F8_E8M0"};

struct Entry {
  std::string name;
  DType dtype;
  Dims shape;
  uint64_t begin = 0, end = 0;
};

const char* safetensors_dtype(DType d) { return d == DType::I64 ? "I64" : "F32"; }

uint64_t to_u64(const Json& v, const std::string& path, const std::string& name, const char* field) {
  if (v.is_number_unsigned()) return v.get<uint64_t>();
  if (v.is_number_integer() && v.get<int64_t>() < 0) {
    throw Error(fmt::format("{}: tensor '{}': negative value {} in {}", path, name, v.get<int64_t>(), field));
  }
  throw Error(fmt::format("{}: tensor '{}': {} must hold integers, found {}", path, name, field, v.dump()));
}

Entry parse_entry(const std::string& path, const std::string& name, const Json& v, uint64_t data_size) {
  if (!v.is_object()) throw Error(fmt::format("{}: tensor '{}': expected an object, found {}", path, name, v.dump()));
  for (const char* field : {"dtype", "shape", "data_offsets"}) {
    if (!v.contains(field)) throw Error(fmt::format("{}: tensor '{}': missing field '{}'", path, name, field));
  }
  Entry e{.name = name, .dtype = DType::F32, .shape = {}};
  const Json& dtype = v["dtype"];
  if (!dtype.is_string()) throw Error(fmt::format("{}: tensor '{}': dtype must be a string", path, name));
  const auto d = dtype.get<std::string>();
  if (d == "F32") {
    e.dtype = DType::F32;
  } else if (d == "I64") {
    e.dtype = DType::I64;
  } else if (std::ranges::find(kKnownDtypes, d) != std::end(kKnownDtypes)) {
    throw Error(fmt::format("{}: tensor '{}': dtype {} is not supported (cnnzoo reads F32 and I64)", path, name, d));
  } else {
    throw Error(fmt::format("{}: tensor '{}': unknown dtype '{}'", path, name, d));
  }

  const Json& shape = v["shape"];
  if (!shape.is_array()) throw Error(fmt::format("{}: tensor '{}': shape must be an array", path, name));
  bool zero = false;
  for (const Json& dim : shape) {
    if (dim.is_number_integer() && !dim.is_number_unsigned() && dim.get<int64_t>() < 0) {
      throw Error(fmt::format("{}: tensor '{}': negative dimension {} in shape {}", path, name, dim.get<int64_t>(),
                              shape.dump()));
    }
    const uint64_t u = to_u64(dim, path, name, "shape");
    if (u > static_cast<uint64_t>(std::numeric_limits<int64_t>::max())) {
      throw Error(fmt::format("{}: tensor '{}': dimension {} is too large", path, name, u));
    }
    zero = zero || u == 0;
    e.shape.push_back(static_cast<int64_t>(u));
  }

  const Json& offsets = v["data_offsets"];
  if (!offsets.is_array() || offsets.size() != 2) {
    throw Error(
        fmt::format("{}: tensor '{}': data_offsets must be [begin, end], found {}", path, name, offsets.dump()));
  }
  e.begin = to_u64(offsets[0], path, name, "data_offsets");
  e.end = to_u64(offsets[1], path, name, "data_offsets");
  if (e.begin > e.end || e.end > data_size) {
    throw Error(fmt::format("{}: tensor '{}': data_offsets [{}, {}] out of range of the {}-byte data section", path,
                            name, e.begin, e.end, data_size));
  }
  // Byte count; saturates instead of overflowing, and is checked before anything is allocated.
  uint64_t bytes = zero ? 0 : static_cast<uint64_t>(dtype_bytes(e.dtype));
  for (int64_t dim : e.shape) {
    if (zero || __builtin_mul_overflow(bytes, static_cast<uint64_t>(dim), &bytes)) {
      if (!zero) bytes = std::numeric_limits<uint64_t>::max();
      break;
    }
  }
  if (bytes != e.end - e.begin) {
    throw Error(fmt::format(
        "{}: tensor '{}': shape {} of {} needs {} bytes, data_offsets [{}, {}] hold {}", path, name, shape.dump(), d,
        bytes == std::numeric_limits<uint64_t>::max() ? std::string("too many") : std::to_string(bytes), e.begin, e.end,
        e.end - e.begin));
  }
  return e;
}

std::map<std::string, std::string> parse_metadata(const std::string& path, const Json& v) {
  if (!v.is_object()) throw Error(fmt::format("{}: {} must be an object of strings", path, kMetadataKey));
  std::map<std::string, std::string> out;
  for (const auto& [key, value] : v.items()) {
    if (!value.is_string()) {
      throw Error(
          fmt::format("{}: {} value of '{}' must be a string, found {}", path, kMetadataKey, key, value.dump()));
    }
    out[key] = value.get<std::string>();
  }
  return out;
}

}  // namespace

const Tensor* TensorFile::find(const std::string& name) const {
  for (const auto& [n, t] : tensors) {
    if (n == name) return &t;
  }
  return nullptr;
}

namespace {

// The header of an open safetensors file, checked (length, JSON, depth, duplicate keys), and where its data
// starts.
struct Header {
  Json json;
  uint64_t data_begin = 0;
  uint64_t data_size = 0;
};

Header read_header(io::InputFile& in, const std::string& path) {
  if (in.size() < 8) {
    throw Error(
        fmt::format("{}: file is {} bytes, too short for a safetensors header length (8 bytes)", path, in.size()));
  }
  unsigned char len_bytes[8];
  in.read_at(0, len_bytes, 8, "header length");
  uint64_t header_len = 0;
  for (int i = 7; i >= 0; --i) header_len = (header_len << 8) | len_bytes[i];
  if (header_len > kMaxHeaderBytes) {
    throw Error(fmt::format("{}: header length {} is larger than the {} byte limit (not a safetensors file?)", path,
                            header_len, kMaxHeaderBytes));
  }
  if (header_len > in.size() - 8) {
    throw Error(fmt::format("{}: header length {} exceeds the {} bytes after it (truncated file?)", path, header_len,
                            in.size() - 8));
  }
  std::string text(header_len, '\0');
  in.read_at(8, text.data(), text.size(), "header");
  const uint64_t data_size = in.size() - 8 - header_len;

  // The callback sees every top-level key, so duplicates (which JSON parsers merge) are caught, and
  // every depth, so a hostile header cannot nest deep enough to overflow the stack when printed.
  std::set<std::string> seen;
  std::string duplicate;
  bool too_deep = false;
  Json header = Json::parse(
      text,
      [&](int depth, Json::parse_event_t event, Json& parsed) {
        too_deep = too_deep || depth > kMaxDepth;
        if (event == Json::parse_event_t::key && depth == 1) {
          const auto& key = parsed.get_ref<const std::string&>();
          if (!seen.insert(key).second && duplicate.empty()) duplicate = key;
        }
        return true;
      },
      /*allow_exceptions=*/false);
  if (header.is_discarded()) throw Error(fmt::format("{}: header is not valid JSON", path));
  if (!header.is_object()) throw Error(fmt::format("{}: header is not a JSON object", path));
  if (too_deep) throw Error(fmt::format("{}: header nests deeper than {} levels", path, kMaxDepth));
  if (!duplicate.empty()) throw Error(fmt::format("{}: tensor '{}' appears twice in the header", path, duplicate));

  return {.json = std::move(header), .data_begin = 8 + header_len, .data_size = data_size};
}

}  // namespace

std::map<std::string, std::string> read_safetensors_metadata(const std::string& path) {
  io::InputFile in(path);
  const Header header = read_header(in, path);
  const auto found = header.json.find(kMetadataKey);
  return found == header.json.end() ? std::map<std::string, std::string>{} : parse_metadata(path, *found);
}

TensorFile read_safetensors(const std::string& path) {
  io::InputFile in(path);
  const Header h = read_header(in, path);
  const Json& header = h.json;
  const uint64_t data_size = h.data_size;

  TensorFile out;
  std::vector<Entry> entries;
  for (const auto& [name, value] : header.items()) {
    if (name == kMetadataKey) {
      out.metadata = parse_metadata(path, value);
    } else {
      entries.push_back(parse_entry(path, name, value, data_size));
    }
  }
  std::ranges::stable_sort(entries, {}, &Entry::begin);
  // As the reference implementation demands: the tensors tile the data section, no overlap, no gap.
  uint64_t at = 0;
  for (const Entry& e : entries) {
    if (e.begin < at) {
      throw Error(fmt::format("{}: tensor '{}': data_offsets [{}, {}] overlap the previous tensor's data", path, e.name,
                              e.begin, e.end));
    }
    if (e.begin > at) {
      throw Error(fmt::format("{}: tensor '{}': data_offsets [{}, {}] leave a gap of {} bytes before it", path, e.name,
                              e.begin, e.end, e.begin - at));
    }
    at = e.end;
  }
  if (at != data_size) {
    throw Error(fmt::format("{}: the tensors cover {} bytes but the data section has {} bytes", path, at, data_size));
  }

  out.tensors.reserve(entries.size());
  for (const Entry& e : entries) {
    Tensor t(e.shape, e.dtype);
    in.read_at(h.data_begin + e.begin, t.bytes(), static_cast<std::size_t>(e.end - e.begin), e.name.c_str());
    out.tensors.emplace_back(e.name, std::move(t));
  }
  return out;
}

void write_safetensors(const std::string& path, const TensorFile& file) {
  Json header = Json::object();
  std::set<std::string> names;
  uint64_t offset = 0;
  for (const auto& [name, t] : file.tensors) {
    if (name.empty() || name == kMetadataKey) {
      throw Error(fmt::format("{}: invalid tensor name '{}'", path, name));
    }
    if (!names.insert(name).second) throw Error(fmt::format("{}: tensor '{}' given twice", path, name));
    if (t.empty()) throw Error(fmt::format("{}: tensor '{}' has no storage", path, name));
    const auto bytes = static_cast<uint64_t>(t.nbytes());
    header[name] =
        Json{{"dtype", safetensors_dtype(t.dtype())}, {"shape", t.shape()}, {"data_offsets", {offset, offset + bytes}}};
    offset += bytes;
  }
  if (!file.metadata.empty()) header[kMetadataKey] = file.metadata;
  std::string text = header.dump();
  text.append((8 - text.size() % 8) % 8, ' ');
  unsigned char len_bytes[8];
  for (int i = 0; i < 8; ++i) len_bytes[i] = static_cast<unsigned char>(static_cast<uint64_t>(text.size()) >> (8 * i));

  io::write_file_atomically(path, [&](std::FILE* f) {
    io::write_bytes(f, len_bytes, 8, path);
    io::write_bytes(f, text.data(), text.size(), path);
    for (const auto& [name, t] : file.tensors)
      io::write_bytes(f, t.bytes(), static_cast<std::size_t>(t.nbytes()), path);
  });
}

}  // namespace cnnzoo
