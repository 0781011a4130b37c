// JPEG (libjpeg-turbo) and PNG (libpng's simplified API) decoding to 8-bit RGB, each image's header read and
// checked against the decoded-size budgets (cnnzoo/budgets.h) before any pixel is allocated: a few bytes
// can declare 16384 x 16384 pixels. libjpeg reports errors by calling error_exit, which must not return:
// ours longjmps back to the function that called libjpeg, which returns false. libjpeg's warnings (a
// premature end of data, corrupt entropy data) are treated as errors too, except for extraneous bytes
// before a marker, which many real photographs carry and which lose no data.
#include <fmt/format.h>
// clang-format off
#include <cstdio>
#include <jpeglib.h>
#include <jerror.h>
// clang-format on
#include <png.h>

#include <csetjmp>
#include <cstring>

#include "analysis/units.h"
#include "cnnzoo/checked.h"
#include "cnnzoo/error.h"
#include "data/data_sets.h"

namespace cnnzoo::data {
namespace {

struct JpegErrors {
  jpeg_error_mgr mgr;
  std::jmp_buf jump;
  char message[JMSG_LENGTH_MAX];
};

void jpeg_fail(j_common_ptr info) {
  auto* errors = reinterpret_cast<JpegErrors*>(info->err);
  (*info->err->format_message)(info, errors->message);
  std::longjmp(errors->jump, 1);
}

void jpeg_message(j_common_ptr info, int level) {
  if (level < 0 && info->err->msg_code != JWRN_EXTRANEOUS_DATA) jpeg_fail(info);
}

void start_jpeg(jpeg_decompress_struct& info, JpegErrors& errors) {
  info.err = jpeg_std_error(&errors.mgr);
  errors.mgr.error_exit = jpeg_fail;
  errors.mgr.emit_message = jpeg_message;
  errors.message[0] = '\0';
}

// What a JPEG's frame header says, plain data for the C frames below.
struct JpegHeader {
  uint64_t width = 0, height = 0;
  bool cmyk = false;
  bool progressive = false;
  bool multiple_scans = false;
  uint64_t coefficient_bytes = 0;  ///< libjpeg's whole-image coefficient buffer, when it needs one
};

// Reads the header (up to the first scan) of `bytes` into `out`. Kept apart from anything with a
// destructor: longjmp lands here, past only libjpeg's C frames.
bool read_jpeg_header_into(std::span<const uint8_t> bytes, JpegHeader& out, JpegErrors& errors) {
  jpeg_decompress_struct info;
  start_jpeg(info, errors);
  if (setjmp(errors.jump)) {
    jpeg_destroy_decompress(&info);
    return false;
  }
  jpeg_create_decompress(&info);
  jpeg_mem_src(&info, bytes.data(), static_cast<unsigned long>(bytes.size()));
  jpeg_read_header(&info, TRUE);
  out.width = info.image_width;
  out.height = info.image_height;
  out.cmyk = info.jpeg_color_space == JCS_CMYK || info.jpeg_color_space == JCS_YCCK;
  // A progressive JPEG, or one whose components come in separate scans, is decoded through a buffer of
  // every block of every component (jdcoefct.c: each component's blocks rounded up to its sampling
  // factors, 64 coefficients of 2 bytes a block).
  out.progressive = info.progressive_mode != 0;
  out.multiple_scans = jpeg_has_multiple_scans(&info) != 0;
  if (out.multiple_scans) {
    for (int c = 0; c < info.num_components; ++c) {
      const jpeg_component_info& comp = info.comp_info[c];
      const uint64_t across = (comp.width_in_blocks + comp.h_samp_factor - 1) / comp.h_samp_factor * comp.h_samp_factor;
      const uint64_t down = (comp.height_in_blocks + comp.v_samp_factor - 1) / comp.v_samp_factor * comp.v_samp_factor;
      out.coefficient_bytes += across * down * sizeof(JBLOCK);
    }
  }
  jpeg_destroy_decompress(&info);
  return true;
}

// Decodes `bytes`, whose header has been checked, into `out` as RGB. The same C-frames rule as above.
bool decode_jpeg_into(std::span<const uint8_t> bytes, Image& out, JpegErrors& errors) {
  jpeg_decompress_struct info;
  start_jpeg(info, errors);
  if (setjmp(errors.jump)) {
    jpeg_destroy_decompress(&info);
    return false;
  }
  jpeg_create_decompress(&info);
  jpeg_mem_src(&info, bytes.data(), static_cast<unsigned long>(bytes.size()));
  jpeg_read_header(&info, TRUE);
  info.out_color_space = JCS_RGB;
  jpeg_start_decompress(&info);
  out.channels = 3;
  out.height = info.output_height;
  out.width = info.output_width;
  out.pixels.resize(static_cast<size_t>(out.height * out.width * 3));
  while (info.output_scanline < info.output_height) {
    JSAMPROW row = out.pixels.data() + static_cast<size_t>(info.output_scanline) * out.width * 3;
    jpeg_read_scanlines(&info, &row, 1);
  }
  jpeg_finish_decompress(&info);
  jpeg_destroy_decompress(&info);
  return true;
}

// The header's figures; `extra_bytes` is what decoding takes besides the RGB pixels.
ImageHeader image_header(const std::filesystem::path& path, std::string format, uint64_t width, uint64_t height,
                         uint64_t extra_bytes) {
  return at_node(path.string(), [&] {
    ImageHeader h{.format = std::move(format),
                  .width = static_cast<int64_t>(width),
                  .height = static_cast<int64_t>(height),
                  .pixels = 0,
                  .decoded_bytes = 0};
    h.pixels = checked_mul(h.width, h.height, "pixels");
    h.decoded_bytes =
        checked_add(checked_mul(h.pixels, 3, "RGB bytes"), static_cast<int64_t>(extra_bytes), "decoded bytes");
    return h;
  });
}

ImageHeader jpeg_header(const std::filesystem::path& path, std::span<const uint8_t> bytes) {
  JpegHeader h;
  JpegErrors errors;
  if (!read_jpeg_header_into(bytes, h, errors)) {
    throw Error(fmt::format("{}: cannot decode JPEG: {}", path.string(), errors.message));
  }
  if (h.cmyk) throw Error(fmt::format("{}: cannot decode JPEG: CMYK JPEG images are not supported", path.string()));
  const char* format = h.progressive ? "progressive JPEG" : h.multiple_scans ? "multi-scan JPEG" : "JPEG";
  return image_header(path, format, h.width, h.height, h.coefficient_bytes);
}

Image decode_jpeg(const std::filesystem::path& path, std::span<const uint8_t> bytes) {
  Image out;
  JpegErrors errors;
  if (!decode_jpeg_into(bytes, out, errors)) {
    throw Error(fmt::format("{}: cannot decode JPEG: {}", path.string(), errors.message));
  }
  return out;
}

// png_image_begin_read_from_memory reads the chunks before the pixels (IHDR among them) and allocates none.
png_image begin_png(const std::filesystem::path& path, std::span<const uint8_t> bytes) {
  png_image png;
  std::memset(&png, 0, sizeof png);
  png.version = PNG_IMAGE_VERSION;
  if (!png_image_begin_read_from_memory(&png, bytes.data(), bytes.size())) {
    throw Error(fmt::format("{}: cannot decode PNG: {}", path.string(), png.message));
  }
  return png;
}

ImageHeader png_header(const std::filesystem::path& path, std::span<const uint8_t> bytes) {
  png_image png = begin_png(path, bytes);
  png_image_free(&png);
  // libpng reads row by row into the RGB buffer: the buffer is what decoding takes.
  return image_header(path, "PNG", png.width, png.height, 0);
}

Image decode_png(const std::filesystem::path& path, std::span<const uint8_t> bytes) {
  png_image png = begin_png(path, bytes);
  png.format = PNG_FORMAT_RGB;
  Image out{3, png.height, png.width, {}};
  out.pixels.resize(PNG_IMAGE_SIZE(png));
  // Transparent pixels are composited onto black.
  png_color background{0, 0, 0};
  if (!png_image_finish_read(&png, &background, out.pixels.data(), 0, nullptr)) {
    const std::string message = png.message;
    png_image_free(&png);
    throw Error(fmt::format("{}: cannot decode PNG: {}", path.string(), message));
  }
  return out;
}

bool is_jpeg(std::span<const uint8_t> bytes) {
  return bytes.size() >= 3 && bytes[0] == 0xff && bytes[1] == 0xd8 && bytes[2] == 0xff;
}

bool is_png(std::span<const uint8_t> bytes) {
  static const uint8_t png_magic[8] = {0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n'};
  return bytes.size() >= 8 && std::memcmp(bytes.data(), png_magic, 8) == 0;
}

}  // namespace

ImageHeader read_image_header(const std::filesystem::path& path, std::span<const uint8_t> bytes) {
  if (is_jpeg(bytes)) return jpeg_header(path, bytes);
  if (is_png(bytes)) return png_header(path, bytes);
  if (is_gzip(bytes)) {
    throw Error(fmt::format(
        "{}: is a gzip stream, not a PNG or JPEG image; images are told by their content and never inflated "
        "(gunzip it first if it holds one)",
        path.string()));
  }
  throw Error(fmt::format("{}: not a JPEG or PNG image ({} bytes, unknown signature)", path.string(), bytes.size()));
}

void check_image_budgets(const std::filesystem::path& path, const ImageHeader& header, const DecodeBudgets& budgets) {
  if (header.pixels > budgets.image_pixels) {
    throw OptionErrorOf<Error>(
        {"DecodeBudgets::image_pixels"},
        fmt::format("{}: the {} header declares {} x {} = {} pixels, more than the budget of {} pixels; "
                    "DecodeBudgets::image_pixels raises it",
                    path.string(), header.format, header.width, header.height, with_commas(header.pixels),
                    with_commas(budgets.image_pixels)));
  }
  if (header.decoded_bytes > budgets.image_bytes) {
    throw OptionErrorOf<Error>(
        {"DecodeBudgets::image_bytes"},
        fmt::format("{}: decoding this {} x {} {} takes {} bytes ({}), more than the budget of {}; "
                    "DecodeBudgets::image_bytes raises it",
                    path.string(), header.width, header.height, header.format, with_commas(header.decoded_bytes),
                    bytes_text(header.decoded_bytes), budget_text(budgets.image_bytes)));
  }
}

Image decode_image(const std::filesystem::path& path, const DecodeBudgets& budgets) {
  const std::vector<uint8_t> bytes = read_file_as_is(path);
  const ImageHeader header = read_image_header(path, bytes);
  check_image_budgets(path, header, budgets);
  return header.format == "PNG" ? decode_png(path, bytes) : decode_jpeg(path, bytes);
}

}  // namespace cnnzoo::data

namespace cnnzoo {

Image read_image(const std::string& path, const DecodeBudgets& budgets) { return data::decode_image(path, budgets); }

}  // namespace cnnzoo
