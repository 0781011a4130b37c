// NumPy .npy: "\x93NUMPY", major, minor, header length (u16 for 1.0, u32 for 2.0/3.0), a Python dict
// literal {'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), } padded with spaces and '\n',
// then the raw data. https://numpy.org/doc/stable/reference/generated/numpy.lib.format.html
#include <fmt/format.h>
#include <fmt/ranges.h>

#include <cctype>
#include <cmath>
#include <cstring>
#include <limits>
#include <optional>

#include "cnnzoo/error.h"
#include "cnnzoo/io.h"
#include "io/atomic_file.h"

namespace cnnzoo {
namespace {

constexpr char kMagic[] = "\x93NUMPY";
constexpr std::size_t kMagicLen = 6;
constexpr uint64_t kMaxHeaderBytes = 1u << 20;  // numpy refuses headers over 10000 bytes by default
constexpr std::size_t kAlign = 64;
constexpr std::size_t kGrowthAxisMaxDigits = 21;  // numpy leaves room for the first axis to grow

// The three values the header dict holds.
struct Header {
  std::optional<std::string> descr;
  std::optional<bool> fortran_order;
  std::optional<Dims> shape;
};

// A parser for the small Python literal numpy writes; throws Error naming the file and the position.
class HeaderParser {
 public:
  HeaderParser(const std::string& path, std::string_view text) : path_(path), text_(text) {}

  Header parse() {
    Header h;
    skip_space();
    expect('{');
    while (true) {
      skip_space();
      if (peek() == '}') break;
      const std::string key = string();
      skip_space();
      expect(':');
      skip_space();
      if (key == "descr") {
        set(h.descr, string(), key);
      } else if (key == "fortran_order") {
        set(h.fortran_order, boolean(), key);
      } else if (key == "shape") {
        set(h.shape, tuple(), key);
      } else {
        fail(fmt::format("unexpected key '{}'", key));
      }
      skip_space();
      if (peek() == ',') {
        ++pos_;
        continue;
      }
      if (peek() != '}') fail("expected ',' or '}'");
    }
    ++pos_;
    skip_space();
    if (pos_ != text_.size()) fail("unexpected text after the dict");
    if (!h.descr) fail("missing key 'descr'");
    if (!h.fortran_order) fail("missing key 'fortran_order'");
    if (!h.shape) fail("missing key 'shape'");
    return h;
  }

 private:
  template <typename T>
  void set(std::optional<T>& slot, T value, const std::string& key) {
    if (slot) fail(fmt::format("key '{}' given twice", key));
    slot = std::move(value);
  }
  [[noreturn]] void fail(const std::string& what) const {
    throw Error(fmt::format("{}: malformed .npy header at character {}: {} (header: {})", path_, pos_, what,
                            text_.substr(0, 200)));
  }
  char peek() const { return pos_ < text_.size() ? text_[pos_] : '\0'; }
  void skip_space() {
    while (pos_ < text_.size() &&
           (text_[pos_] == ' ' || text_[pos_] == '\t' || text_[pos_] == '\n' || text_[pos_] == '\r')) {
      ++pos_;
    }
  }
  void expect(char c) {
    if (peek() != c) fail(fmt::format("expected '{}'", c));
    ++pos_;
  }
  std::string string() {
    const char quote = peek();
    if (quote != '\'' && quote != '"') fail("expected a quoted string");
    const std::size_t begin = ++pos_;
    while (pos_ < text_.size() && text_[pos_] != quote) {
      if (text_[pos_] == '\\') fail("escapes are not supported");
      ++pos_;
    }
    if (pos_ == text_.size()) fail("unterminated string");
    return std::string(text_.substr(begin, pos_++ - begin));
  }
  bool boolean() {
    if (text_.substr(pos_, 4) == "True") {
      pos_ += 4;
      return true;
    }
    if (text_.substr(pos_, 5) == "False") {
      pos_ += 5;
      return false;
    }
    fail("expected True or False");
  }
  int64_t integer() {
    if (!std::isdigit(static_cast<unsigned char>(peek()))) {
      fail(peek() == '-' ? "negative dimension" : "expected a non-negative integer");
    }
    int64_t v = 0;
    while (std::isdigit(static_cast<unsigned char>(peek()))) {
      const int digit = peek() - '0';
      if (v > (std::numeric_limits<int64_t>::max() - digit) / 10) fail("dimension too large");
      v = v * 10 + digit;
      ++pos_;
    }
    if (peek() == 'L') ++pos_;  // Python 2 longs
    return v;
  }
  Dims tuple() {
    expect('(');
    Dims dims;
    while (true) {
      skip_space();
      if (peek() == ')') break;
      dims.push_back(integer());
      skip_space();
      if (peek() == ',') {
        ++pos_;
        continue;
      }
      if (peek() != ')') fail("expected ',' or ')' in shape");
    }
    ++pos_;
    return dims;
  }

  const std::string& path_;
  std::string_view text_;
  std::size_t pos_ = 0;
};

std::string describe_descr(const std::string& d) {
  if (d.size() >= 2 && d[0] == '>') return "big-endian";
  if (d == "<f8") return "float64";
  if (d == "<f2") return "float16";
  if (d == "<i8") return "int64";
  if (d == "<i4") return "int32";
  if (d == "|u1") return "uint8";
  if (d == "|i1") return "int8";
  if (d == "|b1") return "bool";
  if (d == "<f4") return "float32";
  if (d == "<i2") return "int16";
  if (d == "<u2") return "uint16";
  return "unsupported";
}

// IEEE half precision (sign, 5 exponent bits, 10 fraction bits) to float, exactly.
float half_to_float(uint16_t h) {
  const int exponent = (h >> 10) & 0x1f;
  const int fraction = h & 0x3ff;
  float magnitude = 0.0f;
  if (exponent == 0) {
    magnitude = std::ldexp(static_cast<float>(fraction), -24);  // subnormal: fraction x 2^-24
  } else if (exponent == 0x1f) {
    magnitude = fraction == 0 ? std::numeric_limits<float>::infinity() : std::numeric_limits<float>::quiet_NaN();
  } else {
    magnitude = std::ldexp(static_cast<float>(fraction + 0x400), exponent - 25);
  }
  return (h & 0x8000) != 0 ? -magnitude : magnitude;
}

template <typename T>
T load(const unsigned char* p) {
  T v;
  std::memcpy(&v, p, sizeof(T));  // the host is little-endian, as the accepted descrs are
  return v;
}

// The element types read_npy takes, and how one element becomes a float32 (or why it cannot: nullopt).
struct ElementType {
  std::string_view descr;
  uint64_t bytes;
  std::optional<float> (*to_float)(const unsigned char*);
};

// An integer or double converts only when float32 holds it: integers up to 2^24 in magnitude, doubles of float
// range (rounded to nearest, as numpy's astype(float32) does; NaN and infinities pass).
template <typename Int>
std::optional<float> exact_integer(const unsigned char* p) {
  const auto v = load<Int>(p);
  constexpr auto kExact = int64_t{1} << 24;
  if (static_cast<int64_t>(v) > kExact || static_cast<int64_t>(v) < -kExact) return std::nullopt;
  return static_cast<float>(v);
}
std::optional<float> from_double(const unsigned char* p) {
  const auto v = load<double>(p);
  if (std::isfinite(v) && std::abs(v) > std::numeric_limits<float>::max()) return std::nullopt;
  return static_cast<float>(v);
}

constexpr ElementType kElementTypes[] = {
    {"<f4", 4, [](const unsigned char* p) -> std::optional<float> { return load<float>(p); }},
    {"<f8", 8, from_double},
    {"<f2", 2, [](const unsigned char* p) -> std::optional<float> { return half_to_float(load<uint16_t>(p)); }},
    {"<i8", 8, exact_integer<int64_t>},
    {"<i4", 4, exact_integer<int32_t>},
    {"<i2", 2, exact_integer<int16_t>},
    {"|i1", 1, exact_integer<int8_t>},
    {"|u1", 1, exact_integer<uint8_t>},
    {"<u2", 2, exact_integer<uint16_t>},
};

// numpy's repr of a shape tuple: "()", "(5,)", "(2, 3)".
std::string python_tuple(const Dims& dims) {
  if (dims.size() == 1) return fmt::format("({},)", dims[0]);
  return fmt::format("({})", fmt::join(dims, ", "));
}

}  // namespace

Tensor read_npy(const std::string& path) {
  io::InputFile in(path);
  unsigned char prefix[8];
  if (in.size() < 10) throw Error(fmt::format("{}: file is {} bytes, too short for a .npy file", path, in.size()));
  in.read_at(0, prefix, 8, "magic");
  if (std::memcmp(prefix, kMagic, kMagicLen) != 0) {
    throw Error(fmt::format("{}: not a .npy file (bad magic; expected \\x93NUMPY)", path));
  }
  const int major = prefix[6];
  const int minor = prefix[7];
  uint64_t header_len = 0;
  uint64_t header_at = 0;
  if (major == 1 && minor == 0) {
    unsigned char b[2];
    in.read_at(8, b, 2, "header length");
    header_len = b[0] | (uint64_t{b[1]} << 8);
    header_at = 10;
  } else if ((major == 2 || major == 3) && minor == 0) {
    unsigned char b[4];
    in.read_at(8, b, 4, "header length");
    header_len = b[0] | (uint64_t{b[1]} << 8) | (uint64_t{b[2]} << 16) | (uint64_t{b[3]} << 24);
    header_at = 12;
  } else {
    throw Error(
        fmt::format("{}: unsupported .npy format version {}.{} (cnnzoo reads 1.0, 2.0 and 3.0)", path, major, minor));
  }
  if (header_len > kMaxHeaderBytes) {
    throw Error(
        fmt::format("{}: .npy header length {} is larger than the {} byte limit", path, header_len, kMaxHeaderBytes));
  }
  std::string text(header_len, '\0');
  in.read_at(header_at, text.data(), text.size(), "header");
  const Header h = HeaderParser(path, text).parse();

  const ElementType* type = nullptr;
  for (const ElementType& t : kElementTypes) type = t.descr == *h.descr ? &t : type;
  if (type == nullptr) {
    throw Error(
        fmt::format("{}: dtype '{}' ({}) is not supported; cnnzoo reads little-endian float32, float64, float16 and "
                    "integers of up to 64 bits, as float32",
                    path, *h.descr, describe_descr(*h.descr)));
  }
  if (*h.fortran_order) {
    throw Error(
        fmt::format("{}: Fortran-order arrays are not supported; save a C-order array "
                    "(numpy.ascontiguousarray)",
                    path));
  }
  const uint64_t data_at = header_at + header_len;
  const uint64_t available = in.size() - data_at;  // data_at <= size: the header was read
  // Count bytes against what the file holds, so a huge shape cannot overflow or allocate.
  uint64_t bytes = type->bytes;
  bool zero = false;
  for (int64_t d : *h.shape) zero = zero || d == 0;
  if (zero) bytes = 0;
  for (int64_t d : *h.shape) {
    if (zero) break;
    if (bytes > available / static_cast<uint64_t>(d)) {
      throw Error(fmt::format("{}: truncated: shape {} needs more than the {} data bytes in the file", path,
                              to_string(*h.shape), available));
    }
    bytes *= static_cast<uint64_t>(d);
  }
  if (bytes != available) {
    throw Error(fmt::format("{}: {}: shape {} of {} needs {} data bytes, the file has {}", path,
                            bytes > available ? "truncated" : "trailing bytes", to_string(*h.shape),
                            describe_descr(*h.descr), bytes, available));
  }
  Tensor t(*h.shape, DType::F32);
  if (type->descr == "<f4") {
    in.read_at(data_at, t.bytes(), static_cast<std::size_t>(bytes), "data");
    return t;
  }
  std::vector<unsigned char> raw(static_cast<std::size_t>(bytes));
  in.read_at(data_at, raw.data(), raw.size(), "data");
  float* out = t.f32().data();
  for (std::size_t i = 0; i < raw.size() / type->bytes; ++i) {
    const std::optional<float> v = type->to_float(raw.data() + i * type->bytes);
    if (!v) {
      throw Error(fmt::format(
          "{}: element {} of this {} array is not a float32 number ({}); cnnzoo computes in float32", path, i,
          describe_descr(*h.descr), type->descr == "<f8" ? "beyond its range" : "an integer beyond 2^24"));
    }
    out[i] = *v;
  }
  return t;
}

void write_npy(const std::string& path, const Tensor& tensor) {
  if (tensor.dtype() != DType::F32) {
    throw Error(fmt::format("{}: .npy writer takes float32 tensors, got {}", path, dtype_name(tensor.dtype())));
  }
  if (tensor.empty()) throw Error(fmt::format("{}: tensor has no storage", path));
  const Dims& shape = tensor.shape();
  // Exactly numpy.lib.format._write_array_header for version 1.0.
  std::string header = fmt::format("{{'descr': '<f4', 'fortran_order': False, 'shape': {}, }}", python_tuple(shape));
  if (!shape.empty()) header.append(kGrowthAxisMaxDigits - std::to_string(shape[0]).size(), ' ');
  const std::size_t hlen = header.size() + 1;
  const std::size_t padlen = kAlign - (kMagicLen + 2 + 2 + hlen) % kAlign;
  header.append(padlen, ' ');
  header.push_back('\n');
  if (header.size() > 0xffff) throw Error(fmt::format("{}: .npy header too long for format 1.0", path));
  const unsigned char prefix[10] = {0x93,
                                    'N',
                                    'U',
                                    'M',
                                    'P',
                                    'Y',
                                    1,
                                    0,
                                    static_cast<unsigned char>(header.size()),
                                    static_cast<unsigned char>(header.size() >> 8)};
  io::write_file_atomically(path, [&](std::FILE* f) {
    io::write_bytes(f, prefix, sizeof prefix, path);
    io::write_bytes(f, header.data(), header.size(), path);
    io::write_bytes(f, tensor.bytes(), static_cast<std::size_t>(tensor.nbytes()), path);
  });
}

}  // namespace cnnzoo
