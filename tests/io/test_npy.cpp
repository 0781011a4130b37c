#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <limits>
#include <nlohmann/json.hpp>
#include <random>

#include "cnnzoo/error.h"
#include "cnnzoo/io.h"
#include "io/file_support.h"

namespace cnnzoo {
namespace {

namespace fs = std::filesystem;

std::string data(const std::string& name) { return std::string(CNNZOO_TEST_DATA) + "/io/" + name; }

using test::bytes_of;
using test::put;

std::string temp_dir() { return test::temp_dir("cnnzoo_npy"); }

// Reading must throw an Error whose message starts with the path (returned), nothing else.
std::string read_error(const std::string& path) {
  try {
    read_npy(path);
  } catch (const Error& e) {
    EXPECT_EQ(std::string(e.what()).rfind(path, 0), 0u) << e.what();
    return e.what();
  }
  ADD_FAILURE() << path << ": read succeeded";
  return {};
}

// An npy 1.0 file with the given header text (padded the way numpy pads) and data.
std::string npy_file(std::string header, const std::string& payload) {
  header.append((64 - (10 + header.size() + 1) % 64) % 64, ' ');
  header += '\n';
  std::string out("\x93NUMPY\x01\x00", 8);
  out += static_cast<char>(header.size() & 0xff);
  out += static_cast<char>(header.size() >> 8);
  return out + header + payload;
}

TEST(Npy, ReadsWhatNumpySaved) {
  const auto expected = nlohmann::json::parse(bytes_of(data("expected.json")))["arange_f32"];
  for (const char* name : {"arange_f32.npy", "arange_f32_v2.npy"}) {
    const Tensor t = read_npy(data(name));
    EXPECT_EQ(t.shape(), (Dims{2, 3, 4, 5})) << name;
    EXPECT_EQ(t.shape(), expected["shape"].get<Dims>());
    ASSERT_EQ(t.dtype(), DType::F32);
    double sum = 0;
    for (int64_t i = 0; i < t.numel(); ++i) {
      EXPECT_EQ(t.f32()[i], static_cast<float>(i) / 7.0f) << name << " element " << i;
      sum += t.f32()[i];
    }
    EXPECT_DOUBLE_EQ(sum, expected["sum"].get<double>());
    for (const auto& [index, value] : expected["values"].items()) {
      EXPECT_EQ(t.f32()[std::stoul(index)], value.get<float>());
    }
  }
}

TEST(Npy, ReadsScalarAndVector) {
  const Tensor s = read_npy(data("scalar_f32.npy"));
  EXPECT_EQ(s.shape(), Dims{});
  EXPECT_EQ(s.f32()[0], 2.5f);
  const Tensor v = read_npy(data("vector_f32.npy"));
  EXPECT_EQ(v.shape(), Dims{5});
  EXPECT_EQ(std::vector<float>(v.f32().begin(), v.f32().end()), (std::vector<float>{1, -2, 3.5f, 0, 7}));
}

// Little-endian bytes of each value, as numpy stores them.
template <typename T>
std::string le_bytes(std::initializer_list<T> values) {
  std::string out;
  for (T v : values) out.append(reinterpret_cast<const char*>(&v), sizeof(T));
  return out;
}

std::vector<float> values_of(const Tensor& t) { return {t.f32().begin(), t.f32().end()}; }

TEST(Npy, OtherNumberTypesBecomeFloat32) {
  // numpy.arange(6).reshape(2, 3) saved as float64 and as int64 (scripts/make_io_fixtures.py).
  for (const char* name : {"arange_f64.npy", "arange_i64.npy"}) {
    const Tensor t = read_npy(data(name));
    EXPECT_EQ(t.shape(), (Dims{2, 3})) << name;
    EXPECT_EQ(values_of(t), (std::vector<float>{0, 1, 2, 3, 4, 5})) << name;
  }
  const std::string dir = temp_dir();
  // float16: 1, -2, 65504 (the largest), 2^-24 (the smallest subnormal), infinity.
  put(dir + "/f2.npy", npy_file("{'descr': '<f2', 'fortran_order': False, 'shape': (5,), }",
                                le_bytes<uint16_t>({0x3c00, 0xc000, 0x7bff, 0x0001, 0x7c00})));
  EXPECT_EQ(values_of(read_npy(dir + "/f2.npy")),
            (std::vector<float>{1, -2, 65504, std::ldexp(1.0f, -24), std::numeric_limits<float>::infinity()}));
  put(dir + "/u8.npy",
      npy_file("{'descr': '|u1', 'fortran_order': False, 'shape': (2,), }", std::string("\x00\xff", 2)));
  EXPECT_EQ(values_of(read_npy(dir + "/u8.npy")), (std::vector<float>{0, 255}));
  // float64 rounds to the nearest float32, as numpy's astype(float32) does.
  put(dir + "/f8.npy", npy_file("{'descr': '<f8', 'fortran_order': False, 'shape': (1,), }", le_bytes<double>({0.1})));
  EXPECT_EQ(values_of(read_npy(dir + "/f8.npy")), std::vector<float>{0.1f});
}

TEST(Npy, NumbersFloat32CannotHoldAndOtherFormsAreNamedErrors) {
  const std::string dir = temp_dir();
  put(dir + "/big.npy", npy_file("{'descr': '<i8', 'fortran_order': False, 'shape': (2,), }",
                                 le_bytes<int64_t>({1, (int64_t{1} << 24) + 1})));
  EXPECT_NE(read_error(dir + "/big.npy")
                .find("element 1 of this int64 array is not a float32 number (an integer beyond 2^24)"),
            std::string::npos);
  put(dir + "/huge.npy",
      npy_file("{'descr': '<f8', 'fortran_order': False, 'shape': (1,), }", le_bytes<double>({1e39})));
  EXPECT_NE(
      read_error(dir + "/huge.npy").find("element 0 of this float64 array is not a float32 number (beyond its range)"),
      std::string::npos);
  EXPECT_NE(read_error(data("big_endian_f32.npy")).find("'>f4' (big-endian)"), std::string::npos);
  EXPECT_NE(read_error(data("fortran_f32.npy")).find("Fortran"), std::string::npos);
  put(dir + "/b1.npy",
      npy_file("{'descr': '|b1', 'fortran_order': False, 'shape': (2,), }", std::string("\x01\x00", 2)));
  EXPECT_NE(read_error(dir + "/b1.npy").find("'|b1' (bool)"), std::string::npos);
  // The data's size is that of the element type: 3 int16 need 6 bytes.
  put(dir + "/short.npy", npy_file("{'descr': '<i2', 'fortran_order': False, 'shape': (3,), }", "abcd"));
  EXPECT_NE(read_error(dir + "/short.npy").find("shape 3 needs more than the 4 data bytes"), std::string::npos);
}

TEST(Npy, WriterMatchesNumpyByteForByte) {
  const std::string dir = temp_dir();
  for (const char* name : {"arange_f32.npy", "scalar_f32.npy", "vector_f32.npy"}) {
    const std::string out = dir + "/" + name;
    write_npy(out, read_npy(data(name)));
    EXPECT_EQ(bytes_of(out), bytes_of(data(name))) << name;
  }
}

TEST(Npy, RoundTripsShapes) {
  const std::string dir = temp_dir();
  std::mt19937 rng(7);
  std::normal_distribution<float> normal;
  const std::vector<Dims> shapes = {{},         {0}, {1}, {3, 0, 2}, {7}, {2, 3, 4, 5}, {1, 1, 1, 1, 1, 1, 1, 1, 1, 1},
                                    {100000, 0}};
  for (const Dims& shape : shapes) {
    Tensor t(shape);
    for (float& v : t.f32()) v = normal(rng);
    const std::string path = dir + "/t.npy";
    write_npy(path, t);
    const std::string bytes = bytes_of(path);
    EXPECT_EQ((bytes.size() - static_cast<std::size_t>(t.nbytes())) % 64, 0u) << to_string(shape);
    EXPECT_EQ(bytes[bytes.size() - static_cast<std::size_t>(t.nbytes()) - 1], '\n');
    const Tensor r = read_npy(path);
    EXPECT_EQ(r.shape(), shape);
    EXPECT_EQ(std::memcmp(r.bytes(), t.bytes(), static_cast<std::size_t>(t.nbytes())), 0);
  }
}

TEST(Npy, WriterRejectsNonFloat32) {
  const std::string dir = temp_dir();
  EXPECT_THROW(write_npy(dir + "/i.npy", Tensor({2}, DType::I64)), Error);
  EXPECT_THROW(write_npy(dir + "/e.npy", Tensor()), Error);
  EXPECT_TRUE(fs::is_empty(dir));
}

TEST(Npy, EveryTruncationIsAnError) {
  const std::string dir = temp_dir();
  for (const char* name : {"arange_f32.npy", "scalar_f32.npy", "arange_f32_v2.npy"}) {
    const std::string full = bytes_of(data(name));
    for (std::size_t n = 0; n < full.size(); ++n) {
      const std::string path = dir + "/cut.npy";
      put(path, full.substr(0, n));
      read_error(path);
    }
  }
}

TEST(Npy, MutatedHeadersNeverCrash) {
  const std::string dir = temp_dir();
  const std::string full = bytes_of(data("vector_f32.npy"));
  const std::string path = dir + "/m.npy";
  for (std::size_t i = 0; i < full.size() - 20; ++i) {
    for (char c : {'\0', '\xff', ' ', '(', ')', '\'', ',', '9', '-', '}', 'x'}) {
      std::string m = full;
      m[i] = c;
      put(path, m);
      try {
        read_npy(path);  // some mutations (a space for a space) leave a valid file
      } catch (const Error& e) {
        EXPECT_EQ(std::string(e.what()).rfind(path, 0), 0u) << e.what();
      }
    }
  }
}

TEST(Npy, MalformedFilesAreNamedErrors) {
  const std::string dir = temp_dir();
  const std::string p = dir + "/bad.npy";
  const std::string four(16, '\0');  // a (2, 2) float32 payload
  auto check = [&](const std::string& file, const std::string& needle) {
    put(p, file);
    const std::string msg = read_error(p);
    EXPECT_NE(msg.find(needle), std::string::npos) << "message: " << msg << "\nexpected: " << needle;
  };
  check(std::string("\x93NUMPX\x01\x00\x10\x00", 10) + std::string(80, ' '), "bad magic");
  check(std::string("\x93NUMPY\x09\x00\x10\x00", 10) + std::string(80, ' '), "version 9.0");
  check(std::string("\x93NUMPY\x01\x00\xff\xff", 10) + std::string(80, ' '), "truncated");
  check(std::string("\x93NUMPY\x02\x00\xff\xff\xff\x7f", 12) + std::string(80, ' '), "limit");
  check(npy_file("{'descr': '<f4', 'shape': (2, 2), }", four), "missing key 'fortran_order'");
  check(npy_file("{'descr': '<f4', 'fortran_order': False, }", four), "missing key 'shape'");
  check(npy_file("{'fortran_order': False, 'shape': (2, 2), }", four), "missing key 'descr'");
  check(npy_file("{'descr': '<f4', 'fortran_order': False, 'shape': (2, 2), 'x': 1}", four), "unexpected key 'x'");
  check(npy_file("{'descr': '<f4', 'descr': '<f4', 'fortran_order': False, 'shape': (2, 2)}", four), "twice");
  check(npy_file("{'descr': '<f4', 'fortran_order': Maybe, 'shape': (2, 2)}", four), "True or False");
  check(npy_file("{'descr': '<f4', 'fortran_order': False, 'shape': (2, -2)}", four), "negative dimension");
  check(npy_file("{'descr': '<f4', 'fortran_order': False, 'shape': (2, 2}", four), "expected ',' or ')'");
  check(npy_file("{'descr': '<f4', 'fortran_order': False, 'shape': (99999999999999999999,)}", four), "too large");
  check(npy_file("{'descr': '<f4', 'fortran_order': False, 'shape': (2, 2)} junk", four), "after the dict");
  check(npy_file("{'descr: '<f4', 'fortran_order': False, 'shape': (2, 2)}", four), "malformed .npy header");
  check(npy_file("['descr', '<f4']", four), "expected '{'");
  check(npy_file("{'descr': '<f4', 'fortran_order': False, 'shape': (2, 3)}", four), "truncated");
  check(npy_file("{'descr': '<f4', 'fortran_order': False, 'shape': (2, 2)}", four + "x"), "trailing bytes");
  // A shape far beyond the file is refused before anything is allocated.
  check(npy_file("{'descr': '<f4', 'fortran_order': False, 'shape': (4611686018427387904, 4611686018427387904)}", four),
        "truncated");
  // Spacing, double quotes, no trailing comma and Python 2 longs are all fine.
  put(p, npy_file("{ \"descr\" :'<f4','fortran_order':False,'shape':( 2L ,2 ) }", four));
  EXPECT_EQ(read_npy(p).shape(), (Dims{2, 2}));
  EXPECT_NE(read_error(dir + "/absent.npy").find("cannot open"), std::string::npos);
}

TEST(Npy, WriteReplacesAtomically) {
  const std::string dir = temp_dir();
  const std::string path = dir + "/a.npy";
  const float one[] = {1.0f};
  write_npy(path, Tensor({1}, one));
  const float two[] = {2.0f, 3.0f};
  write_npy(path, Tensor({2}, two));
  EXPECT_EQ(read_npy(path).f32()[1], 3.0f);
  EXPECT_EQ(std::distance(fs::directory_iterator(dir), fs::directory_iterator()), 1);  // no temporaries left
  EXPECT_THROW(write_npy(dir + "/no/such/folder/a.npy", Tensor({1}, one)), Error);
}

}  // namespace
}  // namespace cnnzoo
