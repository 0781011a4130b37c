#include <fmt/format.h>
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmath>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <nlohmann/json.hpp>

#include "cnnzoo/error.h"
#include "cnnzoo/io.h"
#include "io/atomic_file.h"
#include "io/file_support.h"

namespace cnnzoo {
namespace {

namespace fs = std::filesystem;

const std::string kTorchFile = std::string(CNNZOO_TEST_DATA) + "/io/tiny_resnet_stem.safetensors";

using test::bytes_of;
using test::put;

std::string temp_dir() { return test::temp_dir("cnnzoo_safetensors"); }

std::size_t entries(const std::string& dir) {
  return static_cast<std::size_t>(std::distance(fs::directory_iterator(dir), fs::directory_iterator()));
}

std::string read_error(const std::string& path) {
  try {
    read_safetensors(path);
  } catch (const Error& e) {
    EXPECT_EQ(std::string(e.what()).rfind(path, 0), 0u) << e.what();
    return e.what();
  }
  ADD_FAILURE() << path << ": read succeeded";
  return {};
}

// A safetensors file from header text and data bytes.
std::string st_file(const std::string& header, const std::string& payload, uint64_t length) {
  std::string out(8, '\0');
  for (int i = 0; i < 8; ++i) out[static_cast<std::size_t>(i)] = static_cast<char>(length >> (8 * i));
  return out + header + payload;
}
std::string st_file(const std::string& header, const std::string& payload) {
  return st_file(header, payload, header.size());
}

TEST(Safetensors, ReadsTorchStateDict) {
  const auto expected =
      nlohmann::json::parse(bytes_of(std::string(CNNZOO_TEST_DATA) + "/io/expected.json"))["tiny_resnet_stem"];
  const TensorFile file = read_safetensors(kTorchFile);
  using Metadata = std::map<std::string, std::string>;
  EXPECT_EQ(file.metadata, expected["metadata"].get<Metadata>());
  ASSERT_EQ(file.tensors.size(), expected["tensors"].size());
  for (std::size_t i = 0; i < file.tensors.size(); ++i) {
    const auto& want = expected["tensors"][i];
    const auto& [name, t] = file.tensors[i];
    EXPECT_EQ(name, want["name"].get<std::string>()) << "file order";
    EXPECT_EQ(t.shape(), want["shape"].get<Dims>()) << name;
    double sum = 0;
    if (want["dtype"] == "F32") {
      ASSERT_EQ(t.dtype(), DType::F32) << name;
      for (float v : t.f32()) sum += v;
      EXPECT_EQ(t.f32()[0], want["first"].get<float>()) << name;
    } else {
      ASSERT_EQ(t.dtype(), DType::I64) << name;
      for (int64_t v : t.i64()) sum += static_cast<double>(v);
      EXPECT_EQ(t.i64()[0], want["first"].get<int64_t>()) << name;
    }
    EXPECT_NEAR(sum, want["sum"].get<double>(), 1e-5) << name;
  }
  const Tensor* tracked = file.find("bn1.num_batches_tracked");
  ASSERT_NE(tracked, nullptr);
  EXPECT_EQ(tracked->shape(), Dims{});
  EXPECT_EQ(tracked->i64()[0], 1);
  EXPECT_EQ(file.find("bn1.nothing"), nullptr);
}

TEST(Safetensors, RewritingTorchFileIsByteIdentical) {
  const std::string out = temp_dir() + "/copy.safetensors";
  write_safetensors(out, read_safetensors(kTorchFile));
  EXPECT_EQ(bytes_of(out), bytes_of(kTorchFile));
}

TEST(Safetensors, RoundTrips) {
  const std::string dir = temp_dir();
  TensorFile file;
  Tensor w({2, 3});
  for (int i = 0; i < 6; ++i) w.f32()[i] = static_cast<float>(i) * -1.5f;
  Tensor steps(Dims{}, DType::I64);
  steps.i64()[0] = int64_t{1} << 40;
  Tensor ids({3}, DType::I64);
  ids.i64()[2] = -7;
  Tensor scalar(Dims{});
  scalar.f32()[0] = 0.25f;
  file.tensors.emplace_back("z.weight", w);  // file order is kept, not sorted
  file.tensors.emplace_back("a.steps", steps);
  file.tensors.emplace_back("empty", Tensor({0, 4}));
  file.tensors.emplace_back("m.ids", ids);
  file.tensors.emplace_back("m.scalar", scalar);
  for (bool with_metadata : {false, true}) {
    if (with_metadata) file.metadata = {{"format", "pt"}, {"epoch", "3"}, {"note", "ünïcode \"quoted\""}};
    const std::string path = dir + "/t.safetensors";
    write_safetensors(path, file);
    const std::string bytes = bytes_of(path);
    uint64_t n = 0;
    std::memcpy(&n, bytes.data(), 8);
    EXPECT_EQ(n % 8, 0u) << "data 8-byte aligned";
    EXPECT_EQ(bytes.find("__metadata__") != std::string::npos, with_metadata);
    const TensorFile back = read_safetensors(path);
    EXPECT_EQ(back.metadata, file.metadata);
    ASSERT_EQ(back.tensors.size(), file.tensors.size());
    for (std::size_t i = 0; i < file.tensors.size(); ++i) {
      const auto& [name, t] = file.tensors[i];
      EXPECT_EQ(back.tensors[i].first, name);
      const Tensor& r = back.tensors[i].second;
      EXPECT_EQ(r.shape(), t.shape()) << name;
      EXPECT_EQ(r.dtype(), t.dtype()) << name;
      EXPECT_EQ(std::memcmp(r.bytes(), t.bytes(), static_cast<std::size_t>(t.nbytes())), 0) << name;
    }
  }
  TensorFile none;
  write_safetensors(dir + "/none.safetensors", none);
  EXPECT_TRUE(read_safetensors(dir + "/none.safetensors").tensors.empty());
}

TEST(Safetensors, WriterRejectsBadInput) {
  const std::string dir = temp_dir();
  const std::string path = dir + "/w.safetensors";
  TensorFile twice;
  twice.tensors.emplace_back("a", Tensor({1}));
  twice.tensors.emplace_back("a", Tensor({1}));
  EXPECT_THROW(write_safetensors(path, twice), Error);
  TensorFile meta;
  meta.tensors.emplace_back("__metadata__", Tensor({1}));
  EXPECT_THROW(write_safetensors(path, meta), Error);
  TensorFile hollow;
  hollow.tensors.emplace_back("a", Tensor());
  EXPECT_THROW(write_safetensors(path, hollow), Error);
  EXPECT_EQ(entries(dir), 0u);
}

TEST(Safetensors, OtherDtypesNameFileTensorAndDtype) {
  const std::string dir = temp_dir();
  const std::string path = dir + "/half.safetensors";
  for (const char* dtype : {"F16", "BF16", "F64", "I32", "U8", "BOOL"}) {
    put(path, st_file(fmt::format(R"({{"ok":{{"dtype":"F32","shape":[1],"data_offsets":[0,4]}},)"
                                  R"("layer.weight":{{"dtype":"{}","shape":[2],"data_offsets":[4,8]}}}})",
                                  dtype),
                      std::string(8, '\0')));
    const std::string msg = read_error(path);
    EXPECT_NE(msg.find("'layer.weight'"), std::string::npos) << msg;
    EXPECT_NE(msg.find(std::string("dtype ") + dtype + " is not supported"), std::string::npos) << msg;
  }
}

TEST(Safetensors, MalformedFilesAreNamedErrors) {
  const std::string dir = temp_dir();
  const std::string p = dir + "/bad.safetensors";
  auto check = [&](const std::string& file, const std::string& needle) {
    put(p, file);
    const std::string msg = read_error(p);
    EXPECT_NE(msg.find(needle), std::string::npos) << "message: " << msg << "\nexpected: " << needle;
  };
  const std::string four(4, '\0');
  auto one = [](const std::string& entry) { return R"({"t":)" + entry + "}"; };
  check("", "too short");
  check("1234567", "too short");
  check(st_file("{}", "", uint64_t{1} << 40), "larger than the");
  check(st_file("{}", "", 100), "exceeds");
  check(st_file("{\"t\":", ""), "not valid JSON");
  check(st_file("[1, 2]", ""), "not a JSON object");
  check(st_file(one("[1]"), four), "'t': expected an object");
  check(st_file(one(R"({"shape":[1],"data_offsets":[0,4]})"), four), "'t': missing field 'dtype'");
  check(st_file(one(R"({"dtype":"F32","data_offsets":[0,4]})"), four), "'t': missing field 'shape'");
  check(st_file(one(R"({"dtype":"F32","shape":[1]})"), four), "'t': missing field 'data_offsets'");
  check(st_file(one(R"({"dtype":7,"shape":[1],"data_offsets":[0,4]})"), four), "dtype must be a string");
  check(st_file(one(R"({"dtype":"Q7","shape":[1],"data_offsets":[0,4]})"), four), "unknown dtype 'Q7'");
  check(st_file(one(R"({"dtype":"F32","shape":[-1],"data_offsets":[0,4]})"), four), "'t': negative dimension -1");
  check(st_file(one(R"({"dtype":"F32","shape":[1.5],"data_offsets":[0,4]})"), four), "must hold integers");
  check(st_file(one(R"({"dtype":"F32","shape":3,"data_offsets":[0,4]})"), four), "shape must be an array");
  check(st_file(one(R"({"dtype":"F32","shape":[1],"data_offsets":[0]})"), four), "data_offsets must be [begin, end]");
  check(st_file(one(R"({"dtype":"F32","shape":[1],"data_offsets":[-4,0]})"), four), "negative value");
  check(st_file(one(R"({"dtype":"F32","shape":[1],"data_offsets":[0,8]})"), four), "out of range");
  check(st_file(one(R"({"dtype":"F32","shape":[1],"data_offsets":[4,0]})"), four), "out of range");
  check(st_file(one(R"({"dtype":"F32","shape":[2],"data_offsets":[0,4]})"), four), "needs 8 bytes");
  check(st_file(one(R"({"dtype":"I64","shape":[1],"data_offsets":[0,4]})"), four), "needs 8 bytes");
  check(st_file(one(R"({"dtype":"F32","shape":[4611686018427387904,4611686018427387904],"data_offsets":[0,4]})"), four),
        "needs too many bytes");
  check(st_file(one(R"({"dtype":"F32","shape":[18446744073709551615],"data_offsets":[0,4]})"), four), "too large");
  check(st_file(R"({"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},)"
                R"("b":{"dtype":"F32","shape":[1],"data_offsets":[4,8]}})",
                std::string(8, '\0')),
        "'b': data_offsets [4, 8] overlap");
  check(st_file(R"({"a":{"dtype":"F32","shape":[1],"data_offsets":[4,8]}})", std::string(8, '\0')), "gap of 4");
  check(st_file(one(R"({"dtype":"F32","shape":[1],"data_offsets":[0,4]})"), four + "xx"), "data section has 6");
  check(st_file(R"({"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4]},)"
                R"("a":{"dtype":"F32","shape":[1],"data_offsets":[4,8]}})",
                std::string(8, '\0')),
        "'a' appears twice");
  check(st_file(R"({"__metadata__":{"epoch":3}})", ""), "value of 'epoch' must be a string");
  check(st_file(R"({"__metadata__":["x"]})", ""), "__metadata__ must be an object");
  check(st_file(R"({"t":)" + std::string(5000, '[') + std::string(5000, ']') + "}", ""), "deeper than 8 levels");
  EXPECT_NE(read_error(dir + "/absent.safetensors").find("cannot open"), std::string::npos);
  EXPECT_NE(read_error(dir).find("not a regular file"), std::string::npos);
}

TEST(Safetensors, EveryTruncationIsAnError) {
  const std::string path = temp_dir() + "/cut.safetensors";
  const std::string full = bytes_of(kTorchFile);
  for (std::size_t n = 0; n < full.size(); ++n) {
    put(path, full.substr(0, n));
    read_error(path);
  }
}

TEST(Safetensors, MutatedBytesNeverCrash) {
  const std::string path = temp_dir() + "/m.safetensors";
  const std::string full = bytes_of(kTorchFile);
  uint64_t header_len = 0;
  std::memcpy(&header_len, full.data(), 8);
  for (std::size_t i = 0; i < 8 + header_len; ++i) {
    for (char c : {'\0', '\xff', '\x7f', ' ', '"', '{', ']', ',', '9', '-', 'x'}) {
      std::string m = full;
      m[i] = c;
      put(path, m);
      try {
        read_safetensors(path);  // a few mutations (a digit for a digit in padding) stay valid
      } catch (const Error& e) {
        EXPECT_EQ(std::string(e.what()).rfind(path, 0), 0u) << e.what();
      }
    }
  }
}

TEST(AtomicFile, FailedWriteLeavesTargetAndNoTemporaries) {
  const std::string dir = temp_dir();
  const std::string path = dir + "/weights.safetensors";
  write_safetensors(path, read_safetensors(kTorchFile));
  const std::string before = bytes_of(path);

  // The writer throws half-way: the old file stays, the temporary goes.
  EXPECT_THROW(io::write_file_atomically(path,
                                         [&](std::FILE* f) {
                                           io::write_bytes(f, "partial", 7, path);
                                           throw Error("writer gave up");
                                         }),
               Error);
  EXPECT_EQ(bytes_of(path), before);
  EXPECT_EQ(entries(dir), 1u);

  // Invalid input is refused before anything is written.
  TensorFile hollow;
  hollow.tensors.emplace_back("a", Tensor());
  EXPECT_THROW(write_safetensors(path, hollow), Error);
  EXPECT_EQ(bytes_of(path), before);
  EXPECT_EQ(entries(dir), 1u);

  // The rename fails (the target is a non-empty folder): the temporary is removed.
  const std::string folder = dir + "/taken";
  fs::create_directories(folder + "/inside");
  try {
    write_safetensors(folder, read_safetensors(kTorchFile));
    ADD_FAILURE() << "write over a folder succeeded";
  } catch (const Error& e) {
    EXPECT_EQ(std::string(e.what()).rfind(folder, 0), 0u) << e.what();
  }
  EXPECT_EQ(entries(dir), 2u);

  // A folder that does not exist.
  EXPECT_THROW(write_safetensors(dir + "/missing/w.safetensors", TensorFile{}), Error);
  EXPECT_EQ(entries(dir), 2u);
}

TEST(AtomicFile, NewFileGetsOrdinaryPermissions) {
  const std::string path = temp_dir() + "/p.safetensors";
  write_safetensors(path, TensorFile{});
  const auto perms = fs::status(path).permissions();
  EXPECT_NE(perms & fs::perms::owner_read, fs::perms::none);
  EXPECT_NE(perms & fs::perms::group_read, fs::perms::none);  // not mkstemp's 0600, under a usual umask
}

}  // namespace
}  // namespace cnnzoo
