// Decoded-size budgets of the data readers (issue 12): an image's header is checked (pixels, decoded bytes)
// before any pixel is allocated, a gzip stream is never taken for an image, and a gzipped data file stops
// inflating at its budget. The bombs are made here from the small fixtures.
#include <fmt/format.h>
#include <gtest/gtest.h>

#include "data/data_sets.h"
#include "data_sets/helpers.h"
#include "support/bombs.h"
#include "support/error_of.h"

namespace cnnzoo::testing {
namespace {

using test::error_of;

// Bytes libjpeg's whole-image coefficient buffer takes for a frame of `width` x `height` whose components
// have the sampling factors `factors` ({h, v} each): per component, its 8 x 8 blocks rounded up to its
// factors, 64 coefficients of 2 bytes a block (jdinput.c initial_setup, jdcoefct.c).
int64_t coefficient_bytes(int64_t width, int64_t height, const std::vector<std::pair<int64_t, int64_t>>& factors) {
  int64_t max_h = 0, max_v = 0;
  for (auto [h, v] : factors) {
    max_h = std::max(max_h, h);
    max_v = std::max(max_v, v);
  }
  auto ceil_div = [](int64_t a, int64_t b) { return (a + b - 1) / b; };
  int64_t total = 0;
  for (auto [h, v] : factors) {
    const int64_t across = ceil_div(ceil_div(width * h, max_h * 8), h) * h;
    const int64_t down = ceil_div(ceil_div(height * v, max_v * 8), v) * v;
    total += across * down * 128;
  }
  return total;
}

TEST(ImageBudgets, APngDeclaring16kBy16kIsRefusedByItsHeader) {
  const fs::path path = scratch_dir("png") / "bomb.png";
  const auto bytes = test::png_declaring(read_bytes(fixture_dir() / "folder" / "blue" / "gray.png"), 16384, 16384);
  write_bytes(path, bytes);
  EXPECT_EQ(bytes.size(), 76u);
  const data::ImageHeader header = data::read_image_header(path, bytes);
  EXPECT_EQ(header.format, "PNG");
  EXPECT_EQ(header.pixels, 268'435'456);
  EXPECT_EQ(header.decoded_bytes, 805'306'368);  // 3 bytes a pixel
  EXPECT_EQ(error_of([&] { read_image(path.string()); }),
            path.string() +
                ": the PNG header declares 16384 x 16384 = 268,435,456 pixels, more than the budget of 89,478,485 "
                "pixels; DecodeBudgets::image_pixels raises it");
  // With the pixels allowed, the decoded bytes are the next budget; refused before the 768 MiB are allocated.
  EXPECT_EQ(error_of([&] { read_image(path.string(), {.image_pixels = 268'435'456, .image_bytes = 767 * kMiB}); }),
            path.string() +
                ": decoding this 16384 x 16384 PNG takes 805,306,368 bytes (768.0 MiB), more than the budget of 767 "
                "MiB; DecodeBudgets::image_bytes raises it");
}

TEST(ImageBudgets, AProgressiveJpegCountsItsCoefficientBuffer) {
  // solid.jpg: 12 x 9, baseline, Y sampled 2 x 2 and Cb, Cr 1 x 1 (4:2:0).
  const auto solid = read_bytes(fixture_dir() / "folder" / "blue" / "solid.jpg");
  const fs::path path = scratch_dir("jpeg") / "big.jpg";
  const data::ImageHeader small = data::read_image_header(path, solid);
  EXPECT_EQ(small.format, "JPEG");
  EXPECT_EQ(small.decoded_bytes, 12 * 9 * 3);

  const data::ImageHeader baseline = data::read_image_header(path, test::jpeg_declaring(solid, 9000, 6000));
  EXPECT_EQ(baseline.format, "JPEG");
  EXPECT_EQ(baseline.decoded_bytes, 162'000'000);

  const data::ImageHeader progressive = data::read_image_header(path, test::jpeg_declaring(solid, 9000, 6000, true));
  EXPECT_EQ(progressive.format, "progressive JPEG");
  const int64_t coefficients = coefficient_bytes(9000, 6000, {{2, 2}, {1, 1}, {1, 1}});
  EXPECT_EQ(coefficients, 162'144'000);
  EXPECT_EQ(progressive.decoded_bytes, 162'000'000 + coefficients);  // 309.1 MiB
  EXPECT_EQ(error_of([&] { data::check_image_budgets(path, progressive, {.image_bytes = 309 * kMiB}); }),
            path.string() +
                ": decoding this 9000 x 6000 progressive JPEG takes 324,144,000 bytes (309.1 MiB), more than the "
                "budget of 309 MiB; DecodeBudgets::image_bytes raises it");
  EXPECT_EQ(error_of([&] { data::check_image_budgets(path, progressive, {.image_bytes = 310 * kMiB}); }), "(no error)");
  EXPECT_EQ(error_of([&] { data::check_image_budgets(path, baseline, {.image_bytes = 155 * kMiB}); }), "(no error)");
}

TEST(ImageBudgets, AJpegDeclaring16kBy16kIsRefusedByItsHeader) {
  const fs::path path = scratch_dir("jpeg") / "bomb.jpg";
  write_bytes(path, test::jpeg_declaring(read_bytes(fixture_dir() / "folder" / "blue" / "solid.jpg"), 16384, 16384));
  EXPECT_EQ(error_of([&] { read_image(path.string()); }),
            path.string() +
                ": the JPEG header declares 16384 x 16384 = 268,435,456 pixels, more than the budget of 89,478,485 "
                "pixels; DecodeBudgets::image_pixels raises it");
}

TEST(ImageBudgets, BudgetsIncludeTheirValue) {
  const fs::path path = fixture_dir() / "folder" / "red" / "solid.jpeg";  // 16 x 16
  EXPECT_EQ(read_image(path.string(), {.image_pixels = 256}).pixels.size(), 768u);
  EXPECT_EQ(error_of([&] { read_image(path.string(), {.image_pixels = 255}); }),
            path.string() +
                ": the JPEG header declares 16 x 16 = 256 pixels, more than the budget of 255 pixels; "
                "DecodeBudgets::image_pixels raises it");
  EXPECT_EQ(read_image(path.string(), {.image_bytes = 768}).pixels.size(), 768u);
  EXPECT_EQ(error_of([&] { read_image(path.string(), {.image_bytes = 767}); }),
            path.string() +
                ": decoding this 16 x 16 JPEG takes 768 bytes (768 B), more than the budget of 767 bytes; "
                "DecodeBudgets::image_bytes raises it");
}

TEST(ImageBudgets, AGzipStreamIsNeverAnImage) {
  // A real PNG inside: images are told by their content, and a gzip stream is not one.
  const fs::path path = scratch_dir("gzip") / "gray.png";
  write_gzip(path, read_bytes(fixture_dir() / "folder" / "blue" / "gray.png"));
  EXPECT_EQ(error_of([&] { read_image(path.string()); }),
            path.string() +
                ": is a gzip stream, not a PNG or JPEG image; images are told by their content and never inflated "
                "(gunzip it first if it holds one)");
}

TEST(GunzipBudget, InflatingStopsAtTheBudget) {
  // Over two of the reader's 1 MiB chunks.
  std::vector<uint8_t> content(2 * kMiB + 1);
  for (std::size_t i = 0; i < content.size(); ++i) content[i] = static_cast<uint8_t>(i * 7 % 251);
  const fs::path path = scratch_dir("gzip") / "data.gz";
  write_gzip(path, content);
  EXPECT_EQ(error_of([&] { data::read_file(path, 2 * kMiB); }),
            path.string() +
                ": the gzip stream inflates to more than the budget of 2 MiB; DecodeBudgets::gunzip_bytes raises it");
  EXPECT_EQ(data::read_file(path, 2 * kMiB + 1), content);
  EXPECT_EQ(data::read_file(path, DecodeBudgets{}.gunzip_bytes), content);
}

TEST(GunzipBudget, ADataSetTakesItsBudgetFromItsOptions) {
  const fs::path dir = scratch_dir("idx");
  write_tiny_idx(dir, 50, true);  // t10k-images: a 16-byte header and 50 images of 12 bytes = 616 bytes
  const std::string spec = "mnist:" + dir.string();
  EXPECT_EQ(
      error_of([&] { open_dataset(spec, Split::Test, {.budgets = {.gunzip_bytes = 615}}); }),
      (dir / "t10k-images-idx3-ubyte.gz").string() +
          ": the gzip stream inflates to more than the budget of 615 bytes; DecodeBudgets::gunzip_bytes raises it");
  EXPECT_EQ(open_dataset(spec, Split::Test, {.budgets = {.gunzip_bytes = 616}})->size(), 50);
}

// An IDX file is checked against its header while it inflates (issue 12).
TEST(GunzipBudget, AnIdxHeaderDeclaringMoreThanTheBudgetIsRefusedAfterTheFirstChunk) {
  const fs::path dir = scratch_dir("idx_declares");
  fs::create_directories(dir);
  // 60,000 images of 200 x 200: 2.4 GB declared, 1 KiB given.
  write_gzip(dir / "t10k-images-idx3-ubyte.gz", idx_bytes({60000, 200, 200}, std::vector<uint8_t>(1024, 1)));
  write_gzip(dir / "t10k-labels-idx1-ubyte.gz", idx_bytes({60000}, std::vector<uint8_t>(60000, 1)));
  EXPECT_EQ(error_of([&] { open_dataset("mnist:" + dir.string(), Split::Test); }),
            (dir / "t10k-images-idx3-ubyte.gz").string() +
                ": the gzip stream declares 2400000016 bytes in its header, more than the budget of 1024 MiB; "
                "DecodeBudgets::gunzip_bytes raises it");
}

TEST(GunzipBudget, AnIdxBombBehindASmallHeaderStopsInflatingPastTheDeclaredSize) {
  const fs::path dir = scratch_dir("idx_bomb");
  fs::create_directories(dir);
  // The header declares 50 images of 4 x 3 (600 bytes); 64 MiB of zeros follow. The inflated file is cut
  // after the first 1 MiB chunk, not at the 1 GiB budget.
  write_gzip(dir / "t10k-images-idx3-ubyte.gz", idx_bytes({50, 4, 3}, std::vector<uint8_t>(64 * kMiB, 0)));
  write_gzip(dir / "t10k-labels-idx1-ubyte.gz", idx_bytes({50}, std::vector<uint8_t>(50, 1)));
  EXPECT_EQ(error_of([&] { open_dataset("mnist:" + dir.string(), Split::Test); }),
            fmt::format("{}: IDX header promises 600 bytes of data (50x4x3), the file holds at least {}",
                        (dir / "t10k-images-idx3-ubyte.gz").string(), kMiB - 16));
}

}  // namespace
}  // namespace cnnzoo::testing
