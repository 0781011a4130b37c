#include "budget_flags.h"

#include <fmt/format.h>

#include "flag_checks.h"

namespace cnnzoo::cli {
namespace {

// Upper ends of the flags' ranges, far above any real input: 10^12 pixels (a million by a million) and
// 2^20 MiB (1 TiB), whose bytes still fit in 64 bits.
constexpr double kMostPixels = 1e12;
constexpr double kMostMiB = 1 << 20;

}  // namespace

void BudgetFlags::add_to(CLI::App& command, unsigned readers) {
  if ((readers & kImages) != 0) {
    command
        .add_option("--max-image-pixels", image_pixels,
                    "Refuse a PNG or JPEG whose header declares more pixels (width x height) than this, before "
                    "decoding it (default: Pillow's MAX_IMAGE_PIXELS)")
        ->default_val(image_pixels)
        ->check(within(1, kMostPixels));
    command
        .add_option("--max-image-mib", image_mib,
                    "Refuse an image whose decoding takes more MiB than this (3 bytes a pixel; a progressive JPEG's "
                    "coefficient buffer too), before decoding it")
        ->default_val(image_mib)
        ->check(within(1, kMostMiB));
  }
  if ((readers & kGzip) != 0) {
    command
        .add_option("--max-gunzip-mib", gunzip_mib,
                    "Stop inflating a gzipped data file (IDX, CIFAR) once it passes this many MiB, with an error")
        ->default_val(gunzip_mib)
        ->check(within(1, kMostMiB));
  }
  if ((readers & kOnnx) != 0) {
    command
        .add_option("--max-folded-mib", folded_mib,
                    "Refuse an ONNX model whose import would compute (fold) a constant of more MiB than this "
                    "(a Gather, Concat, Add or Mul of constants), naming the node")
        ->default_val(folded_mib)
        ->check(within(1, kMostMiB));
  }
}

DecodeBudgets BudgetFlags::resolve() const {
  return {.image_pixels = image_pixels,
          .image_bytes = image_mib * kMiB,
          .gunzip_bytes = gunzip_mib * kMiB,
          .folded_bytes = folded_mib * kMiB};
}

}  // namespace cnnzoo::cli
