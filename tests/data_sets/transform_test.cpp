// Augmentations checked by hand on tiny images: pad-crop offsets, flips, normalisation, resizing, crops.
#include <set>

#include "cnnzoo/init.h"
#include "data_sets/helpers.h"

namespace cnnzoo {
namespace {

using namespace cnnzoo::testing;

// A one-channel image with pixel (y, x) = y * w + x + first.
Image ramp(int64_t h, int64_t w, int first = 1) {
  Image img{1, h, w, {}};
  for (int64_t i = 0; i < h * w; ++i) img.pixels.push_back(static_cast<uint8_t>(i + first));
  return img;
}

std::vector<float> run(const Image& img, const Augment& a, uint64_t key) {
  std::vector<float> out(static_cast<size_t>(img.channels * a.out_h * a.out_w));
  transform(img, a, key, out);
  return out;
}

TEST(Transform, PadCropOffsetsAndFlip) {
  const Image img = ramp(3, 3);  // 1..9
  Augment a{.out_h = 3, .out_w = 3, .pad_crop = 1};
  std::set<std::pair<int64_t, int64_t>> offsets;
  for (uint64_t key = 0; key < 200; ++key) {
    const auto out = run(img, a, key);
    const auto dy = static_cast<int64_t>(unit_uniform(splitmix64(key), 40) * 3),
               dx = static_cast<int64_t>(unit_uniform(splitmix64(key), 41) * 3);
    offsets.insert({dy, dx});
    // Output (y, x) is padded pixel (y + dy, x + dx), i.e. source (y + dy - 1, x + dx - 1), zero outside.
    for (int64_t y = 0; y < 3; ++y) {
      for (int64_t x = 0; x < 3; ++x) {
        const int64_t sy = y + dy - 1, sx = x + dx - 1;
        const float want = (sy < 0 || sy > 2 || sx < 0 || sx > 2) ? 0.0f : static_cast<float>(sy * 3 + sx + 1) / 255.0f;
        EXPECT_FLOAT_EQ(out[static_cast<size_t>(y * 3 + x)], want) << key;
      }
    }
  }
  EXPECT_EQ(offsets.size(), 9u);  // every offset in [0, 2] x [0, 2] occurs

  a = {.out_h = 2, .out_w = 2, .hflip = true};
  const Image two = ramp(2, 2);  // 1 2 / 3 4
  int flipped = 0;
  for (uint64_t key = 0; key < 100; ++key) {
    const auto out = run(two, a, key);
    const bool flip = unit_uniform(splitmix64(key), 42) < 0.5;
    flipped += flip;
    const std::vector<float> want = flip ? std::vector<float>{2, 1, 4, 3} : std::vector<float>{1, 2, 3, 4};
    for (size_t i = 0; i < 4; ++i) EXPECT_FLOAT_EQ(out[i] * 255.0f, want[i]);
  }
  EXPECT_GT(flipped, 30);
  EXPECT_LT(flipped, 70);
}

TEST(Transform, Normalisation) {
  Image img{3, 1, 2, {0, 255, 51, 255, 0, 102}};  // HWC: pixel 0 = (0, 255, 51), pixel 1 = (255, 0, 102)
  Augment a{.out_h = 1, .out_w = 2, .mean = {0.5f, 0.25f, 0.2f}, .stddev = {0.25f, 0.5f, 0.1f}};
  const auto out = run(img, a, 0);  // CHW
  const std::vector<float> want = {-2.0f, 2.0f, 1.5f, -0.5f, 0.0f, 2.0f};
  for (size_t i = 0; i < want.size(); ++i) EXPECT_NEAR(out[i], want[i], 1e-5) << i;
  a.mean = {0.5f};  // one value for every channel
  a.stddev = {0.5f};
  const auto same = run(img, a, 0);
  EXPECT_NEAR(same[0], -1.0f, 1e-6);
  EXPECT_NEAR(same[1], 1.0f, 1e-6);
  a.mean = {0.1f, 0.2f};
  EXPECT_THROW(run(img, a, 0), InvalidArgument);
}

TEST(Transform, ResizeBilinear) {
  Image constant{3, 7, 5, std::vector<uint8_t>(105, 77)};
  for (auto [h, w] : std::vector<std::pair<int64_t, int64_t>>{{13, 3}, {1, 1}, {7, 20}, {2, 9}}) {
    const Image r = resize_bilinear(constant, h, w);
    ASSERT_EQ(r.pixels.size(), static_cast<size_t>(h * w * 3));
    for (uint8_t v : r.pixels) EXPECT_EQ(v, 77);
  }
  // Half-pixel centres, as torch.nn.functional.interpolate(mode="bilinear", align_corners=False).
  const Image row{1, 1, 2, {0, 100}};
  EXPECT_EQ(resize_bilinear(row, 1, 4).pixels, (std::vector<uint8_t>{0, 25, 75, 100}));
  const Image down{1, 1, 4, {0, 100, 200, 40}};
  EXPECT_EQ(resize_bilinear(down, 1, 2).pixels, (std::vector<uint8_t>{50, 120}));
  EXPECT_THROW(resize_bilinear(row, 0, 3), InvalidArgument);
}

TEST(Transform, ResizeShorterSideAndCentreCrop) {
  const Image img = ramp(5, 6, 0);  // (y, x) = 6y + x
  Augment a{.out_h = 3, .out_w = 2, .center_crop = true};
  const auto out = run(img, a, 0);  // top (5 - 3) / 2 = 1, left (6 - 2) / 2 = 2
  const std::vector<float> want = {8, 9, 14, 15, 20, 21};
  for (size_t i = 0; i < want.size(); ++i) EXPECT_FLOAT_EQ(out[i] * 255.0f, want[i]);

  Image wide{3, 4, 8, std::vector<uint8_t>(96, 200)};
  a = {.out_h = 2, .out_w = 2, .resize = 2, .center_crop = true};
  for (float v : run(wide, a, 0)) EXPECT_FLOAT_EQ(v * 255.0f, 200.0f);
  a = {.out_h = 2, .out_w = 4, .resize = 2};  // 4x8 -> 2x4, no crop needed
  EXPECT_EQ(run(wide, a, 0).size(), 24u);
  a = {.out_h = 2, .out_w = 2, .resize = 2};  // 2x4 does not fit 2x2 without a crop
  EXPECT_THROW(run(wide, a, 0), InvalidArgument);
  // A crop larger than the image is zero-filled around it.
  a = {.out_h = 3, .out_w = 3, .center_crop = true};
  const auto padded = run(ramp(1, 1, 50), a, 0);
  EXPECT_FLOAT_EQ(padded[4] * 255.0f, 50.0f);
  EXPECT_FLOAT_EQ(padded[0], 0.0f);
}

TEST(Transform, RandomResizedCrop) {
  Image constant{3, 40, 60, std::vector<uint8_t>(40 * 60 * 3, 90)};
  Augment a{.out_h = 16, .out_w = 16, .random_resized_crop = true};
  for (uint64_t key = 0; key < 50; ++key) {
    for (float v : run(constant, a, key)) ASSERT_FLOAT_EQ(v * 255.0f, 90.0f);
  }
  // Distinct pixels: the crop depends on the key only.
  Image noise{1, 40, 60, {}};
  for (int i = 0; i < 2400; ++i) noise.pixels.push_back(static_cast<uint8_t>((i * 37) % 251));
  std::set<std::vector<float>> seen;
  for (uint64_t key = 0; key < 20; ++key) {
    EXPECT_EQ(run(noise, a, key), run(noise, a, key));
    seen.insert(run(noise, a, key));
  }
  EXPECT_EQ(seen.size(), 20u);
  // scale 1 and ratio 1 of a square image: the whole image.
  a = {.out_h = 6, .out_w = 6, .random_resized_crop = true, .scale_min = 1.0, .ratio_min = 1.0, .ratio_max = 1.0};
  const Image square = ramp(6, 6);
  const auto whole = run(square, a, 3);
  for (size_t i = 0; i < 36; ++i) EXPECT_FLOAT_EQ(whole[i] * 255.0f, static_cast<float>(i + 1));
}

TEST(Transform, SizeMismatchesThrow) {
  const Image img = ramp(4, 4);
  Augment a{.out_h = 3, .out_w = 3};
  EXPECT_THROW(run(img, a, 0), InvalidArgument);  // no resize or crop
  std::vector<float> small(5);
  a = {.out_h = 4, .out_w = 4};
  EXPECT_THROW(transform(img, a, 0, small), InvalidArgument);
  a = {.out_h = 9, .out_w = 9, .pad_crop = 1};
  EXPECT_THROW(run(img, a, 0), InvalidArgument);
}

TEST(Transform, Presets) {
  const fs::path dir = scratch_dir("idx");
  write_tiny_idx(dir, 3, false);
  auto mnist = open_dataset("mnist:" + dir.string(), Split::Train);
  Augment t = train_augment(*mnist, {1, 4, 3});
  EXPECT_EQ(t.pad_crop, 2);
  EXPECT_FALSE(t.hflip);
  EXPECT_EQ(t.resize, 0);
  EXPECT_EQ(t.mean, (std::vector<float>{0.1307f}));
  Augment e = eval_augment(*mnist, {8, 1, 4, 3});
  EXPECT_EQ(e.pad_crop, 0);
  EXPECT_FALSE(e.center_crop);
  EXPECT_THROW(train_augment(*mnist, {3, 4, 3}), InvalidArgument);  // channels differ
  t = train_augment(*mnist, {1, 8, 6});  // another size: resize + centre crop, padding scaled
  EXPECT_EQ(t.resize, 8);
  EXPECT_TRUE(t.center_crop);
  EXPECT_EQ(t.pad_crop, 4);

  DatasetOptions options;
  options.validation_split = 0;
  auto folder = open_dataset("folder:" + (fixture_dir() / "folder").string(), Split::Train, options);
  t = train_augment(*folder, {3, 224, 224});
  EXPECT_TRUE(t.random_resized_crop);
  EXPECT_TRUE(t.hflip);
  EXPECT_EQ(t.mean, (std::vector<float>{0.485f, 0.456f, 0.406f}));
  e = eval_augment(*folder, {3, 224, 224});
  EXPECT_EQ(e.resize, 256);
  EXPECT_TRUE(e.center_crop);
  // Every fixture image goes through both presets.
  std::vector<float> out(3 * 224 * 224);
  for (int64_t i = 0; i < folder->size(); ++i) {
    transform(folder->image(i), t, static_cast<uint64_t>(i), out);
    transform(folder->image(i), e, 0, out);
  }
}

}  // namespace
}  // namespace cnnzoo
