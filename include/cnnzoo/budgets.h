// Decoded-size budgets: how large an input may grow between the bytes of its file and the memory it takes
// once decoded. A few kilobytes can declare gigabytes (a PNG header of 16384 x 16384 pixels, a gzip stream
// of zeros, an ONNX Gather that repeats a weight), so each reader checks the declared size against its
// budget before it allocates, and refuses with a message naming the file or node, the size, the budget and
// the option that raises it (an OptionErrorOf<Error> about "DecodeBudgets::image_pixels", ...). The defaults here are
// the one home of these figures (docs/counting.md, "Decoded-size budgets", says why each); the CLI sets them with
// --max-image-pixels, --max-image-mib,
// --max-gunzip-mib and --max-folded-mib (app/budget_flags.h).
#pragma once

#include <cstdint>
#include <string>

namespace cnnzoo {

/// One mebibyte, the unit of the byte budgets' flags.
inline constexpr int64_t kMiB = int64_t{1} << 20;

struct DecodeBudgets {
  /// Pixels (width x height) one PNG or JPEG image may declare: Pillow's Image.MAX_IMAGE_PIXELS,
  /// 89,478,485 = 1 GiB / 4 / 3 (about 9,459 x 9,459; a 24-megapixel photograph has 24,000,000).
  int64_t image_pixels = 89'478'485;
  /// Bytes one image may take while it is decoded: its RGB pixels (3 a pixel) and, for a JPEG of several
  /// scans (progressive), libjpeg's whole-image coefficient buffer (2 bytes a coefficient). 1 GiB.
  int64_t image_bytes = 1024 * kMiB;
  /// Bytes a gzip-compressed data file (IDX, CIFAR) may inflate to. 1 GiB: the largest IDX set, EMNIST
  /// ByClass's training images, is 547 MB; Fashion-MNIST's is 47 MB.
  int64_t gunzip_bytes = 1024 * kMiB;
  /// Bytes of one constant an ONNX import computes from others (Gather, Concat, Add, Mul, Sum of
  /// constants). 1 GiB: exporters fold shape arithmetic of a few bytes; the largest weight of a classic
  /// CNN, VGG's fc6, is 392 MiB.
  int64_t folded_bytes = 1024 * kMiB;
};

/// A byte budget as its flag gives it: "1024 MiB" (or "1500 bytes" when not whole mebibytes).
inline std::string budget_text(int64_t bytes) {
  return bytes % kMiB == 0 ? std::to_string(bytes / kMiB) + " MiB" : std::to_string(bytes) + " bytes";
}

}  // namespace cnnzoo
