// Helpers for the data set tests: scratch folders and tiny IDX/CIFAR files written on the fly.
#pragma once

#include <gtest/gtest.h>
#include <zlib.h>

#include <cstdint>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "cnnzoo/data.h"
#include "cnnzoo/error.h"

namespace cnnzoo::testing {

namespace fs = std::filesystem;

/// An empty folder under the test temp dir, unique to the running test.
inline fs::path scratch_dir(const std::string& tag) {
  const auto* info = ::testing::UnitTest::GetInstance()->current_test_info();
  fs::path dir = fs::path(::testing::TempDir()) / "cnnzoo_data_sets" /
                 (std::string(info->test_suite_name()) + "." + info->name() + "." + tag);
  fs::remove_all(dir);
  fs::create_directories(dir);
  return dir;
}

inline void write_bytes(const fs::path& path, const std::vector<uint8_t>& bytes) {
  std::ofstream out(path, std::ios::binary);
  out.write(reinterpret_cast<const char*>(bytes.data()), static_cast<std::streamsize>(bytes.size()));
}

inline std::vector<uint8_t> read_bytes(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

inline void write_gzip(const fs::path& path, const std::vector<uint8_t>& bytes) {
  gzFile f = gzopen(path.c_str(), "wb");
  ASSERT_NE(f, nullptr);
  ASSERT_EQ(gzwrite(f, bytes.data(), static_cast<unsigned>(bytes.size())), static_cast<int>(bytes.size()));
  gzclose(f);
}

/// An unsigned-byte IDX file image: magic 0x0000080N, big-endian dims, then `values`.
inline std::vector<uint8_t> idx_bytes(const std::vector<uint32_t>& dims, const std::vector<uint8_t>& values) {
  std::vector<uint8_t> b = {0, 0, 0x08, static_cast<uint8_t>(dims.size())};
  for (uint32_t d : dims) {
    for (int s = 24; s >= 0; s -= 8) b.push_back(static_cast<uint8_t>(d >> s));
  }
  b.insert(b.end(), values.begin(), values.end());
  return b;
}

/// A tiny IDX set of `n` 4x3 images in `dir` ("train" and "t10k"): pixel (y, x) of image i is
/// i * 16 + y * 3 + x, label i % 10.
inline void write_tiny_idx(const fs::path& dir, int n, bool gzipped) {
  for (const std::string prefix : {"train", "t10k"}) {
    std::vector<uint8_t> pixels, labels;
    for (int i = 0; i < n; ++i) {
      for (int p = 0; p < 12; ++p) pixels.push_back(static_cast<uint8_t>(i * 16 + p));
      labels.push_back(static_cast<uint8_t>(i % 10));
    }
    const auto images = idx_bytes({static_cast<uint32_t>(n), 4, 3}, pixels);
    const auto label_bytes = idx_bytes({static_cast<uint32_t>(n)}, labels);
    if (gzipped) {
      write_gzip(dir / (prefix + "-images-idx3-ubyte.gz"), images);
      write_gzip(dir / (prefix + "-labels-idx1-ubyte.gz"), label_bytes);
    } else {
      write_bytes(dir / (prefix + "-images-idx3-ubyte"), images);
      write_bytes(dir / (prefix + "-labels-idx1-ubyte"), label_bytes);
    }
  }
}

/// One CIFAR record: `labels` (1 or 2 bytes) then R, G, B planes; channel c of pixel p is
/// (seed + 3 * p + c) % 256.
inline std::vector<uint8_t> cifar_record(const std::vector<uint8_t>& labels, int seed) {
  std::vector<uint8_t> r = labels;
  for (int c = 0; c < 3; ++c) {
    for (int p = 0; p < 1024; ++p) r.push_back(static_cast<uint8_t>((seed + 3 * p + c) % 256));
  }
  return r;
}

/// EXPECT that `f` throws a cnnzoo::Error whose message contains every one of `parts`.
template <typename F>
void expect_error_mentions(F&& f, const std::vector<std::string>& parts) {
  try {
    f();
    ADD_FAILURE() << "no exception; expected one mentioning " << parts.front();
  } catch (const Error& e) {
    for (const auto& part : parts) EXPECT_NE(std::string(e.what()).find(part), std::string::npos) << e.what();
  }
}

inline fs::path fixture_dir() { return fs::path(CNNZOO_TEST_DATA) / "datasets"; }

}  // namespace cnnzoo::testing
